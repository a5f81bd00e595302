"""Erlang A (M/M/N+M, exponential patience) evaluated exactly on its birth-death chain
(Garnett, Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2007): service level answered within
t over offered, abandonment and ASA (the agents an Erlang A target needs are found in
:mod:`planning.staffing.erlang`).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln
from planning.staffing.basics import UnreachableTarget, _ERLANG_A_TAIL, _UNIFORMISATION_MAX, _interp


# ---------------------------------------------------------------------------- Erlang A
def erlang_a_int(load, agents, aht_seconds, within_seconds, patience_seconds):
    """Exact Erlang A (M/M/N+M) metrics for one integer N (scalars).

    Stationary distribution of the birth-death chain (birth lambda, death
    min(k, N) mu + max(k - N, 0) theta), seen by arrivals (PASTA).  An arrival finding
    m items queued ahead is answered after m + 1 stages with rates N mu + i theta
    (i = m..0) unless its own exp(theta) patience runs out first, so
    P(answered) = prod_i r_i / (r_i + theta) and, given answered, the wait is a sum
    of exp(r_i + theta) stages; P(wait <= t) is one sparse transient solve.
    Returns p_wait, p_abandon, service_level (answered within t / offered),
    asa_seconds (mean wait of answered items), occupancy."""
    a, n, aht, t, pat = float(load), int(agents), float(aht_seconds), float(within_seconds), \
        float(patience_seconds)
    if a <= 0:
        return {"p_wait": 0.0, "p_abandon": 0.0, "service_level": 1.0, "asa_seconds": 0.0,
                "occupancy": 0.0}
    mu, theta = 1.0 / aht, 1.0 / pat
    lam = a * mu
    extra = max(0.0, (lam - n * mu) / theta)
    m_max = int(extra + 12.0 * math.sqrt(lam / theta + 1.0) + 60)
    k = np.arange(n + m_max + 1, dtype=float)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0.0) * theta
    logp = np.concatenate([[0.0], np.cumsum(math.log(lam) - np.log(death[1:]))])
    logp -= logp.max()
    p = np.exp(logp)
    p /= p.sum()
    waiting = p[n:]
    m = np.arange(waiting.size, dtype=float)
    r = n * mu + m * theta  # stage rates with i items ahead
    s = r + theta
    if n == 0:
        p_served_m = np.zeros_like(m)
        mean_wait_m = np.zeros_like(m)
    else:
        p_served_m = np.exp(np.cumsum(np.log(r) - np.log(s)))
        mean_wait_m = np.cumsum(1.0 / s)
    p_immediate = p[:n].sum()
    p_served = p_immediate + float(waiting @ p_served_m)
    weights = waiting * p_served_m
    within = _absorbed_by(s, weights, t) if (t > 0 and n > 0) else 0.0
    busy = float(np.minimum(k, n) @ p)
    answered_wait = float(weights @ mean_wait_m)
    return {
        "p_wait": float(waiting.sum()),
        "p_abandon": max(0.0, 1.0 - p_served),
        "service_level": min(1.0, p_immediate + within),
        "asa_seconds": answered_wait / p_served if p_served > 0 else math.inf,
        "occupancy": busy / n if n > 0 else 1.0,
    }


def _absorbed_by(rates, weights, t):
    """Mass absorbed by time t in a pure-death chain (state i -> i-1 at rates[i],
    state 0 -> absorbed) started from ``weights`` over states.

    Uniformisation (Jensen's method): with L >= every rate, the chain is a discrete
    chain stepping at Poisson(L t) epochs; the absorbed mass is the Poisson mixture of
    the mass absorbed within k steps.  Falls back to a sparse matrix exponential when
    L t is very large."""
    keep = np.flatnonzero(weights > _ERLANG_A_TAIL * max(weights.sum(), 1e-300))
    if keep.size == 0:
        return 0.0
    size = int(keep.max()) + 1
    rates, weights = rates[:size], weights[:size]
    lam_t = float(rates.max()) * t
    if lam_t > _UNIFORMISATION_MAX:
        gen = sparse.diags([-rates, rates[1:]], [0, -1], shape=(size, size), format="csr")
        left = expm_multiply((gen * t).T.tocsr(), weights)
        return float(weights.sum() - np.clip(left, 0, None).sum())
    step = rates / rates.max()
    steps = int(lam_t + 8.0 * math.sqrt(lam_t) + 20)
    log_pois = -lam_t + np.arange(steps + 1) * math.log(max(lam_t, 1e-300)) - gammaln(
        np.arange(steps + 1) + 1.0)
    pois_tail = 1.0 - np.cumsum(np.exp(log_pois))  # P(N > k)
    v = weights.astype(float).copy()
    absorbed = 0.0
    for k in range(steps):
        out = v * step
        gained = out[0]
        v = v - out
        v[:-1] += out[1:]
        # mass absorbed at jump k+1 counts if at least k+1 jumps happen by t
        absorbed += gained * (pois_tail[k] if k < steps else 0.0)
        if v.sum() < _ERLANG_A_TAIL:
            break
    return float(absorbed)


def erlang_a(load, agents, aht_seconds, within_seconds, patience_seconds):
    """Erlang A metrics, vectorised by looping over elements (exact chain per element);
    fractional agents interpolate between floor and ceil like ``erlang_c``."""
    arrs = np.broadcast_arrays(*(np.asarray(v, float) for v in
                                 (load, agents, aht_seconds, within_seconds, patience_seconds)))
    if np.any(arrs[0] < 0) or np.any(arrs[1] < 0) or np.any(arrs[2] <= 0) or np.any(arrs[4] <= 0):
        raise UnreachableTarget("load and agents must be >= 0, AHT and patience > 0")
    keys = ("p_wait", "p_abandon", "service_level", "asa_seconds", "occupancy")
    out = {key: np.empty(arrs[0].shape) for key in keys}
    for pos in np.ndindex(arrs[0].shape):
        a, x, aht, t, pat = (float(v[pos]) for v in arrs)
        lo = math.floor(x)
        f = x - lo
        r_lo = erlang_a_int(a, lo, aht, t, pat)
        r_hi = erlang_a_int(a, lo + 1, aht, t, pat) if f > 0 else r_lo
        for key in keys:
            out[key][pos] = _interp(np.float64(r_lo[key]), np.float64(r_hi[key]), f)
        if x > 0:
            out["occupancy"][pos] = min(1.0, (1 - out["p_abandon"][pos]) * a / x)
    return out
