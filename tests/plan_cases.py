"""Tiny hand-made operations and requirement frames for the shift-planner tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.domain import Certification, Market, Operation, Queue, Settings, ShiftTemplate, Site

START = pd.Timestamp("2026-03-02T00:00:00Z")  # a Monday


def queue(name="spam", kind="live", priority=3, severe=False, **kw) -> Queue:
    args = {"sla_target": 0.9, "aht_seconds": 60.0}
    args.update({"sla_within_seconds": 60} if kind == "live" else {"sla_within_hours": 4})
    args.update(kw)
    return Queue(queue=name, sla_kind=kind, priority=priority, severe=severe, **args)


def site(name="S1", tz="UTC", max_headcount=100, cost=10.0, shrinkage=0.0, **kw) -> Site:
    return Site(site=name, vendor=kw.pop("vendor", "V1"), timezone=tz, max_headcount=max_headcount,
                hourly_cost=cost, shrinkage=shrinkage, **kw)


def operation(queues, sites, certs, shifts, interval_minutes=60, **settings) -> Operation:
    markets = {"M": Market(market="M", timezone="UTC", holiday_country="US")}
    volume = pd.DataFrame({"timestamp": [START], "queue": [queues[0].queue], "market": ["M"],
                           "volume": [1.0]})
    return Operation(
        queues={q.queue: q for q in queues}, markets=markets, sites={s.site: s for s in sites},
        certifications=[Certification(site=s, queue=q, market="M") for s, q in certs],
        shifts=[ShiftTemplate(site=s, shift=n, start=st, paid_hours=h) for s, n, st, h in shifts],
        volume=volume, settings=Settings(interval_minutes=interval_minutes, **settings))


def requirements(op: Operation, profile: dict[str, list[float]], start=START, kind_of=None,
                 workload: dict[str, list[float]] | None = None) -> pd.DataFrame:
    """Requirements for market M: ``profile[queue]`` = required agents per interval;
    workload defaults to required x interval hours (occupancy 1)."""
    minutes = op.settings.interval_minutes
    rows = []
    for q, values in profile.items():
        times = pd.date_range(start, periods=len(values), freq=f"{minutes}min")
        work = (workload or {}).get(q, [v * minutes / 60 for v in values])
        aht = op.queues[q].aht_seconds
        for ts, req, w in zip(times, values, work):
            rows.append({"timestamp": ts, "queue": q, "market": "M",
                         "sla_kind": op.queues[q].sla_kind.value, "interval_minutes": minutes,
                         "volume": w * 3600 / aht, "aht_seconds": aht, "workload_hours": float(w),
                         "required_agents": float(req)})
    frame = pd.DataFrame(rows)
    frame["timestamp"] = frame["timestamp"].astype("datetime64[ns, UTC]")
    return frame


def day_profile(hours: dict[tuple[int, int], float], days=1, interval_minutes=60) -> list[float]:
    """Required agents: ``{(from_hour, to_hour): agents}`` for each of ``days`` UTC days."""
    per_day = 24 * 60 // interval_minutes
    out = np.zeros(per_day * days)
    for d in range(days):
        for (a, b), v in hours.items():
            out[d * per_day + a * 60 // interval_minutes: d * per_day + b * 60 // interval_minutes] = v
    return list(out)

