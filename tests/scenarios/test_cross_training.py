"""The value of cross-training (planning.scenarios.cross_training) on tiny operations of
tests/team_cases.py (site S1, one 8-hour shift at 00:00 UTC, no shrinkage, live demand in
the first 8 hours): one where one extra skill provably saves, one where none can."""
from __future__ import annotations

import pytest

from planning.scenarios import candidates, value_of_cross_training, with_skill
from planning.shiftplan import PlanOptions, check_plan, solve_plan
from tests.team_cases import live, team_operation, team_requirements

OPTS = PlanOptions(time_limit_seconds=20, gap_target=0.0)


def _case(a_cost: float, b_cost: float):
    """Team A (cap 10) alone works spam EN (3 agents); team B (cap 10) alone spam JA (2)."""
    op = team_operation([("A", 10), ("B", 10)], [("spam", "EN", "A"), ("spam", "JA", "B")], [live("spam")])
    cost = {"A": a_cost, "B": b_cost}
    op.teams = [t.model_copy(update={"hourly_cost": cost[t.team]}) for t in op.teams]
    return op, team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})


def test_one_extra_skill_on_the_cheap_team_saves_what_the_replan_says():
    """A costs USD 20/h, B USD 10/h.  Base: 3 A agents x 8 h x 20 + 2 B x 8 x 10 = USD 640.
    With B certified for spam EN, B takes all 5: 5 x 8 x 10 = USD 400: USD 240 saved a day,
    a horizon of 1 day = 1/7 week, so USD 1,680 a week."""
    op, req = _case(20.0, 10.0)
    base = solve_plan(op, req, OPTS)
    assert base.ok and base.cost == pytest.approx(640.0)
    top = candidates(op, req, base, n=5)
    assert [(c.team, c.queue, c.market) for c in top][0] == ("B", "spam", "EN")
    assert top[0].estimate > 0 and all(c.estimate <= top[0].estimate for c in top)
    report = value_of_cross_training(op, req, OPTS, n=1)
    assert report.weeks == pytest.approx(1 / 7) and report.currency == "USD"
    row = report.rows.iloc[0]
    assert (row["team"], row["queue"], row["market"]) == ("B", "spam", "EN")
    # the saving is the re-planned cost difference, independently re-solved here
    trained = with_skill(op, top[0])
    again = solve_plan(trained, req, OPTS)
    assert again.ok and check_plan(trained, req, again) == []
    assert again.cost == pytest.approx(400.0)
    assert row["cost_saving_per_week"] == pytest.approx((base.cost - again.cost) * 7) == pytest.approx(1680.0)
    assert row["cost_saving_per_week"] > 0 and row["value_per_week"] == pytest.approx(1680.0, abs=1e-2)
    assert row["unmet_hours_saved_per_week"] == pytest.approx(0.0, abs=1e-9)


def test_no_extra_skill_can_save_when_the_teams_cost_the_same_and_all_is_covered():
    op, req = _case(10.0, 10.0)
    report = value_of_cross_training(op, req, OPTS, n=5)
    assert len(report.rows) == 2  # A+JA and B+EN: the only skills the site works that a team lacks
    assert report.base_cost == pytest.approx(400.0)
    for row in report.rows.itertuples():
        assert row.cost_saving_per_week == pytest.approx(0.0, abs=1e-6)
        assert row.value_per_week == pytest.approx(0.0, abs=1e-2)


def test_an_operation_without_teams_has_no_candidate():
    op = team_operation([], [("spam", "EN", None), ("spam", "JA", None)], [live("spam")])
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    report = value_of_cross_training(op, req, OPTS)
    assert report.rows.empty and "no candidate" in report.notes[0]
