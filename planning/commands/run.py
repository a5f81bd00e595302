"""``python -m planning run INPUTS --weeks N --out plan.xlsx``: the whole pipeline, one command.

validate -> forecast -> (scenario levers) -> requirements -> plan -> simulate -> export,
with a progress bar per stage on stderr and a one-screen summary (``--json``: the plan
summary as JSON on stdout instead).  Suitable for a nightly job: exit 0 when the plan
was written, 1 when the inputs or the scenario have problems or no plan was found.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="validate, forecast, plan, simulate and export the staffing workbook in one go",
        description="Validate INPUTS, forecast N weeks, apply a saved scenario's levers (--scenario) or "
        "ad-hoc levers (--lever), compute requirements, plan shifts, simulate the plan, check it "
        "independently and write the Excel staffing plan (and a per-vendor pack). Progress on stderr.")
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder of CSV files, .zip or .xlsx")
    parser.add_argument("--scenario", metavar="ID|NAME",
                        help="a saved scenario (see 'scenario list'): its levers and settings apply to INPUTS")
    parser.add_argument("--lever", action="append", default=[], metavar="JSON",
                        help="an ad-hoc lever as JSON (repeatable, applied after the scenario's)")
    parser.add_argument("--db", metavar="URL", help="scenario store (default: $WFM_DB, else var/scenarios.db)")
    parser.add_argument("--weeks", type=int, default=None, metavar="N",
                        help="weeks to plan, 1-8 (default: the scenario's, else settings planning_weeks)")
    parser.add_argument("--start", metavar="YYYY-MM-DD", help="first planned day, UTC (default: after the history)")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS", help="shift-planner time limit")
    parser.add_argument("--sla-confidence", type=float, metavar="P",
                        help="probability a pair's week meets its SLA target, 0.5 (risk-neutral: the point "
                             "forecast) to below 1 (default: the settings' sla_confidence; docs/risk.md)")
    parser.add_argument("--out", type=Path, required=True, metavar="plan.xlsx", help="workbook to write")
    parser.add_argument("--vendor-pack", type=Path, metavar="DIR",
                        help="also write one workbook per vendor (and vendor-pack.zip) into DIR")
    parser.add_argument("--hiring", type=float, metavar="MONTHS",
                        help="also plan hiring MONTHS ahead (needs the hiring table) and add the Hiring plan sheet")
    parser.add_argument("--hiring-demand", choices=["forecast", "history"], default="forecast",
                        help="long-range demand for --hiring: the long-range forecast (default) or last year's "
                        "history with trend (fast)")
    parser.add_argument("--json", action="store_true", help="print the plan summary as JSON on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


class StageBar:
    """Progress on stderr: a redrawn bar on a terminal, one line per stage otherwise."""

    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = self.enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last = None
        self.t0 = time.perf_counter()

    def __call__(self, message: str, fraction: float) -> None:
        if not self.enabled:
            return
        fraction = min(max(float(fraction), 0.0), 1.0)
        filled = int(30 * fraction)
        line = f"[{'#' * filled}{'.' * (30 - filled)}] {fraction:4.0%} {message[:60]}"
        if self.tty:
            self.stream.write(f"\r{line:<100}")
            if fraction >= 1.0:
                self.stream.write("\n")
        else:
            stage = message.split(":")[0]
            if stage == self.last:
                return
            self.last = stage
            self.stream.write(f"{line}  ({time.perf_counter() - self.t0:.0f} s)\n")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _fail(message: str, code: int = EXIT_PROBLEMS) -> int:
    print(f"run: {message}", file=sys.stderr)
    return code


def _levers(args):
    """(label, levers, settings dict) from --scenario and --lever."""
    from planning.scenarios import parse_lever

    label, levers, settings = "Base plan", [], {}
    if args.scenario:
        from planning.access import operator
        from planning.scenarios import Store

        scenario = Store(args.db).find(args.scenario, who=operator())
        label, levers = scenario.name, list(scenario.levers)
        settings = scenario.settings.model_dump()
    extra = [parse_lever(text) for text in args.lever]
    if extra:
        label = f"{label} + {len(extra)} ad-hoc lever(s)"
    return label, levers + extra, settings


def _summary_lines(summary: dict, check: list, wrote: list[str], seconds: float) -> list[str]:
    cur = summary.get("currency", "")
    fmt = lambda v, spec: "-" if v is None else format(v, spec)  # noqa: E731
    lines = [f"Scenario:   {summary['scenario']}",
             f"Plan:       {summary['plan_start']} to {summary['plan_end']} (UTC), status {summary['status']}, "
             f"gap {fmt(summary.get('gap'), '.2%')}",
             f"Cost:       {cur} {fmt(summary.get('cost'), ',.0f')} for {fmt(summary.get('paid_hours'), ',.0f')} "
             f"paid hours; unmet demand {fmt(summary.get('unmet_agent_hours'), ',.1f')} agent-h",
             "Headcount:  " + ", ".join(f"{v} {n} agents" for v, n in sorted(summary["headcount_by_vendor"].items()))
             + " (busiest day, summed over sites)"]
    for lever in summary["levers"][:5]:
        lines.append(f"Lever:      {lever}")
    rows = summary.get("attainment") or []
    misses = [r for r in rows if r.get("predicted") is not None and r.get("target") is not None
              and r["predicted"] < r["target"] - 1e-9]
    lines.append(f"SLA:        {len(rows) - len(misses)} of {len(rows)} queue x market pairs meet their target "
                 "(predicted)")
    for r in sorted(misses, key=lambda r: r["predicted"] - r["target"])[:5]:
        sim = r.get("simulated")
        lines.append(f"  short:    {r['queue']} / {r['market']}: predicted {r['predicted']:.1%} vs target "
                     f"{r['target']:.0%}" + (f", simulated {sim:.1%}" if sim is not None else ""))
    if summary.get("hiring"):
        h = summary["hiring"]
        lines.append(f"Hiring:     {sum(h['hires'].values())} hires over {h['weeks']} weeks; "
                     f"{h['weeks_short']} short week(s) with them, {h['weeks_short_no_hire']} without")
    lines.append("Check:      " + ("the independent checker found no violation" if not check else
                                   f"{len(check)} violation(s), e.g. {check[0].constraint}: {check[0].message}"))
    lines += [f"Wrote:      {w}" for w in wrote]
    lines.append(f"Done in {seconds:.0f} s")
    return lines


def _capacity(result, months: float, demand: str):
    """The hiring plan for ``months`` ahead, its scheduling efficiency learned from this plan."""
    from planning.capacity import plan_capacity
    from planning.capacity import fallback_weekly_volume, horizon_weeks, long_range_weekly_volume

    op = result.operation
    if demand == "history":
        weekly, label = fallback_weekly_volume(op, horizon_weeks(months)), "history fallback"
    else:
        weekly, label = long_range_weekly_volume(op, months)
    return plan_capacity(op, weekly, requirements=result.requirements, plan_shifts=result.plan.shifts,
                         demand_source=label, plan_kpis=result.plan.kpis)


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from planning.export import plan_summary, write_vendor_pack, write_workbook
    from planning.inputs import load_operation
    from planning.scenarios import LeverError, explain
    from planning.pipeline import run_pipeline
    from planning.shiftplan import check_plan
    from planning.scenarios import StoreError

    t0 = time.perf_counter()
    if args.weeks is not None and not 1 <= args.weeks <= 8:
        return _fail("--weeks must be between 1 and 8", EXIT_USAGE)
    if args.out.suffix.lower() != ".xlsx":
        return _fail("--out must end in .xlsx", EXIT_USAGE)
    if not args.inputs.exists():
        return _fail(f"{args.inputs}: no such file or folder")
    try:
        label, levers, saved = _levers(args)
    except ValidationError as exc:
        return _fail(explain(exc))
    except (LeverError, StoreError, ValueError) as exc:
        return _fail(str(exc))
    bar = StageBar(enabled=not args.quiet)
    bar("Validating the inputs", 0.0)
    op, report = load_operation(args.inputs)
    if op is None:
        bar.done()
        print(f"run: {args.inputs} has problems:", file=sys.stderr)
        for line in report.lines():
            print(f"  {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    weeks = args.weeks or saved.get("weeks") or op.settings.planning_weeks
    start = args.start or saved.get("start")
    try:
        result = run_pipeline(op, weeks=weeks, levers=levers, start=start,
                              time_limit=args.time_limit or saved.get("time_limit_seconds"),
                              sla_confidence=args.sla_confidence,
                              progress=lambda m, f: bar("Plan ready" if m == "Done" else m, 0.02 + 0.88 * f))
    except (LeverError, ValueError) as exc:
        bar.done()
        return _fail(str(exc))
    if not result.plan.ok:
        bar.done()
        return _fail(f"no plan: the shift planner ended '{result.plan.status}' "
                     + "; ".join(result.plan.messages[:3]))
    if args.hiring:
        if op.hiring is None or not len(op.hiring):
            bar.done()
            return _fail("--hiring needs the hiring table in INPUTS (see 'template')")
        bar("Planning hiring (long range)", 0.90)
        result.capacity = _capacity(result, args.hiring, args.hiring_demand)
    bar("Checking the plan independently", 0.92)
    check = check_plan(result.operation, result.requirements, result.plan)
    bar("Writing the workbook", 0.95)
    wrote = [str(write_workbook(result, args.out, scenario=label))]
    if args.vendor_pack:
        bar("Writing the vendor pack", 0.98)
        wrote += [str(p) for p in write_vendor_pack(result, args.vendor_pack, scenario=label)]
    bar("Done", 1.0)
    bar.done()
    seconds = time.perf_counter() - t0
    summary = plan_summary(result, scenario=label)
    if result.capacity is not None:
        summary["hiring"] = result.capacity.summary()
    summary.update(workbook=wrote[0], vendor_pack=wrote[1:], seconds=round(seconds, 1),
                   check=[{"constraint": v.constraint, "message": v.message} for v in check],
                   warnings=[str(w) for w in report.warnings][:50])
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print("\n".join(_summary_lines(summary, check, wrote, seconds)))
    return EXIT_OK
