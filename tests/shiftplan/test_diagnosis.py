"""Diagnosis: pre-solve capacity checks and post-solve explanations in plain words."""
from __future__ import annotations

import pandas as pd

from planning.shiftplan import explain, precheck
from planning.shiftplan import check_plan
from planning.shiftplan import PlanOptions, solve_plan
from tests.plan_cases import START, day_profile, operation, queue, requirements, site


def test_unreachable_sla_returns_plan_and_diagnosis():
    # cap 400 at MNL-A, 406 productive agents needed 02:00-04:00 UTC on Tue 3 Mar
    op = operation([queue("child_safety", priority=1)], [site("MNL-A", tz="Asia/Manila", max_headcount=400)],
                   [("MNL-A", "child_safety")], [("MNL-A", "day", "08:00", 9)])
    profile = day_profile({(2, 4): 406}, days=2)
    profile[:24] = [0.0] * 24
    req = requirements(op, {"child_safety": profile})
    pre = precheck(op, req)
    assert len(pre) == 1 and "needs up to 6.0 more agents" in pre["message"].iloc[0]
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    assert plan.ok and check_plan(op, req, plan) == []
    assert plan.unmet_agent_hours == pytest_approx(12.0)
    found = explain(op, req, plan)
    assert list(found["message"]) == [
        "M child_safety is short 6 agents 02:00-04:00 UTC on Tue 03 Mar: only MNL-A is certified "
        "and its cap of 400 is used"]


def pytest_approx(value):
    import pytest

    return pytest.approx(value, abs=1e-6)


def test_precheck_no_certified_site_and_no_shift_hours():
    op = operation([queue("a"), queue("b")], [site()], [("S1", "a")], [("S1", "day", "08:00", 8)])
    req = requirements(op, {"a": day_profile({(20, 22): 2}), "b": day_profile({(8, 10): 1})})
    pre = precheck(op, req).set_index("queue")
    assert "no site is certified" in pre.loc["b", "message"]
    assert "no shift at S1 covers these hours" in pre.loc["a", "message"]
    assert pre.loc["a", "start"] == START + pd.Timedelta(hours=20)


def test_explain_outage_and_no_shift():
    op = operation([queue(priority=1)], [site()], [("S1", "spam")], [("S1", "day", "08:00", 8)])
    op.site_adjustments = pd.DataFrame({"site": ["S1"], "start": [START + pd.Timedelta(hours=10)],
                                        "end": [START + pd.Timedelta(hours=11)], "max_headcount": [0],
                                        "shrinkage": [None]})
    req = requirements(op, {"spam": day_profile({(8, 12): 3})})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    assert check_plan(op, req, plan) == []
    message = explain(op, req, plan)["message"].iloc[0]
    assert message.startswith("M spam is short 3 agents 08:00-12:00 UTC")
    assert "limited to 0 agents then (scenario adjustment)" in message


def test_wellness_reason():
    # only severe work, site capped at 6: 3 productive severe agents at most -> 1 short
    op = operation([queue("cse", severe=True, priority=1)], [site(max_headcount=6)], [("S1", "cse")],
                   [("S1", "day", "08:00", 8)])
    req = requirements(op, {"cse": day_profile({(8, 16): 4})})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    message = explain(op, req, plan)["message"].iloc[0]
    assert "short 1 agent " in message and "cap of 6 is used" in message
