"""What the CLI commands share: exit codes, loading the inputs, a progress bar, option checks.

Modules whose name starts with ``_`` are not commands (``planning.cli`` skips them).
"""
from __future__ import annotations

import errno
import sys
from pathlib import Path

# One convention for every command (README, planning/cli.py):
#   0 ok;
#   1 the inputs have problems: invalid or missing INPUTS, no feasible plan, unknown scenario;
#   2 usage error: an unknown flag or an option value out of range (--weeks 99, --target 1.5);
#   3 internal error: a bug in the planner (one line, never a traceback);
#   4 environment problem: disk full, read-only or unwritable path, database unreachable,
#     out of memory - the machine's or network's fault, not the inputs' and not a bug.
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_ENVIRONMENT = 0, 1, 2, 3, 4

_ERRNO_HINTS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
                errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                errno.EDQUOT: "the disk quota is exceeded"}


def environment_problem(exc: BaseException) -> str | None:
    """What went wrong, when ``exc`` is the environment's fault (else None).

    OSError (disk full, read-only, permissions, a network error), a database that cannot be
    reached (SQLAlchemy / psycopg operational and interface errors) and MemoryError.
    """
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, OSError):
        hint = _ERRNO_HINTS.get(exc.errno or 0, exc.strerror or str(exc))
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{hint}{where}"
    try:
        from sqlalchemy import exc as sa
    except ImportError:  # the store's extra is not installed: nothing to recognise
        return None
    if isinstance(exc, (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)):
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"the database cannot be reached or used ({first})"
    return None


def cannot_write(command: str, path, exc: OSError) -> int:
    """Report an output that could not be written; exit 4 (the environment), not 1."""
    print(f"{command}: cannot write {path}: {environment_problem(exc)}", file=sys.stderr)
    return EXIT_ENVIRONMENT


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
        return None, EXIT_PROBLEMS
    operation, report = load_operation(path)
    if operation is None or not report.valid:
        for line in report.lines():
            print(line, file=sys.stderr)
        print(f"{path}: the inputs have problems; run 'python -m planning validate {path}'", file=sys.stderr)
        return None, EXIT_PROBLEMS
    return operation, None
