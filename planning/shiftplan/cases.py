"""Requirement frames and scaled operations for benchmarks and the CLI fallback.

``requirements_for`` uses the real pipeline stages (``planning.forecasting`` +
``planning.staffing.requirements``) when present; otherwise a documented proxy: the last
``weeks`` of history repeated forward, live queues staffed with Erlang C
(``planning.staffing.erlang.required_agents``), deferred queues at workload / occupancy.
``scaled_operation`` replicates the sample's sites and pairs for the scaling table.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from planning.domain import Certification, Operation, ShiftTemplate, SlaKind


def requirements_for(op: Operation, weeks: int, start: pd.Timestamp | None = None,
                     use_pipeline: bool = True) -> tuple[pd.DataFrame, str]:
    """(requirements frame, source) for ``weeks`` weeks after the history."""
    if use_pipeline:
        try:
            from planning.forecasting import forecast_operation
            from planning.staffing import compute_requirements
        except ImportError:
            pass
        else:
            forecast = forecast_operation(op, weeks)
            if start is not None:
                forecast = forecast[forecast["timestamp"] >= start]
            return compute_requirements(op, forecast), "forecast + requirements"
    return proxy_requirements(op, weeks, start), "proxy (history repeated, Erlang C)"


def proxy_requirements(op: Operation, weeks: int, start: pd.Timestamp | None = None) -> pd.DataFrame:
    minutes = op.settings.interval_minutes
    vol = op.volume.copy()
    end = op.history_end
    span = pd.Timedelta(weeks=1)
    last = vol[vol["timestamp"] >= end - span]
    begin = start if start is not None else end
    parts = []
    for w in range(weeks):
        part = last.copy()
        part["timestamp"] = part["timestamp"] + (begin - (end - span)) + w * span
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.groupby([pd.Grouper(key="timestamp", freq=f"{minutes}min"), "queue", "market"],
                          as_index=False)["volume"].sum()
    rows = []
    for (q, m), g in frame.groupby(["queue", "market"]):
        queue = op.queues[q]
        volume = g["volume"].to_numpy(float)
        work = volume * queue.aht_seconds / 3600.0
        if queue.sla_kind is SlaKind.live:
            from planning.staffing import offered_load, required_agents

            load = offered_load(volume, queue.aht_seconds, minutes)
            req = required_agents(load, queue.aht_seconds, queue.sla_within_seconds, queue.sla_target,
                                  max_occupancy=queue.max_occupancy)
        else:
            req = work / (minutes / 60.0) / queue.max_occupancy
        rows.append(pd.DataFrame({
            "timestamp": g["timestamp"].to_numpy(), "queue": q, "market": m,
            "sla_kind": queue.sla_kind.value, "interval_minutes": minutes, "volume": volume,
            "aht_seconds": queue.aht_seconds, "workload_hours": work, "required_agents": np.asarray(req, float)}))
    out = pd.concat(rows, ignore_index=True)
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    return out


def scaled_operation(op: Operation, requirements: pd.DataFrame, n_sites: int, n_pairs: int,
                     seed: int = 7) -> tuple[Operation, pd.DataFrame]:
    """An operation with ``n_sites`` sites (copies of the sample's, renamed) and
    ``n_pairs`` queue x market pairs (copies of the sample's pairs with scaled volume)."""
    rng = np.random.default_rng(seed)
    base_sites = list(op.sites.values())
    sites, shifts, certs = {}, [], []
    for k in range(n_sites):
        src = base_sites[k % len(base_sites)]
        name = src.site if k < len(base_sites) else f"{src.site}-{k // len(base_sites) + 1}"
        sites[name] = src.model_copy(update={"site": name})
        shifts += [ShiftTemplate(site=name, shift=t.shift, start=t.start, paid_hours=t.paid_hours)
                   for t in op.shifts if t.site == src.site]
    base_pairs = sorted(map(tuple, requirements[["queue", "market"]].drop_duplicates().itertuples(index=False)))
    parts, site_names = [], list(sites)
    for k in range(n_pairs):
        q, m = base_pairs[k % len(base_pairs)]
        market = m if k < len(base_pairs) else f"{m}~{k // len(base_pairs) + 1}"
        part = requirements[(requirements["queue"] == q) & (requirements["market"] == m)].copy()
        part["market"] = market
        scale = 1.0 if k < len(base_pairs) else rng.uniform(0.4, 1.0)
        for col in ("volume", "workload_hours", "required_agents"):
            part[col] = part[col] * scale
        parts.append(part)
        certified = [c.site for c in op.certifications if c.queue == q and c.market == m]
        pool = [s for s in site_names if s.split("-")[0] + "-" + s.split("-")[1] in certified] or site_names
        for s in pool:
            certs.append(Certification(site=s, queue=q, market=market))
    markets = dict(op.markets)
    for part in parts:
        name = part["market"].iloc[0]
        if name not in markets:
            markets[name] = op.markets[name.split("~")[0]].model_copy(update={"market": name})
    scaled = dataclasses.replace(op, sites=sites, shifts=shifts, certifications=certs, markets=markets,
                                 site_adjustments=None)
    return scaled, pd.concat(parts, ignore_index=True)
