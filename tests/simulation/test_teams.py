"""The agent-level simulation gives each agent his team's skills (planning.teams): an
EN-team agent never takes a JA item, and a certification without a team is every team's."""
from __future__ import annotations

import numpy as np

from planning.shiftplan import PlanOptions, solve_plan
from planning.simulation import simulate_agents
from tests.team_cases import live, team_operation, team_requirements


def _volume(req):
    return req[["timestamp", "queue", "market", "volume"]]


def _language_op(ja_certified_for_all: bool = False):
    certs = [("spam", "EN", "EN"), ("spam", "JA", None if ja_certified_for_all else "JA")]
    return team_operation([("EN", 10), ("JA", 10)], certs, [live("spam")])


def test_en_team_never_takes_ja_items():
    op = _language_op()
    req = team_requirements({("spam", "EN"): 3, ("spam", "JA"): 2})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    en_only = plan.shifts[plan.shifts["team"] == "EN"]  # the JA team stays home
    ja_work = req[req["market"] == "JA"]
    sim = simulate_agents(op, en_only, _volume(ja_work), replications=2, seed=3,
                          horizon=(req["timestamp"].min(), req["timestamp"].max() + np.timedelta64(1, "h")))
    ja = sim.pairs.set_index("market").loc["JA"]
    assert ja["items_judged"] > 500 and ja["attainment"] == 0.0
    assert set(sim.agents["team"]) == {"EN"} and set(sim.agents["site"]) == {"S1"}
    assert float(sim.agents["busy_hours"].sum()) == 0.0
    # the same agents certified for the whole site (a row without a team) take them
    pooled = simulate_agents(_language_op(ja_certified_for_all=True), en_only, _volume(ja_work),
                             replications=2, seed=3,
                             horizon=(req["timestamp"].min(), req["timestamp"].max() + np.timedelta64(1, "h")))
    assert pooled.pairs.set_index("market").loc["JA", "attainment"] > 0.5


def test_full_team_plan_meets_both_markets():
    op = _language_op()
    req = team_requirements({("spam", "EN"): 6, ("spam", "JA"): 4})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    sim = simulate_agents(op, plan, _volume(req), replications=2, seed=1)
    judged = sim.agents[sim.agents["copy"] == 0]
    by_team = judged.groupby("team")["busy_hours"].sum() / sim.replications
    # each team is busy with its own market's work only: about its agents x 8 h x occupancy
    work = req.groupby("market")["workload_hours"].sum()
    assert abs(by_team["EN"] - work["EN"]) < 0.15 * work["EN"]
    assert abs(by_team["JA"] - work["JA"]) < 0.15 * work["JA"]
