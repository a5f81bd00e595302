"""Tiny hand-checkable operations with teams within one site (tests of planning.teams,
the planner, the checker, the agent simulation and the vendor workbook)."""
from __future__ import annotations

import pandas as pd

from planning.domain import Certification, Market, Operation, Queue, Settings, ShiftTemplate, Site, Team

START = pd.Timestamp("2026-03-02T00:00:00Z")  # a Monday
HOURS = 24  # one UTC day at 60 minutes


def live(name: str, priority: int = 3, severe: bool = False) -> Queue:
    return Queue(queue=name, sla_kind="live", sla_target=0.8, sla_within_seconds=60, aht_seconds=60.0,
                 priority=priority, severe=severe)


def team_operation(teams: list[tuple[str, int]], certs: list[tuple[str, str, str | None]],
                   queues: list[Queue], site_cap: int = 100, shifts: list[tuple[str, str | None]] | None = None,
                   shrinkage: float = 0.0, wellness: float = 0.5) -> Operation:
    """Site S1 (UTC, cost 10) with ``teams`` [(name, max_headcount)], certifications
    [(queue, market, team or None)], markets EN and JA, one 8-hour shift at 00:00 per entry
    of ``shifts`` [(name, team or None)] (default one for the whole site)."""
    markets = {m: Market(market=m, timezone="UTC", holiday_country="US") for m in ("EN", "JA")}
    site = Site(site="S1", vendor="V1", timezone="UTC", max_headcount=site_cap, hourly_cost=10.0,
                shrinkage=shrinkage)
    shifts = shifts or [("day", None)]
    return Operation(
        queues={q.queue: q for q in queues}, markets=markets, sites={"S1": site},
        certifications=[Certification(site="S1", queue=q, market=m, team=t) for q, m, t in certs],
        shifts=[ShiftTemplate(site="S1", shift=name, start="00:00", paid_hours=8, team=team)
                for name, team in shifts],
        volume=pd.DataFrame({"timestamp": [START], "queue": [queues[0].queue], "market": ["EN"], "volume": [1.0]}),
        settings=Settings(interval_minutes=60, wellness_severe_share_max=wellness),
        teams=[Team(site="S1", team=name, max_headcount=cap) for name, cap in teams])


def team_requirements(needs: dict[tuple[str, str], float], hours: int = 8) -> pd.DataFrame:
    """Live requirements: ``needs[(queue, market)]`` agents in the first ``hours`` UTC hours
    of the day, none after; volume = agents x 60 items per hour at AHT 60 s (occupancy 1)."""
    rows = []
    for (q, m), agents in needs.items():
        for k, ts in enumerate(pd.date_range(START, periods=HOURS, freq="60min")):
            a = float(agents) if k < hours else 0.0
            rows.append({"timestamp": ts, "queue": q, "market": m, "sla_kind": "live", "interval_minutes": 60,
                         "volume": a * 60.0, "aht_seconds": 60.0, "workload_hours": a, "required_agents": a})
    frame = pd.DataFrame(rows)
    frame["timestamp"] = frame["timestamp"].astype("datetime64[ns, UTC]")
    return frame
