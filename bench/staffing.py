"""Benchmark: live requirements for 40 series x 336 intervals (a week of half-hours) with
loads up to 2,000 Erlangs, ours vs pyworkforce's ErlangC.

    .venv/bin/python bench/staffing.py [--full] [--sample N] [--repeat R]

pyworkforce (installed for the benchmark only, requirements-dev.txt) is a scalar loop
whose cost grows with the load squared; by default it runs on a seeded random sample of
the intervals and its time for the whole week is extrapolated from the mean time per
interval (``--full`` runs it on everything; expect many minutes).  The answers are
compared on the sample: pyworkforce's whole positions vs our fractional requirement
rounded up.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planning.staffing.requirements import time_varying_requirements  # noqa: E402
from planning.staffing.erlang import erlang_c, offered_load, required_agents  # noqa: E402

SERIES, INTERVALS, INTERVAL_MIN = 40, 336, 30
AHT_S, WITHIN_S, TARGET = 300.0, 60.0, 0.8
MAX_LOAD = 2000.0
TARGET_MS, TARGET_SPEEDUP = 50.0, 20.0


def workload(seed: int = 7):
    """Volume per interval: diurnal x weekly shape, peak loads log-uniform 1..2,000 Erlangs."""
    rng = np.random.default_rng(seed)
    t = np.arange(INTERVALS)
    hour = (t % 48) / 2.0
    shape = 0.25 + 0.75 * np.exp(-0.5 * ((hour - 13) / 4.0) ** 2)
    weekly = np.where((t // 48) >= 5, 0.8, 1.0)
    peaks = np.exp(rng.uniform(0, np.log(MAX_LOAD), SERIES))
    peaks[0] = MAX_LOAD
    load = peaks[:, None] * shape[None, :] * weekly[None, :] * rng.uniform(0.95, 1.05, (SERIES, INTERVALS))
    return load * INTERVAL_MIN * 60.0 / AHT_S  # items per interval


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="run pyworkforce on every interval")
    parser.add_argument("--sample", type=int, default=150, help="intervals for pyworkforce (default 150)")
    parser.add_argument("--repeat", type=int, default=5, help="repeats for our timings (best of)")
    args = parser.parse_args(argv)
    volume = workload()
    load = offered_load(volume, AHT_S, INTERVAL_MIN)
    n = volume.size
    print(f"work: {SERIES} series x {INTERVALS} intervals = {n:,} intervals, loads "
          f"{load.min():.2f}-{load.max():,.0f} Erlangs, AHT {AHT_S:g} s, {TARGET:.0%} within {WITHIN_S:g} s")

    ours_s, ours = best_of(lambda: required_agents(load, AHT_S, WITHIN_S, TARGET), args.repeat)
    eval_s, _ = best_of(lambda: erlang_c(load, ours, AHT_S, WITHIN_S), args.repeat)
    tv_s, _ = best_of(lambda: time_varying_requirements(volume, AHT_S, INTERVAL_MIN, WITHIN_S, TARGET), 1)

    try:
        from pyworkforce.queuing import ErlangC
    except ImportError:
        print("pyworkforce is not installed: .venv/bin/pip install pyworkforce")
        return 1
    flat_volume, flat_ours = volume.ravel(), ours.ravel()
    if args.full:
        idx = np.arange(n)
    else:
        idx = np.random.default_rng(1).choice(n, size=min(args.sample, n), replace=False)
    t0 = time.perf_counter()
    theirs = np.array([ErlangC(transactions=flat_volume[i], aht=AHT_S / 60.0, asa=WITHIN_S / 60.0,
                               interval=INTERVAL_MIN).required_positions(service_level=TARGET)["raw_positions"]
                       for i in idx])
    pw_sample_s = time.perf_counter() - t0
    pw_week_s = pw_sample_s / idx.size * n
    agree = np.mean(np.ceil(flat_ours[idx] - 1e-9) == theirs)

    print(f"ours, stationary Erlang C requirement (fractional, all {n:,}): {ours_s * 1e3:8.1f} ms  "
          f"(target <= {TARGET_MS:g} ms: {'met' if ours_s * 1e3 <= TARGET_MS else 'NOT met'})")
    print(f"ours, Erlang C evaluation at those agents:                {eval_s * 1e3:8.1f} ms")
    print(f"ours, time-varying requirement (compute_requirements' method): {tv_s * 1e3:8.1f} ms")
    label = "measured" if args.full else f"extrapolated from {idx.size} sampled intervals"
    print(f"pyworkforce ErlangC.required_positions, whole week ({label}): {pw_week_s:8.2f} s")
    speedup = pw_week_s / ours_s
    print(f"speed-up: {speedup:,.0f}x (target >= {TARGET_SPEEDUP:g}x: "
          f"{'met' if speedup >= TARGET_SPEEDUP else 'NOT met'})")
    print(f"same whole agents as pyworkforce on {agree:.1%} of the compared intervals")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
