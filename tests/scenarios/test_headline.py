"""planning.scenarios.headline and its wording (ui.scenario_headline) on a hand-computed pair
of KPI dicts."""
from __future__ import annotations

import pytest

from planning.scenarios import parse_lever
from planning.scenarios.headline import headline, site_moves
from ui.scenario_headline import headline_text

BASE = {"cost": 871_000.0, "gap": 0.002, "paid_hours": 40_000.0, "agent_shifts": 5_000, "unmet_agent_hours": 2e-12,
        "pairs_meeting_target": 34, "pairs_judged": 34, "currency": "USD", "weeks": 2,
        "headcount_by_site": {"AUS-C": 123, "MNL-A": 300, "SAO-C": 50},
        "paid_hours_by_site": {"AUS-C": 10_000.0, "MNL-A": 20_000.0, "SAO-C": 4_000.0},
        "cost_by_site": {"AUS-C": 300_000.0, "MNL-A": 180_000.0, "SAO-C": 60_000.0}}
NEW = {**BASE, "cost": 909_300.0, "gap": 0.003, "agent_shifts": 5_212, "unmet_agent_hours": 6e-12,
       "pairs_meeting_target": 33, "headcount_by_site": {"AUS-C": 84, "MNL-A": 340, "SAO-C": 50}}


def test_headline_numbers_by_hand():
    h = headline(BASE, NEW)
    assert h["cost"]["delta"] == pytest.approx(38_300.0)
    assert h["cost"]["pct"] == pytest.approx(100 * 38_300 / 871_000)  # 4.397%
    # noise = 0.2% x 871,000 + 0.3% x 909,300 = 1,742 + 2,727.9
    assert h["cost"]["noise"] == pytest.approx(4_469.9) and not h["cost"]["within_gap"]
    assert h["agent_shifts"]["delta"] == 212 and not h["agent_shifts"]["within_gap"]  # noise 0.5% x 5,000 = 25
    assert h["unmet_agent_hours"]["within_gap"]  # 2e-12 vs 6e-12 is rounding
    assert h["sla"] == {"base": (34, 34), "new": (33, 34)}
    assert headline_text(h) == ("+USD 38.3k (+4.4%) a fortnight; +212 agent-shifts; "
                                "SLA met 34/34 -> 33/34 queue x markets (agent-level simulation)")


def test_small_cost_change_is_within_the_solver_gap():
    h = headline(BASE, {**NEW, "cost": BASE["cost"] + 3_000.0, "agent_shifts": 5_010})
    assert h["cost"]["within_gap"] and h["agent_shifts"]["within_gap"]
    assert headline_text(h).startswith("cost within solver gap (±USD 4,364) a fortnight; agent-shifts within solver gap")


def test_site_moves_say_why():
    lever = parse_lever({"kind": "site_cap", "site": "AUS-C", "start": "2026-11-16", "end": "2026-11-30",
                         "max_headcount": 84})
    moves = {m["site"]: m for m in site_moves(BASE, NEW, levers=[lever])}
    assert set(moves) == {"AUS-C", "MNL-A"}  # SAO-C did not move
    aus = moves["AUS-C"]
    assert (aus["base"], aus["new"], aus["delta"]) == (123, 84, -39)
    assert aus["reasons"][0].startswith("lever: Site AUS-C capped at 84 agents")
    # MNL-A costs 9.00/h, AUS-C 30.00/h (cost / paid hours)
    assert "its work moved to cheaper MNL-A (+40 agents; USD 9.00/h there vs USD 30.00/h here)" in aus["reasons"]
    assert moves["MNL-A"]["reasons"] == ["the solver's choice among plans of near-equal cost"]
