"""``python -m planning cross-training INPUTS [--candidates N] [--time-limit S] [--json]``.

The value of cross-training (``planning.scenarios.cross_training``): a handful of "one extra
skill on one team" changes, each measured by re-planning one week (the last week of history
repeated, as the Plan page's fast forecast) against the base plan solved the same way.  The
solves run in a separate process (``planning.jobs``), so a solver crash cannot take the
command down.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, load


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cross-training", help="what one extra skill on a team would save, by re-planning the week",
        description="Choose a few teams that could learn one queue x market their site already works, "
        "re-plan one week with each skill added and report the saving per week against the base plan "
        "(cost, unmet agent-hours, the pair's predicted attainment). Exit 0 with a report, 1 for input "
        "problems or no base plan, 2 for bad options.")
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--candidates", type=int, default=5, metavar="N",
                        help="how many candidate skills to re-plan, 1-20 (default 5)")
    parser.add_argument("--time-limit", type=float, default=20.0, metavar="SECONDS",
                        help="solver time limit per plan (default 20; the base plan and each candidate)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def _err(message: str) -> None:
    print(f"cross-training: {message}", file=sys.stderr)


def lines(report) -> list[str]:
    """The report for people: one line per candidate, money in the operation's currency."""
    cur = report.currency
    out = [f"Base plan ({report.base_status}): {cur} {report.base_cost / report.weeks:,.0f} a week, "
           f"{report.base_unmet / report.weeks:,.1f} agent-hours unmet a week"]
    for r in report.rows.itertuples():
        if r.status not in ("optimal", "feasible"):
            out.append(f"- {r.label} + {r.market} {r.queue}: no plan (status {r.status})")
            continue
        noise = " (within the solver's gap)" if r.within_gap else ""
        out.append(f"- {r.label} + {r.market} {r.queue}: {_signed(r.value_per_week, cur)} a week{noise} "
                   f"(paid hours {_signed(r.cost_saving_per_week, cur)}, unmet agent-hours "
                   f"{_signed(r.unmet_hours_saved_per_week, '', 1)}); why tried: {r.why}")
    out.extend(f"Note: {n}" for n in report.notes)
    return out


def _signed(saving: float, currency: str, digits: int = 0) -> str:
    """'saves USD 1,504', 'costs USD 371 more', 'no change' (a saving that rounds to 0)."""
    amount = f"{currency} {abs(saving):,.{digits}f}".strip()
    if round(abs(saving), digits) == 0:
        return "no change"
    return f"saves {amount}" if saving > 0 else f"costs {amount} more"


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.candidates <= 20:
        _err("--candidates must be between 1 and 20")
        return EXIT_USAGE
    if not args.time_limit > 0:
        _err("--time-limit must be positive")
        return EXIT_USAGE
    operation, code = load(args.inputs)
    if operation is None:
        return code
    from planning.jobs import run_isolated
    from planning.scenarios.cross_training import report_to_json
    from planning.shiftplan import PlanOptions
    from planning.staffing import RequirementsError, compute_requirements, seasonal_naive_forecast

    try:
        requirements = compute_requirements(operation, seasonal_naive_forecast(operation, 1))
    except RequirementsError as exc:
        _err(str(exc))
        return EXIT_PROBLEMS
    progress = None if args.json else (lambda message, fraction: print(f"[{fraction:4.0%}] {message}",
                                                                       file=sys.stderr, flush=True))
    try:
        report = run_isolated("cross_training", progress=progress, op=operation, requirements=requirements,
                              options=PlanOptions(time_limit_seconds=args.time_limit), n=args.candidates)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_PROBLEMS
    if args.json:
        print(json.dumps(report_to_json(report), indent=2))
    else:
        print("\n".join(lines(report)))
    return EXIT_OK
