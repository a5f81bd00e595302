"""Teams within a site in the shift planner, its checker and its diagnosis: hand-checkable
cases on one site (tests/team_cases.py: one 8-hour shift at 00:00 UTC, cost 10 per hour,
no shrinkage, live demand in the first 8 hours)."""
from __future__ import annotations


from planning.shiftplan import PlanOptions, check_plan, explain, solve_plan
from tests.team_cases import live, team_operation, team_requirements

OPTS = PlanOptions(time_limit_seconds=20, gap_target=0.0)


def _heads(plan) -> dict:
    return plan.shifts.groupby("team")["headcount"].sum().to_dict()


def _worked(plan) -> dict:
    """(team, market) -> agent-hours allocated."""
    return plan.allocation.groupby(["team", "market"])["agents"].sum().to_dict()


def _language_case(ja_cap=10, site_cap=100, ja_priority=3):
    op = team_operation([("EN", 10), ("JA", ja_cap)], [("spam", "EN", "EN"), ("spam", "JA", "JA")],
                        [live("spam")], site_cap=site_cap)
    return op, team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})


def test_two_language_teams_never_cross():
    op, req = _language_case()
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    assert _heads(plan) == {"EN": 3, "JA": 2}
    assert set(_worked(plan)) == {("EN", "EN"), ("JA", "JA")}  # never EN agents on JA
    assert plan.cost == 5 * 8 * 10.0
    assert list(plan.shifts["site"].unique()) == ["S1"]


def test_checker_rejects_a_ja_item_on_an_en_agent():
    op, req = _language_case()
    plan = solve_plan(op, req, OPTS)
    alloc = plan.allocation.copy()
    alloc.loc[alloc["market"] == "JA", "team"] = "EN"  # the EN team takes the JA work
    broken = type("P", (), {"shifts": plan.shifts, "allocation": alloc, "coverage": plan.coverage,
                            "options": plan.options})()
    names = {v.constraint for v in check_plan(op, req, broken)}
    assert "certification" in names
    assert "site_capacity" in names  # the EN team's 3 agents cannot also carry 2 more


def test_without_teams_the_site_pools_its_agents():
    """The same site without a teams table: one team, named after the site, works both."""
    op, req = _language_case()
    pooled = team_operation([], [("spam", "EN", None), ("spam", "JA", None)], [live("spam")])
    plan = solve_plan(pooled, req, OPTS)
    assert plan.ok and check_plan(pooled, req, plan) == []
    assert _heads(plan) == {"S1": 5} and set(plan.allocation["team"]) == {"S1"}


def test_team_cap_binds_and_is_named():
    op, req = _language_case(ja_cap=1)
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    assert _heads(plan) == {"EN": 3, "JA": 1}
    ja = plan.coverage[plan.coverage["market"] == "JA"]
    assert abs(ja["shortfall"].sum() - 8 * 1.0) < 1e-6  # 1 agent short for 8 hours
    messages = " ".join(explain(op, req, plan)["message"])
    assert "S1 JA team" in messages and "cap of 1" in messages


def test_site_cap_bounds_the_sum_of_its_teams():
    """Teams of 10 each, site cap 4: EN needs 3, JA (priority 1) 2, so EN gets one short."""
    op = team_operation([("EN", 10), ("JA", 10)], [("spam", "EN", "EN"), ("jspam", "JA", "JA")],
                        [live("spam", priority=5), live("jspam", priority=1)], site_cap=4)
    req = team_requirements({("spam", "EN"): 3, ("jspam", "JA"): 2})
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    assert _heads(plan) == {"EN": 2, "JA": 2}
    messages = " ".join(explain(op, req, plan)["message"])
    assert "S1 is at its cap of 4 (all its teams)" in messages
    over = plan.shifts.copy()
    over.loc[over["team"] == "EN", "headcount"] = 3
    broken = type("P", (), {"shifts": over, "allocation": plan.allocation, "coverage": plan.coverage,
                            "options": plan.options})()
    assert "site_daily_headcount_cap" in {v.constraint for v in check_plan(op, req, broken)}


def test_wellness_binds_per_team():
    """Severe work (2 agents) only for the SEV team, spam (6) only for GEN; wellness 50%:
    the SEV team needs 4 on shift (2 on severe <= 50% of 4), GEN 6: 10 agents; pooled at
    the site level 8 would do (2 severe <= 50% of 8)."""
    queues = [live("cs", severe=True, priority=1), live("spam")]
    op = team_operation([("SEV", 20), ("GEN", 20)], [("cs", "EN", "SEV"), ("spam", "EN", "GEN")], queues)
    req = team_requirements({("cs", "EN"): 2, ("spam", "EN"): 6})
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    assert _heads(plan) == {"SEV": 4, "GEN": 6}
    pooled = team_operation([], [("cs", "EN", None), ("spam", "EN", None)], queues)
    assert _heads(solve_plan(pooled, req, OPTS)) == {"S1": 8}
    fewer = plan.shifts.copy()
    fewer.loc[fewer["team"] == "SEV", "headcount"] = 3  # 2 severe of 3 productive > 50%
    broken = type("P", (), {"shifts": fewer, "allocation": plan.allocation,
                            "coverage": plan.coverage, "options": plan.options})()
    assert "wellness_cap" in {v.constraint for v in check_plan(op, req, broken)}


def test_certification_without_team_means_every_team():
    """spam is certified for the whole site, cs for team A only; only team B has a shift:
    B takes the spam, nobody can take cs."""
    op = team_operation([("A", 10), ("B", 10)], [("spam", "EN", None), ("cs", "EN", "A")],
                        [live("spam"), live("cs")], shifts=[("b_day", "B")])
    req = team_requirements({("spam", "EN"): 2, ("cs", "EN"): 1})
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    assert _heads(plan) == {"B": 2}
    assert set(_worked(plan)) == {("B", "EN")} and set(plan.allocation["queue"]) == {"spam"}
    cs = plan.coverage[plan.coverage["queue"] == "cs"]
    assert abs(cs["shortfall"].sum() - 8.0) < 1e-6


def test_no_teams_model_unchanged():
    """Without a teams table the model is the one of the site (same sizes and names)."""
    from ortools.linear_solver import pywraplp

    from planning.shiftplan.build import build_model
    op = team_operation([], [("spam", "EN", None)], [live("spam")])
    req = team_requirements({("spam", "EN"): 3})
    model = build_model(pywraplp.Solver.CreateSolver("SCIP"), op, req)
    assert model.op is op and model.counts["site_team_totals"] == 0
    assert [d.name for d in model.decisions] == ["headcount[site=S1,shift=day,date=2026-03-02]"]
