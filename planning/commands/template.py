"""``python -m planning template OUT``: write the blank input template."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_USAGE, cannot_write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "template",
        help="write a blank input template (a CSV folder, or an .xlsx workbook)",
        description="Write header-only CSV files into the folder OUT, or, when OUT ends in .xlsx, a "
        "workbook with one sheet per table and an Instructions sheet describing every column.",
    )
    parser.add_argument("out", metavar="OUT", type=Path, help="folder, or a path ending in .xlsx")
    parser.add_argument("--format-markdown", action="store_true",
                        help="print the input-format tables as markdown instead (OUT is ignored)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planning.inputs import format_markdown, write_template

    if args.format_markdown:
        print(format_markdown())
        return EXIT_OK
    out: Path = args.out
    if out.suffix.lower() != ".xlsx" and out.exists() and not out.is_dir():
        print(f"{out}: exists and is not a folder; give a folder or a path ending in .xlsx", file=sys.stderr)
        return EXIT_USAGE
    if out.suffix.lower() == ".xlsx" and out.is_dir():
        print(f"{out}: is a folder; give a file path ending in .xlsx", file=sys.stderr)
        return EXIT_USAGE
    try:
        written = write_template(out)
    except OSError as exc:
        return cannot_write("template", out, exc)
    print(f"wrote {len(written)} file{'s' if len(written) != 1 else ''}: {', '.join(str(p) for p in written)}")
    return EXIT_OK
