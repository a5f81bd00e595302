"""What the CLI commands share: exit codes, loading the inputs, a progress bar, option checks.

Modules whose name starts with ``_`` are not commands (``planning.cli`` skips them).
"""
from __future__ import annotations

import sys
from pathlib import Path

# 0 ok, 1 the inputs have problems, 2 usage error, 3 internal error (planning/cli.py)
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def weeks_in_range(weeks: int | None, low: int = 1, high: int = 26) -> bool:
    """True when --weeks is unset or within [low, high]; else says so on stderr."""
    if weeks is not None and not low <= weeks <= high:
        print(f"--weeks must be between {low} and {high}", file=sys.stderr)
        return False
    return True


def progress_bar(enabled: bool = True):
    """A one-line progress bar on stderr: callback(done, total, message)."""
    def show(done: int, total: int, message: str = "") -> None:
        if not enabled:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:40]:<40}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
    return show


def load(path: Path):
    """(operation, None) or (None, exit code) after printing the problems to stderr."""
    from planning.inputs import load_operation

    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return None, EXIT_USAGE
    operation, report = load_operation(path)
    if operation is None or not report.valid:
        for line in report.lines():
            print(line, file=sys.stderr)
        print(f"{path}: the inputs have problems; run 'python -m planning validate {path}'", file=sys.stderr)
        return None, EXIT_PROBLEMS
    return operation, None
