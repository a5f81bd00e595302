"""The capacity problem as plain arrays: what the optimiser and the checker both read.

Built from an Operation and a weekly demand frame by ``build_problem``.  Indices: s over
supply units, p over queue x market pairs, t over weeks (0 = first plan week).

A supply unit is a team where the site's hiring rows are per team, else the site
(``supply.supply_units``).  A team unit has the team's cap, minimum, hourly cost and
shrinkage (cost and shrinkage default to the site's) and serves the pairs its team is
certified for: its own certification rows plus the site-wide ones.  A site unit serves
every pair any certification row of the site names, as before teams.  The cap of a site
planned by team bounds the sum of its teams (``site_max_headcount``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.capacity.demand import DEFAULT_SCHEDULING_EFFICIENCY, demand_hours
from planning.capacity.supply import (
    PAID_HOURS_PER_FTE_WEEK, SiteSupply, SupplyLevers, apply_supply_levers, supply_units,
)
from planning.domain import Operation
from planning.teams import unit_id

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
    sites: list[str]                      # [S] site of each supply unit
    vendors: list[str]                    # vendor of each unit's site
    supply: list[SiteSupply]              # after levers
    demand_hours: np.ndarray              # [P, T] productive hours needed
    demand: pd.DataFrame                  # the weekly demand frame (for reporting)
    penalty_per_hour: np.ndarray          # [P] cost of one unmet productive hour
    certified: list[tuple[int, int]]      # (s, p) a unit may serve
    hourly_cost: np.ndarray               # [S] per paid hour
    keep_share: np.ndarray                # [S] 1 - shrinkage
    max_headcount: np.ndarray             # [S] the unit's cap (a team's own cap)
    min_headcount: np.ndarray             # [S]
    exit_week: np.ndarray                 # [S] first week without the unit's site (T = never)
    freeze_weeks: int = 0
    paid_hours: float = PAID_HOURS_PER_FTE_WEEK
    efficiency: float = DEFAULT_SCHEDULING_EFFICIENCY
    warnings: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)  # [S] team of each unit, "" for a site unit
    site_max_headcount: dict[str, float] = field(default_factory=dict)  # site planned by team -> its cap
    certification_rows: list[tuple[str, str | None, int]] = field(default_factory=list)
    """(site, team or None, p): the certification rows behind ``certified``, for the checker."""

    @property
    def T(self) -> int:
        return len(self.weeks)

    def team(self, s: int) -> str:
        """Team of unit s ("" for a site unit)."""
        return self.teams[s] if self.teams else ""

    @property
    def units(self) -> list[str]:
        """Unit ids: the site, or ``site/team`` (``planning.teams.unit_id``)."""
        return [unit_id(site, self.team(s)) if self.team(s) else site for s, site in enumerate(self.sites)]

    def unit_key(self, s: int) -> str:
        """Unit s in solver names: ``site=MNL-A`` or ``site=MNL-A,team=JA``."""
        team = self.team(s)
        return f"site={self.sites[s]}" + (f",team={team}" if team else "")

    def unit_label(self, s: int) -> str:
        """Unit s as people name it: 'MNL-A', or 'MNL-A JA team'."""
        team = self.team(s)
        return f"{self.sites[s]} {team} team" if team else self.sites[s]

    def site_units(self) -> dict[str, list[int]]:
        """Site planned by team -> its units (the sites whose cap bounds a sum of teams)."""
        out: dict[str, list[int]] = {}
        for s, site in enumerate(self.sites):
            if site in self.site_max_headcount:
                out.setdefault(site, []).append(s)
        return out

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
    """First week without each unit: a site's exit applies to every unit (team) of it."""
    out = np.full(len(sites), len(weeks), dtype=int)
    for name, when in (site_exit or {}).items():
        if name not in sites:
            continue
        if isinstance(when, (int, np.integer)):
            idx = int(when)
        else:
            idx = int(np.searchsorted(weeks, pd.Timestamp(when).tz_convert("UTC") if pd.Timestamp(when).tzinfo else pd.Timestamp(when, tz="UTC")))
        for s, site in enumerate(sites):
            if site == name:
                out[s] = max(0, min(idx, len(weeks)))
    return out


def build_problem(op: Operation, weekly_volume: pd.DataFrame, *, efficiency: float = DEFAULT_SCHEDULING_EFFICIENCY,
                  growth: float = 0.0, attrition_multiplier: float = 1.0, freeze_weeks: int = 0,
                  site_exit: dict | None = None, supply: dict[str, SiteSupply] | None = None,
                  penalty_multiplier: float = SHORT_PENALTY_MULTIPLIER) -> CapacityProblem:
    """Arrays of the capacity problem.

    weekly_volume : ``week_start, queue, market, volume`` (+ optional ``aht_seconds``)
    growth : uniform volume uplift (0.1 = +10%); attrition_multiplier : scales attrition
    freeze_weeks : hiring freeze from the first week; site_exit : site -> date or week index
    supply : SiteSupply by unit, keyed ``(site, team)`` (``""`` = the site) or by site
        (default: ``supply.supply_units`` of ``op.hiring`` and ``op.teams``)
    """
    warnings: list[str] = []
    if supply is None:
        supply, defaulted = supply_units(getattr(op, "hiring", None), op.sites, getattr(op, "teams", None))
        if defaulted:
            warnings.append("no hiring row for " + ", ".join(defaulted)
                            + ": assumed headcount = contract minimum and default supply parameters")
    supply = {(key if isinstance(key, tuple) else (key, "")): sup for key, sup in supply.items()}
    levers = SupplyLevers(attrition_multiplier, freeze_weeks, None)
    units = sorted(supply)
    sites = [site for site, _ in units]
    teams_of = {(t.site, t.team): t for t in getattr(op, "teams", None) or []}
    frame = demand_hours(weekly_volume, op, efficiency, growth)
    weeks = pd.DatetimeIndex(sorted(frame["week_start"].unique())) if len(frame) else pd.DatetimeIndex([])
    pairs = sorted(set(zip(frame["queue"], frame["market"])))
    pidx = {p: i for i, p in enumerate(pairs)}
    tidx = {w: i for i, w in enumerate(weeks)}
    dem = np.zeros((len(pairs), len(weeks)))
    for q, m, w, h in zip(frame["queue"], frame["market"], frame["week_start"], frame["demand_hours"]):
        dem[pidx[(q, m)], tidx[w]] += h
    site_objs = [op.sites[site] for site in sites]
    unknown = [f"{site}/{team}" for site, team in units if team and (site, team) not in teams_of]
    if unknown:
        raise ValueError("supply for unknown team(s) " + ", ".join(unknown) + ": add them to the teams table")
    team_objs = [teams_of.get(unit) if unit[1] else None for unit in units]
    keep = np.array([1.0 - (s.shrinkage if t is None or t.shrinkage is None else t.shrinkage)
                     for s, t in zip(site_objs, team_objs)])
    cost = np.array([s.hourly_cost if t is None or t.hourly_cost is None else t.hourly_cost
                     for s, t in zip(site_objs, team_objs)])
    base = SHORT_PENALTY_MULTIPLIER if penalty_multiplier is None else penalty_multiplier
    dearest = float(np.max(cost / keep)) if len(sites) else 1.0
    penalty = np.array([base * dearest * priority_weight(op.queues[q].priority) for q, _ in pairs])
    rows = [(c.site, c.team or None, pidx[(c.queue, c.market)]) for c in op.certifications
            if c.site in op.sites and (c.queue, c.market) in pidx]
    certified = sorted({(s, p) for s, (site, team) in enumerate(units) for c_site, c_team, p in rows
                        if c_site == site and (not team or c_team in (None, team))})
    served = {p for _, p in certified}
    orphans = [f"{q}/{m}" for (q, m), i in pidx.items() if i not in served]
    if orphans:
        warnings.append("no site is certified for " + ", ".join(orphans) + ": that demand is always short")
    by_team = sorted({site for site, team in units if team})
    return CapacityProblem(
        weeks=weeks, pairs=pairs, sites=sites, vendors=[s.vendor for s in site_objs],
        supply=[apply_supply_levers(supply[u], levers) for u in units], demand_hours=dem, demand=frame,
        penalty_per_hour=penalty, certified=certified, hourly_cost=cost, keep_share=keep,
        max_headcount=np.array([s.max_headcount if t is None else t.max_headcount
                                for s, t in zip(site_objs, team_objs)], dtype=float),
        min_headcount=np.array([s.min_headcount if t is None else t.min_headcount
                                for s, t in zip(site_objs, team_objs)], dtype=float),
        exit_week=_exit_weeks(site_exit, sites, weeks), freeze_weeks=int(freeze_weeks),
        efficiency=efficiency, warnings=warnings, teams=[team for _, team in units],
        site_max_headcount={site: float(op.sites[site].max_headcount) for site in by_team},
        certification_rows=sorted(set(rows), key=lambda r: (r[0], r[1] or "", r[2])),
    )
