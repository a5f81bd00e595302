"""``python -m planning validate INPUTS [--json]``: check an input folder or workbook."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a folder of CSV files or an .xlsx workbook and list every problem",
        description="Read the inputs (a folder of <table>.csv / <table>.csv.gz files, a .zip of "
        "them, or one .xlsx workbook with a sheet per table) and list every problem as "
        "'LOCATION: message'. Exit 0 when the inputs are valid (warnings allowed), 1 when not.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--json", action="store_true",
                        help='print {"valid": bool, "problems": [{"file", "sheet", "row", "column", '
                        '"message", "severity"}, ...]}')
    parser.add_argument("--max-uncompressed-mb", type=float, default=None, metavar="MB",
                        help="refuse workbooks / .gz / .zip that inflate beyond this (default 600)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planning.inputs import Limits
    from planning.inputs import load_operation

    limits = Limits() if args.max_uncompressed_mb is None else Limits(max_uncompressed_mb=args.max_uncompressed_mb)
    operation, report = load_operation(args.inputs, limits)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for line in report.lines():
            print(line)
        if report.valid and operation is not None:
            volume = operation.volume
            print(f"{args.inputs}: valid - {len(operation.queues)} queues, {len(operation.markets)} markets, "
                  f"{len(operation.sites)} sites, {len(volume):,} volume rows "
                  f"({volume['timestamp'].min():%Y-%m-%d} to {volume['timestamp'].max():%Y-%m-%d}, "
                  f"{operation.settings.interval_minutes}-minute intervals)"
                  + (f", {len(report.warnings)} warnings" if report.warnings else ""))
        else:
            print(f"{args.inputs}: {len(report.errors)} errors, {len(report.warnings)} warnings",
                  file=sys.stderr)
    return EXIT_OK if report.valid and operation is not None else EXIT_PROBLEMS
