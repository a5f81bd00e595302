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
        "M child_safety is short 6 agents 02:00-04:00 UTC on Tue 03 Mar: no certified site has room: "
        "MNL-A is at its cap of 400"]


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
    assert "short 1 agent " in message and "no certified site has room: S1 is at its cap of 6" in message


# --- the cheapest fix, in a planner's words (planning.shiftplan.remedy) ------------------
def _capped_ja_case(en_certified_for_ja: bool, ja_shifts=(("day", None),)):
    """S1: JA team capped at 1 agent (site cost USD 10/h), EN team with room at USD 12/h.
    spam (priority 9) JA needs 1 agent 00:00-08:00 and a second one 00:00-01:00 UTC."""
    from tests.team_cases import live, team_operation, team_requirements

    certs = [("spam", "JA", "JA")] + ([("spam", "JA", "EN")] if en_certified_for_ja else [])
    op = team_operation([("JA", 1), ("EN", 10)], certs, [live("spam", priority=9)], shifts=list(ja_shifts))
    op.teams = [t.model_copy(update={"hourly_cost": 12.0}) if t.team == "EN" else t for t in op.teams]
    req = team_requirements({("spam", "JA"): 1})
    req.loc[req["timestamp"] == START, ["required_agents", "workload_hours"]] = 2.0
    req.loc[req["timestamp"] == START, "volume"] = 120.0
    return op, req


def test_fix_names_the_team_with_room_and_its_price():
    """Hand-computed: the penalty per agent-hour short is 4 x (10 - 9) x USD 12 (the dearest
    productive hour) = USD 48; the JA team is at its cap of 1, so one more agent must come
    from the EN team's 8-hour day shift at USD 12/h = USD 96 > USD 48: left short."""
    op, req = _capped_ja_case(en_certified_for_ja=True)
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20, gap_target=0.0))
    assert plan.ok and plan.shifts.groupby("team")["headcount"].sum().to_dict() == {"JA": 1}
    found = explain(op, req, plan)
    assert list(found["message"]) == [
        "JA spam is short 1 agent 00:00-01:00 UTC on Mon 02 Mar: cheapest fix: add 1 agent to S1 EN team's "
        "day shift (00:00-08:00 local) on Mon 02 Mar: +USD 96; the planner left it short because that costs "
        "more than the USD 48 it charges for the shortfall (priority 9)"]
    # the fix is real: with the EN team's agent forced in, the shortfall is gone and the cost up by 96
    from planning.shiftplan import Remedies

    fix = Remedies(op, req, plan).fixes("spam", "JA", 0, 0, plan.coverage.set_index("timestamp")
                                        .query("market == 'JA'")["shortfall"].to_numpy())[0][0]
    assert (fix.unit, fix.agents, fix.price, fix.whole) == ("S1/EN", 1, 96.0, True)


def test_nothing_can_fix_a_capped_team_and_it_says_so_once():
    """Only the JA team is certified; it is at its cap of 1 on both of its shifts: the
    limit is named once, not once per shift."""
    op, req = _capped_ja_case(en_certified_for_ja=False, ja_shifts=(("day", "JA"), ("early", "JA")))
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20, gap_target=0.0))
    message = explain(op, req, plan)["message"].iloc[0]
    assert message == ("JA spam is short 1 agent 00:00-01:00 UTC on Mon 02 Mar: no certified team has room: "
                       "S1 JA team is at its cap of 1")
    parts = [p.strip() for p in message.split(":", 2)[2].split(";")]
    assert len(parts) == len(set(parts))
