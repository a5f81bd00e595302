"""Headcount by site, then team (planning.shiftplan.headcount) on the teamed tiny cases of
tests/team_cases.py: the site rows are the sums of their team rows and both match the
plan's shifts."""
from __future__ import annotations

import numpy as np

from planning.domain import Certification, ShiftTemplate, Site
from planning.shiftplan import PlanOptions, check_plan, solve_plan, team_headcount
from tests.team_cases import live, team_operation, team_requirements

OPTS = PlanOptions(time_limit_seconds=20, gap_target=0.0)


def _plan():
    """spam EN needs 3 agents, spam JA 2.  Site S1 (cap 100, USD 10/h): EN team (cap 10), JA
    team (cap 4).  Site S2 without teams (cap 2, USD 9/h), certified for EN: it takes 2 of
    the EN agents, S1's EN team the third."""
    op = team_operation([("EN", 10), ("JA", 4)], [("spam", "EN", "EN"), ("spam", "JA", "JA")], [live("spam")])
    op.sites["S2"] = Site(site="S2", vendor="V2", timezone="UTC", max_headcount=2, hourly_cost=9.0, shrinkage=0.0)
    op.certifications.append(Certification(site="S2", queue="spam", market="EN"))
    op.shifts.append(ShiftTemplate(site="S2", shift="day", start="00:00", paid_hours=8))
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    plan = solve_plan(op, req, OPTS)
    assert plan.ok and check_plan(op, req, plan) == []
    return op, plan


def test_site_rows_are_sums_of_team_rows_and_match_the_shifts():
    op, plan = _plan()
    table = team_headcount(op, plan.shifts)
    assert list(zip(table["level"], table["site"], table["team"])) == [
        ("site", "S1", ""), ("team", "S1", "EN"), ("team", "S1", "JA"), ("site", "S2", ""), ("team", "S2", "S2")]
    rows = table.set_index(["level", "site", "team"])
    # hand-computed: one 8-hour day shift; 1 EN + 2 JA agents at S1, 2 EN at S2
    assert rows.loc[("team", "S1", "EN"), "agent_days"] == 1 and rows.loc[("team", "S1", "JA"), "agent_days"] == 2
    assert rows.loc[("site", "S1", ""), "peak_daily_headcount"] == 3
    assert rows.loc[("site", "S2", ""), "paid_hours"] == 16.0 and rows.loc[("team", "S2", "S2"), "utilisation"] == 1.0
    assert rows.loc[("team", "S1", "JA"), "utilisation"] == 2 / 4
    assert rows.loc[("site", "S1", ""), "max_headcount"] == 100 and rows.loc[("team", "S1", "EN"), "max_headcount"] == 10
    for site in ("S1", "S2"):
        teams = table[(table["level"] == "team") & (table["site"] == site)]
        total = rows.loc[("site", site, "")]
        for col in ("agent_days", "paid_hours"):
            assert np.isclose(teams[col].sum(), total[col])
        shifts = plan.shifts[plan.shifts["site"] == site]
        assert total["agent_days"] == shifts["headcount"].sum()
        assert np.isclose(total["paid_hours"], (shifts["headcount"] * shifts["paid_hours"]).sum())
        for team, g in shifts.groupby("team"):
            assert rows.loc[("team", site, team), "agent_days"] == g["headcount"].sum()
    assert rows.loc[("team", "S2", "S2"), "label"] == "S2 (no teams)"
