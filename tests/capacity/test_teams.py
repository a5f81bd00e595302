"""The capacity plan by team where the hiring rows are per team: hand-checkable cases with one
site of two teams (certifications per team, a team cap, the site cap over its teams), the
checker on team rules, and the sample (hired by site) planning the same problem as before."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.capacity import build_problem, check_plan, supply_units
from planning.domain import Certification, Site, Team
from tests.capacity.test_plan import START, hiring_row, make_op, solve, weekly

SALARY_A, SALARY_B = 400.0, 320.0  # 40 h x hourly cost 10 (the site's) and 8 (team B's own)


def team_op(cap_a=200, cap_b=200, site_cap=500, certs=(("q0", "A"), ("q1", None)), other_site=False, **row):
    """Site S0 with teams A and B, hired by team (100 agents each, no attrition, classes of
    ``class_min``-10 from week 2); queue q0 certified as ``certs`` says; optionally a dear
    site S1 (hourly 20, nobody today) certified for q0."""
    sites = ("S0", "S1") if other_site else ("S0",)
    op = make_op(sites=sites, queues=("q0", "q1"), max_headcount=site_cap)
    op.sites["S0"] = op.sites["S0"].model_copy(update={"hourly_cost": 10.0})
    if other_site:
        op.sites["S1"] = Site(site="S1", vendor="V-S1", timezone="UTC", max_headcount=500, hourly_cost=20.0,
                              shrinkage=0.0)
    op.teams = [Team(site="S0", team="A", max_headcount=cap_a), Team(site="S0", team="B", max_headcount=cap_b,
                                                                     hourly_cost=8.0)]
    op.certifications = [Certification(site="S0", queue=q, market="M", team=t) for q, t in certs]
    rows = [hiring_row("S0", team="A", **row), hiring_row("S0", team="B", **row)]
    if other_site:
        op.certifications.append(Certification(site="S1", queue="q0", market="M"))
        rows.append(hiring_row("S1", current_headcount=0, **row))
    op.hiring = pd.DataFrame(rows)
    return op


def demand(q0: list[float], q1: list[float]) -> pd.DataFrame:
    return pd.concat([weekly(q0, "q0"), weekly(q1, "q1")], ignore_index=True)


STEP = [100.0] * 20 + [110.0] * 10  # +10 FTE from week 20
FLAT = [100.0] * 30


def _by(plan, column: str, week: int) -> dict:
    rows = plan.weekly[plan.weekly["week_start"] == START + pd.Timedelta(weeks=week)]
    return {(s, t): v for s, t, v in zip(rows["site"], rows["team"], rows[column])}


def test_units_are_teams_where_hiring_is_per_team():
    problem = build_problem(team_op(), demand(STEP, FLAT), efficiency=1.0)
    assert problem.units == ["S0/A", "S0/B"] and problem.sites == ["S0", "S0"]
    assert_allclose(problem.hourly_cost, [10.0, 8.0])
    assert_allclose(problem.max_headcount, [200, 200])
    assert problem.site_max_headcount == {"S0": 500.0}
    # q0 (p = 0) only for team A; q1 (p = 1) site-wide, so for both teams
    assert problem.certified == [(0, 0), (0, 1), (1, 1)]


def test_demand_certified_to_one_team_is_met_by_hires_in_that_team_only():
    plan = solve(team_op(), demand(STEP, FLAT))
    assert plan.check == []
    # team B is cheaper (8/h vs 10/h) but not certified for q0: the class is A's
    assert plan.hires_by_team == {"S0/A": 10, "S0/B": 0} and plan.hires_by_site == {"S0": 10}
    assert list(plan.classes["team"]) == ["A"]
    assert list(plan.classes["class_start"]) == [START + pd.Timedelta(weeks=17)]  # 20 - 3 training weeks
    assert plan.weeks_short == 0
    assert _by(plan, "demand_fte", 25) == pytest.approx({("S0", "A"): 110.0, ("S0", "B"): 100.0})
    # A: 100 agents x 30 weeks + 10 x 13; B: 100 x 30 at 320; the class: 10 x (100 + 3 x 10)
    assert_allclose(plan.cost, (100 * 30 + 10 * 13) * SALARY_A + 100 * 30 * SALARY_B + 10 * 130)


def test_a_binding_team_cap_reports_the_shortfall():
    plan = solve(team_op(cap_a=105, class_min=5), demand(STEP, FLAT))
    assert plan.check == []
    assert plan.hires_by_team == {"S0/A": 5, "S0/B": 0}  # A up to its cap of 105, B may not serve q0
    assert plan.weeks_short == 10
    short = plan.pairs.set_index(["queue", "week_start"])["short_fte"]
    assert_allclose(short.loc["q0"].iloc[20:], [5.0] * 10, atol=1e-6)
    assert_allclose(short.loc["q1"], 0.0, atol=1e-6)
    assert plan.weekly.loc[plan.weekly["team"] == "A", "headcount"].max() == pytest.approx(105.0)


def test_a_binding_team_cap_hires_in_the_other_certified_unit():
    plan = solve(team_op(cap_a=105, class_min=5, other_site=True), demand(STEP, FLAT))
    assert plan.check == []
    assert plan.hires_by_team == {"S0/A": 5, "S0/B": 0}
    assert plan.hires_by_site == {"S0": 5, "S1": 5}  # the rest at the dear site S1
    assert plan.weeks_short == 0
    assert _by(plan, "team", 0)[("S1", "")] == ""  # a site-level unit has team ""


def test_the_site_cap_bounds_the_sum_of_its_teams():
    op = team_op(cap_a=150, cap_b=150, site_cap=205, certs=(("q1", None),), class_min=5)
    plan = solve(op, demand([0.0] * 30, [200.0] * 20 + [210.0] * 10))
    assert plan.check == []
    assert plan.hires_by_team == {"S0/A": 0, "S0/B": 5}  # 5 seats under the site's 205; B is cheaper
    headcount = plan.weekly.groupby("week_start")["headcount"].sum()
    assert headcount.max() == pytest.approx(205.0)
    assert_allclose(plan.totals["short_fte"].iloc[20:], [5.0] * 10, atol=1e-6)


def test_checker_finds_team_rules_broken():
    op = team_op(cap_a=150, cap_b=150, site_cap=205, class_min=5)
    problem = build_problem(op, demand(STEP, FLAT), efficiency=1.0)
    hires = np.zeros((2, 30), dtype=int)
    classes = np.zeros((2, 30), dtype=int)
    hires[0, 17], classes[0, 17] = 10, 1  # A: 210 agents with B, above the site's 205
    alloc = np.zeros((2, 2, 30))
    alloc[1, 0, 0] = 1.0  # team B serving q0, which only A is certified for
    alloc[0, 1, 1] = 5000.0  # more hours than A has (100 agents x 40 h)
    found = " | ".join(check_plan(problem, hires, classes, alloc=alloc))
    assert "S0: its teams' headcount 210.0 above the site's max 205 in week 2027-05-03" in found
    assert "S0 B team serves q0/M (1.0 h in week 2027-01-04) without a certification for it" in found
    assert "S0 A team: 5000.0 productive hours allocated in week 2027-01-11, above its replayed supply" in found
    hires[0, 17] = 0
    hires[0, 2], classes[0, 2] = 60, 6  # A above its own cap of 150
    assert any("S0 A team: headcount 160.0 above the team's max 150" in p for p in check_plan(problem, hires, classes))


def test_mixed_or_unknown_hiring_rows_are_refused():
    op = team_op()
    op.hiring = pd.DataFrame([hiring_row("S0", team="A"), hiring_row("S0")])
    with pytest.raises(ValueError, match="both a site-level row and team rows"):
        supply_units(op.hiring, op.sites, op.teams)
    op.hiring = pd.DataFrame([hiring_row("S0", team="C")])
    with pytest.raises(ValueError, match="team C is not a team of site S0"):
        supply_units(op.hiring, op.sites, op.teams)
    op.hiring = pd.DataFrame([hiring_row("S0", team="A")])  # B has no row: defaults, headcount = its minimum
    supply, defaulted = supply_units(op.hiring, op.sites, op.teams)
    assert list(supply) == [("S0", "A"), ("S0", "B")] and defaulted == ["S0/B"]
    assert supply["S0", "B"].current_headcount == 0


def test_the_sample_hired_by_site_plans_the_same_problem_as_without_teams(sample_dir):
    """The sample's hiring table has no team column: its teams (and team certifications)
    must not change the capacity problem; the units are its sites."""
    import dataclasses

    from planning.capacity import fallback_weekly_volume
    from planning.inputs import load_operation

    op, _ = load_operation(sample_dir)
    assert op.teams and "team" not in pd.read_csv(sample_dir / "hiring.csv").columns
    frame = fallback_weekly_volume(op, 8)
    plain = dataclasses.replace(op, teams=[], certifications=[c.model_copy(update={"team": None})
                                                              for c in op.certifications])
    plain.hiring = op.hiring
    got, want = build_problem(op, frame), build_problem(plain, frame)
    assert got.units == got.sites == sorted(op.sites) and set(got.teams) == {""}
    assert got.site_max_headcount == {}
    assert got.certified == want.certified
    for name in ("demand_hours", "penalty_per_hour", "hourly_cost", "keep_share", "max_headcount",
                 "min_headcount", "exit_week"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert got.supply == want.supply


def test_cli_names_the_teams(tmp_path, capsys):
    import json

    from planning.cli import main
    from tests.capacity.test_plan import _write_inputs

    folder = tmp_path / "inputs"
    op = team_op(current_headcount=1, monthly_attrition=0.05)
    _write_inputs(folder, op)
    pd.DataFrame([t.model_dump() for t in op.teams]).to_csv(folder / "teams.csv", index=False)
    args = ["capacity", str(folder), "--months", "3", "--history-demand", "--time-limit", "10"]
    assert main(args + ["--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["hires_by_team"]) == {"S0/A", "S0/B"} and summary["check"] == []
    assert summary["hires"]["S0"] == sum(summary["hires_by_team"].values()) > 0
    assert summary["hires_by_team"]["S0/A"] > 0  # q0 is A's alone
    assert main(args + ["--out", str(tmp_path / "plan.xlsx")]) == 0
    import re

    found = re.search(r"^  S0: (\d+) agents hired \(A team (\d+), B team (\d+)\)$", capsys.readouterr().out, re.M)
    assert found and int(found[1]) == int(found[2]) + int(found[3])  # a second solve: same form


def _team_page_script():
    from types import SimpleNamespace

    from planning.access import Principal, Role
    from tests.capacity.test_teams import team_op
    from ui import capacity, common

    op = team_op(current_headcount=1, monthly_attrition=0.05)
    saved = common.principal, common.require_operation, common.load_inputs
    try:  # patched for this script run only: the module is shared with other tests
        common.principal = lambda: Principal("test", Role.planner)
        common.require_operation = lambda who=None: op
        common.load_inputs = lambda: SimpleNamespace(label="synthetic", digest="capacity-teams-test")
        capacity.render()
    finally:
        common.principal, common.require_operation, common.load_inputs = saved


def test_page_shows_hires_and_headcount_by_team():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_team_page_script, default_timeout=120)
    at.run()
    at.radio(key="capacity_source").set_value("History, last year with trend (fast)")
    at.slider(key="capacity_months").set_value(6)
    at.toggle(key="capacity_run").set_value(True)
    at.run()
    assert not at.exception and not at.error
    assert at.radio(key="capacity_hires_by").value == "Team"
    team = next(d.value for d in at.dataframe if "headcount (agents)" in d.value.columns)
    assert list(team.columns) == ["site", "team", "month (UTC)", "hires (agents)", "headcount (agents)",
                                  "capacity (FTE)", "demand (FTE)", "short (FTE)"]
    assert set(team["team"]) == {"A", "B"} and team["hires (agents)"].sum() > 0
    classes = next(d.value for d in at.dataframe if "size (agents)" in d.value.columns)
    assert set(classes["team"]) <= {"A", "B"} and "A" in set(classes["team"])
    at.radio(key="capacity_hires_by").set_value("Site")
    at.run()
    assert not at.exception
    assert not any("headcount (agents)" in d.value.columns for d in at.dataframe)
