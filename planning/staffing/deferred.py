"""Deferred (backlog) work: "X% of items actioned within H hours" for a FIFO backlog.

Fluid FIFO model, exact for piecewise-constant rates: in interval j items arrive
uniformly at ``arrivals[j] / interval`` and the staff can handle ``capacity[j] /
interval`` items per unit time (capacity [items per interval] = productive agents x
interval seconds / AHT seconds).  The queue is work-conserving: when the backlog is
empty, items are handled as they arrive.  Cumulative arrivals A(t) and departures D(t)
are piecewise linear; an item at cumulative level y arrives at A^-1(y) and leaves at
D^-1(y) (FIFO), so its delay is piecewise linear in y and the share meeting a deadline
is computed exactly segment by segment.

Items still waiting at the end of the horizon are *censored*: counted as missed if they
have already waited longer than the deadline, otherwise left out of the share (their
fate depends on capacity after the horizon).  ``initial_backlog`` items are waiting at
t = 0 with age 0.

``least_capacity_profile`` returns the capacity profile with the lowest peak that meets
the target: the staff works at a ceiling K whenever there is backlog and handles
arrivals as they come otherwise, ``capacity[j] = min(K, backlog[j] + arrivals[j])``; the
least K meeting "X% within H" (and "all within H2" when given) is found by bisection
(the share is monotone in K because D(t) is).  Each K is judged with a drain period
after the horizon (no arrivals, same ceiling) so that no backlog is hidden as censored.  Minimising the peak is what sets
headcount; below the peak, capacity is only used while there is work.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_EPS = 1e-9  # relative offset used to take one-sided limits at breakpoints
_BISECTION_STEPS = 40


class DeferredTargetError(ValueError):
    """The deferred target cannot be met or the inputs make no sense."""


@dataclass
class BacklogEvaluation:
    """``intervals``: per interval ``arrivals, capacity, handled, backlog`` (items at the
    interval end), ``oldest_age_hours`` (at the interval end), ``share_within`` (share of
    that interval's arrivals handled within H, NaN when all are censored),
    ``share_within_rest`` (within H2 when given), ``censored`` (items of unknown fate).
    ``share_within`` / ``share_within_rest``: over the horizon (known outcomes)."""

    intervals: pd.DataFrame
    share_within: float
    share_within_rest: float
    max_backlog: float
    max_oldest_age_hours: float


def capacity_from_agents(agents, aht_seconds, interval_minutes):
    """Items per interval that ``agents`` productive agents can handle."""
    return np.asarray(agents, float) * float(interval_minutes) * 60.0 / np.asarray(aht_seconds, float)


def agents_from_capacity(capacity, aht_seconds, interval_minutes):
    """Productive agents needed to handle ``capacity`` items per interval."""
    return np.asarray(capacity, float) * np.asarray(aht_seconds, float) / (float(interval_minutes) * 60.0)


def _curves(arrivals, capacity, dt, initial_backlog):
    """Knots (times, levels) of the cumulative arrival and departure curves, and the
    backlog at each interval end."""
    n = arrivals.size
    t_a = np.concatenate([[0.0, 0.0], (np.arange(n) + 1) * dt])
    y_a = np.concatenate([[0.0, initial_backlog], initial_backlog + np.cumsum(arrivals)])
    t_d, y_d = [0.0], [0.0]
    backlog_end = np.empty(n)
    b, d = float(initial_backlog), 0.0
    for j in range(n):
        a, c, t0 = arrivals[j], capacity[j], j * dt
        if b > 0 and c > a:
            tau = b / (c - a) * dt  # backlog empties at t0 + tau
            if tau < dt:
                d += c * tau / dt
                t_d.append(t0 + tau)
                y_d.append(d)
                d += a * (dt - tau) / dt
                b = 0.0
            else:
                d += c
                b += a - c
        elif b > 0 or c < a:
            d += c
            b = b + a - c
        else:  # empty and enough capacity: handled on arrival
            d += a
        b = max(b, 0.0)
        t_d.append(t0 + dt)
        y_d.append(d)
        backlog_end[j] = b
    return t_a, y_a, np.array(t_d), np.array(y_d), backlog_end


def _inverse(levels, knots_y, knots_t, side):
    """Time at which a nondecreasing piecewise-linear curve reaches ``levels``;
    ``side='left'``: first time (left limit across flat parts), 'right': last time."""
    if side == "left":
        idx = np.searchsorted(knots_y, levels, side="left")
    else:
        idx = np.searchsorted(knots_y, levels, side="right") - 1
    idx = np.clip(idx, 1 if side == "left" else 0, knots_y.size - (1 if side == "left" else 2))
    i0 = idx - 1 if side == "left" else idx
    i1 = i0 + 1
    y0, y1, t0, t1 = knots_y[i0], knots_y[i1], knots_t[i0], knots_t[i1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(y1 > y0, (levels - y0) / (y1 - y0), 0.0 if side == "left" else 1.0)
    return t0 + np.clip(f, 0, 1) * (t1 - t0)


def evaluate_backlog(arrivals, capacity, interval_minutes, within_hours, rest_within_hours=None,
                     initial_backlog=0.0) -> BacklogEvaluation:
    """Evaluate a capacity profile for a FIFO backlog (see module docstring).

    arrivals : items per interval;  capacity : items the staff can handle per interval
    (``capacity_from_agents``);  within_hours : deadline H [h];  rest_within_hours : H2 [h]."""
    arrivals = np.asarray(arrivals, float)
    capacity = np.broadcast_to(np.asarray(capacity, float), arrivals.shape)
    if np.any(arrivals < 0) or np.any(capacity < 0) or initial_backlog < 0:
        raise DeferredTargetError("arrivals, capacity and backlog must be >= 0")
    if within_hours <= 0:
        raise DeferredTargetError("the deadline must be > 0 hours")
    dt = float(interval_minutes) * 60.0
    n = arrivals.size
    horizon = n * dt
    t_a, y_a, t_d, y_d, backlog = _curves(arrivals, capacity, dt, float(initial_backlog))
    total = y_a[-1]
    deadlines = [within_hours * 3600.0]
    if rest_within_hours is not None:
        deadlines.append(rest_within_hours * 3600.0)
    levels = np.unique(np.concatenate([y_a, y_d]))
    levels = levels[levels <= total]
    per_interval = {k: np.zeros(n + 1) for k in ("met0", "met1", "known0", "known1", "cens")}
    if total > 0 and levels.size > 1:
        lo, hi = levels[:-1], levels[1:]
        width = hi - lo
        keep = width > 0
        lo, hi, width = lo[keep], hi[keep], width[keep]
        p0, p1 = lo + _EPS * width, hi - _EPS * width
        d_end = y_d[-1]
        arr0 = _inverse(p0, y_a, t_a, "left")
        arr1 = _inverse(p1, y_a, t_a, "left")
        done = hi <= d_end * (1 + 1e-12) + 1e-12
        dep0 = np.where(done, _inverse(p0, y_d, t_d, "left"), np.inf)
        dep1 = np.where(done, _inverse(p1, y_d, t_d, "left"), np.inf)
        mid_arrival = 0.5 * (arr0 + arr1)
        group = np.where(hi <= initial_backlog, n, np.minimum((mid_arrival // dt).astype(int), n - 1))
        for k, deadline in enumerate(deadlines):
            d0, d1 = dep0 - arr0, dep1 - arr1
            met = np.where(done, _share_below(d0, d1, deadline), 0.0) * width
            # censored segments: missed if already older than the deadline at the end
            age0, age1 = horizon - arr0, horizon - arr1
            missed_cens = np.where(done, 0.0, 1.0 - _share_below(age0, age1, deadline)) * width
            known = np.where(done, width, missed_cens)
            per_interval[f"met{k}"] = np.bincount(group, met, minlength=n + 1)
            per_interval[f"known{k}"] = np.bincount(group, known, minlength=n + 1)
            if k == 0:
                per_interval["cens"] = np.bincount(group, width - known, minlength=n + 1)
    # age of the oldest waiting item at each interval end
    ends = (np.arange(n) + 1) * dt
    departed = np.interp(ends, t_d, y_d)
    oldest_arrival = _inverse(np.minimum(departed + _EPS * max(total, 1.0), total), y_a, t_a, "left")
    oldest = np.where(backlog > _EPS * max(total, 1.0), ends - oldest_arrival, 0.0) / 3600.0
    with np.errstate(invalid="ignore", divide="ignore"):
        share = per_interval["met0"][:n] / per_interval["known0"][:n]
        share_rest = (per_interval["met1"][:n] / per_interval["known1"][:n]
                      if rest_within_hours is not None else np.full(n, np.nan))
    handled = np.diff(np.interp(np.concatenate([[0.0], ends]), t_d, y_d))
    frame = pd.DataFrame({"arrivals": arrivals, "capacity": capacity, "handled": handled,
                          "backlog": backlog, "oldest_age_hours": oldest, "share_within": share,
                          "share_within_rest": share_rest, "censored": per_interval["cens"][:n]})

    def overall(k):
        known = per_interval[f"known{k}"].sum()
        return float(per_interval[f"met{k}"].sum() / known) if known > 0 else float("nan")

    return BacklogEvaluation(frame, overall(0),
                             overall(1) if rest_within_hours is not None else float("nan"),
                             float(backlog.max(initial=0.0)), float(oldest.max(initial=0.0)))


def _share_below(v0, v1, limit):
    """Share of u in [0, 1] where v0 + u (v1 - v0) <= limit (v linear in u)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = (limit - v0) / (v1 - v0)
    rising = np.where(v1 > v0, np.clip(cross, 0, 1), 0.0)
    falling = np.where(v1 < v0, 1.0 - np.clip(cross, 0, 1), 0.0)
    flat = np.where(v0 <= limit, 1.0, 0.0)
    out = np.where(v1 > v0, rising, np.where(v1 < v0, falling, flat))
    return np.where(np.isinf(v0) | np.isinf(v1), np.where((v0 <= limit) & (v1 <= limit), 1.0, 0.0), out)


def capped_profile(arrivals, ceiling, initial_backlog=0.0):
    """capacity[j] = min(ceiling, backlog[j] + arrivals[j]): work at the ceiling while
    there is backlog, handle arrivals as they come otherwise."""
    arrivals = np.asarray(arrivals, float)
    out = np.empty_like(arrivals)
    b = float(initial_backlog)
    for j, a in enumerate(arrivals):
        out[j] = min(ceiling, b + a)
        b = b + a - out[j]
    return out


def _judged_share(ev: BacklogEvaluation, column: str, start: int) -> float:
    frame = ev.intervals.iloc[start:]
    known = frame["arrivals"] - frame["censored"]
    total = known.sum()
    return float((frame[column].fillna(0.0) * known).sum() / total) if total > 0 else float("nan")


def least_capacity_profile(arrivals, interval_minutes, within_hours, target,
                           rest_within_hours=None, initial_backlog=0.0, judge_from=0,
                           min_ceiling=0.0):
    """The lowest-peak capacity profile [items per interval] meeting "``target`` of items
    within ``within_hours``" (and all within ``rest_within_hours`` when given).

    judge_from : intervals before this index are a warm-up, not judged;  min_ceiling :
    lower bound on the ceiling K [items per interval] (e.g. the mean arrivals, so that a
    periodic horizon does not build backlog from one period to the next).
    Returns (capacity array, BacklogEvaluation)."""
    arrivals = np.asarray(arrivals, float)
    if not 0 < target <= 1:
        raise DeferredTargetError("the deferred target must be a share in (0, 1]")
    if within_hours <= 0 or (rest_within_hours is not None and rest_within_hours < within_hours):
        raise DeferredTargetError("deadlines must be > 0 and the rest deadline >= the first")
    if np.any(arrivals < 0) or not np.all(np.isfinite(arrivals)):
        raise DeferredTargetError("arrivals must be finite and >= 0")

    # judge each ceiling with a drain period after the horizon (no arrivals, same
    # ceiling) so the items left at the end have a known fate instead of being censored
    drain = int(np.ceil((rest_within_hours or within_hours) * 60.0 / float(interval_minutes))) + 1
    padded = np.concatenate([arrivals, np.zeros(drain)])

    def meets(ceiling):
        ev = evaluate_backlog(padded, capped_profile(padded, ceiling, initial_backlog),
                              interval_minutes, within_hours, rest_within_hours, initial_backlog)
        if judge_from:
            share = _judged_share(ev, "share_within", judge_from)
            rest = (_judged_share(ev, "share_within_rest", judge_from)
                    if rest_within_hours is not None else float("nan"))
        else:
            share, rest = ev.share_within, ev.share_within_rest
        ok = not (share < target - 1e-9)
        if rest_within_hours is not None:
            ok = ok and not (rest < 1.0 - 1e-9)
        return ok, ev

    hi = float(max(arrivals.max(initial=0.0) + initial_backlog, min_ceiling))
    if hi <= 0:
        zero = np.zeros_like(arrivals)
        return zero, evaluate_backlog(arrivals, zero, interval_minutes, within_hours,
                                      rest_within_hours, initial_backlog)
    ok, best = meets(hi)
    if not ok:  # only possible when the initial backlog is already too old to save
        raise DeferredTargetError("no capacity profile meets the deferred target")
    lo = float(min_ceiling)
    if meets(lo)[0] and lo > 0:
        hi = lo
    for _ in range(_BISECTION_STEPS):
        if hi <= lo:
            break
        mid = 0.5 * (lo + hi)
        ok, ev = meets(mid)
        if ok:
            hi, best = mid, ev
        else:
            lo = mid
        if hi - lo <= 1e-4 * hi:
            break
    profile = capped_profile(arrivals, hi, initial_backlog)
    return profile, evaluate_backlog(arrivals, profile, interval_minutes, within_hours,
                                     rest_within_hours, initial_backlog)
