"""``python -m planning plan INPUTS --weeks N --out plan.xlsx [--json]``: the shift plan.

Loads the operation, forecasts ``--weeks`` weeks past the history (or from ``--start``),
computes the requirements, solves the shift plan in a separate process (a solver crash
cannot take the command down), simulates it, and writes a workbook with the shifts,
coverage, allocation, cost and diagnosis.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import pandas as pd

from planning.commands._common import EXIT_INTERNAL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, cannot_write


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "plan", help="plan shifts per site against every queue's SLA at least cost",
        description="Forecast, compute requirements, and solve the shift plan (OR-Tools). "
        "Writes a workbook with shifts (site-local and UTC), coverage, allocation, cost and the "
        "diagnosis of any unmet demand. Exit 0 with a plan, 1 for input problems or no plan, "
        "2 for bad options.")
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--weeks", type=int, default=None,
                        help="weeks to plan, 1-8 (default: planning_weeks from the settings)")
    parser.add_argument("--start", default=None, metavar="DATE",
                        help="first planned day (UTC, YYYY-MM-DD); default: the day after the history")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="solver time limit (default: solver_time_limit_seconds, 30)")
    parser.add_argument("--out", type=Path, required=True, help="workbook to write (.xlsx)")
    parser.add_argument("--json", action="store_true",
                        help="print status, cost, bound, gap, seconds, unmet_agent_hours, queues "
                        "[{queue, market, target, predicted, simulated}] and diagnosis as JSON")
    parser.add_argument("--tours", action="store_true",
                        help="weekly tours: the same start time on 5 consecutive days")
    parser.add_argument("--naive", action="store_true",
                        help="skip the forecast models: repeat the last week of history")
    parser.add_argument("--no-simulate", action="store_true", help="skip the simulation check")
    parser.add_argument("--sla-confidence", type=float, default=None, metavar="P",
                        help="probability a pair's week meets its SLA target, 0.5 (risk-neutral: the point "
                             "forecast) to below 1 (default: the settings' sla_confidence; docs/risk.md)")
    parser.set_defaults(func=run)


def _err(message: str) -> None:
    print(f"plan: {message}", file=sys.stderr)


def _forecast(op, weeks: int, start: pd.Timestamp | None, naive: bool) -> pd.DataFrame:
    from planning.staffing import seasonal_naive_forecast

    lead = 0
    if start is not None:
        lead = max(0, math.ceil((start - op.history_end) / pd.Timedelta(weeks=1)))
    total = weeks + lead
    if naive:
        forecast = seasonal_naive_forecast(op, total)
    else:
        try:
            from planning.forecasting import forecast_operation
        except ImportError:
            forecast = seasonal_naive_forecast(op, total)
        else:
            forecast = forecast_operation(op, total)
    begin = start if start is not None else op.history_end
    end = begin + pd.Timedelta(weeks=weeks)
    return forecast[(forecast["timestamp"] >= begin) & (forecast["timestamp"] < end)]


def _number(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else round(value, 6)


def summary(plan, diagnosis: pd.DataFrame | None = None) -> dict:
    """The --json document."""
    return {
        "status": plan.status, "cost": _number(plan.cost), "objective": _number(plan.objective),
        "bound": _number(plan.bound), "lp_bound": _number(plan.lp_bound), "gap": _number(plan.gap),
        "seconds": _number(plan.seconds), "backend": plan.backend,
        "unmet_agent_hours": _number(plan.unmet_agent_hours),
        "simulated_attainment": _number(plan.kpis.get("simulated_attainment")),
        "simulated_attainment_lo": _number(plan.kpis.get("simulated_attainment_lo")),
        "simulated_attainment_hi": _number(plan.kpis.get("simulated_attainment_hi")),
        "pairs_meeting_target": plan.kpis.get("pairs_meeting_target"),
        "pairs_judged": plan.kpis.get("pairs_judged"),
        "simulation": {k: v for k, v in (plan.simulation or {}).items() if k != "notes"},
        # simulated: the agent-level simulation (mean, 95% interval); predicted: the planner's
        # fluid model; population: the items arriving in the horizon
        "queues": [{"queue": r.queue, "market": r.market, "sla_kind": r.sla_kind,
                    "target": _number(r.target), "simulated": _number(getattr(r, "simulated", None)),
                    "simulated_lo": _number(getattr(r, "simulated_lo", None)),
                    "simulated_hi": _number(getattr(r, "simulated_hi", None)),
                    "predicted": _number(r.predicted)} for r in plan.queues.itertuples()],
        "diagnosis": [] if diagnosis is None else list(diagnosis["message"]),
        "notes": list(plan.messages),
    }


def write_workbook(path: Path, plan, diagnosis: pd.DataFrame) -> None:
    """A plain workbook: summary, shifts, coverage, allocation, cost, queues, diagnosis."""
    head = summary(plan, diagnosis)
    facts = pd.DataFrame([(k, v) for k, v in head.items() if not isinstance(v, list)],
                         columns=["item", "value"])
    from planning.export.safe import write_sheets

    # Every cell through export.safe.put: a site named "=HYPERLINK(...)" stays text.
    write_sheets(path, {"summary": facts, "shifts": plan.shifts, "coverage": plan.coverage,
                        "allocation": plan.allocation, "cost": plan.cost_by_site,
                        "queues": plan.queues, "diagnosis": diagnosis})


def run(args: argparse.Namespace) -> int:
    from planning.shiftplan import explain, precheck
    from planning.inputs import load_operation
    from planning.staffing import RequirementsError, compute_requirements
    from planning.shiftplan import PlanOptions
    from planning.access import operator
    from planning.jobs import SolveJob

    if args.weeks is not None and not 1 <= args.weeks <= 8:
        _err("--weeks must be between 1 and 8")
        return EXIT_USAGE
    if args.sla_confidence is not None and not 0.5 <= args.sla_confidence < 1:
        _err("--sla-confidence must be at least 0.5 and below 1")
        return EXIT_USAGE
    if args.time_limit is not None and args.time_limit <= 0:
        _err("--time-limit must be positive")
        return EXIT_USAGE
    start = None
    if args.start:
        try:
            start = pd.Timestamp(args.start)
        except ValueError:
            _err(f"--start '{args.start}' is not a date; write YYYY-MM-DD")
            return EXIT_USAGE
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    if args.out.suffix.lower() != ".xlsx":
        _err("--out must be an .xlsx file")
        return EXIT_USAGE
    if not args.inputs.exists():
        _err(f"{args.inputs}: no such file or folder")
        return EXIT_PROBLEMS
    op, report = load_operation(args.inputs)
    if op is None:
        _err(f"{args.inputs} has problems:")
        for line in report.lines():
            print(f"  {line}", file=sys.stderr)
        return EXIT_PROBLEMS
    if start is not None and start < op.history_end.floor("D"):
        _err(f"--start {start:%Y-%m-%d} is inside the history (it ends {op.history_end:%Y-%m-%d %H:%M} UTC)")
        return EXIT_USAGE
    weeks = args.weeks or op.settings.planning_weeks
    try:
        forecast = _forecast(op, weeks, start, args.naive)
        requirements = compute_requirements(op, forecast)
    except RequirementsError as exc:
        _err(str(exc))
        return EXIT_PROBLEMS
    for message in precheck(op, requirements)["message"].head(20):
        print(f"pre-check: {message}", file=sys.stderr)
    options = PlanOptions(time_limit_seconds=args.time_limit, weekly_tours=args.tours)
    # risk-aware (planning.confidence.plan_at_confidence): the child staffs the forecast at the
    # confidence's quantile workload; the pre-check above is on the point forecast
    job = SolveJob(op, requirements, options, simulate=not args.no_simulate, who=operator(),
                   forecast=forecast, sla_confidence=args.sla_confidence).start()
    try:
        while job.running:
            for message in job.poll():
                print(f"[{job.elapsed:5.1f} s] {message}", file=sys.stderr)
            time.sleep(0.2)
    except KeyboardInterrupt:
        job.cancel()
        raise
    for message in job.poll():
        print(f"[{job.elapsed:5.1f} s] {message}", file=sys.stderr)
    if job.state != "done":
        _err(job.error or job.state)
        return EXIT_INTERNAL
    plan = job.result
    if not plan.ok:
        _err(f"no plan: solver status {plan.status} after {plan.seconds:.0f} s")
        return EXIT_PROBLEMS
    diagnosis = explain(op, requirements, plan)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(args.out, plan, diagnosis)
    except OSError as exc:
        return cannot_write("plan", args.out, exc)
    if args.json:
        print(json.dumps(summary(plan, diagnosis), indent=2))
    else:
        print(f"{plan.status}: cost {plan.cost:,.0f} {op.settings.currency}, LP bound {plan.lp_bound:,.0f} "
              f"{op.settings.currency} (cost + shortfall penalties), "
              f"gap {plan.gap:.2%}, {plan.seconds:.1f} s; unmet {plan.unmet_agent_hours:,.1f} agent-hours")
        sim = plan.simulation or {}
        if sim.get("rounds"):
            k = plan.kpis
            print(f"simulated agent by agent ({sim['replications']} replications; {sim['population']}): "
                  f"{k['pairs_meeting_target']} of {k['pairs_judged']} queue x markets meet target, "
                  f"{k['simulated_attainment']:.1%} of items within SLA "
                  f"(95% interval {k['simulated_attainment_lo']:.1%}-{k['simulated_attainment_hi']:.1%}); "
                  f"{len(sim['rounds'])} round(s) in {sim['loop_seconds']:.0f} s")
        for r in plan.queues.itertuples():
            value = getattr(r, "simulated", float("nan"))
            simulated = "not run" if pd.isna(value) else (
                f"{value:.1%} ({r.simulated_lo:.1%}-{r.simulated_hi:.1%})" if pd.notna(r.simulated_lo) else f"{value:.1%}")
            print(f"  {r.queue:<24} {r.market:<9} target {r.target:.0%}  simulated {simulated}  "
                  f"model prediction (fluid) {r.predicted:.1%}")
        for message in diagnosis["message"]:
            print(f"  ! {message}")
        print(f"wrote {args.out}")
    return EXIT_OK
