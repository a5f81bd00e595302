"""``python -m planning``: the command-line entry.

Exit codes: 0 success, 1 the inputs have problems (or the plan is infeasible),
2 usage error, 3 unexpected internal error (one line, never a traceback), 4 the environment
(disk full, read-only, database unreachable); see ``planning.commands._common``.
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import planning.commands as commands

from planning.commands._common import (EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE,
                                       environment_problem)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: exit 2 with a one-line hint
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m planning", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):  # shared helpers, not a command
            continue
        module = importlib.import_module(f"planning.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BrokenPipeError:
        return EXIT_OK
    except MemoryError:
        print(f"{args.command}: environment problem: out of memory", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except Exception as exc:  # the promise: no traceback reaches the user
        problem = environment_problem(exc)
        if problem is not None:
            print(f"{args.command}: environment problem: {problem}. Not a planner bug: fix the "
                  "machine or the connection and run the command again.", file=sys.stderr)
            return EXIT_ENVIRONMENT
        print(
            f"internal error ({type(exc).__name__}): {exc}. This is a bug; please report it "
            "with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
