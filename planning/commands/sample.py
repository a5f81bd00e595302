"""``python -m planning sample OUT_DIR``: regenerate the built-in sample operation."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_USAGE, cannot_write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="write the built-in sample operation (seeded, byte-identical on every run)",
        description="Generate the sample Trust & Safety operation as a folder of CSV files "
        "(volume as volume.csv.gz) and print a sizing summary. data/sample is this "
        "command's output with the default seed.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="folder to write (created if missing)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the sample's seed)")
    parser.add_argument("--quiet", action="store_true", help="do not print the sizing summary")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from planning.sample import write as sample_write

    out_dir: Path = args.out_dir
    if out_dir.exists() and not out_dir.is_dir():
        print(f"{out_dir}: exists and is not a folder; give a folder path", file=sys.stderr)
        return EXIT_USAGE
    seed = sample_write.SEED if args.seed is None else args.seed
    try:
        result = sample_write.write_sample(out_dir, seed=seed)
    except OSError as exc:
        return cannot_write("sample", out_dir, exc)
    if not args.quiet:
        size_mb = sum(p.stat().st_size for p in result.files) / 1e6
        print(f"wrote {len(result.files)} files ({size_mb:.1f} MB) to {out_dir} (seed {seed})")
        print(result.report())
    return EXIT_OK
