"""Seeded discrete-event simulation of one FIFO queue worked by a time-varying staff.

The model (one queue x market):

* arrivals: Poisson with a rate constant within each interval (``arrivals`` items per
  interval), times uniform within the interval;
* handle times: exponential (``service="exponential"``) or lognormal with a given
  coefficient of variation, mean = the AHT of the item's arrival interval;
* FIFO; with ``patience_seconds`` each item abandons after an exponential patience if
  it has not started by then;
* staffing: ``agents[j]`` productive agents during interval j.  A fractional value
  k + f means, with ``fractional="split"``, k agents all interval plus one agent for
  the first share f of the interval (an agent whose shift ends mid-interval); with
  ``fractional="random"`` (default) k + 1 agents all interval with probability f, else
  k, drawn per replication and interval (unbiased, and no bias towards the start of the
  interval, which "split" has in ramp-ups).  When staffing drops, the agents whose
  shift ends are a random subset of those on shift: idle ones leave at once, busy ones
  finish their current item first (overtime; they never drop work and never take a
  new item).  The agents who stay keep working; when staffing rises, new agents start
  on the queue.  That is ``shift_end="overtime"`` (default, how shifts work).
  ``shift_end="pool"`` is the M_t/M/s_t convention of the time-varying queueing
  literature: when the staffing level drops, idle agents leave and then the first busy
  agents to finish, so the new level counts agents still busy with carried-over work
  (harsher after a peak);
* after the last interval the last staffing stays on until the queue is empty
  (``drain=True``); items never started are counted as not answered.

``simulate_queue`` runs independent replications (seed, seed + 1, ...) and returns
per-interval and per-day service level with confidence intervals over replications,
plus backlog and age of the oldest waiting item at each interval end (for deferred
work).  Service level of an interval = items arriving in it that were answered within
``within_seconds`` / items arriving in it (abandoned items count as not met).

Own engine rather than simpy for speed; agents are interchangeable.  Two engines run
the same model on the same random draws: ``engine="fifo"`` (default) handles one item
per Python step (start = max(arrival, earliest free agent on shift), a heap of the
agents' free times, staffing changes applied in time order); ``engine="events"`` is the
original event-by-event engine (a heap of service ends and busy/idle counters), kept as
the reference the tests pin the fast one to.  ciw was not used: its server schedules take every server off at each
change, which overstates capacity (see issue 4).
"""
from __future__ import annotations

import heapq
import math
import random
import warnings
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # t quantiles; scipy.stats costs ~1 s to import

CONFIDENCE = 0.95  # confidence level of the intervals over replications
_DRAIN_LIMIT_INTERVALS = 10_000  # stop draining after this many extra intervals


@dataclass
class SimulationResult:
    """``intervals``: one row per interval with ``offered`` (mean items), ``service_level``,
    ``sl_lo``, ``sl_hi`` (CI over replications), ``p_abandon``, ``asa_seconds``,
    ``backlog`` and ``oldest_age_seconds`` at the interval end (means over replications).
    ``days``: one row per day (``intervals_per_day`` intervals) with ``service_level``,
    ``sl_lo``, ``sl_hi``.  ``replication_sl``: array (replications x intervals)."""

    intervals: pd.DataFrame
    days: pd.DataFrame
    replication_sl: np.ndarray
    overall_sl: float
    overall_lo: float
    overall_hi: float


def _mean_ci(samples: np.ndarray, axis: int = 0):
    """Mean and t-based CI over replications along ``axis`` (NaN-aware)."""
    count = np.sum(~np.isnan(samples), axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no arrivals)
        mean = np.nanmean(samples, axis=axis)
        sd = np.nanstd(samples, axis=axis, ddof=1) if samples.shape[axis] > 1 else np.zeros_like(mean)
        half = stdtrit(np.maximum(count - 1, 1), 0.5 + CONFIDENCE / 2) * sd / np.sqrt(count)
    half = np.where(count > 1, half, np.nan)
    return mean, mean - half, mean + half


def _staffing_events(agents, interval_s, drain):
    """(time, target) staffing changes; the partial agent of a fractional interval leaves
    after its share of the interval; after the last interval the last staffing drains."""
    n_int = agents.size
    events = []
    for j in range(n_int):
        whole = math.floor(agents[j] + 1e-9)
        frac = agents[j] - whole
        events.append((j * interval_s, whole + (1 if frac > 1e-9 else 0)))
        if frac > 1e-9:
            events.append((j * interval_s + frac * interval_s, whole))
    last = math.floor(agents[-1] + 1e-9) if n_int else 0
    events.append((n_int * interval_s, last if drain else 0))
    return events


def _draw_items(rng, arrivals, agents, interval_s, aht, patience, service, cv, fractional):
    """Per-replication random inputs shared by both engines (same draws, same order)."""
    n_int = arrivals.size
    if fractional == "random":
        whole = np.floor(agents + 1e-9)
        agents = whole + (rng.uniform(size=n_int) < agents - whole)
    counts = rng.poisson(arrivals)
    item_interval = np.repeat(np.arange(n_int), counts)
    # uniform times within each interval, sorted: intervals are disjoint, so one sort
    times = np.sort(item_interval * interval_s + rng.uniform(0.0, interval_s, item_interval.size))
    means = aht[item_interval]
    if service == "exponential":
        handle = rng.exponential(means)
    else:
        sigma2 = math.log(1.0 + cv * cv)
        handle = rng.lognormal(np.log(means) - sigma2 / 2.0, math.sqrt(sigma2))
    give_up = times + (rng.exponential(patience, times.size) if patience else np.inf)
    return agents, times, item_interval, handle, give_up


def _event_replication(rng, arrivals, agents, interval_s, aht, patience, service, cv, drain,
                       fractional="random", shift_end="overtime"):
    """Reference engine: one event at a time (arrivals, service ends, staffing changes)."""
    agents, times, item_interval, handle, give_up = _draw_items(
        rng, arrivals, agents, interval_s, aht, patience, service, cv, fractional)
    n_int = arrivals.size
    start = np.full(times.size, np.inf)
    abandoned = np.zeros(times.size, bool)
    events = _staffing_events(agents, interval_s, drain)

    heap: list[float] = []  # service end times
    # agents on shift (busy or idle), busy agents on shift, busy agents whose shift has
    # ended and who are finishing their current item before leaving
    on_duty = busy_on = busy_leaving = 0
    queue: deque[int] = deque()
    ev_i = 0
    ar_i = 0
    horizon_end = n_int * interval_s + _DRAIN_LIMIT_INTERVALS * interval_s

    def start_next(now):
        nonlocal busy_on
        while queue:
            item = queue.popleft()
            if give_up[item] < now:
                abandoned[item] = True
                continue
            start[item] = now
            busy_on += 1
            heapq.heappush(heap, now + handle[item])
            return True
        return False

    while True:
        t_arr = times[ar_i] if ar_i < times.size else math.inf
        t_ev = events[ev_i][0] if ev_i < len(events) else math.inf
        t_end = heap[0] if heap else math.inf
        now = min(t_arr, t_ev, t_end)
        if now == math.inf or now > horizon_end:
            break
        if t_ev == now:  # staffing change first at ties
            target = events[ev_i][1]
            ev_i += 1
            if target < on_duty:
                if shift_end == "overtime":
                    # the agents whose shift ends are a random subset of those on shift: the
                    # idle ones leave now, the busy ones finish their current item first
                    busy_out = int(rng.hypergeometric(busy_on, on_duty - busy_on, on_duty - target)) \
                        if busy_on else 0
                else:  # "pool": idle agents leave first, then the first busy ones to finish
                    busy_out = max(0, (on_duty - target) - (on_duty - busy_on))
                busy_on -= busy_out
                busy_leaving += busy_out
                on_duty = target
            else:
                on_duty = target
                while busy_on < on_duty and start_next(now):
                    pass
        elif t_end == now:
            heapq.heappop(heap)
            # which busy agent finished: memoryless handle times make it uniform
            if busy_leaving and (shift_end == "pool"
                                 or rng.uniform() * (busy_on + busy_leaving) < busy_leaving):
                busy_leaving -= 1
            else:
                busy_on -= 1
                start_next(now)
        else:
            item = ar_i
            ar_i += 1
            queue.append(item)
            if busy_on < on_duty:
                start_next(now)
        if ar_i >= times.size and not queue and ev_i >= len(events) and not heap:
            break
    # items still queued when the loop stops: abandoned if patience ran out, else unserved
    for item in queue:
        if give_up[item] < math.inf:
            abandoned[item] = True
    return times, item_interval, start, abandoned, give_up


def _fifo_replication(rng, arrivals, agents, interval_s, aht, patience, service, cv, drain,
                      fractional="random", shift_end="overtime"):
    """Fast engine, same model: items in arrival order, each starting at
    max(arrival, earliest time an agent on shift is free) -- exact for FIFO with
    interchangeable agents (the Kiefer-Wolfowitz recursion on a heap of agents' free
    times).  Staffing changes are applied, in time order, as soon as the next item
    could start at or after them (ties: staffing first, as in the event engine): new
    agents are free at the change; when staffing drops, a uniformly random subset of
    the agents on shift leaves ("overtime": a busy leaver still finishes the item it
    holds) or the agents free soonest leave ("pool").  One Python step per item instead
    of one per event, no per-event bookkeeping."""
    agents, times, item_interval, handle, give_up = _draw_items(
        rng, arrivals, agents, interval_s, aht, patience, service, cv, fractional)
    events = _staffing_events(agents, interval_s, drain)
    n = times.size
    horizon_end = arrivals.size * interval_s + _DRAIN_LIMIT_INTERVALS * interval_s
    picker = random.Random(int(rng.integers(2**63)))  # which agents' shifts end
    overtime = shift_end == "overtime"
    inf = math.inf
    # after the last change, "the next change" is the drain limit: nobody starts later
    ev_times = [t for t, _ in events] + [horizon_end]
    ev_targets = [k for _, k in events]
    n_ev = len(events)
    state = [0, ev_times[0]]  # index of the next staffing change, its time
    # heap of the times each agent on shift is (or was) free, plus an inf sentinel so
    # that free[0] always exists (inf: nobody on shift)
    free: list[float] = [inf]

    def advance(a):
        """Apply the staffing changes due before the item arriving at ``a`` can start;
        its start time, or None if nobody can start it before the drain limit."""
        while True:
            s = free[0]
            if a > s:
                s = a
            ev_i, t_ev = state
            if s < t_ev:
                return s
            if ev_i == n_ev:
                return None
            target = ev_targets[ev_i]
            on = len(free) - 1
            if target > on:
                free.extend([t_ev] * (target - on))  # new agents, free at the change
                heapq.heapify(free)
            elif target < on:
                if overtime:  # a random subset leaves; busy ones finish their item first
                    free.remove(inf)
                    for k in sorted(picker.sample(range(on), on - target), reverse=True):
                        free[k] = free[-1]
                        free.pop()
                    free.append(inf)
                    heapq.heapify(free)
                else:  # "pool": idle agents leave, then the first busy ones to finish
                    for _ in range(on - target):
                        heapq.heappop(free)
            state[0] = ev_i + 1
            state[1] = ev_times[ev_i + 1]

    starts: list[float] = []  # per item in arrival order; NaN = abandoned
    push = starts.append
    heapreplace = heapq.heapreplace
    next_ev = state[1]
    if patience:
        for a, h, g in zip(times.tolist(), handle.tolist(), give_up.tolist()):
            s = free[0]
            if a > s:
                s = a
            if s >= next_ev:
                s = advance(a)
                next_ev = state[1]
                if s is None:
                    break
            if g < s:
                push(math.nan)
                continue
            push(s)
            heapreplace(free, s + h)
    else:
        for a, h in zip(times.tolist(), handle.tolist()):
            s = free[0]
            if a > s:
                s = a
            if s >= next_ev:
                s = advance(a)
                next_ev = state[1]
                if s is None:
                    break
            push(s)
            heapreplace(free, s + h)
    done = len(starts)
    start = np.full(n, np.inf)
    start[:done] = starts
    abandoned = np.isnan(start)
    start[abandoned] = np.inf
    # items never started: abandoned if patience ran out, else unserved
    abandoned[done:] = np.isfinite(give_up[done:])
    return times, item_interval, start, abandoned, give_up


_ENGINES = {"fifo": _fifo_replication, "events": _event_replication}


def simulate_queue(arrivals, agents, interval_minutes, aht_seconds, within_seconds,
                   patience_seconds=None, replications=10, seed=0, service="exponential",
                   cv=1.0, drain=True, intervals_per_day=None,
                   fractional="random", shift_end="overtime", engine="fifo") -> SimulationResult:
    """Simulate ``replications`` runs of one queue; see the module docstring.

    arrivals : expected items per interval (array);  agents : productive agents per
    interval (fractional allowed);  aht_seconds : AHT [s], scalar or per interval;
    within_seconds : deadline [s] (live T, or deferred H x 3600);  patience_seconds :
    mean patience [s] or None;  intervals_per_day : for the per-day table (default
    24 h / interval);  fractional : "random" or "split";  shift_end : "overtime" or
    "pool" (see module docstring);  engine : "fifo" (fast) or "events" (reference)."""
    arrivals = np.asarray(arrivals, float)
    agents = np.broadcast_to(np.asarray(agents, float), arrivals.shape)
    aht = np.broadcast_to(np.asarray(aht_seconds, float), arrivals.shape)
    if np.any(arrivals < 0) or np.any(agents < 0) or np.any(aht <= 0):
        raise ValueError("arrivals and agents must be >= 0 and AHT > 0")
    if shift_end not in ("overtime", "pool"):
        raise ValueError("shift_end must be 'overtime' or 'pool'")
    if fractional not in ("random", "split"):
        raise ValueError("fractional must be 'random' or 'split'")
    if service not in ("exponential", "lognormal"):
        raise ValueError("service must be 'exponential' or 'lognormal'")
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {sorted(_ENGINES)}")
    replicate = _ENGINES[engine]
    interval_s = float(interval_minutes) * 60.0
    n_int = arrivals.size
    per_day = intervals_per_day or max(1, int(round(24 * 60 / float(interval_minutes))))
    n_days = math.ceil(n_int / per_day)
    boundaries = (np.arange(n_int) + 1) * interval_s
    sl = np.full((replications, n_int), np.nan)
    ab = np.full((replications, n_int), np.nan)
    asa = np.full((replications, n_int), np.nan)
    offered = np.zeros((replications, n_int))
    backlog = np.zeros((replications, n_int))
    oldest = np.zeros((replications, n_int))
    day_sl = np.full((replications, n_days), np.nan)
    total_sl = np.full(replications, np.nan)
    for r in range(replications):
        rng = np.random.default_rng(seed + r)
        times, idx, start, abandoned, give_up = replicate(
            rng, arrivals, agents, interval_s, aht, patience_seconds, service, cv, drain,
            fractional, shift_end)
        wait = start - times
        met = (~abandoned) & (wait <= within_seconds + 1e-9)
        n_off = np.bincount(idx, minlength=n_int).astype(float)
        offered[r] = n_off
        with np.errstate(invalid="ignore", divide="ignore"):
            sl[r] = np.bincount(idx, met, minlength=n_int) / n_off
            ab[r] = np.bincount(idx, abandoned, minlength=n_int) / n_off
            served = np.isfinite(start) & ~abandoned
            asa[r] = np.bincount(idx[served], wait[served], minlength=n_int) / np.bincount(
                idx[served], minlength=n_int)
        day = idx // per_day
        with np.errstate(invalid="ignore", divide="ignore"):
            day_sl[r] = np.bincount(day, met, minlength=n_days) / np.bincount(day, minlength=n_days)
        total_sl[r] = met.mean() if met.size else np.nan
        # backlog at each interval end: arrived, not started, not yet abandoned
        left_at = np.where(abandoned, give_up, start)
        arrived = np.searchsorted(times, boundaries, side="right")
        ordered = left_at if np.all(left_at[1:] >= left_at[:-1]) else np.sort(left_at)  # FIFO: sorted
        gone = np.searchsorted(ordered, boundaries, side="right")
        backlog[r] = arrived - gone
        waiting_first = _oldest_waiting(times, left_at, boundaries)
        oldest[r] = np.where(backlog[r] > 0, boundaries - waiting_first, 0.0)
    mean, lo, hi = _mean_ci(sl)
    intervals = pd.DataFrame({
        "interval": np.arange(n_int), "offered": offered.mean(0), "service_level": mean,
        "sl_lo": lo, "sl_hi": hi, "p_abandon": np.nanmean(ab, 0) if patience_seconds else 0.0,
        "asa_seconds": _nanmean(asa), "backlog": backlog.mean(0),
        "oldest_age_seconds": oldest.mean(0), "agents": agents,
    })
    d_mean, d_lo, d_hi = _mean_ci(day_sl)
    days = pd.DataFrame({"day": np.arange(n_days), "service_level": d_mean, "sl_lo": d_lo,
                         "sl_hi": d_hi})
    o_mean, o_lo, o_hi = _mean_ci(total_sl[:, None])
    return SimulationResult(intervals, days, sl, float(o_mean[0]), float(o_lo[0]), float(o_hi[0]))


def _nanmean(values):
    with np.errstate(invalid="ignore"):
        count = np.sum(~np.isnan(values), 0)
        return np.where(count > 0, np.nansum(values, 0) / np.maximum(count, 1), np.nan)


def _oldest_waiting(times, left_at, boundaries):
    """Arrival time of the oldest item still waiting at each boundary (inf if none).

    Item i waits at boundary b when times[i] <= b < left_at[i].  With the items in
    arrival order, the oldest waiting at boundary j is the first i among those arrived
    with last_j[i] > j, where last_j[i] = number of boundaries before left_at[i]; the
    first such i is found on the running maximum of last_j (exact, also when abandonment
    makes left_at non-monotone)."""
    out = np.full(boundaries.size, np.inf)
    if not times.size:
        return out
    if np.any(np.diff(times) < 0):
        order = np.argsort(times, kind="stable")
        times, left_at = times[order], left_at[order]
    last_j = np.searchsorted(boundaries, left_at, side="left")
    running = np.maximum.accumulate(last_j)
    first = np.searchsorted(running, np.arange(boundaries.size), side="right")
    arrived = np.searchsorted(times, boundaries, side="right")
    found = first < arrived
    out[found] = times[first[found]]
    return out


def simulate_staffing(frame: pd.DataFrame, op, replications=10, seed=None,
                      agents_column="agents", shift_end="overtime", engine="fifo") -> pd.DataFrame:
    """Simulate a staffing (or shift-plan allocation) frame per queue x market.

    frame : ``timestamp, queue, market, volume, <agents_column>`` (+ optional
    ``aht_seconds``), one row per interval on the operation's grid.  Each queue's SLA
    and patience come from ``op.queues``.  Returns ``timestamp, queue, market,
    simulated_service_level, sl_lo, sl_hi, backlog_items`` per interval."""
    interval = op.settings.interval_minutes
    seed = op.settings.random_seed if seed is None else seed
    parts = []
    for (queue, market), rows in frame.sort_values("timestamp").groupby(["queue", "market"]):
        q = op.queues[queue]
        aht = rows["aht_seconds"].to_numpy(float) if "aht_seconds" in rows else q.aht_seconds
        res = simulate_queue(rows["volume"].to_numpy(float), rows[agents_column].to_numpy(float),
                             interval, aht, q.deadline_seconds, q.patience_seconds,
                             replications=replications, seed=seed, shift_end=shift_end,
                             engine=engine)
        parts.append(pd.DataFrame({
            "timestamp": rows["timestamp"].to_numpy(), "queue": queue, "market": market,
            "simulated_service_level": res.intervals["service_level"].to_numpy(),
            "sl_lo": res.intervals["sl_lo"].to_numpy(), "sl_hi": res.intervals["sl_hi"].to_numpy(),
            "backlog_items": res.intervals["backlog"].to_numpy(),
        }))
    if not parts:
        return pd.DataFrame(columns=["timestamp", "queue", "market", "simulated_service_level",
                                     "sl_lo", "sl_hi", "backlog_items"])
    return pd.concat(parts, ignore_index=True)
