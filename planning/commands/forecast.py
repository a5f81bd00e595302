"""``python -m planning forecast INPUTS --weeks N --out FILE.csv [--json]``."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, load, progress_bar, weeks_in_range


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "forecast",
        help="forecast volume per queue x market with prediction intervals",
        description="Backtest the forecasting models on each queue x market, choose one per series "
        "(a baseline unless a model beats it), and forecast N weeks from the interval after the "
        "last history timestamp. Writes timestamp, queue, market, model, forecast, lo_80, hi_80, "
        "lo_95, hi_95 (UTC). Progress goes to stderr.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--weeks", type=int, default=None, metavar="N",
                        help="weeks to forecast (default: settings planning_weeks, at least 2)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.csv",
                        help="write the forecast here (default: stdout)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON summary (chosen model per series, warnings, timings)")
    parser.add_argument("--backend", choices=["process", "dask", "serial"], default=None,
                        help="where series run (default: process, or PLANNER_FORECAST_BACKEND)")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default 2)")
    parser.add_argument("--no-cache", action="store_true", help="recompute even if cached")
    parser.add_argument("--save-selection", type=Path, default=None, metavar="FILE.csv",
                        help="also write the chosen model per series (with interval calibration)")
    parser.add_argument("--selection", type=Path, default=None, metavar="FILE.csv",
                        help="refresh: reuse a saved selection instead of backtesting again "
                        "(series missing from it are backtested)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


SELECTION_COLUMNS = ["queue", "market", "model", "reason", "scale_80", "scale_95"]


def read_selection(path: Path):
    """A saved selection, or an error message."""
    import pandas as pd

    from forecasts.registry import MODELS

    try:
        frame = pd.read_csv(path, dtype={"queue": str, "market": str, "model": str, "reason": str})
    except (OSError, ValueError) as exc:
        return None, f"{path}: cannot read the selection ({exc})"
    missing = [c for c in SELECTION_COLUMNS if c not in frame.columns]
    if missing:
        return None, f"{path}: missing columns {', '.join(missing)} (write it with --save-selection)"
    unknown = sorted(set(frame["model"]) - set(MODELS))
    if unknown:
        return None, f"{path}: unknown models {', '.join(unknown)}; known: {', '.join(MODELS)}"
    return frame[SELECTION_COLUMNS], None


def run(args: argparse.Namespace) -> int:
    from planning.export.safe import write_csv
    from planning.forecasting import run_forecast

    if not weeks_in_range(args.weeks):
        return EXIT_USAGE
    operation, code = load(args.inputs)
    if operation is None:
        return code
    selection = None
    if args.selection:
        selection, problem = read_selection(args.selection)
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_PROBLEMS
    weeks = args.weeks or max(2, operation.settings.planning_weeks)
    result = run_forecast(operation, weeks, progress_bar(not args.quiet), backend=args.backend,
                          workers=args.workers, use_cache=not args.no_cache, selection=selection)
    if args.save_selection:
        args.save_selection.parent.mkdir(parents=True, exist_ok=True)
        write_csv(result.selection[SELECTION_COLUMNS], args.save_selection)
    frame = result.forecast.copy()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(frame, args.out, float_format="%.3f")
    elif not args.json:
        write_csv(frame, sys.stdout, float_format="%.3f")
    if args.json:
        print(json.dumps({
            "weeks": weeks, "rows": len(frame), "out": str(args.out) if args.out else None,
            "selection": result.selection.to_dict("records"),
            "warnings": result.warnings.to_dict("records"),
            "timings": result.timings,
        }, indent=2, default=str))
    elif args.out:
        chosen = result.selection["model"].value_counts().to_dict()
        print(f"wrote {len(frame):,} rows for {len(result.selection)} series, {weeks} weeks, to {args.out}; "
              f"models: {', '.join(f'{k} x{v}' for k, v in chosen.items())}"
              + (f"; {len(result.warnings)} warnings" if len(result.warnings) else ""))
    return EXIT_OK
