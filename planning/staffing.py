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
from scipy import sparse
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaincc, gammaln

# Assumptions in one place.
MAX_AGENTS = 1_000_000  # a requirement above this is reported as unreachable
_Q_UNDERFLOW = 1e-250  # below this the incomplete-gamma ratio loses precision
_ERLANG_A_TAIL = 1e-15  # truncation of the M/M/N+M chain (probability mass ignored)
_UNIFORMISATION_MAX = 20_000.0  # above this L t use a sparse matrix exponential


class UnreachableTarget(ValueError):
    """The targets cannot be met by any number of agents (or the inputs make no sense)."""


# ---------------------------------------------------------------------------- basics
def offered_load(volume, aht_seconds, interval_minutes):
    """Offered load [Erlang] = volume [items/interval] x AHT [s] / interval length [s]."""
    return np.asarray(volume, float) * np.asarray(aht_seconds, float) / (
        np.asarray(interval_minutes, float) * 60.0)


def scheduled_agents(productive_agents, shrinkage):
    """Scheduled (paid, on-shift) agents needed for ``productive_agents`` after shrinkage.

    scheduled = productive / (1 - shrinkage); shrinkage is the share of paid time not
    available for queue work (0-1)."""
    shrinkage = np.asarray(shrinkage, float)
    if np.any((shrinkage < 0) | (shrinkage >= 1)):
        raise UnreachableTarget("shrinkage must be in [0, 1)")
    return np.asarray(productive_agents, float) / (1.0 - shrinkage)


def productive_agents(scheduled, shrinkage):
    """Productive agents from scheduled agents: scheduled x (1 - shrinkage)."""
    return np.asarray(scheduled, float) * (1.0 - np.asarray(shrinkage, float))


def erlang_b(load, agents):
    """Blocking probability of M/M/N/N (Erlang B) for integer ``agents`` N >= 0.

    load : offered load A [Erlang];  agents : N (rounded down if fractional)."""
    a, n = np.broadcast_arrays(np.asarray(load, float), np.floor(np.asarray(agents, float)))
    a, n = a.astype(float), n.astype(float)
    out = np.zeros(a.shape)
    pos = a > 0
    out[pos & (n <= 0)] = 1.0
    m = pos & (n > 0)
    if not m.any():
        return out
    am, nm = a[m], n[m]
    q = gammaincc(nm + 1.0, am)
    logpmf = nm * np.log(am) - am - gammaln(nm + 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b = np.exp(logpmf) / q
    bad = ~(q > _Q_UNDERFLOW) | ~np.isfinite(b)
    if bad.any():
        b[bad] = _erlang_b_series(am[bad], nm[bad])
    out[m] = np.clip(b, 0.0, 1.0)
    return out


def _erlang_b_series(a, n):
    """1/B = sum_j prod_{i<j} (n - i) / a; used where N is far below A (fast decay)."""
    term = np.ones_like(a)
    total = np.ones_like(a)
    for j in range(int(n.max()) + 1):
        term = term * np.maximum(n - j, 0.0) / a
        total += term
        if np.all(term < 1e-17 * total):
            break
    return 1.0 / total


def _c_from_b(a, n, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    return np.where(n > a, np.clip(c, 0.0, 1.0), 1.0)


def _metrics_int(a, n, b, aht, within):
    """Erlang C metrics at integer n given B(n, a): (p_wait, service_level, asa)."""
    c = _c_from_b(a, n, b)
    stable = n > a
    gap = np.where(stable, n - a, 1.0)
    with np.errstate(over="ignore"):
        sl = np.where(stable, 1.0 - c * np.exp(-gap * within / aht), 0.0)
        asa = np.where(stable, c * aht / gap, np.inf)
    sl = np.where(a <= 0, 1.0, sl)
    asa = np.where(a <= 0, 0.0, asa)
    c = np.where(a <= 0, 0.0, c)
    return c, sl, asa


def _bracket(a, x, lo, hi, res_lo, res_hi):
    """Metrics at fractional x between integers lo < x < hi.  When lo <= A < hi the lower
    end of the bracket is the load A itself (SL 0, every item waits, ASA infinite), so
    x <= A is never "enough" and occupancy stays below 1 at any requirement."""
    unstable_lo = (lo <= a) & (a < hi) & (a > 0)
    start = np.where(unstable_lo, a, lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.clip((x - start) / (hi - start), 0.0, 1.0)
    f = np.where(x > lo, f, 0.0)
    p_wait = _interp(np.where(unstable_lo, 1.0, res_lo[0]), res_hi[0], f)
    sl = _interp(np.where(unstable_lo, 0.0, res_lo[1]), res_hi[1], f)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa_unstable = np.where(f > 0, res_hi[2] / f, np.inf)
    asa = np.where(unstable_lo, asa_unstable, _interp(res_lo[2], res_hi[2], f))
    return p_wait, sl, asa


def _interp(lo, hi, f):
    with np.errstate(invalid="ignore"):
        out = lo + f * (hi - lo)
    out = np.where(f <= 0, lo, out)
    return np.where(np.isinf(lo) & (f > 0) & (f < 1), np.inf, np.where(f >= 1, hi, out))


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


def _check_targets(a, aht, t, tgt, occ, asa_cap):
    if np.any(~np.isfinite(a)) or np.any(a < 0):
        raise UnreachableTarget("the offered load must be a finite number >= 0")
    if np.any(aht <= 0) or np.any(t < 0):
        raise UnreachableTarget("AHT must be > 0 and the deadline >= 0 seconds")
    if np.any((tgt <= 0) | (tgt >= 1)):
        raise UnreachableTarget("the service-level target must be between 0 and 1 (exclusive), "
                                "e.g. 0.8; 100% is never reachable with random arrivals")
    if np.any((occ <= 0) | (occ > 1)):
        raise UnreachableTarget("max occupancy must be in (0, 1]")
    if np.any(asa_cap <= 0):
        raise UnreachableTarget("an ASA target must be > 0 seconds")


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
