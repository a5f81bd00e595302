"""The shift planner's MIP: its data (shift instances, decisions, variables) and the grid (built by
:mod:`planning.shiftplan.build`; solved by :mod:`planning.shiftplan.planner`).

Units: agents are productive agents (after shrinkage) present in an interval; work is in
hours of handling; ``interval_hours`` is the grid step in hours; cost is currency.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp

from planning.domain import Operation, Site
from planning.inputs import shift_utc_coverage, shift_utc_span

# Shortfall penalty per agent-hour = factor x (10 - priority) x the dearest productive
# agent-hour of the operation: priority 1 is worth 36x the dearest hour, priority 9 4x.
# High enough that covering a thin peak with a whole shift is preferred (a 9 h shift for
# one half-hour is 18x), low enough to keep the LP well scaled.
SHORTFALL_PENALTY_FACTOR = 4.0
# Agents working a shift on one day count once against the site's daily headcount; a
# contract week is five working days per agent.
WORKING_DAYS_PER_WEEK = 5
EPS = 1e-9
# Horizon modes (``PlanOptions.horizon_mode``): "cyclic" plans the week as the pattern that
# repeats week after week (steady state: the backlog, deadlines and shifts wrap from the
# horizon's end to its start); "open" starts with an empty backlog and leaves work due
# after the horizon to whoever plans next (a re-plan from a real backlog).
# "backlog": a re-plan from a real backlog (``planning.monitor.intraday.replan_from_now``):
# open at the start (the waiting items are in the first interval's work), and at the end
# a terminal rule: every item arriving in the horizon is done by its end (what is not is
# late, penalised), so a horizon shorter than a deadline cannot leave its work to nobody.
HORIZON_MODES = ("cyclic", "open", "backlog")
# Deferred queues whose deadline is at most this many hours (1-hour child safety, violent
# extremism) get their stochastic requirement as a floor on their agents per interval:
# the fluid backlog model would let a few agents at full occupancy carry the work, but so
# short a deadline leaves no room for the queueing of a small team (the requirement's
# Erlang C floor with deadline H, ``planning.staffing.requirements``).  Longer deadlines
# pool work over many intervals and the fluid model is close.
SHORT_DEADLINE_FLOOR_HOURS = 2.0


@dataclass
class ShiftInstance:
    """One site-local shift template on one local date, mapped onto the UTC grid."""

    site: str
    shift: str
    date_local: dt.date
    start_local: dt.time
    paid_hours: float
    cover: dict[int, float]  # interval index -> share of the interval covered (0-1]
    cost: float  # cost of one agent for the covered part of the horizon [currency]
    paid_hours_in_horizon: float
    night_hours_in_horizon: float


@dataclass
class Decision:
    """One integer decision: agents on a set of shift instances (a day shift or a tour)."""

    name: str
    site: str
    shift: str
    instances: list[int]
    week: int | None = None
    first_day: dt.date | None = None


@dataclass
class PlanModel:
    solver: pywraplp.Solver
    op: Operation
    times: pd.DatetimeIndex
    interval_hours: float
    pairs: list[tuple[str, str]]
    instances: list[ShiftInstance]
    decisions: list[Decision]
    decision_vars: list
    agents: dict  # (site, queue, market, t) -> var
    short: dict  # (queue, market, t) -> var   live shortfall [agents]
    late: dict  # (queue, market, t) -> var    deferred late work [work hours]
    backlog: dict  # (queue, market, t) -> var [work hours]
    required: dict  # (queue, market) -> np.ndarray required agents per interval
    workload: dict  # (queue, market) -> np.ndarray work hours arriving per interval
    shrinkage: dict  # site -> np.ndarray shrinkage per interval
    penalty: dict  # (queue, market) -> penalty per agent-hour short
    cyclic: bool = False  # steady state: backlog, deadlines and shifts wrap (see HORIZON_MODES)
    terminal: bool = False  # "backlog" mode: all work arriving in the horizon is done by its end
    dropped: dict = field(default_factory=dict)  # (queue, market) -> var: work not done per cycle [work hours]
    floor_short: dict = field(default_factory=dict)  # (queue, market, t) -> var: agents below a short-deadline floor
    # simulation cuts (planning.shiftplan.loop): (queue, market, t) -> at least this many
    # productive agents on the pair, from a simulation that found the plan short there
    cuts: dict = field(default_factory=dict)
    cut_short: dict = field(default_factory=dict)  # (queue, market, t) -> var: agents below a cut
    cost_terms: list = field(default_factory=list)
    penalty_terms: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Teams (planning.teams): ``op`` above is the operation per planning unit (one "site"
    # per team; the operation itself without teams), ``source_op`` the one given, and
    # ``teams`` maps units to their site and team.
    teams: object = None  # planning.teams.TeamIndex
    source_op: Operation | None = None

    def site_of(self, unit: str) -> str:
        """The site of a planning unit (a team's site; a site without teams is its own unit)."""
        return self.teams.site_of(unit) if self.teams is not None else unit

    @cached_property
    def _tnames(self) -> list[str]:
        return [_tname(x) for x in self.times]

    def tname(self, t: int) -> str:
        """The name of interval ``t`` in variable and row names (formatted once per model:
        formatting pandas timestamps 300k times was a third of the build on 12x60x2)."""
        return self._tnames[t]

    values: np.ndarray | None = None  # solution value per solver variable index

    def value(self, var) -> float:
        return float(self.values[var.index()])

    # --- helpers shared by the constraint functions -----------------------------------
    def productive(self, site: str, t: int):
        """Linear expression: productive agents of ``site`` in interval ``t``."""
        terms = self._site_cover[site].get(t, ())
        keep = 1.0 - self.shrinkage[site][t]
        return self.solver.Sum([var * (share * keep) for var, share in terms])

    def on_duty(self, site: str, t: int):
        """Linear expression: agents of ``site`` on shift (any part) in interval ``t``."""
        return self.solver.Sum([var for var, _ in self._site_cover[site].get(t, ())])

    def site_pairs(self, site: str) -> list[tuple[str, str]]:
        return self._site_pairs.get(site, [])

    def pattern_date(self, site: str, day: dt.date) -> dt.date:
        """The day of the repeating pattern a local date belongs to: itself in open mode;
        in cyclic mode local dates one horizon apart are the same day (a horizon starting
        at 08:00 local has a partial first and last local day that are one day)."""
        return pattern_date(self.op.sites[site].timezone, day, self.times, self.cyclic)


def horizon_days(times: pd.DatetimeIndex) -> int | None:
    """Whole days in the horizon (None if it is not a whole number of days)."""
    length = times[-1] + times.freq - times[0]
    days, rest = divmod(length, pd.Timedelta(days=1))
    return int(days) if days > 0 and rest == pd.Timedelta(0) else None


def pattern_date(tz: str, day: dt.date, times: pd.DatetimeIndex, cyclic: bool) -> dt.date:
    """See ``PlanModel.pattern_date``."""
    days = horizon_days(times) if cyclic else None
    if not days:
        return day
    first = times[0].tz_convert(tz).date()
    return first + dt.timedelta(days=(day - first).days % days)


def _tname(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%MZ")


# --------------------------------------------------------------------------- instances
def _night_share(site: Site, local_start: dt.datetime, minutes: float) -> float:
    """Share of ``minutes`` from ``local_start`` (wall time) inside the site's local night."""
    if site.night_start == site.night_end or minutes <= 0:
        return 0.0
    steps = max(1, int(round(minutes / 5)))
    night = 0
    for k in range(steps):
        clock = (local_start + dt.timedelta(minutes=(k + 0.5) * minutes / steps)).time()
        if site.night_start < site.night_end:
            night += site.night_start <= clock < site.night_end
        else:
            night += clock >= site.night_start or clock < site.night_end
    return night / steps


def _shift_instances(op: Operation, times: pd.DatetimeIndex, interval_minutes: int,
                     cyclic: bool = False) -> list[ShiftInstance]:
    """Every shift template on every local date that touches the horizon.  Open mode: dates
    from the local date before the horizon start (carry-in shifts) to that of its end, each
    covering and charged for its part inside the horizon.  Cyclic mode: only the instances
    starting inside the horizon; the part past its end covers the horizon's first intervals
    (the same shift in the next repeat of the pattern), and all of it is paid."""
    index = {ts: i for i, ts in enumerate(times)}
    first, last = times[0], times[-1] + pd.Timedelta(minutes=interval_minutes)
    length = last - first
    out = []
    for template in op.shifts:
        site = op.sites.get(template.site)
        if site is None:
            continue
        d0 = first.tz_convert(site.timezone).date() - dt.timedelta(days=1)
        d1 = last.tz_convert(site.timezone).date()
        day = d0
        while day <= d1:
            if cyclic and not first <= shift_utc_span(day, template.start, template.paid_hours,
                                                      site.timezone)[0] < last:
                day += dt.timedelta(days=1)
                continue
            cover, paid, night = {}, 0.0, 0.0
            for start_utc, minutes in shift_utc_coverage(day, template.start, template.paid_hours,
                                                         site.timezone, interval_minutes):
                i = index.get(start_utc)
                if i is None and cyclic:  # past the horizon end: the next repeat's start
                    i = index.get(start_utc - length * ((start_utc - first) // length))
                if i is None:
                    continue
                cover[i] = cover.get(i, 0.0) + minutes / interval_minutes
                paid += minutes / 60.0
                wall = start_utc.tz_convert(site.timezone).tz_localize(None).to_pydatetime()
                night += minutes / 60.0 * _night_share(site, wall, interval_minutes)
            if cover:
                cost = site.hourly_cost * (paid + site.night_premium * night)
                out.append(ShiftInstance(site.site, template.shift, day, template.start,
                                         template.paid_hours, cover, cost, paid, night))
            day += dt.timedelta(days=1)
    return out


def _decisions(instances: list[ShiftInstance], weekly_tours: bool, tour_days: int,
               horizon_start: pd.Timestamp, op: Operation,
               times: pd.DatetimeIndex | None = None, cyclic: bool = False) -> list[Decision]:
    if not weekly_tours:
        return [Decision(f"headcount[site={x.site},shift={x.shift},date={x.date_local}]",
                         x.site, x.shift, [i]) for i, x in enumerate(instances)]
    if cyclic and times is not None and horizon_days(times):
        return _cyclic_tours(instances, tour_days, times, op)
    by_day = {(x.site, x.shift, x.date_local): i for i, x in enumerate(instances)}
    out = []
    for site, shift in sorted({(x.site, x.shift) for x in instances}):
        tz = op.sites[site].timezone
        week0 = horizon_start.tz_convert(tz).date()
        dates = sorted(x.date_local for x in instances if x.site == site and x.shift == shift)
        n_weeks = max(1, math.ceil(((dates[-1] - week0).days + 1) / 7))
        for w in range(-1 if dates[0] < week0 else 0, n_weeks):
            for d in range(7):
                first_day = week0 + dt.timedelta(days=7 * w + d)
                members = [by_day[(site, shift, first_day + dt.timedelta(days=k))]
                           for k in range(tour_days)
                           if (site, shift, first_day + dt.timedelta(days=k)) in by_day]
                if members:
                    out.append(Decision(f"tour[site={site},shift={shift},first_day={first_day}]",
                                        site, shift, members, w, first_day))
    return out


def _cyclic_tours(instances: list[ShiftInstance], tour_days: int, times: pd.DatetimeIndex,
                  op: Operation) -> list[Decision]:
    """Tours on the repeating pattern: a tour starting on the pattern's last days wraps to
    its first days (the same agents' next week), one tour per site, shift and pattern day."""
    days = horizon_days(times)
    by_day: dict = {}
    for i, x in enumerate(instances):
        day = pattern_date(op.sites[x.site].timezone, x.date_local, times, True)
        by_day.setdefault((x.site, x.shift, day), []).append(i)
    out = []
    for site, shift in sorted({(x.site, x.shift) for x in instances}):
        week0 = times[0].tz_convert(op.sites[site].timezone).date()
        for d in range(days):
            first_day = week0 + dt.timedelta(days=d)
            members = [i for k in range(min(tour_days, days))
                       for i in by_day.get((site, shift, week0 + dt.timedelta(days=(d + k) % days)), [])]
            if members:
                out.append(Decision(f"tour[site={site},shift={shift},first_day={first_day}]",
                                    site, shift, members, d // 7, first_day))
    return out


def _shrinkage(op: Operation, times: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    out = {s: np.full(len(times), site.shrinkage) for s, site in op.sites.items()}
    adj = op.site_adjustments
    if adj is not None and len(adj) and "shrinkage" in adj:
        for row in adj.itertuples(index=False):
            if row.site in out and row.shrinkage is not None and not pd.isna(row.shrinkage):
                mask = (times >= pd.Timestamp(row.start)) & (times < pd.Timestamp(row.end))
                out[row.site][np.asarray(mask)] = float(row.shrinkage)
    return out


def _grid(requirements: pd.DataFrame, interval_minutes: int) -> pd.DatetimeIndex:
    ts = pd.DatetimeIndex(requirements["timestamp"]).tz_convert("UTC")
    return pd.date_range(ts.min(), ts.max(), freq=f"{interval_minutes}min")
