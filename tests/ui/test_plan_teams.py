"""The Plan page's team sections (ui/plan_teams.py) on the tiny teamed case of
tests/team_cases.py: the headcount table nests teams under their site with the plan's
numbers, and the cross-training button runs the re-plans as a background job and shows
the saving in the operation's currency."""
from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest


def _page():
    import streamlit as st

    from planning.access import Principal, Role
    from planning.shiftplan import PlanOptions, solve_plan
    from tests.team_cases import live, team_operation, team_requirements
    from ui import plan_teams

    op = team_operation([("A", 10), ("B", 10)], [("spam", "EN", "A"), ("spam", "JA", "B")], [live("spam")])
    cost = {"A": 20.0, "B": 10.0}
    op.teams = [t.model_copy(update={"hourly_cost": cost[t.team]}) for t in op.teams]
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20, gap_target=0.0))
    plan_teams.render_headcount(op, plan)
    who = Principal("planner", Role.planner)
    plan_teams.render_cross_training(op, req, who, {"digest": "tiny"})
    st.session_state["_plan_cost"] = plan.cost


def test_headcount_and_cross_training_sections():
    at = AppTest.from_function(_page, default_timeout=300).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["site / team"]) == ["S1", "    S1 A team", "    S1 B team"]
    assert list(table["agent-days (shifts started)"]) == [5, 3, 2]
    assert list(table["cap (agents)"]) == [100, 10, 10]
    at.number_input(key="ct_candidates").set_value(1)
    at.button(key="ct_run").click().run()
    deadline = time.time() + 240
    while "cross_training_job" in at.session_state and time.time() < deadline:
        time.sleep(1.0)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = at.dataframe[1].value
    # base USD 640 a day; B certified for spam EN: USD 400 (tests/scenarios/test_cross_training.py)
    assert list(shown["team"]) == ["S1 B team"] and list(shown["learns (queue × market)"]) == ["spam × EN"]
    assert list(shown["saving (USD/week)"]) == ["USD 1,680"]
