"""``python -m planning backtest INPUTS [--weeks N] [--json]``: per-series scores and the chosen model."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_USAGE, load, progress_bar, weeks_in_range


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="rolling-origin backtest of the forecasting models per queue x market",
        description="Backtest every forecasting model on each queue x market at three rolling "
        "origins and print mean MASE, WAPE, bias and 80/95%% interval coverage per series and "
        "model, with the chosen model and why.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--weeks", type=int, default=None, metavar="N",
                        help="backtest horizon in weeks (default: settings planning_weeks, at least 2)")
    parser.add_argument("--json", action="store_true", help="print scores and selection as JSON")
    parser.add_argument("--backend", choices=["process", "dask", "serial"], default=None)
    parser.add_argument("--workers", type=int, default=None, metavar="N")
    parser.add_argument("--no-cache", action="store_true", help="recompute even if cached")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planning.forecasting import backtest_operation

    if not weeks_in_range(args.weeks):
        return EXIT_USAGE
    operation, code = load(args.inputs)
    if operation is None:
        return code
    result = backtest_operation(operation, args.weeks, progress_bar(not args.quiet), backend=args.backend,
                                workers=args.workers, use_cache=not args.no_cache)
    scores = result.scores()
    if args.json:
        print(json.dumps({"scores": scores.to_dict("records"), "selection": result.selection.to_dict("records"),
                          "warnings": result.warnings.to_dict("records"), "timings": result.timings},
                         indent=2, default=str))
        return EXIT_OK
    if scores.empty:
        print("no series had enough history to backtest")
    else:
        columns = ["queue", "market", "model", "mase", "wape", "bias", "calibrated_coverage_80",
                   "calibrated_coverage_95", "chosen"]
        table = scores[columns].rename(columns={"calibrated_coverage_80": "cov80", "calibrated_coverage_95": "cov95"})
        table["chosen"] = table["chosen"].map({True: "*", False: ""})
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print()
    for row in result.selection.itertuples(index=False):
        print(f"{row.queue} x {row.market}: {row.model} - {row.reason}")
    for row in result.warnings.itertuples(index=False):
        print(f"warning: {row.queue} x {row.market}: {row.message}", file=sys.stderr)
    return EXIT_OK
