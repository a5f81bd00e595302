"""The independent checker: accepts solved plans, rejects broken ones, and random small
instances (hypothesis) always give plans it accepts."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planning.shiftplan import check_plan
from planning.shiftplan import PlanOptions, solve_plan
from tests.plan_cases import START, day_profile, operation, queue, requirements, site


def _end_to_end_case():
    """Three sites in three zones (one DST, one +05:45), live + deferred + severe queues,
    a contract minimum, a concentration limit and an outage."""
    op = operation(
        [queue("live", priority=2), queue("rev", kind="deferred", sla_within_hours=6, max_occupancy=0.9),
         queue("cse", kind="deferred", severe=True, priority=1, sla_within_hours=2)],
        [site("DUB", tz="Europe/Dublin", max_headcount=30, cost=25.0, shrinkage=0.3, night_premium=0.2),
         site("KTM", tz="Asia/Kathmandu", max_headcount=40, cost=8.0, shrinkage=0.35, min_headcount=5),
         site("CHI", tz="America/Chicago", max_headcount=25, cost=22.0, shrinkage=0.25)],
        [("DUB", "live"), ("KTM", "live"), ("CHI", "live"), ("DUB", "rev"), ("KTM", "rev"),
         ("CHI", "cse"), ("KTM", "cse")],
        [("DUB", "e", "07:00", 9), ("DUB", "l", "15:00", 9), ("KTM", "d", "09:00", 9),
         ("KTM", "n", "21:00", 9), ("CHI", "d", "08:00", 8), ("CHI", "n", "20:00", 10)],
        interval_minutes=30, concentration_max_share=0.8)
    days = 2
    live = day_profile({(0, 6): 2, (6, 18): 6, (18, 24): 3}, days=days, interval_minutes=30)
    work_rev = list(np.tile(np.r_[np.full(16, 1.0), np.full(32, 2.5)], days))
    work_cse = list(np.tile(np.r_[np.full(24, 0.3), np.full(24, 0.6)], days))
    req = requirements(op, {"live": live, "rev": [w * 2 for w in work_rev], "cse": [w * 2 for w in work_cse]},
                       workload={"rev": work_rev, "cse": work_cse}, start=pd.Timestamp("2026-03-07T00:00Z"))
    op.site_adjustments = pd.DataFrame({"site": ["CHI"], "start": [pd.Timestamp("2026-03-08T10:00Z")],
                                        "end": [pd.Timestamp("2026-03-08T14:00Z")], "max_headcount": [0],
                                        "shrinkage": [None]})
    return op, req


def test_end_to_end_plan_passes_checker():
    op, req = _end_to_end_case()
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=30))
    assert plan.ok
    assert check_plan(op, req, plan) == []
    assert plan.gap <= 0.01
    assert set(plan.shifts["site"]) <= {"DUB", "KTM", "CHI"}
    assert plan.shifts["timezone"].nunique() >= 2


def test_lp_rounding_path_passes_checker():
    op, req = _end_to_end_case()
    exact = solve_plan(op, req, PlanOptions(time_limit_seconds=30, gap_target=0.0))
    rounded = solve_plan(op, req, PlanOptions(time_limit_seconds=30, method="lp-round"))
    assert rounded.backend.endswith("lp-round") and rounded.ok
    assert check_plan(op, req, rounded) == []
    # never below the bound; a bounded rounding loss against the exact optimum
    assert rounded.objective >= exact.objective - 1e-6 * exact.objective
    assert rounded.objective <= 1.10 * exact.objective


def _mutated(plan, **frames):
    return dataclasses.replace(plan, **frames)


def test_checker_rejects_broken_plans():
    op, req = _end_to_end_case()
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=30))
    names = lambda p: {v.constraint for v in check_plan(op, req, p)}  # noqa: E731

    shifts = plan.shifts.copy()
    shifts["headcount"] = (shifts["headcount"] * 0.5).astype(int)
    assert "site_capacity" in names(_mutated(plan, shifts=shifts))

    alloc = plan.allocation.copy()
    first_rev = alloc.index[alloc["queue"] == "rev"][0]
    alloc.loc[first_rev, "site"] = "CHI"  # CHI is not certified for rev
    assert "certification" in names(_mutated(plan, allocation=alloc))

    coverage = plan.coverage.copy()
    coverage["planned"] = coverage["planned"] * 0  # lies about the allocation
    assert "coverage_rows" in names(_mutated(plan, coverage=coverage))

    alloc = plan.allocation[plan.allocation["queue"] != "rev"]
    coverage = plan.coverage.copy()
    coverage.loc[coverage["queue"] == "rev", "planned"] = 0.0
    assert "deferred_deadline" in names(_mutated(plan, allocation=alloc, coverage=coverage))

    shifts = plan.shifts.copy()
    shifts.loc[shifts.index[0], "start_utc"] += pd.Timedelta(hours=1)
    assert "shift_times" in names(_mutated(plan, shifts=shifts))

    shifts = plan.shifts.copy()
    shifts.loc[shifts.index[0], "headcount"] = 999
    assert "daily_headcount_cap" in names(_mutated(plan, shifts=shifts))


@st.composite
def instances(draw):
    n_sites = draw(st.integers(1, 3))
    zones = ["UTC", "Asia/Kathmandu", "Europe/Dublin", "America/Chicago", "Asia/Kolkata"]
    sites, shifts, certs = [], [], []
    queues = [queue("live", priority=draw(st.integers(1, 9))),
              queue("rev", kind="deferred", sla_within_hours=draw(st.sampled_from([1, 2, 4, 8])),
                    severe=draw(st.booleans()), max_occupancy=draw(st.sampled_from([0.8, 0.95])))]
    for k in range(n_sites):
        name = f"S{k}"
        sites.append(site(name, tz=draw(st.sampled_from(zones)), max_headcount=draw(st.integers(0, 12)),
                          cost=draw(st.sampled_from([5.0, 10.0, 20.0])),
                          shrinkage=draw(st.sampled_from([0.0, 0.3])),
                          night_premium=draw(st.sampled_from([0.0, 0.25]))))
        for j in range(draw(st.integers(1, 2))):
            shifts.append((name, f"t{j}", f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 15, 30]))}",
                           draw(st.sampled_from([4.0, 8.0, 9.5]))))
        for q in ("live", "rev"):
            if draw(st.booleans()):
                certs.append((name, q))
    op = operation(queues, sites, certs, shifts, interval_minutes=30,
                   wellness_severe_share_max=draw(st.sampled_from([0.5, 1.0])),
                   concentration_max_share=draw(st.sampled_from([None, 0.7])))
    n = 48
    live = draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0, 6.0]), min_size=n, max_size=n))
    work = draw(st.lists(st.sampled_from([0.0, 0.25, 1.0, 2.0]), min_size=n, max_size=n))
    req = requirements(op, {"live": live, "rev": [w * 2 for w in work]}, workload={"rev": work},
                       start=START + pd.Timedelta(days=draw(st.integers(0, 30))))
    if draw(st.booleans()) and sites:
        t0 = req["timestamp"].min() + pd.Timedelta(hours=draw(st.integers(0, 20)))
        op.site_adjustments = pd.DataFrame({"site": [sites[0].site], "start": [t0],
                                            "end": [t0 + pd.Timedelta(hours=3)],
                                            "max_headcount": [draw(st.sampled_from([0, 2, None]))],
                                            "shrinkage": [draw(st.sampled_from([None, 0.5]))]})
    return op, req, draw(st.sampled_from(["mip", "lp-round"]))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(instances())
def test_random_instances_are_accepted_by_the_checker(case):
    op, req, method = case
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=10, method=method))
    assert plan.ok
    assert check_plan(op, req, plan) == []
    assert (plan.shifts["headcount"] >= 0).all()
    assert plan.objective >= plan.lp_bound - 1e-6 * max(1.0, abs(plan.lp_bound))
    # a plan never exceeds a site's cap
    per_day = plan.shifts.groupby(["site", "date_local"])["headcount"].sum()
    for (s, _), h in per_day.items():
        assert h <= op.sites[s].max_headcount


def test_checker_rejects_plans_that_break_changed_limits():
    # solve, then tighten a limit the plan was not made for: the checker must notice
    op, req = _end_to_end_case()
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=30))
    names = lambda o: {v.constraint for v in check_plan(o, req, plan)}  # noqa: E731

    tight = dataclasses.replace(op, settings=op.settings.model_copy(update={"wellness_severe_share_max": 0.01}))
    assert "wellness_cap" in names(tight)

    spread = dataclasses.replace(op, settings=op.settings.model_copy(update={"concentration_max_share": 0.34}))
    assert "concentration_limit" in names(spread)

    first = plan.shifts.iloc[0]
    outage = pd.DataFrame({"site": [first["site"]], "start": [first["start_utc"]],
                           "end": [first["start_utc"] + pd.Timedelta(hours=1)], "max_headcount": [0],
                           "shrinkage": [None]})
    assert "site_adjustment_cap" in names(dataclasses.replace(op, site_adjustments=outage))

    smaller = dataclasses.replace(op, sites={k: s.model_copy(update={"max_headcount": 1}) if k == first["site"]
                                             else s for k, s in op.sites.items()})
    assert "daily_headcount_cap" in names(smaller)
