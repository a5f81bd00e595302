"""Does a lever touch anything in the plan's horizon?

A lever dated outside the horizon, or naming a site, team, queue x market the operation
does not plan, changes nothing: the scenario returns the baseline to the cent.  The
page warns before the run and the run result says so (``lever_reach`` / ``reach_warnings``).

The horizon (``plan_horizon``) is where the pipeline plans: it starts where the history
ends (``Operation.history_end``), or at ``PlanSettings.start`` when that is later, and runs
``weeks`` weeks from the history's end (``planning.pipeline.run_pipeline`` forecasts from
there and drops the days before ``start``).  Dates are UTC; ends are exclusive.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from planning.domain import ALL, Operation

INSIDE, PARTIAL, OUTSIDE, NOTHING = "inside", "partial", "outside", "nothing"


@dataclass(frozen=True)
class Horizon:
    """The planned period ``[start, end)`` (UTC)."""

    start: pd.Timestamp
    end: pd.Timestamp

    def label(self) -> str:
        return span(self.start, self.end)


@dataclass(frozen=True)
class Reach:
    """What a lever touches in a horizon.

    status : ``inside`` (all of it applies), ``partial`` (part of its dates fall in the
        horizon), ``outside`` (its dates miss the horizon), ``nothing`` (it names nothing
        the plan has: a site without work, a pair without volume)
    message : one sentence for a planner (empty when ``inside``)
    """

    status: str
    message: str = ""

    @property
    def touches(self) -> bool:
        return self.status in (INSIDE, PARTIAL)


def _utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def plan_horizon(op: Operation, weeks: int, start: dt.date | pd.Timestamp | None = None) -> Horizon:
    """The horizon ``run_pipeline`` plans for ``weeks`` weeks and a first day ``start``."""
    first = op.history_end
    end = first + pd.Timedelta(days=7 * int(weeks))
    if start is not None:
        first = max(first, _utc(start))
    return Horizon(first, end)


def lever_date_defaults(op: Operation, weeks: int, start=None) -> dict[str, dt.date]:
    """Default dates of a new lever's date fields: inside the horizon (``start`` and
    ``week_start`` = its first day, ``end`` = its end, exclusive)."""
    h = plan_horizon(op, weeks, start)
    return {"start": h.start.date(), "week_start": h.start.date(), "end": h.end.date()}


def span(start, end) -> str:
    """'Nov 16–30' / 'Nov 28–Dec 2' / '2026-12-30–2027-01-03' (end exclusive, UTC)."""
    a, b = _utc(start), _utc(end)
    clock = lambda t: f" {t:%H:%M}" if (t.hour or t.minute) else ""  # noqa: E731
    if a.year != b.year:
        return f"{a:%Y-%m-%d}{clock(a)}–{b:%Y-%m-%d}{clock(b)}"
    if a.month == b.month and not clock(a) and not clock(b):
        return f"{a:%b} {a.day}–{b.day}"
    return f"{a:%b} {a.day}{clock(a)}–{b:%b} {b.day}{clock(b)}"


def _name(lever) -> str:
    kind = lever.kind
    if kind == "site_outage":
        return f"{lever.site} outage"
    if kind == "site_cap":
        return f"{lever.site} cap of {lever.max_headcount:,} agents"
    if kind == "surge":
        return f"Surge '{lever.event}'"
    if kind == "training":
        return "Training" + ("" if lever.site == ALL else f" at {lever.site}")
    return kind.replace("_", " ").capitalize().replace("Aht", "AHT")


def _dates(lever) -> tuple[pd.Timestamp | None, pd.Timestamp | None] | None:
    """The lever's UTC date range (None ends = open), or None for an undated lever."""
    if lever.kind == "training":
        begin = _utc(lever.week_start)
        return begin, begin + pd.Timedelta(days=7)
    if lever.kind == "aht_change":
        return _utc(lever.start), None
    if "start" in type(lever).model_fields and "end" in type(lever).model_fields:
        return (None if lever.start is None else _utc(lever.start),
                None if lever.end is None else _utc(lever.end))
    return None


def _scope_problem(lever, op: Operation) -> str | None:
    """Why the lever's site / team / queue x market is not in the plan, or None."""
    fields = type(lever).model_fields
    site = getattr(lever, "site", ALL) if "site" in fields and isinstance(getattr(lever, "site", None), str) else ALL
    if site != ALL and site not in op.sites and lever.kind != "add_site":
        return f"site {site} is not in this operation (known: {', '.join(sorted(op.sites))})"
    vendor = getattr(lever, "vendor", ALL) if "vendor" in fields else ALL
    if vendor != ALL and vendor not in op.vendors:
        return f"vendor {vendor} is not in this operation (known: {', '.join(op.vendors)})"
    if "team" in fields:
        teams = sorted(t.team for t in op.teams if t.site == lever.site)
        if lever.team not in teams:
            return (f"site {lever.site} has no team {lever.team} (its teams: {', '.join(teams)})" if teams
                    else f"site {lever.site} has no teams table rows, so no team {lever.team}")
    queue = getattr(lever, "queue", ALL) if "queue" in fields else ALL
    market = getattr(lever, "market", ALL) if "market" in fields else ALL
    if queue != ALL and queue not in op.queues:
        return f"queue {queue} is not in this operation"
    if market != ALL and market not in op.markets:
        return f"market {market} is not in this operation"
    if lever.touches_forecast and (queue != ALL or market != ALL):
        pairs = op.pairs
        if not any((queue in (ALL, q)) and (market in (ALL, m)) for q, m in pairs):
            return f"no volume for queue {queue} in market {market}: there is nothing to scale"
    return None


def lever_reach(lever, op: Operation, horizon: Horizon) -> Reach:
    """Whether ``lever`` touches anything in ``horizon`` (dates, sites, teams, queues)."""
    problem = _scope_problem(lever, op)
    if problem:
        return Reach(NOTHING, f"{_name(lever)}: {problem}: it changes nothing.")
    dates = _dates(lever)
    if dates is None:
        return Reach(INSIDE)
    begin, end = dates
    if begin is None and end is None:  # open at both ends: the whole horizon
        return Reach(INSIDE)
    lo = horizon.start if begin is None else max(begin, horizon.start)
    hi = horizon.end if end is None else min(end, horizon.end)
    when = span(begin, end) if begin is not None and end is not None else (
        f"from {span(begin, begin + pd.Timedelta(days=1)).split('–')[0]}" if begin is not None
        else f"until {end:%b} {end.day}")
    if hi <= lo:
        return Reach(OUTSIDE, f"{_name(lever)} {when} (end exclusive) is outside the plan horizon "
                              f"{horizon.label()}: it changes nothing.")
    if (begin is not None and begin < horizon.start) or (end is not None and end > horizon.end):
        return Reach(PARTIAL, f"{_name(lever)} {when} (end exclusive) is only partly in the plan horizon "
                              f"{horizon.label()}: only {span(lo, hi)} is planned.")
    return Reach(INSIDE)


def reach_warnings(levers, op: Operation, horizon: Horizon) -> list[str]:
    """The messages of the levers that touch nothing or only part of their dates, in order."""
    out = []
    for k, lever in enumerate(levers, 1):
        r = lever_reach(lever, op, horizon)
        if r.message:
            out.append(f"Lever {k}: {r.message}")
    return out
