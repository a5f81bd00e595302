"""Team levers (issue 19): a team's cap and its certifications, validated, and their effect on
a solved plan of a tiny teamed operation (tests/team_cases.py: one site, one 8-hour shift at
00:00 UTC, cost 10 per hour, no shrinkage, live demand in the first 8 hours)."""
from __future__ import annotations

import pytest

from planning.scenarios import LeverError, apply_levers, lever_to_dict, parse_lever
from planning.shiftplan import PlanOptions, solve_plan
from planning.teams import team_pairs, unit_id
from tests.team_cases import live, team_operation, team_requirements

OPTS = PlanOptions(time_limit_seconds=20, gap_target=0.0)


def _op(ja_cap=10, certs=None):
    return team_operation([("EN", 10), ("JA", ja_cap)], certs or [("spam", "EN", "EN"), ("spam", "JA", "JA")],
                          [live("spam")])


def _apply(op, *levers):
    out, _ = apply_levers(op, None, [parse_lever(x) for x in levers])
    return out


def _heads(plan) -> dict:
    return plan.shifts.groupby("team")["headcount"].sum().to_dict()


@pytest.mark.parametrize("data", [
    {"kind": "team_cap", "site": "S1", "team": "JA", "max_headcount": 1},
    {"kind": "add_team_certification", "site": "S1", "team": "EN", "queue": "spam", "market": "JA"},
    {"kind": "remove_team_certification", "site": "S1", "team": "JA", "queue": "spam"},
])
def test_team_levers_round_trip_and_do_not_mutate(data):
    lever = parse_lever(data)
    assert parse_lever(lever_to_dict(lever)) == lever
    op = _op()
    teams, certs = list(op.teams), list(op.certifications)
    new = lever.apply_operation(op)
    assert op.teams == teams and op.certifications == certs
    assert new.teams != teams or new.certifications != certs
    assert "S1" in lever.describe()


def test_team_cap_binds_and_the_shortfall_shows():
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    base = solve_plan(_op(), req, OPTS)
    assert _heads(base) == {"EN": 3, "JA": 2} and base.unmet_agent_hours == pytest.approx(0, abs=1e-6)
    capped = solve_plan(_apply(_op(), {"kind": "team_cap", "site": "S1", "team": "JA", "max_headcount": 1}), req, OPTS)
    assert _heads(capped) == {"EN": 3, "JA": 1}
    # one JA agent short for the 8 demand hours (occupancy 1 in the test requirements)
    assert capped.unmet_agent_hours == pytest.approx(8.0, abs=1e-6)


def test_certifying_the_en_team_for_ja_lets_it_cover_a_capped_ja_team():
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    op = _apply(_op(ja_cap=0),
                {"kind": "add_team_certification", "site": "S1", "team": "EN", "queue": "spam", "market": "JA"})
    assert ("spam", "JA") in team_pairs(op)[unit_id("S1", "EN")]
    plan = solve_plan(op, req, OPTS)
    assert plan.unmet_agent_hours == pytest.approx(0, abs=1e-6)
    assert _heads(plan) == {"EN": 5}
    assert plan.cost == 5 * 8 * 10.0


def test_removing_a_team_from_a_site_wide_certification_keeps_it_for_the_others():
    op = _op(certs=[("spam", "EN", None), ("spam", "JA", "JA")])  # EN work: every team of S1
    assert ("spam", "EN") in team_pairs(op)[unit_id("S1", "JA")]
    new = _apply(op, {"kind": "remove_team_certification", "site": "S1", "team": "JA", "queue": "spam",
                      "market": "EN"})
    pairs = team_pairs(new)
    assert ("spam", "EN") not in pairs[unit_id("S1", "JA")] and ("spam", "JA") in pairs[unit_id("S1", "JA")]
    assert ("spam", "EN") in pairs[unit_id("S1", "EN")]


@pytest.mark.parametrize("data, message", [
    ({"kind": "team_cap", "site": "S1", "team": "KO", "max_headcount": 3}, "no team 'KO' (its teams: EN, JA)"),
    ({"kind": "team_cap", "site": "S9", "team": "EN", "max_headcount": 3}, "site 'S9' is not in this operation"),
    ({"kind": "add_team_certification", "site": "S1", "team": "EN", "queue": "nope", "market": "JA"},
     "queue 'nope' is not in this operation"),
    ({"kind": "add_team_certification", "site": "S1", "team": "EN", "queue": "spam", "market": "*"}, "one market"),
])
def test_team_levers_explain_what_is_wrong(data, message):
    with pytest.raises(LeverError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        parse_lever(data).apply_operation(_op())


def test_team_cap_below_the_contract_minimum_is_refused():
    from planning.domain import Team
    import dataclasses

    op = _op()
    op = dataclasses.replace(op, teams=[Team(site="S1", team="EN", max_headcount=10, min_headcount=4),
                                        *[t for t in op.teams if t.team != "EN"]])
    with pytest.raises(LeverError, match="contract minimum of 4"):
        parse_lever({"kind": "team_cap", "site": "S1", "team": "EN", "max_headcount": 2}).apply_operation(op)


def test_team_lever_on_a_site_without_teams_says_so():
    op = team_operation([], [("spam", "EN", None)], [live("spam")])
    with pytest.raises(LeverError, match="has no teams"):
        parse_lever({"kind": "team_cap", "site": "S1", "team": "EN", "max_headcount": 2}).apply_operation(op)
