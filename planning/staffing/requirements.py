"""Requirements: productive agents per interval per queue x market from a forecast.

``compute_requirements(op, forecast)`` returns the contract frame (docs/contracts.md)
``timestamp, queue, market, sla_kind, interval_minutes, volume, aht_seconds,
workload_hours, required_agents`` with fractional productive agents, never rounded.

Live queues, ``method="time_varying"`` (default): staffing each interval by stationary
Erlang C on that interval's load misses the target in the intervals just after a peak,
because the work in progress carries over.  We use the *modified offered load*
(Jennings, Mandelbaum, Massey & Whitt 1996; compared with the simulation-based
iterative staffing algorithm in Feldman, Mandelbaum, Massey & Whitt 2008, where both
stabilise performance): the offered load m(t) is the mean number of items in service in
an infinite-server system with the same arrivals,

    dm/dt = lambda(t) - m(t) / AHT    (exact for exponential handle times),

solved in closed form inside each interval (m relaxes towards lambda x AHT with time
constant AHT).  The requirement of interval j is the fewest agents N (fractional) whose
Erlang C service level, averaged over ``SUB_STEPS`` points of the interval (arrivals
are uniform within it) with the load m(t) at each point, meets the target; the ASA
target and the occupancy cap are applied the same way.  After a peak m(t) stays high
for a few AHTs into the next interval, which is exactly the carry-over the stationary
method misses.  ``method="stationary"`` is per-interval Erlang C, for comparison.
Queues with patience: the Erlang C based requirement times the ratio of the exact
Erlang A to the Erlang C stationary requirement at the interval's load
(``abandonment_factor``, interpolated on a grid of loads).

Deferred queues: the least capacity profile meeting "X% within H" (and "all within
H2") from ``planning.staffing.deferred``, converted to agents with the interval's AHT and divided
by the queue's ``max_occupancy`` (the fluid profile has no slack; see docs/staffing.md).
The horizon is treated as periodic: it is repeated ``WARMUP_REPEATS`` times before itself
as a warm-up (only the real horizon is judged against the target, and the ceiling is at
least the mean arrivals so backlog does not grow from period to period), so that the
backlog carried in from before the horizon is staffed
(otherwise the first days look cheap and the last hours' work silently falls after the
horizon).

``attainment_report`` simulates a requirements frame (or a plan) and reports per
interval the simulated service level with its confidence interval and whether the
target was hit.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd

from planning.staffing import deferred

from planning.staffing import erlang as staffing
from planning.domain import Operation, SlaKind

WARMUP_REPEATS = 2  # deferred: copies of the horizon run before it (periodic warm-up)
ABANDONMENT_GRID = 24  # loads at which Erlang A / Erlang C requirements are compared
SUB_STEPS = 12  # points per interval at which the time-varying load is evaluated
_BISECTION_STEPS = 30
INLINE_MODEL = "seasonal_naive_inline"  # model label of the fallback forecast
COLUMNS = ["timestamp", "queue", "market", "sla_kind", "interval_minutes", "volume",
           "aht_seconds", "workload_hours", "required_agents"]


class RequirementsError(ValueError):
    """The forecast or the queues make requirements impossible (message for a planner)."""


# ----------------------------------------------------------------- time-varying live
def modified_offered_load(volume, aht_seconds, interval_minutes, sub_steps=SUB_STEPS):
    """Offered load m(t) [Erlang] at ``sub_steps`` evenly spaced points of each interval.

    volume, aht_seconds : arrays (series x intervals) [items per interval], [s];
    returns (series x intervals x sub_steps).  m starts at the first interval's
    stationary load lambda x AHT."""
    volume = np.atleast_2d(np.asarray(volume, float))
    aht = np.broadcast_to(np.asarray(aht_seconds, float), volume.shape)
    dt = float(interval_minutes) * 60.0
    target = volume * aht / dt  # stationary load lambda x AHT per interval
    decay_full = np.exp(-dt / aht)
    offsets = (np.arange(sub_steps) + 0.5) / sub_steps * dt
    decay = np.exp(-offsets[None, None, :] / aht[:, :, None])
    start = np.empty_like(target)
    m = target[:, 0].copy()
    for j in range(target.shape[1]):
        start[:, j] = m
        m = target[:, j] + (m - target[:, j]) * decay_full[:, j]
    return target[:, :, None] + (start[:, :, None] - target[:, :, None]) * decay


def time_varying_requirements(volume, aht_seconds, interval_minutes, within_seconds, target,
                              asa_seconds=None, max_occupancy=1.0, sub_steps=SUB_STEPS):
    """Fractional agents per interval (series x intervals) meeting the target on average
    over each interval under the modified offered load (see module docstring)."""
    volume = np.atleast_2d(np.asarray(volume, float))
    shape = volume.shape
    aht = np.broadcast_to(np.asarray(aht_seconds, float), shape)
    within = np.broadcast_to(np.asarray(within_seconds, float), shape)
    tgt = np.broadcast_to(np.asarray(target, float), shape)
    occ = np.broadcast_to(np.asarray(max_occupancy, float), shape)
    asa = np.broadcast_to(np.asarray(np.inf if asa_seconds is None else asa_seconds, float), shape)
    loads = modified_offered_load(volume, aht, interval_minutes, sub_steps)
    # The mean service level over the sub-points lies between those at the lightest and
    # the heaviest sub-point load, so the requirement lies between their requirements.
    asa_arg = None if asa_seconds is None else asa
    lo = staffing.required_agents(loads.min(axis=2), aht, within, tgt, asa_seconds=asa_arg)
    hi = staffing.required_agents(loads.max(axis=2), aht, within, tgt, asa_seconds=asa_arg)
    # average occupancy cap: mean load / N <= occ  -> N >= mean load / occ
    lo = np.maximum(lo, loads.mean(axis=2) / occ)
    hi = np.maximum(hi, lo)

    # Bisection on x for the rows whose sub-point requirements differ.  Phase 2: metrics at
    # fractional x interpolate those at floor(x) and floor(x) + 1 (as in staffing), so
    # they are tabulated once per integer in [floor(lo), ceil(hi)] by Erlang B recursion
    # and each bisection step is arithmetic only.
    flat = loads.reshape(-1, loads.shape[-1])
    aht_f, within_f, tgt_f, asa_f = (np.ascontiguousarray(v).ravel() for v in (aht, within, tgt, asa))
    lo, hi = lo.ravel().copy(), hi.ravel().copy()
    rows = np.flatnonzero(hi - lo > 1e-4 * np.maximum(hi, 1.0))
    # phase 1: plain bisection (Erlang B by incomplete gamma) until brackets are < 2 agents
    wide = rows[hi[rows] - lo[rows] > 2.0]
    while wide.size:
        mid = 0.5 * (lo[wide] + hi[wide])
        sub = flat[wide]
        res = staffing.erlang_c(sub, np.broadcast_to(mid[:, None], sub.shape),
                                aht_f[wide][:, None], within_f[wide][:, None])
        ok = res["service_level"].mean(axis=1) >= tgt_f[wide] - 1e-12
        if asa_seconds is not None:
            ok &= res["asa_seconds"].mean(axis=1) <= asa_f[wide] + 1e-9
        hi[wide[ok]] = mid[ok]
        lo[wide[~ok]] = mid[~ok]
        wide = wide[hi[wide] - lo[wide] > 2.0]
    if rows.size:
        sub = flat[rows]
        a_s, w_s = aht_f[rows][:, None], within_f[rows][:, None]
        n0 = np.floor(lo[rows])
        span = int((np.ceil(hi[rows]) - n0).max()) + 1
        sl_tab = np.empty((span + 1,) + sub.shape)
        asa_tab = np.empty_like(sl_tab)
        b = staffing.erlang_b(sub, n0[:, None])
        for j in range(span + 1):
            n = (n0 + j)[:, None]
            _, sl_tab[j], asa_tab[j] = staffing._metrics_int(sub, n, b, a_s, w_s)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                b = np.where(sub > 0, sub * b / (n + 1.0 + sub * b), 0.0)
        pick = np.arange(rows.size)
        r_lo, r_hi = lo[rows], hi[rows]
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (r_lo + r_hi)
            base = np.floor(mid)
            j = np.clip((base - n0).astype(int), 0, span - 1)
            x = mid[:, None]
            zeros = np.zeros_like(sub)
            _, sl, asa_x = staffing._bracket(
                sub, x, base[:, None], base[:, None] + 1.0,
                (zeros, sl_tab[j, pick], asa_tab[j, pick]), (zeros, sl_tab[j + 1, pick], asa_tab[j + 1, pick]))
            ok = sl.mean(axis=1) >= tgt_f[rows] - 1e-12
            if asa_seconds is not None:
                ok &= asa_x.mean(axis=1) <= asa_f[rows] + 1e-9
            r_hi = np.where(ok, mid, r_hi)
            r_lo = np.where(ok, r_lo, mid)
            if np.all(r_hi - r_lo <= 1e-4 * np.maximum(r_hi, 1.0)):
                break
        hi[rows] = r_hi
    hi = hi.reshape(shape)
    return np.where(volume > 0, hi, 0.0)


def abandonment_factor(load, aht_seconds, within_seconds, target, patience_seconds,
                       max_occupancy=1.0, grid_points=ABANDONMENT_GRID):
    """Erlang A requirement / Erlang C requirement at each load (<= 1).

    Exact Erlang A inverses are too slow per interval, so both requirements are computed
    on a log-spaced grid of loads for the queue and the ratio is interpolated in log
    load; live requirements of queues with patience are the Erlang C based requirement
    times this factor."""
    load = np.asarray(load, float)
    positive = load[load > 0]
    if positive.size == 0:
        return np.ones_like(load)
    lo, hi = positive.min(), positive.max()
    grid = np.geomspace(lo, hi, grid_points) if hi > lo * 1.0001 else np.array([lo])
    need_a = staffing.required_agents(grid, aht_seconds, within_seconds, target,
                                      max_occupancy=max_occupancy, patience=patience_seconds)
    need_c = staffing.required_agents(grid, aht_seconds, within_seconds, target,
                                      max_occupancy=max_occupancy)
    ratio = np.minimum(1.0, need_a / need_c)
    if grid.size == 1:
        return np.where(load > 0, ratio[0], 1.0)
    return np.where(load > 0, np.interp(np.log(np.maximum(load, lo)), np.log(grid), ratio), 1.0)


# ----------------------------------------------------------------- frames
def _prepare(op: Operation, forecast: pd.DataFrame) -> pd.DataFrame:
    needed = {"timestamp", "queue", "market", "forecast"}
    missing = needed - set(forecast.columns)
    if missing:
        raise RequirementsError(f"the forecast frame lacks columns: {', '.join(sorted(missing))}")
    frame = forecast.drop_duplicates(["queue", "market", "timestamp"], keep="first").copy()
    unknown = sorted(set(frame["queue"]) - set(op.queues))
    if unknown:
        raise RequirementsError(f"the forecast has queues not in the queues table: {', '.join(unknown)}")
    volume = pd.to_numeric(frame["forecast"], errors="coerce").clip(lower=0.0)
    if volume.isna().any():
        raise RequirementsError("the forecast has missing or non-numeric values")
    frame["volume"] = volume.astype(float)
    default_aht = frame["queue"].map({k: q.aht_seconds for k, q in op.queues.items()}).astype(float)
    if "aht_seconds" in frame.columns:
        aht = pd.to_numeric(frame["aht_seconds"], errors="coerce")
        frame["aht_seconds"] = aht.where(aht > 0, default_aht).fillna(default_aht)
    else:
        frame["aht_seconds"] = default_aht
    return frame.sort_values(["queue", "market", "timestamp"]).reset_index(drop=True)


def _segments(times: pd.Series, interval_minutes: int) -> np.ndarray:
    """Segment id per row: a new segment starts after a gap in the grid."""
    step = pd.Timedelta(minutes=interval_minutes)
    gaps = times.diff().ne(step)
    return gaps.cumsum().to_numpy()


def compute_requirements(op: Operation, forecast: pd.DataFrame,
                         method: str = "time_varying") -> pd.DataFrame:
    """Required productive agents per interval per queue x market (contract frame)."""
    if method not in ("time_varying", "stationary"):
        raise RequirementsError("method must be 'time_varying' or 'stationary'")
    interval = op.settings.interval_minutes
    frame = _prepare(op, forecast)
    frame["interval_minutes"] = interval
    frame["workload_hours"] = frame["volume"] * frame["aht_seconds"] / 3600.0
    required = np.zeros(len(frame))
    kinds = []
    for (queue, market), rows in frame.groupby(["queue", "market"], sort=False):
        q = op.queues[queue]
        idx = rows.index.to_numpy()
        kinds.append((idx, q.sla_kind.value))
        for seg in np.unique(_segments(rows["timestamp"], interval)):
            part = idx[_segments(rows["timestamp"], interval) == seg]
            vol = frame.loc[part, "volume"].to_numpy()
            aht = frame.loc[part, "aht_seconds"].to_numpy()
            required[part] = _series_requirement(q, vol, aht, interval, method)
    frame["required_agents"] = required
    frame["sla_kind"] = ""
    for idx, kind in kinds:
        frame.loc[idx, "sla_kind"] = kind
    return frame[COLUMNS].reset_index(drop=True)


# Per-series results kept in the process: a requirement is a pure function of the
# series' volume and AHT and of the queue's SLA fields, so a scenario that changes one
# queue recomputes only that queue's series (the deferred bisection is the slow part).
_SERIES_CACHE: "OrderedDict[tuple, np.ndarray]" = OrderedDict()
_SERIES_CACHE_SIZE = 1024


def _series_key(q, volume, aht, interval, method) -> tuple:
    digest = hashlib.blake2b(np.ascontiguousarray(volume, float).tobytes(), digest_size=16)
    digest.update(np.ascontiguousarray(aht, float).tobytes())
    fields = tuple(getattr(q, name, None) for name in (
        "sla_kind", "sla_target", "sla_within_seconds", "sla_within_hours",
        "sla_rest_within_hours", "patience_seconds", "max_occupancy"))
    return (digest.hexdigest(), volume.size, float(interval), method, fields, WARMUP_REPEATS)


def _series_requirement(q, volume, aht, interval, method) -> np.ndarray:
    key = _series_key(q, volume, aht, interval, method)
    cached = _SERIES_CACHE.get(key)
    if cached is not None:
        _SERIES_CACHE.move_to_end(key)
        return cached.copy()
    need = np.asarray(_series_requirement_uncached(q, volume, aht, interval, method), float)
    _SERIES_CACHE[key] = need.copy()
    while len(_SERIES_CACHE) > _SERIES_CACHE_SIZE:
        _SERIES_CACHE.popitem(last=False)
    return need


def _series_requirement_uncached(q, volume, aht, interval, method) -> np.ndarray:
    try:
        if q.sla_kind is SlaKind.live:
            load = staffing.offered_load(volume, aht, interval)
            if method == "stationary":
                need = staffing.required_agents(load, aht, q.sla_within_seconds, q.sla_target,
                                                max_occupancy=q.max_occupancy)
            else:
                need = time_varying_requirements(volume[None, :], aht[None, :], interval,
                                                 q.sla_within_seconds, q.sla_target,
                                                 max_occupancy=q.max_occupancy)[0]
            if q.patience_seconds is not None:
                need = need * abandonment_factor(load, float(np.mean(aht)), q.sla_within_seconds,
                                                 q.sla_target, q.patience_seconds, q.max_occupancy)
            return need
        # Warm-up: the horizon repeated twice before itself (periodic assumption), so the
        # backlog carried in from before the horizon is worked too and the backlog carried
        # out at its end is about what came in.
        warm = WARMUP_REPEATS * volume.size
        extended = np.concatenate([np.tile(volume, WARMUP_REPEATS), volume])
        capacity, _ = deferred.least_capacity_profile(
            extended, interval, q.sla_within_hours, q.sla_target, q.sla_rest_within_hours,
            judge_from=warm, min_ceiling=float(volume.mean()) if volume.size else 0.0)
        fluid = deferred.agents_from_capacity(capacity[warm:], aht, interval)
        # Stochastic floor: the agents carry a load of ``fluid`` Erlangs; few agents at
        # high occupancy queue far longer than the fluid model says, so they must also
        # meet the target as a stationary Erlang C queue with deadline H.
        floor = staffing.required_agents(fluid, aht, q.sla_within_hours * 3600.0, q.sla_target)
        return np.maximum(fluid / q.max_occupancy, floor)
    except (staffing.UnreachableTarget, deferred.DeferredTargetError) as exc:
        raise RequirementsError(f"queue '{q.queue}': {exc}") from None


def seasonal_naive_forecast(op: Operation, weeks: int) -> pd.DataFrame:
    """Weekly seasonal naive forecast: the last full week of history, repeated."""
    minutes = op.settings.interval_minutes
    step = pd.Timedelta(minutes=minutes)
    per_week = 7 * 24 * 60 // minutes
    end = op.history_end
    future = pd.date_range(end, periods=weeks * per_week, freq=step)
    parts = []
    for (queue, market), rows in op.volume.groupby(["queue", "market"]):
        series = rows.set_index("timestamp")["volume"].astype(float)
        last_week = series.reindex(pd.date_range(end - per_week * step, periods=per_week, freq=step))
        values = last_week.fillna(0.0).to_numpy()
        repeated = pd.Series(list(values) * weeks, index=future)
        parts.append(pd.DataFrame({"timestamp": future, "queue": queue, "market": market,
                                   "model": INLINE_MODEL, "forecast": repeated.to_numpy()}))
    frame = pd.concat(parts, ignore_index=True)
    for col in ("lo_80", "hi_80", "lo_95", "hi_95"):
        frame[col] = frame["forecast"]
    return frame


# ----------------------------------------------------------------- attainment
def attainment_report(op: Operation, requirements: pd.DataFrame, agents_column="required_agents",
                      replications=10, seed=None, shift_end="overtime") -> pd.DataFrame:
    """Per interval: the service level predicted by the stationary formula and the one
    simulated (mean, CI over replications), and whether the target was hit.

    ``hit``: the simulated mean reaches the target; ``hit_ci``: the target is not
    above the upper confidence limit (not significantly missed)."""
    from planning.simulation import simulate_staffing

    frame = requirements.copy()
    sim = simulate_staffing(frame, op, replications=replications, seed=seed,
                            agents_column=agents_column, shift_end=shift_end)
    out = frame.merge(sim, on=["timestamp", "queue", "market"], how="left")
    target = out["queue"].map({k: q.sla_target for k, q in op.queues.items()})
    live = out["sla_kind"] == SlaKind.live.value
    predicted = np.full(len(out), np.nan)
    if live.any():
        within = out.loc[live, "queue"].map({k: q.sla_within_seconds for k, q in op.queues.items()})
        predicted[live.to_numpy()] = staffing.service_level(
            out.loc[live, "volume"].to_numpy(), out.loc[live, "aht_seconds"].to_numpy(),
            out.loc[live, agents_column].to_numpy(), within.to_numpy(float),
            op.settings.interval_minutes)
    out["predicted_service_level"] = predicted
    out["target"] = target
    has = out["simulated_service_level"].notna()
    out["hit"] = np.where(has, out["simulated_service_level"] >= out["target"], True)
    out["hit_ci"] = np.where(has, out["sl_hi"].fillna(out["simulated_service_level"]) >= out["target"],
                             True)
    return out
