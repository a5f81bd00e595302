"""Operations monitor: planted problems found, clean copy quiet, KPI formulas by hand,
intraday re-forecast, actuals validation and the CLI.

The sample checks use the sample's tables with a one-day stand-in volume (the monitor
never reads the history) and the generator's oracle forecast, so they judge the
monitor's rules, not a forecaster; the CLI is run on a two-site synthetic operation.
"""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.sample import actuals as actualsgen
from planning.cli import main
from planning.inputs import load_operation
from planning.monitor import REFERENCE_OCCUPANCY, load_actuals, run_monitor
from planning.monitor import cusum, runs
from planning.monitor.intraday import CREDIBILITY_ITEMS, intraday
from tests.conftest import SAMPLE

SMALL_TABLES = ("queues", "markets", "sites", "teams", "certifications", "shifts", "settings", "events")


@pytest.fixture(scope="module")
def sample_op(tmp_path_factory):
    """The sample's tables with one day of stand-in volume per pair (fast to load)."""
    out = tmp_path_factory.mktemp("sample")
    for name in SMALL_TABLES:
        shutil.copy(SAMPLE / f"{name}.csv", out / f"{name}.csv")
    index = pd.date_range(actualsgen.START - pd.Timedelta(days=1), actualsgen.START, freq="30min", inclusive="left")
    rows = [f"{t:%Y-%m-%dT%H:%M:%SZ},{q},{m},10" for q, m in actualsgen.sg.pairs() for t in index]
    (out / "volume.csv").write_text("timestamp,queue,market,volume\n" + "\n".join(rows) + "\n")
    op, report = load_operation(out)
    assert op is not None, report.lines()
    return op


@pytest.fixture(scope="module")
def oracle():
    return actualsgen.oracle_forecast()


@pytest.fixture(scope="module")
def planted_result(sample_op, oracle):
    actuals, report = load_actuals(SAMPLE / actualsgen.FILE_NAME, sample_op)
    assert actuals is not None and report.valid, report.lines()
    return run_monitor(sample_op, actuals, oracle)


def test_generator_writes_the_committed_file_byte_for_byte(tmp_path):
    path = actualsgen.write_actuals(tmp_path)
    assert path.read_bytes() == (SAMPLE / actualsgen.FILE_NAME).read_bytes()
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.startswith(",".join(actualsgen.ACTUALS_COLUMNS) + "\n")
    assert "2026-11-16T00:00:00Z" in text and "2026-11-15T" not in text  # after the history


def _matches(alert, planted) -> bool:
    overlap = alert.start < planted.end and alert.end > planted.start
    same = all(getattr(planted, f) == "*" or getattr(alert, f) == getattr(planted, f)
               for f in ("queue", "market", "site", "team"))
    return overlap and same and alert.kind == planted.kind


def test_every_planted_problem_is_found_with_place_and_kind(planted_result):
    alerts = list(planted_result.alerts.itertuples(index=False))
    for p in actualsgen.PLANTED:
        hits = [a for a in alerts if _matches(a, p)]
        assert hits, f"planted {p.kind} at {p.queue}/{p.market}/{p.site} not found"
    spike = next(a for a in alerts if _matches(a, actualsgen.PLANTED[0]))
    assert spike.signal == "spike" and 1.0 < spike.size < 2.0  # planted x2.5 on noisy counts
    staffing = next(a for a in alerts if _matches(a, actualsgen.PLANTED[2]))
    assert staffing.vendor == "Cobalt Services" and staffing.size < -0.4
    aht = next(a for a in alerts if _matches(a, actualsgen.PLANTED[1]))
    assert 0.10 < aht.size < 0.35  # the ramp averages +17.5% over its days
    # Manila reports its Japanese work by team: the planted 40% short shows as that team's alert.
    team = next(a for a in alerts if _matches(a, actualsgen.PLANTED[3]))
    assert team.message.startswith("MNL-A JA team (") and -0.5 < team.size < -0.3
    assert not any(a.kind == "staffing" and a.site == "MNL-A" and a.team == "*" for a in alerts)


def test_alerts_carry_root_causes(planted_result):
    alerts = planted_result.alerts
    assert set(alerts["kind"]) <= {"volume", "aht", "staffing", "backlog"}
    for a in alerts.itertuples(index=False):
        breakdown = planted_result.breakdowns[a.id]
        assert len(breakdown) and {"dimension", "key", "contribution", "share"} <= set(breakdown.columns)
    # The backlog after the spike is blamed on volume; the one in Hyderabad's queues on AHT there.
    backlog = alerts[alerts["kind"] == "backlog"]
    spike_backlog = backlog[(backlog["queue"] == "hate_speech") & (backlog["market"] == "EMEA-DE")]
    assert len(spike_backlog) and (spike_backlog["cause"] == "volume").all()
    late_week = backlog[backlog["start"] >= pd.Timestamp("2026-11-21T12:00Z")]
    assert all((a.cause, a.site) == ("aht", "HYD-A") for a in late_week.itertuples() if a.queue != "hate_speech")
    # Every backlog alert names a cause that a planted problem explains.
    assert set(backlog["cause"]) <= {"volume", "aht", "staffing"}


def test_clean_copy_raises_no_alert(sample_op, oracle):
    clean = actualsgen.generate_actuals(planted=False)
    result = run_monitor(sample_op, clean, oracle)
    assert result.alerts.empty, result.alerts[["kind", "queue", "market", "site", "start"]].to_string()


def test_sample_monitor_kpis_cover_every_level(planted_result):
    k = planted_result.kpis
    assert set(k["level"]) == {"total", "queue", "market", "site", "team", "vendor"}
    assert set(k.loc[k["level"] == "team", "key"]) == {"MNL-A/JA"}
    assert set(k["period"]) == {"day", "week"}
    total = k[(k["period"] == "week") & (k["level"] == "total")].iloc[0]
    assert 0.6 < total["automation_rate"] < 0.9 and 0.5 < total["occupancy"] < 1.0
    hyd = k[(k["period"] == "week") & (k["level"] == "site") & (k["key"] == "HYD-A")].iloc[0]
    assert hyd["aht_vs_plan"] > 0.1


# ------------------------------------------------------------------ a small synthetic operation
def _small_folder(path: Path, *, days: int = 7) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "queues.csv").write_text(
        "queue,sla_kind,sla_target,sla_within_hours,aht_seconds\nq,deferred,0.9,24,60\n")
    (path / "markets.csv").write_text("market,timezone,holiday_country\nM,UTC,US\n")
    (path / "sites.csv").write_text(
        "site,vendor,timezone,max_headcount,hourly_cost,night_premium,night_start,night_end,shrinkage\n"
        "S1,V1,UTC,100,10,0.5,22:00,06:00,0.2\nS2,V2,UTC,100,20,0.5,22:00,06:00,0.5\n")
    (path / "certifications.csv").write_text("site,queue,market\nS1,q,M\nS2,q,M\n")
    (path / "shifts.csv").write_text("site,shift,start,paid_hours\nS1,day,08:00,8\nS2,day,08:00,8\n")
    (path / "settings.csv").write_text("key,value\ninterval_minutes,30\n")
    index = pd.date_range("2026-01-05", periods=days * 48, freq="30min", tz="UTC", inclusive="left")
    lines = [f"{t:%Y-%m-%dT%H:%M:%SZ},q,M,100" for t in index]
    (path / "volume.csv").write_text("timestamp,queue,market,volume\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def small_op(tmp_path_factory):
    op, report = load_operation(_small_folder(tmp_path_factory.mktemp("small")))
    assert op is not None, report.lines()
    return op


HAND_ACTUALS = """timestamp,queue,market,site,total_incoming,manual_incoming,total_solved,manual_solved,aht_seconds,backlog_items,within_sla_share,staffed_agents
2026-01-12T10:00:00Z,q,M,,200,100,190,90,66,10,0.8,5
2026-01-12T10:30:00Z,q,M,,100,50,110,60,66,0,1.0,5
2026-01-12T10:00:00Z,q,M,S1,,,60,60,60,,,3
2026-01-12T10:30:00Z,q,M,S1,,,30,30,60,,,2
2026-01-12T10:00:00Z,q,M,S2,,,30,30,80,,,2
2026-01-12T10:30:00Z,q,M,S2,,,30,30,70,,,3
"""


def _flat_forecast(start, periods, value, queue="q", market="M"):
    ts = pd.date_range(start, periods=periods, freq="30min", tz="UTC")
    v = np.broadcast_to(np.asarray(value, dtype=float), (periods,))
    return pd.DataFrame({"timestamp": ts, "queue": queue, "market": market, "model": "test", "forecast": v,
                         "lo_80": v * 0.9, "hi_80": v * 1.1, "lo_95": v * 0.8, "hi_95": v * 1.2})


def test_kpi_formulas_on_a_hand_computed_case(small_op, tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(HAND_ACTUALS)
    actuals, report = load_actuals(path, small_op)
    assert report.valid, report.lines()
    forecast = _flat_forecast("2026-01-12T10:00Z", 2, [80.0, 60.0])
    k = run_monitor(small_op, actuals, forecast).kpis
    day = k[k["period"] == "day"].set_index(["level", "key"])
    t = day.loc[("total", "all")]
    assert_allclose([t.manual_incoming, t.forecast, t.volume_error], [150, 140, 10])
    assert_allclose([t.volume_bias, t.volume_wape], [10 / 140, 30 / 140])
    assert_allclose(t.automation_rate, 1 - 150 / 300)
    assert_allclose(t.solved_vs_incoming, 1.0)
    assert_allclose([t.backlog_end, t.backlog_age_hours], [0.0, 0.0])
    assert_allclose([t.sla_attainment, t.sla_target, t.sla_gap], [0.88, 0.9, -0.02])
    handled = 60 * 60 + 30 * 60 + 30 * 80 + 30 * 70  # site rows [s]
    assert_allclose([t.aht_seconds, t.aht_plan_seconds, t.aht_vs_plan], [handled / 150, 60, handled / 150 / 60 - 1])
    assert_allclose(t.staffed_agent_hours, (3 + 2 + 2 + 3) * 0.5)
    assert_allclose(t.occupancy, handled / 3600 / 5.0)
    cost = (3 + 2) * 0.5 / 0.8 * 10 + (2 + 3) * 0.5 / 0.5 * 20  # paid hours x rate; 10:00 is not night
    assert_allclose([t.cost, t.cost_per_solved], [cost, cost / 150])
    reference = (80 + 60) * 60 / (1800 * REFERENCE_OCCUPANCY) * 0.5  # both sites' median share is 1/2
    assert_allclose(t.planned_agent_hours, reference)
    assert_allclose(t.staffed_vs_planned, 5.0 / reference - 1)
    s2 = day.loc[("site", "S2")]
    assert_allclose([s2.aht_seconds, s2.aht_vs_plan, s2.cost_per_solved], [75.0, 0.25, 100 / 60])
    assert_allclose(day.loc[("vendor", "V2")].cost, 100.0)
    assert np.isnan(s2.manual_incoming)  # volume is not a site's number


def test_night_premium_applies_in_local_night(small_op, tmp_path):
    path = tmp_path / "actuals.csv"
    path.write_text(HAND_ACTUALS.replace("T10:", "T23:"))
    actuals, _ = load_actuals(path, small_op)
    k = run_monitor(small_op, actuals, _flat_forecast("2026-01-12T23:00Z", 2, [80.0, 60.0])).kpis
    t = k[(k["period"] == "day") & (k["level"] == "total")].iloc[0]
    assert_allclose(t.cost, 131.25 * 1.5)


def test_bad_actuals_are_reported_with_rows(small_op, tmp_path):
    bad = HAND_ACTUALS.replace("2026-01-12T10:30:00Z,q,M,,100,50", "2026-01-12T10:30:00Z,qq,M,,100,-50")
    bad = bad.replace(",0.8,5\n", ",1.8,5\n").replace("10:00:00Z,q,M,S2,", "10:00:00Z,q,M,S9,")
    path = tmp_path / "actuals.csv"
    path.write_text(bad)
    actuals, report = load_actuals(path, small_op)
    assert actuals is None
    text = "\n".join(report.lines())
    assert "queue 'qq' is not in the queues table" in text
    assert "manual_incoming must be at least 0" in text
    assert "outside 0-1" in text and "site 'S9'" in text
    assert all(p.row is not None for p in report.errors)


def test_cusum_and_runs_by_hand():
    assert runs(np.array([0, 1, 1, 0, 1], dtype=bool)) == [(1, 3), (4, 5)]
    # k=0.5, h=4: sums 0.5, 2.0, 3.5, 5.0 (> 4, alarm), then 3.5, 2.0, 0.5, 0 -> episode ends at 7
    z = np.array([1, 2, 2, 2, -1, -1, -1, -1, 0])
    assert cusum(z) == [(0, 7, 1)]
    assert cusum(-z) == [(0, 7, -1)]
    assert cusum(np.full(10, 0.4)) == []


def test_spike_in_a_small_case_is_found_and_sized(small_op):
    ts = pd.date_range("2026-01-12", periods=96, freq="30min", tz="UTC")
    manual = np.full(96, 100.0)
    manual[40:46] = 250.0
    actuals = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "", "total_incoming": manual,
                            "manual_incoming": manual, "total_solved": manual, "manual_solved": manual,
                            "aht_seconds": 60.0, "backlog_items": 0.0, "within_sla_share": 0.95,
                            "staffed_agents": np.nan})
    alerts = run_monitor(small_op, actuals, _flat_forecast("2026-01-12", 96, 100.0)).alerts
    spike = alerts[alerts["signal"] == "spike"]
    assert len(spike) == 1
    a = spike.iloc[0]
    assert (a.start, a.end) == (ts[40], ts[46]) and a.kind == "volume"
    assert_allclose([a["amount"], a["size"]], [900.0, 1.5])


# ------------------------------------------------------------------ intraday
def test_morning_thirty_percent_high_moves_rest_of_day_and_gap_up(small_op):
    start = pd.Timestamp("2026-01-12T00:00Z")
    forecast = _flat_forecast(start, 48 * 3, 200.0)
    now = start + pd.Timedelta(hours=12)
    ts = pd.date_range(start, now, freq="30min", inclusive="left")
    actual = np.full(len(ts), 260.0)  # +30%
    pairs = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "", "total_incoming": actual,
                          "manual_incoming": actual, "total_solved": actual, "manual_solved": actual,
                          "aht_seconds": 60.0, "backlog_items": 0.0, "within_sla_share": 0.95,
                          "staffed_agents": np.nan})
    result = intraday(small_op, forecast, pairs, now)
    f = result.factors.iloc[0]
    so_far = 200.0 * 24
    weight = so_far / (so_far + CREDIBILITY_ITEMS)
    assert_allclose(f.factor_today, 1 + 0.3 * weight)
    re = result.reforecast
    today = re[re["part"] == "today"]
    assert today["timestamp"].min() == now and len(today) == 24
    assert_allclose(today["forecast"], 200.0 * f.factor_today)
    assert_allclose(re[re["part"] == "week"]["forecast"], 200.0 * (1 + 0.5 * (f.factor_today - 1)))
    gap = result.pair_gap.set_index("timestamp")
    rest = gap.loc[today["timestamp"]]
    assert (rest["gap_agents"] > 0).all()
    # A 24 h deferred SLA lets capacity lag: over today + the week the requirement rises by
    # a blend of the two factors; over the rest of today alone (flat volume) by the day's factor.
    ratio = rest["required_after"] / rest["required_before"]
    assert (ratio > 1 + 0.5 * (f.factor_today - 1)).all() and (ratio <= f.factor_today + 1e-9).all()
    only_today = intraday(small_op, forecast, pairs, now, until=now.floor("D") + pd.Timedelta(days=1))
    g = only_today.pair_gap
    assert_allclose(g["required_after"] / g["required_before"], f.factor_today, rtol=0.01)
    # Without a plan or staffed agents the gap splits equally over the two certified sites,
    # and headcount adds each site's shrinkage.
    site = result.site_gap[result.site_gap["timestamp"] == now].set_index("site")
    half = rest["gap_agents"].iloc[0] / 2
    assert_allclose(site["gap_agents"], [half, half])
    assert_allclose(site.loc["S1", "gap_headcount"], half / 0.8)
    assert_allclose(site.loc["S2", "gap_headcount"], half / 0.5)


def test_an_ordinary_morning_leaves_the_plan_alone(small_op):
    start = pd.Timestamp("2026-01-12T00:00Z")
    forecast = _flat_forecast(start, 48, 200.0)
    now = start + pd.Timedelta(hours=12)
    ts = pd.date_range(start, now, freq="30min", inclusive="left")
    pairs = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "", "manual_incoming": 200.0,
                          "backlog_items": 0.0})
    result = intraday(small_op, forecast, pairs, now)
    assert_allclose(result.pair_gap["gap_agents"], 0.0, atol=1e-9)


def test_replan_from_now_works_the_real_backlog_first(small_op):
    """Re-plan at noon from a real backlog of 6,000 items (100 work-hours at AHT 60 s):
    the open-mode plan starts from it, so it pays for those hours on top of the rest of
    the day's forecast (at the 0.85 occupancy cap: >= 100 / 0.85 productive agent-hours
    more than the same re-plan with no backlog), and the agent-level simulation judges
    every item of the horizon, the waiting ones included."""
    from planning.monitor import replan_from_now

    start = pd.Timestamp("2026-01-12T00:00Z")
    forecast = _flat_forecast(start, 48 * 2, 100.0)
    now = start + pd.Timedelta(hours=12)
    ts = pd.date_range(start, now, freq="30min", inclusive="left")

    def actuals(backlog):
        return pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "",
                             "manual_incoming": 100.0, "backlog_items": [0.0] * (len(ts) - 1) + [backlog]})

    empty, req0 = replan_from_now(small_op, forecast, actuals(0.0), now, time_limit=60)
    full, req1 = replan_from_now(small_op, forecast, actuals(6000.0), now, time_limit=60)
    assert full.ok and empty.ok and full.options.horizon_mode == "backlog"
    assert req1["timestamp"].min() == now
    assert_allclose(req1["workload_hours"].sum() - req0["workload_hours"].sum(), 100.0, rtol=1e-6)
    productive = {p: (plan.coverage["planned"].sum() * 0.5) for p, plan in (("empty", empty), ("full", full))}
    assert productive["full"] - productive["empty"] >= 100.0 / 0.85 - 1e-6
    judged = {p: plan.simulation["items_judged"] for p, plan in (("empty", empty), ("full", full))}
    assert judged["full"] - judged["empty"] == pytest.approx(6000, rel=0.05)  # the waiting items are judged
    assert full.queues["simulated"].iloc[0] >= 0.9


# ------------------------------------------------------------------ CLI
def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_json_on_a_small_operation(tmp_path):
    folder = _small_folder(tmp_path / "in")
    (folder / "actuals.csv").write_text(HAND_ACTUALS)
    forecast = _flat_forecast("2026-01-12T10:00Z", 2, [80.0, 60.0])
    forecast.to_csv(tmp_path / "fc.csv", index=False)
    code, out, err = _run(["monitor", str(folder), "--forecast", str(tmp_path / "fc.csv"), "--json",
                           "--now", "2026-01-12T10:30Z"])
    assert code == 0, err
    payload = json.loads(out)
    assert isinstance(payload["kpis"], list) and payload["kpis"]
    assert isinstance(payload["alerts"], list)
    assert {"kpis", "alerts", "seconds", "intraday"} <= set(payload)
    for alert in payload["alerts"]:
        assert {"start", "end", "queue", "market", "site", "kind", "size", "cause"} <= set(alert)
    code, out, _ = _run(["monitor", str(folder), "--forecast", str(tmp_path / "fc.csv")])
    assert code == 0 and "alert(s)" in out


def test_cli_replan_from_the_real_backlog(tmp_path):
    # HAND_ACTUALS: 10 items waiting at 10:00; re-plan from 10:30 over a day of forecast
    folder = _small_folder(tmp_path / "in")
    (folder / "actuals.csv").write_text(HAND_ACTUALS)
    _flat_forecast("2026-01-12T10:00Z", 48, 60.0).to_csv(tmp_path / "fc.csv", index=False)
    base = ["monitor", str(folder), "--forecast", str(tmp_path / "fc.csv"), "--now", "2026-01-12T10:30Z"]
    code, out, err = _run([*base, "--replan", "--time-limit", "30", "--json"])
    assert code == 0, err
    replan = json.loads(out)["replan"]
    assert replan["status"] in ("optimal", "feasible") and replan["horizon_mode"] == "backlog"
    assert replan["pairs_judged"] == 1 and replan["cost"] > 0 and "re-plan: Round 1" in err
    code, _, err = _run(["monitor", str(folder), "--forecast", str(tmp_path / "fc.csv"), "--replan"])
    assert code == 2 and "--replan needs --now" in err


def test_cli_exit_codes(tmp_path):
    folder = _small_folder(tmp_path / "in")
    assert _run(["monitor", str(tmp_path / "missing")])[0] == 1
    (tmp_path / "bad.csv").write_text(HAND_ACTUALS.replace(",q,M,S1,", ",q,M,S7,"))
    code, _, err = _run(["monitor", str(folder), "--actuals", str(tmp_path / "bad.csv")])
    assert code == 1 and "S7" in err and "Traceback" not in err
    code, _, err = _run(["monitor", str(folder)])  # no actuals table in the folder
    assert code == 1 and "actuals" in err


def test_with_a_plan_staffing_is_judged_against_the_allocation(small_op):
    ts = pd.date_range("2026-01-12", periods=48, freq="30min", tz="UTC")
    base = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "", "total_incoming": 100.0,
                         "manual_incoming": 100.0, "total_solved": 100.0, "manual_solved": 100.0, "aht_seconds": 60.0,
                         "backlog_items": 0.0, "within_sla_share": 0.95, "staffed_agents": 4.0})
    staffed = np.full(48, 2.0)
    staffed[20:28] = 1.0  # half the plan for four hours at S1
    sites = pd.concat([base.assign(site=s, total_incoming=np.nan, manual_incoming=np.nan, manual_solved=50.0,
                                   total_solved=50.0, backlog_items=np.nan, within_sla_share=np.nan,
                                   staffed_agents=staffed if s == "S1" else 2.0) for s in ("S1", "S2")])
    actuals = pd.concat([base, sites], ignore_index=True)
    allocation = pd.concat([pd.DataFrame({"timestamp": ts, "site": s, "queue": "q", "market": "M", "agents": 2.0})
                            for s in ("S1", "S2")])
    result = run_monitor(small_op, actuals, _flat_forecast("2026-01-12", 48, 100.0), allocation)
    assert result.has_plan
    staffing = result.alerts[result.alerts["kind"] == "staffing"]
    assert list(staffing["site"]) == ["S1"] and staffing.iloc[0]["vendor"] == "V1"
    assert staffing.iloc[0]["start"] <= ts[21] and staffing.iloc[0]["end"] >= ts[27]
    k = result.kpis
    s1 = k[(k["period"] == "day") & (k["level"] == "site") & (k["key"] == "S1")].iloc[0]
    assert_allclose(s1["planned_agent_hours"], 2.0 * 48 * 0.5)
    assert_allclose(s1["staffed_vs_planned"], (2.0 * 40 + 8) / (2.0 * 48) - 1)


def test_open_alerts_are_those_near_the_end(planted_result):
    from planning.monitor import open_alerts

    still = open_alerts(planted_result)
    end = pd.Timestamp("2026-11-23T00:00Z")
    assert len(still) and (still["end"] >= end - pd.Timedelta(hours=24)).all()
    assert "HYD-A" in set(still["site"])  # the AHT drift runs to the end of the week
    assert not (still["signal"] == "spike").any()  # the Wednesday spike is over


def test_without_a_forecast_the_monitor_still_reports(sample_op):
    actuals, _ = load_actuals(SAMPLE / actualsgen.FILE_NAME, sample_op)
    result = run_monitor(sample_op, actuals, None)
    assert result.kpis["forecast"].isna().all() and result.kpis["manual_incoming"].notna().any()
    assert not (result.alerts["kind"] == "volume").any()  # nothing to compare volume with
    aht = result.alerts[result.alerts["kind"] == "aht"]
    assert list(aht["site"]) == ["HYD-A"]  # AHT is judged against the plan AHT, no forecast needed
    spike_backlog = result.alerts[(result.alerts["kind"] == "backlog") & (result.alerts["queue"] == "hate_speech")]
    assert len(spike_backlog) and (spike_backlog["cause"] == "unknown").all()


def test_without_a_plan_a_short_site_is_sized_against_its_usual_ratio(small_op):
    """No plan: the reference is the forecast workload (50 items x 60 s / (1800 s x 0.85)
    = 1.96 agents, half of it each site's usual share); staffing normally runs at twice
    that, so the usual ratio is 2.04 and S1 at half its usual agents is -50%, whatever
    the ratio."""
    ts = pd.date_range("2026-01-12", periods=48, freq="30min", tz="UTC")
    base = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "M", "site": "", "total_incoming": 50.0,
                         "manual_incoming": 50.0, "total_solved": 50.0, "manual_solved": 50.0, "aht_seconds": 60.0,
                         "backlog_items": 0.0, "within_sla_share": 0.95, "staffed_agents": 4.0})
    staffed = np.full(48, 2.0)
    staffed[20:28] = 1.0
    sites = pd.concat([base.assign(site=s, total_incoming=np.nan, manual_incoming=np.nan, manual_solved=25.0,
                                   total_solved=25.0, backlog_items=np.nan, within_sla_share=np.nan,
                                   staffed_agents=staffed if s == "S1" else 2.0) for s in ("S1", "S2")])
    result = run_monitor(small_op, pd.concat([base, sites], ignore_index=True), _flat_forecast("2026-01-12", 48, 50.0))
    [alert] = result.alerts[result.alerts["kind"] == "staffing"].itertuples(index=False)
    assert alert.site == "S1" and "vs usual" in alert.message
    assert_allclose(alert.size, -0.5)
    intervals = (alert.end - alert.start) / pd.Timedelta(minutes=30)
    assert_allclose(alert.amount, 1.0 * 0.5 * intervals)  # one agent short per interval of the run
