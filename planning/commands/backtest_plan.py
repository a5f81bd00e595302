"""``python -m planning backtest-plan INPUTS [--origins N] [--weeks 1] [--json]``: how past
plans would have fared on the volume that really arrived."""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, load, progress_bar


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backtest-plan",
        help="plan at past origins from the history before each, judge on the volume that arrived",
        description="For N past weekly origins (the latest ending where the volume ends): forecast from "
        "the history before the origin (events known in advance stay, incidents after it are not "
        "known), plan and check with the operation's settings, and simulate the plan agent by agent "
        "against the volume that really arrived. Prints per origin and queue x market the attainment "
        "claimed (on the forecast) and reached (on real volume), days below target, the forecast's "
        "error and the cost. Finished origins are kept on disk, so a second run resumes.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--origins", type=int, default=4, metavar="N", help="weekly origins (1-52, default 4)")
    parser.add_argument("--weeks", type=int, default=1, metavar="W", help="weeks planned per origin (1-4)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="seconds per origin for the plan-and-check loop (default: the settings' limit)")
    parser.add_argument("--naive", action="store_true", help="seasonal naive forecasts (fast) instead of the models")
    parser.add_argument("--no-cache", action="store_true", help="recompute finished origins")
    parser.add_argument("--backend", choices=["process", "dask", "serial"], default=None,
                        help="where the origins run (default: the server's forecast backend, worker processes)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="origins at a time, one core each (default: the machine's cores)")
    parser.add_argument("--no-hindsight", action="store_true",
                        help="skip the hindsight plan (planned on the volume that arrived: the cost reference)")
    parser.add_argument("--json", action="store_true", help="print the per-origin, per-pair figures as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def _num(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def run(args: argparse.Namespace) -> int:
    from planning.plan_backtest import usable_origins
    from planning.plan_backtest_runs import backtest_origins, summarise

    if not 1 <= args.origins <= 52:
        print("--origins must be between 1 and 52", file=sys.stderr)
        return EXIT_USAGE
    if not 1 <= args.weeks <= 4:
        print("--weeks must be between 1 and 4", file=sys.stderr)
        return EXIT_USAGE
    if args.time_limit is not None and args.time_limit <= 0:
        print("--time-limit must be positive", file=sys.stderr)
        return EXIT_USAGE
    op, code = load(args.inputs)
    if op is None:
        return code
    origins = usable_origins(op, args.origins, args.weeks)
    if not origins:
        print(f"{args.inputs}: the history is too short to plan at a past origin (at least 5 weeks needed)",
              file=sys.stderr)
        return EXIT_PROBLEMS
    bar = progress_bar(not args.quiet)
    if args.workers is not None and args.workers < 1:
        print("--workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    results = backtest_origins(op, origins, weeks=args.weeks, time_limit=args.time_limit, naive=args.naive,
                               use_cache=not args.no_cache, hindsight=not args.no_hindsight,
                               backend=args.backend, workers=args.workers,
                               progress=lambda message, fraction: bar(int(len(origins) * fraction), len(origins), message))
    currency = op.settings.currency
    summary = summarise(results, op.settings.sla_confidence, args.weeks)
    if args.json:
        doc = {"currency": currency, "population": "items arriving in each planned week, per queue x market",
               "summary": {k: (v if isinstance(v, str) else _num(v)) for k, v in summary.items()},
               "origins": []}
        for r in results:
            doc["origins"].append({
                "origin": r.origin.isoformat().replace("+00:00", "Z"), "cost": _num(r.cost),
                "hindsight_cost": _num(r.hindsight_cost), "hindsight_status": r.hindsight_status,
                "paid_hours": _num(r.paid_hours), "rounds": r.rounds, "seconds": _num(r.seconds),
                "pairs_meeting_target_on_forecast": r.met_on_forecast,
                "pairs_meeting_target_on_actual": r.met_on_actual, "pairs": len(r.pairs),
                "per_pair": [{k: (_num(v) if not isinstance(v, str) else v) for k, v in row.items()}
                             for row in r.pairs.to_dict("records")]})
        print(json.dumps(doc, indent=1))
        return EXIT_OK
    total = met = 0
    for r in results:
        total += len(r.pairs)
        met += r.met_on_actual
        reference = (f" (hindsight plan {r.hindsight_cost:,.0f} {currency}, x{r.cost_ratio:.3f})"
                     if math.isfinite(r.cost_ratio) else "")
        print(f"{r.origin:%Y-%m-%d}: cost {r.cost:,.0f} {currency}{reference}; meets target on the forecast "
              f"{r.met_on_forecast}/{len(r.pairs)}, on the volume that arrived {r.met_on_actual}/{len(r.pairs)}")
        p = r.pairs
        upper = p["actual_hi"].fillna(p["actual"])
        for row in p[upper < p["target"] - 1e-9].itertuples(index=False):
            print(f"  ! {row.queue} {row.market}: {row.actual:.1%} within SLA on real volume vs target "
                  f"{row.target:.0%} (claimed {row.claimed:.1%}); volume {row.forecast_error:+.1%} vs forecast; "
                  f"{int(row.days_below_target)} day(s) below target")
    print(f"pair-weeks not significantly below target on the volume that arrived: {met} of {total} "
          f"({met / max(total, 1):.1%})")
    print(f"pair-weeks reaching target (point estimate): {summary['reached']} of {summary['pair_weeks']} "
          f"({summary['share']:.1%}; promised {summary['promised']:.0%} by sla_confidence, "
          f"{summary['calibration_points']:+.1f} pts); {summary['population']}")
    if math.isfinite(summary["cost_ratio"]):
        print(f"cost {summary['cost']:,.0f} {currency} vs hindsight {summary['hindsight_cost']:,.0f} {currency}: "
              f"x{summary['cost_ratio']:.3f}")
    return EXIT_OK
