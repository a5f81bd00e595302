"""Queueing maths for live work: Erlang B, Erlang C (M/M/N) and Erlang A (M/M/N+M).

All functions are pure and vectorised over numpy arrays (they broadcast their
arguments).  Units are in the names: ``aht_seconds`` [s], ``within_seconds`` [s],
``interval_minutes`` [min], ``load`` [Erlang] = volume x AHT / interval length.

Numerics (stable from 0.01 to 10,000 Erlangs, never ``A**N / N!``):

* Erlang B at integer N uses the regularised upper incomplete gamma function,
  ``B(N, A) = pmf_Poisson(N; A) / Q(N + 1, A)`` (``sum_{k<=N} A^k e^-A / k! = Q(N+1, A)``,
  Abramowitz & Stegun 6.5.13), with the Poisson pmf in log space.  Where ``Q``
  underflows (N far below A) the series ``1/B = sum_j N!/((N-j)! A^j)`` converges fast
  and is used instead.  Upward steps use the classic recursion
  ``B(n) = A B(n-1) / (n + A B(n-1))`` (Koole, *Call Center Optimization*, 2013, ch. 5).
* Erlang C from B: ``C = N B / (N - A (1 - B))`` for N > A, 1 otherwise.
  Service level ``SL(t) = 1 - C exp(-(N - A) t / AHT)``, ``ASA = C AHT / (N - A)``,
  occupancy ``A / N`` (Gans, Koole & Mandelbaum 2003, section 4.1).
* Fractional agents: metrics at ``x`` agents interpolate linearly between
  ``floor(x)`` and ``ceil(x)`` agents (think of the extra agent working a share
  ``x - floor(x)`` of the interval); occupancy is exactly ``min(1, A / x)``.
  ``required_agents`` returns the fractional x at which the interpolated metrics meet
  the targets exactly, so ``service_level(required_agents(...))`` equals the target
  (or exceeds it where another constraint binds).  Interpolation keeps every metric
  monotone in x; requirements are never rounded, so pooled queues can be summed first.
* Erlang A (exponential patience, mean ``patience_seconds``) is evaluated exactly on the
  birth-death chain of M/M/N+M (Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn
  2007), see ``erlang_a``.  Its service level is *answered within t over offered*.

Shrinkage and occupancy conversions (``scheduled_agents``): productive agents are the
agents handling items; scheduled (paid) agents = productive / (1 - shrinkage).
Workload hours = volume x AHT / 3600; productive agents needed at most occupancy
``occ`` = workload agents / occ.
"""
from __future__ import annotations

import math

import numpy as np
from planning.staffing.basics import (MAX_AGENTS, UnreachableTarget, _bracket, _check_targets, _metrics_int,  # noqa: F401
                                      erlang_b, offered_load, productive_agents, scheduled_agents)
from planning.staffing.abandonment import erlang_a, erlang_a_int  # noqa: F401 (public here)


# ---------------------------------------------------------------------------- Erlang C
def erlang_c(load, agents, aht_seconds, within_seconds):
    """Erlang C metrics for (possibly fractional) productive ``agents``.

    load : offered load [Erlang];  aht_seconds : AHT [s];  within_seconds : SLA T [s].
    Returns a dict of arrays: ``p_wait`` (probability an item waits), ``service_level``
    (share answered within T), ``asa_seconds`` (mean wait of all items [s], inf when
    N <= A), ``occupancy`` (A / N, capped at 1)."""
    a, x, aht, t = np.broadcast_arrays(*(np.asarray(v, float) for v in
                                         (load, agents, aht_seconds, within_seconds)))
    if np.any(a < 0) or np.any(x < 0) or np.any(aht <= 0) or np.any(t < 0):
        raise UnreachableTarget("load and agents must be >= 0, AHT > 0 and the deadline >= 0")
    lo = np.floor(x)
    hi = lo + 1.0
    b_lo = erlang_b(a, lo)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        b_hi = np.where(a > 0, a * b_lo / (hi + a * b_lo), 0.0)  # one upward recursion step
    res_lo = _metrics_int(a, lo, b_lo, aht, t)
    res_hi = _metrics_int(a, hi, b_hi, aht, t)
    p_wait, sl, asa = _bracket(a, x, lo, hi, res_lo, res_hi)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        occ = np.where(x > 0, np.minimum(1.0, a / x), np.where(a > 0, 1.0, 0.0))
    return {"p_wait": p_wait, "service_level": sl, "asa_seconds": asa, "occupancy": occ}


def service_level(volume, aht_seconds, agents, within_seconds, interval_minutes, patience=None):
    """Predicted service level (share answered within ``within_seconds``) per interval.

    volume : items per interval;  aht_seconds : AHT [s];  agents : productive agents
    (fractional allowed);  interval_minutes : interval length [min];  patience : mean
    patience [s] for Erlang A (None = Erlang C, nobody abandons).  Vectorised."""
    load = offered_load(volume, aht_seconds, interval_minutes)
    if patience is None:
        return erlang_c(load, agents, aht_seconds, within_seconds)["service_level"]
    return erlang_a(load, agents, aht_seconds, within_seconds, patience)["service_level"]


def required_agents(load, aht_seconds, within_seconds, target, asa_seconds=None,
                    max_occupancy=1.0, patience=None):
    """Fewest productive agents (fractional) meeting every target together.

    load : offered load [Erlang];  target : service-level target (share answered within
    ``within_seconds``);  asa_seconds : optional ASA ceiling [s];  max_occupancy : cap
    on A / N;  patience : mean patience [s] (Erlang A) or None (Erlang C).
    Raises ``UnreachableTarget`` for impossible targets (target >= 1, a zero deadline
    with a target above what any staffing can give, ...)."""
    if patience is not None:
        return _required_agents_a(load, aht_seconds, within_seconds, target, asa_seconds,
                                  max_occupancy, patience)
    a, aht, t, tgt, occ = (np.asarray(v, float) for v in np.broadcast_arrays(
        load, aht_seconds, within_seconds, target, max_occupancy))
    asa_cap = np.broadcast_to(np.asarray(np.inf if asa_seconds is None else asa_seconds, float),
                              a.shape)
    _check_targets(a, aht, t, tgt, occ, asa_cap)
    shape = a.shape
    a, aht, t, tgt, occ, asa_cap = (v.ravel().astype(float) for v in (a, aht, t, tgt, occ, asa_cap))
    n_star = _first_integer_meeting(a, aht, t, tgt, occ, asa_cap)
    lo = np.maximum(n_star - 1.0, 0.0)
    _, sl_lo, asa_lo = _metrics_int(a, lo, erlang_b(a, lo), aht, t)
    _, sl_hi, asa_hi = _metrics_int(a, n_star, erlang_b(a, n_star), aht, t)
    unstable_lo = (lo <= a) & (a > 0)
    start = np.where(unstable_lo, a, lo)  # see _bracket
    sl_lo = np.where(unstable_lo, 0.0, sl_lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_sl = np.where(sl_lo >= tgt, 0.0, (tgt - sl_lo) / (sl_hi - sl_lo))
        f_asa = np.where(asa_lo <= asa_cap, 0.0,
                         np.where(unstable_lo, asa_hi / asa_cap,
                                  np.where(np.isinf(asa_lo), 1.0,
                                           (asa_lo - asa_cap) / (asa_lo - asa_hi))))
        x_occ = np.where(a > 0, a / occ, 0.0)
    f = np.clip(np.maximum(np.nan_to_num(f_sl, nan=1.0), np.nan_to_num(f_asa, nan=1.0)), 0, 1)
    x = np.maximum(start + f * (n_star - start), x_occ)
    x = np.where(a <= 0, 0.0, x)
    return x.reshape(shape)


def _first_integer_meeting(a, aht, t, tgt, occ, asa_cap):
    """Smallest integer N meeting all targets, by upward Erlang B recursion."""
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.maximum(np.floor(a) + 1.0, np.ceil(np.where(a > 0, a / occ, 0.0) - 1e-9))
    start = np.maximum(start, 1.0)
    result = np.where(a <= 0, 0.0, np.nan)
    idx = np.flatnonzero(a > 0)
    n = start[idx]
    b = erlang_b(a[idx], n)
    aa, hh, tt, gg, oo, ss = (v[idx] for v in (a, aht, t, tgt, occ, asa_cap))
    while idx.size:
        _, sl, asa = _metrics_int(aa, n, b, hh, tt)
        ok = (sl >= gg) & (asa <= ss) & (aa <= oo * n + 1e-12)
        result[idx[ok]] = n[ok]
        keep = ~ok
        if not keep.any():
            break
        idx, n, b, aa, hh, tt, gg, oo, ss = (v[keep] for v in (idx, n, b, aa, hh, tt, gg, oo, ss))
        if np.any(n > MAX_AGENTS):
            raise UnreachableTarget(f"no staffing up to {MAX_AGENTS:,} agents meets the target")
        n = n + 1.0
        b = aa * b / (n + aa * b)
    return result


def calculator(volume, interval_minutes, aht_seconds, within_seconds, agents=None, target=None,
               patience=None, asa_seconds=None, max_occupancy=1.0, shrinkage=None) -> dict:
    """The Erlang calculator (CLI ``erlang`` and the app page), scalars in, dict out.

    With ``agents`` it evaluates that staffing; with ``target`` (share, or percent if
    > 1) it finds the fewest whole agents.  With ``shrinkage`` agents are scheduled
    agents (productive = agents x (1 - shrinkage)).  Returns ``agents, service_level,
    asa_seconds, p_wait, occupancy`` (+ ``p_abandon`` with patience) and ``details``
    (``load_erlangs``, ``productive_agents``, ``required_fractional`` with a target)."""
    keep = 1.0 - (shrinkage or 0.0)
    load = float(offered_load(volume, aht_seconds, interval_minutes))
    details = {"load_erlangs": load}
    if agents is None:
        if target is None:
            raise UnreachableTarget("give either agents or a service-level target")
        target = target / 100.0 if target > 1 else target
        need = float(required_agents(load, aht_seconds, within_seconds, target,
                                     asa_seconds=asa_seconds, max_occupancy=max_occupancy,
                                     patience=patience))
        agents = math.ceil(need / keep - 1e-9)
        details["required_fractional"] = need / keep
    productive = agents * keep
    details["productive_agents"] = productive
    if patience is None:
        res = erlang_c(load, productive, aht_seconds, within_seconds)
    else:
        res = erlang_a(load, productive, aht_seconds, within_seconds, patience)
    out = {"agents": int(agents) if float(agents).is_integer() else float(agents)}
    for key in ("service_level", "asa_seconds", "p_wait", "occupancy"):
        out[key] = float(res[key])
    if patience is not None:
        out["p_abandon"] = float(res["p_abandon"])
    out["details"] = details
    return out


def _required_agents_a(load, aht_seconds, within_seconds, target, asa_seconds, max_occupancy,
                       patience):
    arrs = np.broadcast_arrays(*(np.asarray(v, float) for v in (
        load, aht_seconds, within_seconds, target, max_occupancy, patience,
        np.inf if asa_seconds is None else asa_seconds)))
    _check_targets(arrs[0], arrs[1], arrs[2], arrs[3], arrs[4], arrs[6])
    out = np.empty(arrs[0].shape)
    for pos in np.ndindex(out.shape):
        out[pos] = _required_a_one(*(float(v[pos]) for v in arrs))
    return out


def _required_a_one(a, aht, t, tgt, occ, pat, asa_cap):
    if a <= 0:
        return 0.0

    def ok(res, n):
        return (res["service_level"] >= tgt and res["asa_seconds"] <= asa_cap
                and (1 - res["p_abandon"]) * a <= occ * n + 1e-12)

    # The Erlang C staffing usually suffices (abandonment shortens the queue), but not
    # always: with very short patience items abandon before t and count as missed.
    # So walk up from N_C until it meets, then bisect on [0, hi].
    hi = int(np.ceil(required_agents(a, aht, t, tgt, asa_seconds=asa_cap if np.isfinite(asa_cap)
                                     else None, max_occupancy=occ)))
    lo = 0  # lo fails (0 agents answer nobody), hi meets
    cache = {}

    def ev(n):
        if n not in cache:
            cache[n] = erlang_a_int(a, n, aht, t, pat)
        return cache[n]

    while not ok(ev(hi), hi):
        hi = max(hi + 1, int(hi * 1.25))
        if hi > MAX_AGENTS:
            raise UnreachableTarget(f"no staffing up to {MAX_AGENTS:,} agents meets the target")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(ev(mid), mid):
            hi = mid
        else:
            lo = mid
    r_lo, r_hi = ev(lo), ev(hi)
    fracs = [0.0]
    if r_lo["service_level"] < tgt:
        fracs.append((tgt - r_lo["service_level"]) / (r_hi["service_level"] - r_lo["service_level"]))
    if r_lo["asa_seconds"] > asa_cap:
        fracs.append(1.0 if math.isinf(r_lo["asa_seconds"]) else
                     (r_lo["asa_seconds"] - asa_cap) / (r_lo["asa_seconds"] - r_hi["asa_seconds"]))
    x = lo + min(1.0, max(fracs))
    # occupancy (1 - P_ab(x)) A / x <= occ: P_ab(x) >= P_ab(hi), so this x suffices
    return max(x, min(float(hi), (1 - r_hi["p_abandon"]) * a / occ))
