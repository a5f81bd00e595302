"""Scenario levers: each moves the operation / forecast the right way on a small case, never
mutates its inputs, and round-trips through JSON.  The planner-level tests solve the real
shift planner (planning.shiftplan.planner) on a one-day, three-site case built here."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from numpy.testing import assert_allclose
from pydantic import ValidationError

from planning.domain import Certification, Market, Operation, Queue, Settings, ShiftTemplate, Site
from planning.scenarios.levers import (LEVER_KINDS, MAX_SHRINKAGE, LeverError, apply_levers, explain, lever_to_dict,
                             parse_lever, parse_levers)

DAY = pd.Timestamp("2026-03-02", tz="UTC")
VOLUME = 1000.0  # items per hour in the test forecast


def small_op(interval: int = 60) -> Operation:
    """Sites A (Vendor X, 10/h) and B (Vendor Y, 20/h) work spam/NA-EN; C (Vendor Y) works abuse/EU-DE."""
    queues = {"spam": Queue(queue="spam", sla_kind="live", sla_target=0.8, sla_within_seconds=60, aht_seconds=30),
              "abuse": Queue(queue="abuse", sla_kind="deferred", sla_target=0.9, sla_within_hours=24,
                             aht_seconds=120)}
    markets = {"NA-EN": Market(market="NA-EN", timezone="America/New_York", holiday_country="US"),
               "EU-DE": Market(market="EU-DE", timezone="Europe/Berlin", holiday_country="DE")}
    sites = {"A": Site(site="A", vendor="Vendor X", timezone="UTC", max_headcount=50, hourly_cost=10, shrinkage=0.2),
             "B": Site(site="B", vendor="Vendor Y", timezone="UTC", max_headcount=50, hourly_cost=20, shrinkage=0.2),
             "C": Site(site="C", vendor="Vendor Y", timezone="UTC", max_headcount=50, hourly_cost=30,
                       shrinkage=0.25)}
    certs = [Certification(site=s, queue="spam", market="NA-EN") for s in ("A", "B")]
    certs.append(Certification(site="C", queue="abuse", market="EU-DE"))
    shifts = [ShiftTemplate(site=s, shift=name, start=start, paid_hours=8) for s in sites
              for name, start in (("night", "00:00"), ("day", "08:00"), ("late", "16:00"))]
    ts = pd.date_range(DAY - pd.Timedelta(days=7), DAY, freq=f"{interval}min", inclusive="left")
    volume = pd.concat([pd.DataFrame({"timestamp": ts, "queue": q, "market": m, "volume": 100.0})
                        for q, m in (("spam", "NA-EN"), ("abuse", "EU-DE"))], ignore_index=True)
    return Operation(queues=queues, markets=markets, sites=sites, certifications=certs, shifts=shifts,
                     volume=volume, settings=Settings(interval_minutes=interval, solver_time_limit_seconds=20))


def small_forecast(days: int = 14) -> pd.DataFrame:
    ts = pd.date_range(DAY, DAY + pd.Timedelta(days=days), freq="60min", inclusive="left")
    parts = []
    for q, m in (("spam", "NA-EN"), ("abuse", "EU-DE")):
        f = pd.DataFrame({"timestamp": ts, "queue": q, "market": m, "model": "test", "forecast": VOLUME})
        for col, k in (("lo_80", 0.8), ("hi_80", 1.2), ("lo_95", 0.7), ("hi_95", 1.3)):
            f[col] = f["forecast"] * k
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def snapshot(op: Operation, frame: pd.DataFrame):
    return copy.deepcopy(op), frame.copy(deep=True)


def assert_untouched(op, frame, before):
    op0, frame0 = before
    for f in dataclasses.fields(Operation):
        a, b = getattr(op, f.name), getattr(op0, f.name)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            assert a == b, f.name
    pd.testing.assert_frame_equal(frame, frame0)


EXAMPLES = [
    {"kind": "volume_change", "queue": "spam", "percent": 25, "start": "2026-03-03", "end": "2026-03-05"},
    {"kind": "surge", "event": "Election", "queue": "spam", "market": "NA-EN", "start": "2026-03-04",
     "end": "2026-03-06", "multiplier": 3},
    {"kind": "aht_change", "queue": "spam", "start": "2026-03-03", "percent": 20, "learning_weeks": 1},
    {"kind": "automation_change", "queue": "spam", "current_rate": 0.6, "new_rate": 0.75},
    {"kind": "training", "site": "A", "week_start": "2026-03-02", "hours_per_agent": 8},
    {"kind": "sla_change", "queue": "spam", "sla_target": 0.9, "sla_within_seconds": 30},
    {"kind": "site_outage", "site": "A", "start": "2026-03-02T00:00Z", "end": "2026-03-02T12:00Z"},
    {"kind": "site_cap", "site": "B", "start": "2026-03-02", "end": "2026-03-03", "max_headcount": 3},
    {"kind": "shrinkage_change", "vendor": "Vendor Y", "change": 0.05},
    {"kind": "cost_change", "site": "A", "percent": 10},
    {"kind": "add_site", "site": {"site": "D", "vendor": "Vendor Z", "timezone": "Asia/Manila",
                                  "max_headcount": 20, "hourly_cost": 5, "shrinkage": 0.3},
     "certifications": [{"queue": "spam", "market": "NA-EN"}],
     "shifts": [{"shift": "day", "start": "09:00", "paid_hours": 9}]},
    {"kind": "remove_site", "site": "C"},
    {"kind": "remove_vendor", "vendor": "Vendor Y"},
    {"kind": "add_certification", "site": "C", "queue": "spam", "market": "NA-EN"},
    {"kind": "remove_certification", "site": "B", "queue": "spam"},
]


TEAM_KINDS = {"team_cap", "add_team_certification", "remove_team_certification"}  # tests/scenarios/test_team_levers.py


def test_every_kind_has_an_example():
    assert {e["kind"] for e in EXAMPLES} == set(LEVER_KINDS) - TEAM_KINDS


@pytest.mark.parametrize("data", EXAMPLES, ids=[e["kind"] for e in EXAMPLES])
def test_lever_is_pure_described_and_round_trips(data):
    lever = parse_lever(data)
    assert parse_lever(lever_to_dict(lever)) == lever
    assert parse_lever(lever.model_dump_json()) == lever
    text = lever.describe()
    assert isinstance(text, str) and len(text) > 10 and "{" not in text
    op, frame = small_op(), small_forecast()
    before = snapshot(op, frame)
    new_op, new_frame = apply_levers(op, frame, [lever])
    assert_untouched(op, frame, before)
    changed_op = any(getattr(new_op, f.name) is not getattr(op, f.name) for f in dataclasses.fields(Operation))
    assert changed_op or not new_frame.equals(frame)  # every lever does something here


def test_volume_change_scales_only_its_scope_and_dates():
    frame = small_forecast()
    lever = parse_lever(EXAMPLES[0])
    out = lever.apply_forecast(frame, small_op())
    hit = (out.queue == "spam") & (out.timestamp >= "2026-03-03") & (out.timestamp < "2026-03-05")
    assert hit.sum() == 48
    for col in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        assert_allclose(out.loc[hit, col], frame.loc[hit, col] * 1.25)
        assert_allclose(out.loc[~hit, col], frame.loc[~hit, col])


@settings(max_examples=30, deadline=None)
@given(st.floats(-99, 500), st.floats(-99, 500))
def test_more_volume_percent_never_lowers_the_forecast(p1, p2):
    op, frame = small_op(), small_forecast(days=1)
    lo, hi = sorted((p1, p2))
    a = parse_lever({"kind": "volume_change", "percent": lo}).apply_forecast(frame, op)
    b = parse_lever({"kind": "volume_change", "percent": hi}).apply_forecast(frame, op)
    assert (b["forecast"].to_numpy() >= a["forecast"].to_numpy()).all()


def test_surge_triples_the_window():
    frame = small_forecast()
    out = parse_lever(EXAMPLES[1]).apply_forecast(frame, small_op())
    hit = (out.queue == "spam") & (out.timestamp >= "2026-03-04") & (out.timestamp < "2026-03-06")
    assert_allclose(out.loc[hit, "forecast"], 3 * VOLUME)
    assert_allclose(out.loc[~hit, "forecast"], VOLUME)


def test_automation_change_scales_human_volume():
    # incoming = 1000 / (1 - 0.6) = 2500; human at 75% automation = 2500 x 0.25 = 625
    out = parse_lever(EXAMPLES[3]).apply_forecast(small_forecast(), small_op())
    assert_allclose(out.loc[out.queue == "spam", "forecast"], 625.0)
    assert_allclose(out.loc[out.queue == "abuse", "forecast"], VOLUME)


def test_aht_learning_curve_decays_linearly():
    lever = parse_lever({"kind": "aht_change", "queue": "spam", "start": "2026-03-03", "percent": 20,
                         "learning_weeks": 2, "lasting_percent": 5})
    out = lever.apply_forecast(small_forecast(days=28), small_op()).set_index(["queue", "timestamp"])
    aht = out.loc["spam", "aht_seconds"]
    expect = {"2026-03-02 23:00": 30.0, "2026-03-03 00:00": 36.0,  # +20% at start
              "2026-03-10 00:00": 30 * 1.125,  # one week in: 5 + 15 x 0.5 = 12.5%
              "2026-03-17 00:00": 31.5, "2026-03-25 00:00": 31.5}  # +5% lasting
    for when, value in expect.items():
        assert aht[pd.Timestamp(when, tz="UTC")] == pytest.approx(value)
    assert (out.loc["abuse", "aht_seconds"] == 120).all()


def test_training_raises_shrinkage_for_one_week_only():
    op = parse_lever(EXAMPLES[4]).apply_operation(small_op())
    adj = op.site_adjustments
    assert len(adj) == 1 and adj.loc[0, "site"] == "A" and pd.isna(adj.loc[0, "max_headcount"])
    assert adj.loc[0, "shrinkage"] == pytest.approx(0.2 + 8 / 40)
    assert adj.loc[0, "end"] - adj.loc[0, "start"] == pd.Timedelta(days=7)
    heavy = parse_lever({"kind": "training", "week_start": "2026-03-02", "hours_per_agent": 40}).apply_operation(op)
    assert len(heavy.site_adjustments) == 4 and heavy.site_adjustments["shrinkage"].max() == MAX_SHRINKAGE


def test_operation_levers_change_the_right_objects():
    op = small_op()
    sla = parse_lever(EXAMPLES[5]).apply_operation(op).queues["spam"]
    assert (sla.sla_target, sla.sla_within_seconds) == (0.9, 30)
    shr = parse_lever(EXAMPLES[8]).apply_operation(op).sites
    assert [shr[s].shrinkage for s in "ABC"] == pytest.approx([0.2, 0.25, 0.30])
    cost = parse_lever(EXAMPLES[9]).apply_operation(op).sites
    assert [cost[s].hourly_cost for s in "ABC"] == pytest.approx([11, 20, 30])
    added = parse_lever(EXAMPLES[10]).apply_operation(op)
    assert added.certified_sites("spam", "NA-EN") == ["A", "B", "D"] and len(added.shifts) == 10
    no_c = parse_lever(EXAMPLES[11]).apply_operation(op)
    assert "C" not in no_c.sites and not any(c.site == "C" for c in no_c.certifications)
    no_y = parse_lever(EXAMPLES[12]).apply_operation(op)
    assert set(no_y.sites) == {"A"} and {s.site for s in no_y.shifts} == {"A"}
    cert = parse_lever(EXAMPLES[13]).apply_operation(op)
    assert cert.certified_sites("spam", "NA-EN") == ["A", "B", "C"]
    uncert = parse_lever(EXAMPLES[14]).apply_operation(op)
    assert uncert.certified_sites("spam", "NA-EN") == ["A"]


@pytest.mark.parametrize("data, message", [
    ({"kind": "volume_change", "queue": "nope", "percent": 5}, "queue 'nope'"),
    ({"kind": "site_outage", "site": "Z", "start": "2026-03-02", "end": "2026-03-03"}, "site 'Z'"),
    ({"kind": "sla_change", "queue": "spam", "sla_within_hours": 4}, "live"),
    ({"kind": "sla_change", "queue": "abuse", "sla_target": 0.999999999999}, ""),
    ({"kind": "remove_vendor", "vendor": "Nobody"}, "vendor 'Nobody'"),
    ({"kind": "add_site", "site": {"site": "A", "vendor": "V", "timezone": "UTC", "max_headcount": 1,
                                   "hourly_cost": 1, "shrinkage": 0.1},
      "certifications": [{"queue": "spam", "market": "NA-EN"}],
      "shifts": [{"shift": "d", "start": "09:00", "paid_hours": 8}]}, "already exists"),
])
def test_levers_name_what_the_operation_lacks(data, message):
    lever = parse_lever(data)
    if data.get("sla_target", 0) > 0.99999:  # valid lever, still a valid queue: no error expected
        assert lever.apply_operation(small_op()).queues["abuse"].sla_target == data["sla_target"]
        return
    with pytest.raises(LeverError, match=message):
        apply_levers(small_op(), small_forecast(days=1), [lever])


def test_invalid_levers_are_explained_in_words():
    with pytest.raises(ValidationError) as err:
        parse_levers([{"kind": "surge", "event": "x", "start": "2026-03-05", "end": "2026-03-04", "multiplier": 2},
                      {"kind": "automation_change", "current_rate": 1.2, "new_rate": 0.5}])
    text = explain(err.value)
    assert "end must be after start" in text and "current_rate" in text and "less than 1" in text


# ------------------------------------------------------------ through the shift planner
def stand_in_requirements(op: Operation, forecast: pd.DataFrame) -> pd.DataFrame:
    """Live spam requirement = workload / occupancy 0.85 (an independent, simple staffing rule)."""
    fc = forecast[(forecast.queue == "spam") & (forecast.timestamp < DAY + pd.Timedelta(days=1))]
    aht = fc["aht_seconds"] if "aht_seconds" in fc else fc["queue"].map({q: o.aht_seconds for q, o in op.queues.items()})
    work = fc["forecast"] * aht / 3600
    return pd.DataFrame({"timestamp": fc["timestamp"], "queue": "spam", "market": "NA-EN", "sla_kind": "live",
                         "interval_minutes": 60, "volume": fc["forecast"], "aht_seconds": aht,
                         "workload_hours": work, "required_agents": work / 0.85})


def plan(levers=()):
    from planning.shiftplan import solve_plan

    op, frame = apply_levers(small_op(), small_forecast(days=1), [parse_lever(x) for x in levers])
    req = stand_in_requirements(op, frame)
    result = solve_plan(op, req)
    assert result.ok, result.messages
    alloc = result.allocation.assign(morning=lambda a: a.timestamp < DAY + pd.Timedelta(hours=12))
    by_site = alloc.groupby(["site", "morning"])["agents"].sum()
    return result, req, by_site


OUTAGE = {"kind": "site_outage", "site": "A", "start": "2026-03-02T00:00Z", "end": "2026-03-02T12:00Z"}


def test_outage_moves_hours_to_the_other_certified_site():
    base, _, base_sites = plan()
    out, _, out_sites = plan([OUTAGE])
    assert base_sites.get(("A", True), 0) > 0 and base_sites.get(("B", True), 0) == 0  # A is cheaper
    assert out_sites.get(("A", True), 0) == 0  # nobody at A during the outage
    assert out_sites.get(("B", True), 0) > 0 and out.unmet_agent_hours == pytest.approx(0, abs=1e-6)
    assert out.cost > base.cost  # B costs twice as much


def test_outage_without_a_backup_site_shows_a_shortfall():
    base, _, _ = plan([{"kind": "remove_certification", "site": "B", "queue": "spam"}])
    out, _, _ = plan([{"kind": "remove_certification", "site": "B", "queue": "spam"}, OUTAGE])
    assert base.unmet_agent_hours == pytest.approx(0, abs=1e-6)
    assert out.unmet_agent_hours > 0


def test_planner_levers_move_cost_and_hours_the_right_way():
    base, base_req, _ = plan()
    more, more_req, _ = plan([{"kind": "volume_change", "percent": 50}])
    assert (more_req["required_agents"].to_numpy() >= base_req["required_agents"].to_numpy()).all()
    assert more.kpis["paid_hours"] >= base.kpis["paid_hours"] and more.cost > base.cost
    slower, _, _ = plan([{"kind": "aht_change", "start": "2026-03-01", "percent": 40}])
    assert slower.cost > base.cost
    pricier, _, _ = plan([{"kind": "cost_change", "percent": 10}])
    assert pricier.cost == pytest.approx(base.cost * 1.1, rel=0.02)
    capped, _, sites = plan([{"kind": "site_cap", "site": "A", "start": "2026-03-02", "end": "2026-03-03",
                              "max_headcount": 3}])
    on_duty_a = capped.allocation[capped.allocation.site == "A"].groupby("timestamp")["agents"].sum()
    assert (on_duty_a <= 3 + 1e-6).all() and sites.xs("B", level="site").sum() > 0
    automated, _, _ = plan([{"kind": "automation_change", "current_rate": 0.5, "new_rate": 0.75}])
    assert automated.cost < base.cost
    assert np.isfinite(base.cost)


def test_training_week_needs_more_paid_hours():
    # Training rows carry no cap (NaN max_headcount): the planner must read them as "no cap".
    base, _, _ = plan()
    trained, _, _ = plan([{"kind": "training", "week_start": "2026-03-02", "hours_per_agent": 12}])
    assert trained.kpis["paid_hours"] > base.kpis["paid_hours"]


# ------------------------------------------------------------ through compute_requirements
def requirement(levers=(), days: int = 2) -> pd.DataFrame:
    from planning.staffing import compute_requirements

    op, frame = apply_levers(small_op(), small_forecast(days=days), [parse_lever(x) for x in levers])
    return compute_requirements(op, frame).set_index(["queue", "market", "timestamp"]).sort_index()


def test_levers_move_the_real_requirement_the_right_way():
    base = requirement()
    more = requirement([{"kind": "volume_change", "queue": "spam", "percent": 30}])
    assert (more["required_agents"] >= base["required_agents"] - 1e-9).all()
    assert (more.loc["spam", "required_agents"] > base.loc["spam", "required_agents"]).all()
    assert_allclose(more.loc["abuse", "required_agents"], base.loc["abuse", "required_agents"])
    # the per-row AHT override of the learning curve reaches the requirement
    slow = requirement([{"kind": "aht_change", "queue": "spam", "start": "2026-03-03", "percent": 50}])
    day1 = slow.loc["spam"].index.get_level_values("timestamp") < pd.Timestamp("2026-03-03", tz="UTC")
    assert_allclose(slow.loc["spam", "aht_seconds"][~day1], 45.0)
    assert_allclose(slow.loc["spam", "required_agents"][day1], base.loc["spam", "required_agents"][day1])
    assert (slow.loc["spam", "required_agents"][~day1] > base.loc["spam", "required_agents"][~day1]).all()
    stricter = requirement([{"kind": "sla_change", "queue": "spam", "sla_target": 0.95, "sla_within_seconds": 20}])
    assert (stricter.loc["spam", "required_agents"] >= base.loc["spam", "required_agents"] - 1e-9).all()
    assert stricter.loc["spam", "required_agents"].sum() > base.loc["spam", "required_agents"].sum()
    automated = requirement([{"kind": "automation_change", "current_rate": 0.5, "new_rate": 0.8}])
    assert (automated["required_agents"] <= base["required_agents"] + 1e-9).all()
