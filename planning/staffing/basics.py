"""Building blocks of the queueing maths: offered load, shrinkage conversions, Erlang B and
the interpolation between integer agent counts (numerics and sources in
:mod:`planning.staffing.erlang`).
"""
from __future__ import annotations


import numpy as np
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
