"""``python -m planning requirements INPUTS --weeks N --out FILE.csv``: required agents.

Loads the operation, forecasts every queue x market ``--weeks`` weeks past the history
(the forecasts package via ``planning.forecasting``; ``--naive`` uses a weekly seasonal
naive forecast computed inline instead, labelled ``seasonal_naive_inline``) and writes
the requirements frame: productive agents per interval per queue x market.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cannot_write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "requirements",
        help="required productive agents per interval per queue x market, from the forecast",
        description=__doc__.splitlines()[2].strip() + " " + " ".join(
            line.strip() for line in __doc__.splitlines()[3:6]),
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path,
                        help="folder of CSV files, a .zip of one, or an .xlsx workbook")
    parser.add_argument("--weeks", type=int, default=None,
                        help="weeks to plan (default: planning_weeks from the settings)")
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--method", choices=["time_varying", "stationary"], default="time_varying",
                        help="live staffing method (default time_varying; stationary = per-interval Erlang C)")
    parser.add_argument("--naive", action="store_true",
                        help="skip the forecast models: repeat the last week of history")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planning.export.safe import write_csv
    from planning.inputs import load_operation
    from planning.staffing.requirements import (INLINE_MODEL, RequirementsError, compute_requirements,
                                       seasonal_naive_forecast as seasonal_naive)

    if args.weeks is not None and not 1 <= args.weeks <= 26:
        print("requirements: --weeks must be between 1 and 26", file=sys.stderr)
        return EXIT_USAGE
    if not args.inputs.exists():
        print(f"requirements: {args.inputs}: no such file or folder", file=sys.stderr)
        return EXIT_PROBLEMS
    op, report = load_operation(args.inputs)
    if op is None:
        print(f"requirements: {args.inputs} has problems:", file=sys.stderr)
        for line in report.lines():
            print(f"  {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    weeks = args.weeks or op.settings.planning_weeks
    if args.naive:
        forecast = seasonal_naive(op, weeks)
        print(f"forecast: {INLINE_MODEL} (last week repeated)", file=sys.stderr)
    else:
        try:
            from planning.forecasting import forecast_operation
        except ImportError:  # the forecasting adapter is optional for this command
            forecast = seasonal_naive(op, weeks)
            print(f"forecast: planning.forecasting unavailable, using {INLINE_MODEL}", file=sys.stderr)
        else:
            try:
                forecast = forecast_operation(op, weeks)
            except ValueError as exc:  # e.g. too little history for the models
                print(f"requirements: the forecast failed ({exc}); --naive repeats the last week "
                      "of history instead", file=sys.stderr)
                return EXIT_PROBLEMS
    try:
        requirements = compute_requirements(op, forecast, method=args.method)
    except RequirementsError as exc:
        print(f"requirements: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        out = requirements.copy()
        out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        write_csv(out, args.out, float_format="%.6g")
    except OSError as exc:
        return cannot_write("requirements", args.out, exc)
    hours = op.settings.interval_minutes / 60.0
    summary = requirements.groupby("queue").agg(
        kind=("sla_kind", "first"), peak_agents=("required_agents", "max"),
        agent_hours=("required_agents", lambda s: s.sum() * hours))
    print(f"wrote {len(requirements):,} rows ({requirements[['queue', 'market']].drop_duplicates().shape[0]}"
          f" queue x market pairs, {weeks} week(s), method {args.method}) to {args.out}")
    print(summary.round(1).to_string())
    return EXIT_OK
