"""The capacity problem as plain arrays: what the optimiser and the checker both read.

Built from an Operation and a weekly demand frame by ``build_problem``.  Indices: s over
sites, p over queue x market pairs, t over weeks (0 = first plan week).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.capacity.demand import DEFAULT_SCHEDULING_EFFICIENCY, demand_hours
from planning.capacity.supply import (
    PAID_HOURS_PER_FTE_WEEK, SiteSupply, SupplyLevers, apply_supply_levers, supply_from_table,
)
from planning.domain import Operation

SHORT_PENALTY_MULTIPLIER = 3.0
"""A short productive hour costs this many times the dearest site's cost per productive hour
(hourly_cost / (1 - shrinkage)), times the queue's priority weight (assumption)."""


def priority_weight(priority: int) -> float:
    """1 for priority 9 rising by 0.25 per step to 3 for priority 1."""
    return 1.0 + (9 - int(priority)) * 0.25


@dataclass
class CapacityProblem:
    weeks: pd.DatetimeIndex
    pairs: list[tuple[str, str]]
    sites: list[str]
    vendors: list[str]                    # vendor of each site
    supply: list[SiteSupply]              # after levers
    demand_hours: np.ndarray              # [P, T] productive hours needed
    demand: pd.DataFrame                  # the weekly demand frame (for reporting)
    penalty_per_hour: np.ndarray          # [P] cost of one unmet productive hour
    certified: list[tuple[int, int]]      # (s, p) a site may serve
    hourly_cost: np.ndarray               # [S] per paid hour
    keep_share: np.ndarray                # [S] 1 - shrinkage
    max_headcount: np.ndarray             # [S]
    min_headcount: np.ndarray             # [S]
    exit_week: np.ndarray                 # [S] first week without the site (T = never)
    freeze_weeks: int = 0
    paid_hours: float = PAID_HOURS_PER_FTE_WEEK
    efficiency: float = DEFAULT_SCHEDULING_EFFICIENCY
    warnings: list[str] = field(default_factory=list)

    @property
    def T(self) -> int:
        return len(self.weeks)

    @property
    def salary_per_week(self) -> np.ndarray:
        """[S] paid cost of one agent for one week."""
        return self.hourly_cost * self.paid_hours

    def cost_per_hire(self, s: int) -> float:
        """One-off cost of one class member: hiring plus training weeks."""
        sup = self.supply[s]
        return sup.hire_cost + sup.training_cost_per_week * sup.training_weeks

    def hours_per_fte(self, s: int) -> float:
        """Productive hours of one fully productive FTE at site s per week."""
        return self.paid_hours * float(self.keep_share[s])


def _exit_weeks(site_exit, sites: list[str], weeks: pd.DatetimeIndex) -> np.ndarray:
    out = np.full(len(sites), len(weeks), dtype=int)
    for name, when in (site_exit or {}).items():
        if name not in sites:
            continue
        if isinstance(when, (int, np.integer)):
            idx = int(when)
        else:
            idx = int(np.searchsorted(weeks, pd.Timestamp(when).tz_convert("UTC") if pd.Timestamp(when).tzinfo else pd.Timestamp(when, tz="UTC")))
        out[sites.index(name)] = max(0, min(idx, len(weeks)))
    return out


def build_problem(op: Operation, weekly_volume: pd.DataFrame, *, efficiency: float = DEFAULT_SCHEDULING_EFFICIENCY,
                  growth: float = 0.0, attrition_multiplier: float = 1.0, freeze_weeks: int = 0,
                  site_exit: dict | None = None, supply: dict[str, SiteSupply] | None = None,
                  penalty_multiplier: float = SHORT_PENALTY_MULTIPLIER) -> CapacityProblem:
    """Arrays of the capacity problem.

    weekly_volume : ``week_start, queue, market, volume`` (+ optional ``aht_seconds``)
    growth : uniform volume uplift (0.1 = +10%); attrition_multiplier : scales attrition
    freeze_weeks : hiring freeze from the first week; site_exit : site -> date or week index
    supply : SiteSupply by site (default: from ``op.hiring``)
    """
    warnings: list[str] = []
    if supply is None:
        supply, defaulted = supply_from_table(getattr(op, "hiring", None), op.sites)
        if defaulted:
            warnings.append("no hiring row for " + ", ".join(defaulted)
                            + ": assumed headcount = contract minimum and default supply parameters")
    levers = SupplyLevers(attrition_multiplier, freeze_weeks, None)
    sites = sorted(op.sites)
    frame = demand_hours(weekly_volume, op, efficiency, growth)
    weeks = pd.DatetimeIndex(sorted(frame["week_start"].unique())) if len(frame) else pd.DatetimeIndex([])
    pairs = sorted(set(zip(frame["queue"], frame["market"])))
    pidx = {p: i for i, p in enumerate(pairs)}
    tidx = {w: i for i, w in enumerate(weeks)}
    dem = np.zeros((len(pairs), len(weeks)))
    for q, m, w, h in zip(frame["queue"], frame["market"], frame["week_start"], frame["demand_hours"]):
        dem[pidx[(q, m)], tidx[w]] += h
    site_objs = [op.sites[s] for s in sites]
    keep = np.array([1.0 - s.shrinkage for s in site_objs])
    cost = np.array([s.hourly_cost for s in site_objs])
    base = SHORT_PENALTY_MULTIPLIER if penalty_multiplier is None else penalty_multiplier
    dearest = float(np.max(cost / keep)) if len(sites) else 1.0
    penalty = np.array([base * dearest * priority_weight(op.queues[q].priority) for q, _ in pairs])
    certified = sorted({(sites.index(c.site), pidx[(c.queue, c.market)]) for c in op.certifications
                        if c.site in op.sites and (c.queue, c.market) in pidx})
    served = {p for _, p in certified}
    orphans = [f"{q}/{m}" for (q, m), i in pidx.items() if i not in served]
    if orphans:
        warnings.append("no site is certified for " + ", ".join(orphans) + ": that demand is always short")
    return CapacityProblem(
        weeks=weeks, pairs=pairs, sites=sites, vendors=[s.vendor for s in site_objs],
        supply=[apply_supply_levers(supply[s], levers) for s in sites], demand_hours=dem, demand=frame,
        penalty_per_hour=penalty, certified=certified, hourly_cost=cost, keep_share=keep,
        max_headcount=np.array([s.max_headcount for s in site_objs], dtype=float),
        min_headcount=np.array([s.min_headcount for s in site_objs], dtype=float),
        exit_week=_exit_weeks(site_exit, sites, weeks), freeze_weeks=int(freeze_weeks),
        efficiency=efficiency, warnings=warnings,
    )
