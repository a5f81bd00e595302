"""The cheapest action that would fix one run of unmet demand, priced from the model.

``Remedies(op, requirements, plan)`` holds what the planner knew: the shift instances of
every team (``planning.shiftplan.model._shift_instances``, the same costs, covers and night
premium), shrinkage per interval, the caps of teams and sites, and the plan's headcount
per team and local date.  ``Remedies.advice(queue, market, a, b, short)`` then tries, for
every certified team, every shift instance touching the run: the fewest whole agents
that cover the run's peak (after shrinkage; on a severe queue only the wellness share of
their time counts), bounded by the room left under the team's daily cap, the site's
daily cap over all its teams, the weekly agent-day cap (5 x cap per full week) and any
scenario cap.  The cheapest instance that covers the whole run wins; if none can, the one
covering most of it, and the limits that stop the rest are named once each.

The price is what the planner would pay (agents x the instance's cost); the shortfall's
charge is the penalty the planner weighed it against (agent-hours x the pair's penalty).
A fix dearer than the charge is why the planner left the shortfall; a cheaper one means
the solve stopped before finding it (a time limit or gap).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.shiftplan.model import (SHORTFALL_PENALTY_FACTOR, WORKING_DAYS_PER_WEEK, _shift_instances,
                                      _shrinkage, horizon_days)
from planning.teams import unit_column, unit_operation

TOLERANCE = 1e-6


def money(x: float, currency: str) -> str:
    return f"{currency} {x:,.0f}"


def agents_text(n: float) -> str:
    n = int(round(n))
    return f"{n:,} agent{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Fix:
    """Add ``agents`` to ``shift`` of ``unit`` on ``date_local``: ``price`` [currency];
    ``covered`` / ``short`` agent-hours of the run it covers / the run's total."""

    unit: str
    label: str
    shift: str
    date_local: object
    start_local: str
    end_local: str
    agents: int
    price: float
    covered: float
    short: float

    @property
    def whole(self) -> bool:
        return self.covered >= self.short - 1e-3


class Remedies:
    def __init__(self, op: Operation, requirements: pd.DataFrame, plan):
        self.source = op
        self.op, self.index = unit_operation(op)
        self.currency = op.settings.currency
        minutes = int(requirements["interval_minutes"].iloc[0])
        ts = pd.DatetimeIndex(requirements["timestamp"]).tz_convert("UTC")
        self.times = pd.date_range(ts.min(), ts.max(), freq=f"{minutes}min")
        self.hours = minutes / 60.0
        mode = getattr(getattr(plan, "options", None), "horizon_mode", "cyclic")
        cyclic = mode == "cyclic" and horizon_days(self.times) is not None
        self.instances = _shift_instances(self.op, self.times, minutes, cyclic)
        self.shrinkage = _shrinkage(self.op, self.times)
        days = horizon_days(self.times) or 0
        self.full_weeks = days // 7
        self.heads = defaultdict(float)  # (unit, date) and ("site", site, date)
        self.agent_days = defaultdict(float)  # unit -> agent-days in the horizon
        shifts = plan.shifts
        if shifts is not None and len(shifts):
            units = unit_column(shifts, self.index)
            for unit, site, day, h in zip(units, shifts["site"], shifts["date_local"], shifts["headcount"]):
                self.heads[(unit, day)] += h
                self.heads[("site", site, day)] += h
                self.agent_days[unit] += h
        dearest = max((s.hourly_cost * (1 + s.night_premium) / (1 - s.shrinkage)
                       for s in self.op.sites.values()), default=1.0) or 1.0
        self.dearest = dearest

    def penalty(self, queue: str) -> float:
        """The planner's charge per agent-hour short on ``queue`` (``build_model``)."""
        return SHORTFALL_PENALTY_FACTOR * (10 - self.op.queues[queue].priority) * self.dearest

    # ------------------------------------------------------------------ room
    def _room(self, unit: str, day, start, end) -> tuple[float, str | None]:
        """Agents the unit could still add on local ``day``, and the limit if it is 0."""
        site = self.index.site_of(unit)
        team_cap = self.op.sites[unit].max_headcount
        label = self.index.label(unit)
        limits = [(team_cap - self.heads[(unit, day)], f"{label} is at its cap of {team_cap:,}")]
        if self.index.has_teams(site):
            cap = self.source.sites[site].max_headcount
            limits.append((cap - self.heads[("site", site, day)], f"{site} is at its cap of {cap:,} (all its teams)"))
        if self.full_weeks:
            week = WORKING_DAYS_PER_WEEK * team_cap * self.full_weeks
            limits.append((week - self.agent_days[unit],
                           f"{label} has used its {WORKING_DAYS_PER_WEEK} x {team_cap:,} agent-days a week"))
        scenario = _scenario_cap(self.source, site, start, end)
        if scenario is not None:
            limits.append((scenario - self.heads[(unit, day)], f"{label} is limited to {scenario:,} agents then "
                           "(scenario adjustment)"))
        room, why = min(limits, key=lambda item: item[0])
        return max(0.0, math.floor(room + TOLERANCE)), (why if room < 1 - TOLERANCE else None)

    # ------------------------------------------------------------------ advice
    def fixes(self, queue: str, market: str, a: int, b: int, short: np.ndarray) -> tuple[list[Fix], list[str]]:
        """Every feasible fix of the run [a, b] (cheapest first) and the limits met."""
        window = np.arange(a, b + 1)
        need = np.asarray(short, dtype=float)[window]
        total = float(need.sum() * self.hours)
        certified = self.op.certified_sites(queue, market)
        share = self.op.settings.wellness_severe_share_max if self.op.queues[queue].severe else 1.0
        start, end = self.times[a], self.times[b] + pd.Timedelta(hours=self.hours)
        fixes, limits, touched = [], [], set()
        for x in self.instances:
            if x.site not in certified:
                continue
            per_agent = np.array([x.cover.get(int(t), 0.0) * (1 - self.shrinkage[x.site][t]) * share for t in window])
            if per_agent.max() <= TOLERANCE:
                continue
            touched.add(x.site)
            room, why = self._room(x.site, x.date_local, start, end)
            if why is not None:
                limits.append(why)
                continue
            useful = per_agent > TOLERANCE
            agents = min(room, math.ceil(float((need[useful] / per_agent[useful]).max()) - TOLERANCE))
            covered = float(np.minimum(need, agents * per_agent).sum() * self.hours)
            if agents <= 0 or covered <= TOLERANCE:
                continue
            end_local = (pd.Timestamp.combine(x.date_local, x.start_local)
                         + pd.Timedelta(hours=x.paid_hours)).strftime("%H:%M")
            fixes.append(Fix(x.site, self.index.label(x.site), x.shift, x.date_local,
                             x.start_local.strftime("%H:%M"), end_local, int(agents), agents * x.cost,
                             covered, total))
        for unit in certified:
            if unit not in touched:
                limits.append(f"{self.index.label(unit)} has no shift covering these hours")
        fixes.sort(key=lambda f: (not f.whole, f.price if f.whole else -f.covered, f.price))
        return fixes, list(dict.fromkeys(limits))

    def advice(self, queue: str, market: str, a: int, b: int, short: np.ndarray) -> str:
        """One sentence or two: the cheapest fix and its price, or why nothing can."""
        if not self.op.certified_sites(queue, market):
            return "no site is certified for it; certify a team for it (Data page, certifications)"
        fixes, limits = self.fixes(queue, market, a, b, short)
        blocked = "; ".join(limits)
        who = "team" if any(self.index.has_teams(self.index.site_of(u))
                            for u in self.op.certified_sites(queue, market)) else "site"
        if not fixes:
            return f"no certified {who} has room: {blocked}" if limits else f"no certified {who} can add agents then"
        best = fixes[0]
        charge = best.covered * self.penalty(queue)
        what = (f"add {agents_text(best.agents)} to {best.label}'s {best.shift} shift "
                f"({best.start_local}-{best.end_local} local) on {best.date_local:%a %d %b}: "
                f"+{money(best.price, self.currency)}")
        if not best.whole:
            what += (f", which covers {best.covered:,.1f} of the {best.short:,.1f} agent-hours short"
                     + (f" (the rest: {blocked})" if blocked else ""))
        if best.price > charge + TOLERANCE:
            why = (f"the planner left it short because that costs more than the "
                   f"{money(charge, self.currency)} it charges for the shortfall "
                   f"(priority {self.op.queues[queue].priority})")
        else:
            why = (f"cheaper than the {money(charge, self.currency)} charged for the shortfall: "
                   "a longer solve (time limit or gap) should find it")
        return f"cheapest fix: {what}; {why}"


def _scenario_cap(op: Operation, site: str, start, end) -> int | None:
    adj = op.site_adjustments
    if adj is None or not len(adj) or "max_headcount" not in adj:
        return None
    caps = [row["max_headcount"] for row in adj[adj["site"] == site].to_dict("records")
            if row.get("max_headcount") is not None and not pd.isna(row["max_headcount"])
            and pd.Timestamp(row["start"]) < end and pd.Timestamp(row["end"]) > start]
    return int(min(caps)) if caps else None
