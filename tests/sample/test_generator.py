"""The built-in sample operation (data/sample) and its seeded generator.

Most checks read the committed files with plain pandas and recompute each property
from scratch (local clocks via zoneinfo, workload = volume x AHT), so they do not
trust the generator's own arithmetic.
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from planning import domain

from planning.sample import generator as samplegen
from planning.cli import main
from planning.inputs import TABLES

START = pd.Timestamp("2024-11-18T00:00:00Z")
END = pd.Timestamp("2026-11-16T00:00:00Z")
STEP = pd.Timedelta(minutes=30)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def tables(sample_dir):
    return {name: pd.read_csv(sample_dir / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in TABLES if name not in ("volume", "actuals")}


@pytest.fixture(scope="module")
def volume(sample_dir):
    v = pd.read_csv(sample_dir / "volume.csv.gz", dtype={"queue": str, "market": str, "volume": float})
    v["timestamp"] = pd.to_datetime(v["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    return v


def _series(volume, queue, market) -> pd.Series:
    pair = volume[(volume["queue"] == queue) & (volume["market"] == market)]
    return pair.set_index("timestamp")["volume"].sort_index()


def _local(series: pd.Series, zone: str) -> pd.Series:
    return series.set_axis(series.index.tz_convert(zone))


# --- files and format ---------------------------------------------------------------

def test_regeneration_is_byte_identical(regenerated, sample_dir):
    committed = sorted(p.name for p in sample_dir.iterdir())
    assert committed == sorted(p.name for p in regenerated.iterdir())
    for name in committed:
        assert (regenerated / name).read_bytes() == (sample_dir / name).read_bytes(), name


def test_gzip_header_carries_no_time_and_no_name(tmp_path):
    samplegen.write_gzip_deterministic(tmp_path / "a.gz", "x")
    raw = (tmp_path / "a.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip header: mtime 0
    assert raw[3] & 0x08 == 0  # FNAME flag unset: no file name stored


def test_every_file_has_the_schema_columns_in_order(sample_dir, tables):
    for name, frame in tables.items():
        expected = TABLES[name].column_names
        if name == "hiring":  # hired by site: no team column (planning.sample.write)
            expected = [c for c in expected if c != "team"]
        assert list(frame.columns) == expected, name
    header = pd.read_csv(sample_dir / "volume.csv.gz", nrows=0)
    assert list(header.columns) == TABLES["volume"].column_names


def test_all_files_together_are_below_20_mb(sample_dir):
    assert sum(p.stat().st_size for p in sample_dir.iterdir()) < 20e6


def test_rows_build_valid_domain_objects(tables):
    def clean(row):
        return {k: v for k, v in row.items() if v != ""}

    queues = [domain.Queue(**clean(r)) for r in tables["queues"].to_dict("records")]
    [domain.Market(**clean(r)) for r in tables["markets"].to_dict("records")]
    [domain.Site(**clean(r)) for r in tables["sites"].to_dict("records")]
    [domain.ShiftTemplate(**clean(r)) for r in tables["shifts"].to_dict("records")]
    [domain.Event(**clean(r)) for r in tables["events"].to_dict("records")]
    settings = domain.Settings(**dict(zip(tables["settings"]["key"], tables["settings"]["value"])))
    assert (settings.interval_minutes, settings.currency, settings.planning_weeks) == (30, "USD", 1)
    assert settings.wellness_severe_share_max == 0.5
    by_id = {q.queue: q for q in queues}
    assert by_id["live_video_escalations"].patience_seconds == 600
    assert by_id["child_safety"].severe and by_id["child_safety"].priority == 1
    assert by_id["violent_extremism"].deadline_seconds == 3600


# --- the operation ------------------------------------------------------------------

def test_queues_markets_sites_vendors_and_zones(tables):
    q = tables["queues"]
    assert len(q) >= 10 and set(q["sla_kind"]) == {"live", "deferred"}
    aht = q["aht_seconds"].astype(float)
    assert aht.min() <= 20 and aht.max() >= 1800
    assert set(q.loc[q["severe"] == "true", "queue"]) >= {"child_safety", "violent_extremism", "graphic_media"}
    assert set(q["priority"].astype(int)) <= set(range(1, 6))
    occupancy = q["max_occupancy"].astype(float)
    assert (occupancy[q["sla_kind"] == "live"] == 0.85).all()
    assert (occupancy[q["sla_kind"] == "deferred"] == 0.95).all()
    assert len(tables["markets"]) >= 4
    sites = tables["sites"]
    assert len(sites) >= 6 and sites["vendor"].nunique() >= 3 and sites["timezone"].nunique() >= 5
    max_hc = sites["max_headcount"].astype(int)
    assert 500 <= max_hc.sum() <= 1500
    assert (sites["min_headcount"].astype(int) <= max_hc).all()
    assert sites["shrinkage"].astype(float).between(0.28, 0.38).all()
    assert sites["night_premium"].astype(float).between(0.10, 0.25).all()


def test_site_zones_include_two_with_dst_and_a_half_hour_offset(tables):
    winter, summer = dt.datetime(2026, 1, 15, 12), dt.datetime(2026, 7, 15, 12)
    zones = [ZoneInfo(z) for z in tables["sites"]["timezone"]]
    with_dst = [z for z in zones if z.utcoffset(winter) != z.utcoffset(summer)]
    half_hour = [z for z in zones if z.utcoffset(winter).total_seconds() % 3600 == 1800]
    assert len(with_dst) >= 2 and len(half_hour) >= 1


def test_shift_templates(tables):
    shifts = tables["shifts"]
    counts = shifts.groupby("site").size()
    assert set(counts.index) == set(tables["sites"]["site"]) and counts.between(3, 5).all()
    assert shifts["paid_hours"].astype(float).between(8, 10).all()
    assert not shifts.duplicated(["site", "shift"]).any()
    zone = dict(zip(tables["sites"]["site"], tables["sites"]["timezone"]))
    for r in shifts.itertuples():
        hh, mm = map(int, r.start.split(":"))
        start = dt.datetime(2026, 3, 2, hh, mm, tzinfo=ZoneInfo(zone[r.site]))
        assert start.astimezone(dt.timezone.utc).minute in (0, 30), r  # on the 30-min grid


def test_every_volume_pair_is_certified_and_most_twice(tables, volume):
    cert = tables["certifications"]
    assert not cert.duplicated().any()
    sites_per_pair = cert.groupby(["queue", "market"])["site"].nunique()
    pairs = volume[["queue", "market"]].drop_duplicates()
    assert 25 <= len(pairs) < 40
    counts = [sites_per_pair.get((q, m), 0) for q, m in pairs.itertuples(index=False)]
    assert min(counts) >= 1
    assert np.mean(np.array(counts) >= 2) >= 0.8
    for severe in ("child_safety", "violent_extremism"):
        assert 2 <= cert.loc[cert["queue"] == severe, "site"].nunique() <= 3
    # language: Japanese only in Asia, German/French only in Europe, Portuguese not in Asia
    where = dict(zip(tables["sites"]["site"], tables["sites"]["timezone"]))
    for market, region in [("APAC-JA", "Asia/"), ("EMEA-DE", "Europe/"), ("EMEA-FR", "Europe/")]:
        assert all(where[s].startswith(region) for s in cert.loc[cert["market"] == market, "site"])


def test_certifications_reference_known_ids(tables):
    cert = tables["certifications"]
    assert set(cert["site"]) <= set(tables["sites"]["site"])
    assert set(cert["queue"]) <= set(tables["queues"]["queue"])
    assert set(cert["market"]) <= set(tables["markets"]["market"])


def test_hiring_has_one_plausible_row_per_site(tables):
    h = tables["hiring"].set_index("site")
    sites = tables["sites"].set_index("site")
    assert sorted(h.index) == sorted(sites.index)
    assert (h["current_headcount"].astype(int) <= sites.loc[h.index, "max_headcount"].astype(int)).all()
    assert h["monthly_attrition"].astype(float).between(0.01, 0.08).all()
    assert (h["class_min"].astype(int) < h["class_max"].astype(int)).all()


# --- the volume ---------------------------------------------------------------------

def test_volume_grid_is_complete_without_duplicates(volume):
    assert (volume["volume"] >= 0).all() and np.isfinite(volume["volume"]).all()
    assert not volume.duplicated(["timestamp", "queue", "market"]).any()
    expected = pd.date_range(START, END, freq=STEP, inclusive="left")
    assert expected[-1] == END - STEP and expected[0].day_of_week == 0
    for (queue, market), stamps in volume.groupby(["queue", "market"])["timestamp"]:
        assert stamps.sort_values().reset_index(drop=True).equals(pd.Series(expected)), (queue, market)


def test_diurnal_peak_is_in_the_market_local_daytime(tables, volume):
    for market, zone in zip(tables["markets"]["market"], tables["markets"]["timezone"]):
        local = _local(volume[volume["market"] == market].groupby("timestamp")["volume"].sum(), zone)
        by_hour = local.groupby(local.index.hour).mean()
        assert 10 <= by_hour.idxmax() <= 22, (market, by_hour.idxmax())
        assert 1 <= by_hour.idxmin() <= 7, (market, by_hour.idxmin())
        assert by_hour.max() > 2 * by_hour.min()


def test_weekends_are_quieter_in_every_market(tables, volume):
    for market, zone in zip(tables["markets"]["market"], tables["markets"]["timezone"]):
        local = _local(volume[volume["market"] == market].groupby("timestamp")["volume"].sum(), zone)
        daily = local.groupby(local.index.date).sum().iloc[1:-1]  # drop partial local days
        weekend = pd.to_datetime(daily.index).day_of_week >= 5
        assert daily[weekend].mean() < 0.95 * daily[~weekend].mean(), market


def test_public_holiday_is_quieter(volume):
    # US Independence Day 2025 (a Friday) vs the Friday before and after, New York days.
    local = _local(volume[volume["market"] == "NA-EN"].groupby("timestamp")["volume"].sum(),
                   "America/New_York")
    daily = local.groupby(local.index.date).sum()
    fourth = daily[dt.date(2025, 7, 4)]
    assert fourth < 0.85 * np.mean([daily[dt.date(2025, 6, 27)], daily[dt.date(2025, 7, 11)]])


def test_election_window_roughly_triples_civic_volume(volume):
    civic = _series(volume, "civic_integrity", "LATAM-PT")
    window = civic["2026-09-27T03:00Z":"2026-10-11T02:30Z"]
    before = civic["2026-08-30T03:00Z":"2026-09-27T02:30Z"]
    assert 2.6 < window.mean() / before.mean() < 3.4
    control = _series(volume, "civic_integrity", "LATAM-ES")
    ratio = control["2026-09-27T03:00Z":"2026-10-11T02:30Z"].mean() / control["2026-08-30T03:00Z":"2026-09-27T02:30Z"].mean()
    assert 0.85 < ratio < 1.15


def test_automation_step_cuts_spam_by_about_15_percent(volume):
    def ratio(queue):
        total = volume[volume["queue"] == queue].groupby("timestamp")["volume"].sum()
        return total["2025-06-02":"2025-06-29"].mean() / total["2025-05-05":"2025-06-01"].mean()

    relative = ratio("spam") / ratio("abuse_harassment")  # control removes trend and season
    assert 0.80 < relative < 0.90


def test_past_incidents_show_as_spikes(tables, volume):
    events = tables["events"]
    incidents = events[events["kind"] == "incident"]
    assert len(incidents) >= 3
    for ev in incidents.itertuples():
        s = _series(volume, ev.queue, ev.market)
        start, end = pd.Timestamp(ev.start), pd.Timestamp(ev.end)
        spike = s[start:end - STEP].mean()
        week_before = s[start - pd.Timedelta(weeks=1):end - pd.Timedelta(weeks=1) - STEP].mean()
        multiplier = float(ev.volume_multiplier)
        assert 3 <= multiplier <= 6
        assert 0.7 * multiplier < spike / week_before < 1.3 * multiplier, ev.event


def test_events_cover_past_and_known_future(tables):
    events = tables["events"]
    starts = pd.to_datetime(events["start"], utc=True)
    future = events[starts >= END]
    assert {"launch", "election"} <= set(future["kind"])
    assert (events["volume_multiplier"].astype(float) > 0).all()
    assert (pd.to_datetime(events["end"], utc=True) > starts).all()


def test_workload_is_60_to_75_percent_of_productive_capacity(tables, volume):
    aht = tables["queues"].set_index("queue")["aht_seconds"].astype(float)
    last = volume[volume["timestamp"] >= END - pd.Timedelta(weeks=4)]
    workload_per_week = (last["volume"] * last["queue"].map(aht)).sum() / 3600 / 4
    sites = tables["sites"]
    capacity = (sites["max_headcount"].astype(float) * 40 * (1 - sites["shrinkage"].astype(float))).sum()
    assert 0.60 <= workload_per_week / capacity <= 0.75


def test_sizing_lp_balances_sites_and_matches_a_hand_case():
    # hand case: pair A (10 h) only at s1, pair B (20 h) at s1 or s2, capacity 20 h each:
    # best is s1 = A + 5 h of B, s2 = 15 h of B, both at 15/20 = 75%.
    caps = {"s1": 20.0, "s2": 20.0}
    certified = {("A", "m"): {"s1"}, ("B", "m"): {"s1", "s2"}}
    original = samplegen.productive_capacity_hours, samplegen._certified_sites
    try:
        samplegen.productive_capacity_hours = lambda: caps
        samplegen._certified_sites = lambda q, m: certified[(q, m)]
        work = pd.Series({("A", "m"): 10.0, ("B", "m"): 20.0})
        best, per_site = samplegen.balanced_site_load(work)
    finally:
        samplegen.productive_capacity_hours, samplegen._certified_sites = original
    assert best == pytest.approx(0.75)  # 30 h over 40 h of capacity, spread evenly
    assert per_site == pytest.approx({"s1": 0.75, "s2": 0.75})


def test_sample_sites_can_be_balanced_below_75_percent(volume):
    best, _ = samplegen.balanced_site_load(samplegen.pair_workload_hours(volume))
    assert best <= 0.75


# --- the loader -------------------------------------------------------------------

def test_sample_loads_without_any_problem(sample_dir, tables, volume):
    from planning.inputs import load_operation

    op, report = load_operation(sample_dir)
    assert report.problems == [] and op is not None
    assert sorted(op.queues) == sorted(tables["queues"]["queue"])
    assert sorted(op.sites) == sorted(tables["sites"]["site"])
    assert len(op.certifications) == len(tables["certifications"]) and len(op.events) == len(tables["events"])
    assert len(op.volume) == len(volume) and op.volume["volume"].sum() == volume["volume"].sum()
    assert str(op.volume["timestamp"].dt.tz) == "UTC" and op.history_end == END
    assert len(op.pairs) == len(volume[["queue", "market"]].drop_duplicates())


# --- the command --------------------------------------------------------------------

def test_sample_command_usage_and_bad_target(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["sample"])
    assert exit_info.value.code == 2
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["sample", str(target)]) == 2  # usage: not a folder
    assert "not a folder" in capsys.readouterr().err


# --- teams ------------------------------------------------------------------------

def test_teams_cover_every_site_certification_and_fit_their_site(tables):
    teams, cert, sites = tables["teams"], tables["certifications"], tables["sites"].set_index("site")
    assert set(teams["site"]) == set(sites.index) and not teams.duplicated(["site", "team"]).any()
    assert (cert["team"] != "").all()  # every certification names its team
    known = set(zip(teams["site"], teams["team"]))
    assert set(zip(cert["site"], cert["team"])) <= known
    # a team for every certification of its site, and every team has work
    assert set(zip(cert["site"], cert["team"])) == known
    mins = teams.assign(m=teams["min_headcount"].astype(int)).groupby("site")["m"].sum()
    assert (mins <= sites.loc[mins.index, "max_headcount"].astype(int)).all()


def test_severe_teams_where_severe_work_is_certified(tables):
    queues = tables["queues"].set_index("queue")
    cert = tables["certifications"]
    severe = cert[cert["queue"].map(queues["severe"]) == "true"]
    # severe work goes to a SEV team only, at every site certified for it
    assert set(severe["team"]) == {"SEV"}
    assert set(severe["site"]) == set(tables["teams"].loc[tables["teams"]["team"] == "SEV", "site"])
    # language teams per market: a team works one market, except the one cross-skilled team
    markets = cert.groupby(["site", "team"])["market"].nunique()
    assert list(markets[markets > 1].index) == [("DUB-B", "SEV"), ("KUL-B", "ENJA")]
