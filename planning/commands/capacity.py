"""``python -m planning capacity INPUTS --months N --out FILE.xlsx [--json]``: the hiring plan."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cannot_write, load


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "capacity",
        help="long-range capacity and hiring plan (12-18 months by week)",
        description="Turn the long-range forecast into weekly demand FTE, project each site's "
        "supply (attrition, recruiting lead time, training, nesting) and choose training classes "
        "per site per week at least cost (salary, hiring, training, priority-weighted shortfall); "
        "a site whose hiring rows name teams is planned by team. "
        "Writes an Excel workbook; --json prints cost, gap, weeks_short and hires per site and per team.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--months", type=float, default=18, metavar="N", help="horizon in months (1-24, default 18)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE.xlsx", help="write the plan workbook here")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="solver time limit in seconds (default: settings)")
    parser.add_argument("--gap", type=float, default=None, metavar="G", help="relative MIP gap target (e.g. 0.01)")
    parser.add_argument("--growth", type=float, default=0.0, metavar="G", help="volume uplift, 0.1 = +10%%")
    parser.add_argument("--attrition-multiplier", type=float, default=1.0, metavar="X",
                        help="scale every site's attrition (1.5 = 50%% more leavers)")
    parser.add_argument("--freeze-weeks", type=int, default=0, metavar="N", help="hiring freeze for the first N weeks")
    parser.add_argument("--site-exit", action="append", default=[], metavar="SITE=DATE",
                        help="site closes from this date (YYYY-MM-DD, UTC); repeatable")
    parser.add_argument("--efficiency", type=float, default=None, metavar="F",
                        help="scheduling-efficiency factor (default 1.15)")
    parser.add_argument("--history-demand", action="store_true",
                        help="use the history fallback instead of the long-range forecast (faster)")
    parser.set_defaults(func=run)


def _site_exits(items: list[str], sites) -> dict | str:
    import pandas as pd

    out = {}
    for item in items:
        name, _, when = item.partition("=")
        if name not in sites:
            return f"--site-exit: unknown site '{name}' (sites: {', '.join(sorted(sites))})"
        try:
            out[name] = pd.Timestamp(when, tz="UTC")
        except (ValueError, TypeError):
            return f"--site-exit: '{when}' is not a date; write SITE=YYYY-MM-DD"
    return out


def hire_lines(plan) -> list[str]:
    """One line per site, naming its teams when the site is planned by team:
    ``MNL-A: 40 agents hired (EN team 30, JA team 10)``."""
    problem, by_team = plan.problem, plan.hires_by_team
    lines = []
    for site, n in plan.hires_by_site.items():
        teams = [(problem.team(s), by_team[problem.units[s]]) for s, name in enumerate(problem.sites)
                 if name == site and problem.team(s)]
        detail = " (" + ", ".join(f"{team} team {k}" for team, k in teams) + ")" if teams else ""
        lines.append(f"{site}: {n} agents hired{detail}")
    return lines


def run(args: argparse.Namespace) -> int:
    from planning.capacity import plan_capacity, write_excel
    from planning.capacity import fallback_weekly_volume, horizon_weeks, long_range_weekly_volume

    if not 1 <= args.months <= 24:
        print("--months must be between 1 and 24", file=sys.stderr)
        return EXIT_USAGE
    if args.out is None and not args.json:
        print("give --out FILE.xlsx and/or --json", file=sys.stderr)
        return EXIT_USAGE
    if args.out is not None and args.out.suffix.lower() != ".xlsx":
        print("--out must end in .xlsx", file=sys.stderr)
        return EXIT_USAGE
    if args.freeze_weeks < 0 or args.attrition_multiplier < 0 or args.growth <= -1:
        print("--freeze-weeks and --attrition-multiplier must be >= 0 and --growth > -1", file=sys.stderr)
        return EXIT_USAGE
    operation, code = load(args.inputs)
    if operation is None:
        return code
    exits = _site_exits(args.site_exit, operation.sites)
    if isinstance(exits, str):
        print(exits, file=sys.stderr)
        return EXIT_USAGE
    if args.history_demand:
        weekly, source = fallback_weekly_volume(operation, horizon_weeks(args.months)), "history fallback"
    else:
        weekly, source = long_range_weekly_volume(operation, args.months)
    try:
        plan = plan_capacity(operation, weekly, efficiency=args.efficiency, growth=args.growth,
                             attrition_multiplier=args.attrition_multiplier, freeze_weeks=args.freeze_weeks,
                             site_exit=exits, time_limit_s=args.time_limit, gap_target=args.gap,
                             demand_source=source)
    except ValueError as exc:
        print(f"capacity: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.out is not None:
        try:
            write_excel(plan, args.out)
        except OSError as exc:
            return cannot_write("capacity", args.out, exc)
    for line in plan.warnings:
        print(f"warning: {line}", file=sys.stderr)
    for line in plan.check:
        print(f"check: {line}", file=sys.stderr)
    if args.json:
        print(json.dumps(plan.summary(), indent=2, default=str))
    else:
        s = plan.summary()
        print(f"{s['weeks']} weeks from {plan.problem.weeks[0]:%Y-%m-%d} ({source}); status {s['status']}, "
              f"gap {s['gap']:.2%}, {s['solve_seconds']:.1f} s")
        print(f"cost {s['cost']:,.0f} {operation.settings.currency}; weeks short {s['weeks_short']} "
              f"(hire nobody: {s['weeks_short_no_hire']})")
        for line in hire_lines(plan):
            print(f"  {line}")
        print(f"wrote {args.out}")
    return EXIT_OK
