"""Benchmark: how plans made at past origins fared on the volume that arrived (the sample).

    .venv/bin/python bench/plan_backtest.py [--origins 8] [--workers 2] [--time-limit S] [--naive] [--resume]

Origins: the week of 2026-04-20 (an incident on 2026-04-22 nobody could foresee: attack
propaganda uploads, violent_extremism EMEA-DE, x6 for 4 h) and the ``--origins`` - 1
latest weekly origins (with 8: 2026-09-28 to 2026-11-09, the Brazil election weeks:
first round 2026-09-27 to 10-11, runoff 10-22 to 10-29, known in advance). At each: the
forecast models on the history before it, plan-and-check with the sample's settings
(``planning.plan_backtest``), judged agent by agent on the volume that arrived, and the
hindsight plan (planned on that volume) as the cost reference. Origins run side by side
(``planning.plan_backtest_runs``: ``--workers`` processes, one core each).

Prints per origin the pairs reaching target on real volume, the forecast's error, cost vs
hindsight; then the share of pair-weeks reaching target, its calibration against
``sla_confidence`` (realised - promised, points), cost / hindsight cost, wall seconds.

Targets (issue 20): with the default settings >= 95% of pair-weeks reach target; cost
<= 1.10x the hindsight plans'; 8 origins <= 10 minutes on 2 cores. ``--resume`` reads
finished origins from the disk cache (the seconds are then not a measurement).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planning.inputs import load_operation  # noqa: E402
from planning.plan_backtest import default_origins  # noqa: E402
from planning.plan_backtest_runs import backtest_origins, summarise  # noqa: E402

INCIDENT_WEEK = pd.Timestamp("2026-04-20", tz="UTC")


def bench_origins(op, n: int) -> list[pd.Timestamp]:
    return sorted({INCIDENT_WEEK, *default_origins(op, max(n - 1, 0))})


def week_events(op, origin: pd.Timestamp) -> str:
    end = origin + pd.Timedelta(weeks=1)
    found = [f"{e.event} ({e.kind}{', not known at the origin' if e.kind == 'incident' else ''})"
             for e in op.events if pd.Timestamp(e.start) < end and pd.Timestamp(e.end) > origin]
    return "; ".join(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=8, help="origins: 2026-04-20 and the latest N-1")
    parser.add_argument("--workers", type=int, default=None, help="origins at a time (default: the cores)")
    parser.add_argument("--backend", default=None, help="process / dask / serial (default: the server's)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per plan (default: settings)")
    parser.add_argument("--naive", action="store_true", help="seasonal naive forecasts (fast, not the default)")
    parser.add_argument("--resume", action="store_true", help="read finished origins from the disk cache")
    args = parser.parse_args()
    op, report = load_operation(Path(__file__).resolve().parents[1] / "data" / "sample")
    if op is None:
        print(report)
        return 1
    origins = bench_origins(op, args.origins)
    currency = op.settings.currency
    print(f"origins: {', '.join(f'{o:%Y-%m-%d}' for o in origins)}; {os.cpu_count()} cores; "
          f"forecast {'seasonal naive' if args.naive else 'models'}; time limit "
          f"{args.time_limit or op.settings.solver_time_limit_seconds:.0f} s per plan")
    t0 = time.perf_counter()
    results = backtest_origins(op, origins, naive=args.naive, time_limit=args.time_limit, workers=args.workers,
                               backend=args.backend, use_cache=args.resume,
                               progress=lambda m, f: print(f"  [{f:4.0%}] {m}", flush=True))
    wall = time.perf_counter() - t0
    for r in results:
        p = r.pairs
        weight = p["forecast_volume"].sum()
        wape = float((p["actual_volume"] - p["forecast_volume"]).abs().sum() / weight) if weight else np.nan
        misses = p[p["actual"] < p["target"] - 1e-9]
        print(f"{r.origin:%Y-%m-%d}: {r.reached_on_actual}/{len(p)} pairs reach target on real volume "
              f"(claimed on the forecast {r.met_on_forecast}/{len(p)}); forecast error: weekly volume "
              f"{p['actual_volume'].sum() / weight - 1:+.1%}, per-pair WAPE {wape:.1%}; cost {r.cost:,.0f} {currency} "
              f"vs hindsight {r.hindsight_cost:,.0f} {currency} (x{r.cost_ratio:.3f}); {r.seconds:.0f} s on one core "
              f"(forecast {r.forecast_seconds:.0f} s)"
              + (" (plan from the cache)" if r.plan_from_cache else ""))
        events = week_events(op, r.origin)
        if events:
            print(f"    events in the week: {events}")
        for row in misses.itertuples(index=False):
            print(f"    ! {row.queue} {row.market}: {row.actual:.2%} vs target {row.target:.0%}, volume "
                  f"{row.forecast_error:+.1%} vs forecast, {int(row.days_below_target)} day(s) below target")
    s = summarise(results, op.settings.sla_confidence)
    print(f"\npopulation: {s['population']}")
    print(f"pair-weeks reaching target on the volume that arrived: {s['reached']} of {s['pair_weeks']} "
          f"({s['share']:.1%}); not significantly below: {s['not_significantly_below']} "
          f"({s['not_significantly_below'] / max(s['pair_weeks'], 1):.1%})  [target >= 95%]")
    print(f"calibration: realised {s['share']:.1%} vs promised {s['promised']:.0%} (sla_confidence): "
          f"{s['calibration_points']:+.1f} pts")
    print(f"cost {s['cost']:,.0f} {currency} vs hindsight plans {s['hindsight_cost']:,.0f} {currency}: "
          f"x{s['cost_ratio']:.3f}  [target <= 1.10]")
    print(f"wall {wall:.0f} s for {len(origins)} origins on {os.cpu_count()} cores"
          + (" (some read from the cache)" if args.resume else "") + "  [target <= 600 s for 8]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
