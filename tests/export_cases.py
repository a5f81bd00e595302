"""A tiny solved operation for the export, round-trip and run tests (no forecast run).

Two vendors, three sites in three zones (UTC, Asia/Kathmandu +05:45 and Europe/Dublin),
one live and one deferred queue; the live queue is named like a spreadsheet formula and
one vendor like a formula too, so every sheet carries hostile user text.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.pipeline import PipelineResult, summarise
from planning.shiftplan import PlanOptions, solve_plan
from tests.plan_cases import START, day_profile, operation, queue, requirements, site

EVIL_QUEUE = '=HYPERLINK("http://x","y")'
EVIL_VENDOR = "@SUM(1+1)"


def tiny_operation():
    queues = [queue(EVIL_QUEUE, "live", aht_seconds=120.0), queue("spam", "deferred", aht_seconds=30.0)]
    sites = [site("S1", tz="UTC", max_headcount=8, cost=10.0, shrinkage=0.2, vendor="Vendor A"),
             site("KTM", tz="Asia/Kathmandu", max_headcount=30, cost=6.0, shrinkage=0.3, vendor="Vendor A",
                  city="Kathmandu"),
             site("DUB", tz="Europe/Dublin", max_headcount=20, cost=20.0, shrinkage=0.25, vendor=EVIL_VENDOR,
                  city="Dublin")]
    certs = [("S1", EVIL_QUEUE), ("S1", "spam"), ("KTM", "spam"), ("DUB", EVIL_QUEUE), ("DUB", "spam")]
    shifts = [("S1", "day", "08:00", 8), ("S1", "late", "16:00", 8), ("KTM", "early", "06:00", 9),
              ("DUB", "day", "09:00", 8), ("DUB", "night", "22:00", 8)]
    return operation(queues, sites, certs, shifts, interval_minutes=60)


def tiny_result(days: int = 2) -> PipelineResult:
    op = tiny_operation()
    live = day_profile({(6, 12): 3, (12, 20): 5, (20, 23): 2}, days=days)
    work = day_profile({(0, 24): 2.0}, days=days)
    req = requirements(op, {EVIL_QUEUE: live, "spam": [0.0] * len(work)},
                       workload={"spam": work, EVIL_QUEUE: [0.6 * v for v in live]})  # live at 60% occupancy
    req.loc[req["queue"] == "spam", "required_agents"] = 2.0 / 0.95
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    assert plan.ok, plan.status
    forecast = req[["timestamp", "queue", "market", "volume"]].rename(columns={"volume": "forecast"})
    forecast["model"] = "seasonal_naive"
    for level, k in ((80, 1.28), (95, 1.96)):
        forecast[f"lo_{level}"] = np.maximum(forecast["forecast"] * (1 - 0.1 * k), 0)
        forecast[f"hi_{level}"] = forecast["forecast"] * (1 + 0.1 * k)
    return PipelineResult(op, forecast, req, plan, None, summarise(op, plan), [], {"plan_s": plan.seconds})


def carry_in_result(days: int = 2) -> PipelineResult:
    """The tiny operation planned with free edges (``horizon_mode="open"``) and live work in the
    first two UTC hours, which only Dublin's night shift of the day before the plan (22:00
    local = UTC in March, 8 h) can cover: a carry-in that must be planned."""
    op = tiny_operation()
    live = day_profile({(0, 2): 2, (6, 12): 3, (12, 20): 5, (20, 23): 2}, days=days)
    work = day_profile({(0, 24): 2.0}, days=days)
    req = requirements(op, {EVIL_QUEUE: live, "spam": [0.0] * len(work)},
                       workload={"spam": work, EVIL_QUEUE: [0.6 * v for v in live]})
    req.loc[req["queue"] == "spam", "required_agents"] = 2.0 / 0.95
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20, horizon_mode="open"))
    assert plan.ok, plan.status
    return PipelineResult(op, None, req, plan, None, summarise(op, plan), [], {})


def team_result() -> PipelineResult:
    """Site S1 of vendor V1 with teams EN and JA that both work the one 'day' shift
    (tests/team_cases.py): the same site x shift x day has a row per team."""
    from tests.team_cases import live as live_queue, team_operation, team_requirements

    op = team_operation([("EN", 20), ("JA", 20)], [("q_en", "EN", "EN"), ("q_ja", "JA", "JA")],
                        [live_queue("q_en"), live_queue("q_ja")])
    req = team_requirements({("q_en", "EN"): 3.0, ("q_ja", "JA"): 2.0})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20, horizon_mode="open"))
    assert plan.ok, plan.status
    return PipelineResult(op, None, req, plan, None, summarise(op, plan), [], {})


__all__ = ["START", "EVIL_QUEUE", "EVIL_VENDOR", "carry_in_result", "team_result", "tiny_operation", "tiny_result",
           "pd"]
