"""``python -m planning monitor INPUTS [--actuals FILE] [--json]``: actuals vs forecast and plan."""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import pandas as pd

from planning.commands._common import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "monitor",
        help="compare actuals with the forecast (and plan): KPIs, alerts with root causes",
        description="Read the actuals (INPUTS/actuals.csv[.gz] or --actuals), forecast the operation "
        "over them (cached), compute KPIs by day and week and flag volume spikes and level shifts, AHT "
        "drift, under-staffing and backlog, each with its main cause. --now re-forecasts the rest of "
        "that day and week and prints the agents to add or release per site.",
    )
    parser.add_argument("inputs", metavar="INPUTS", type=Path, help="folder, .zip or .xlsx")
    parser.add_argument("--actuals", type=Path, default=None, metavar="FILE",
                        help="actuals CSV or .csv.gz (default: the actuals table in INPUTS)")
    parser.add_argument("--forecast", type=Path, default=None, metavar="FILE.csv",
                        help="use this forecast (the output of 'forecast --out') instead of forecasting")
    parser.add_argument("--plan", action="store_true",
                        help="compare staffing with the baseline shift plan (computed once, then cached)")
    parser.add_argument("--now", default=None, metavar="TIMESTAMP",
                        help="intraday re-forecast from this UTC time, e.g. 2026-11-18T12:00Z")
    parser.add_argument("--replan", action="store_true",
                        help="with --now: re-plan the rest of the forecast from now, starting from the real "
                             "backlog (open mode, checked agent by agent)")
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                        help="--replan: seconds for the plan-and-check loop (default: the settings' limit)")
    parser.add_argument("--json", action="store_true", help="print JSON: kpis, alerts, intraday, seconds")
    parser.set_defaults(func=run)


def _problems(report) -> None:
    for line in report.lines():
        print(line, file=sys.stderr)


def _load_actuals(args, op):
    from planning.inputs import Limits
    from planning.inputs import read_tables
    from planning.monitor import load_actuals, validate_actuals
    from planning.inputs import ValidationReport

    if args.actuals is not None:
        if not args.actuals.exists():
            print(f"{args.actuals}: no such file", file=sys.stderr)
            return None, EXIT_PROBLEMS
        return load_actuals(args.actuals, op)
    if args.inputs.is_dir():
        return load_actuals(args.inputs, op)
    report = ValidationReport()
    raw = read_tables(args.inputs, Limits(), report).get("actuals")
    if raw is None:
        report.add(args.inputs.name, None, None, None, "has no actuals table; add one or pass --actuals FILE")
        return None, report
    return validate_actuals(raw, op, report), report


def _forecast(args, op, actuals):
    if args.forecast is not None:
        frame = pd.read_csv(args.forecast)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
        return frame
    from planning.pipeline import base_forecast

    return base_forecast(op, _weeks(op, actuals))


def _weeks(op, actuals) -> int:
    span = actuals["timestamp"].max() - op.history_end
    return max(1, math.ceil((span + pd.Timedelta(minutes=op.settings.interval_minutes)) / pd.Timedelta(weeks=1)))


def _records(frame: pd.DataFrame) -> list[dict]:
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.isoformat().replace("+00:00", "Z")
            elif isinstance(value, float) and not math.isfinite(value):
                value = None
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        out.append(clean)
    return out


def run(args) -> int:
    from planning.inputs import load_operation
    from planning.monitor import ActualsError, run_monitor

    if not args.inputs.exists():
        print(f"{args.inputs}: no such file or folder", file=sys.stderr)
        return EXIT_PROBLEMS
    t0 = time.perf_counter()
    op, report = load_operation(args.inputs)
    if op is None or not report.valid:
        _problems(report)
        return EXIT_PROBLEMS
    actuals, areport = _load_actuals(args, op)
    if isinstance(areport, int):
        return areport
    if actuals is None:
        _problems(areport)
        return EXIT_PROBLEMS
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        forecast = _forecast(args, op, actuals)
    except (OSError, ValueError, KeyError) as exc:
        print(f"forecast: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    allocation = None
    if args.plan:
        from planning.pipeline import baseline

        allocation = baseline(op, weeks=_weeks(op, actuals)).plan.allocation
    forecast_s = time.perf_counter() - t0
    try:
        result = run_monitor(op, actuals, forecast, allocation)
    except ActualsError as exc:
        print(f"actuals: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    intraday = None
    if args.now:
        from planning.monitor.intraday import intraday as reforecast

        try:
            now = pd.Timestamp(args.now)
        except ValueError:
            print(f"--now: '{args.now}' is not a timestamp; write it like 2026-11-18T12:00Z", file=sys.stderr)
            return EXIT_USAGE
        intraday = reforecast(op, forecast, actuals, now, allocation=allocation)
    elif args.replan:
        print("--replan needs --now (the time to re-plan from)", file=sys.stderr)
        return EXIT_USAGE
    replan = None
    if args.replan:
        from planning.monitor.intraday import replan_from_now

        try:
            plan, _ = replan_from_now(op, forecast, actuals, now, time_limit=args.time_limit,
                                      progress=lambda m: print(f"re-plan: {m}", file=sys.stderr))
        except ValueError as exc:
            print(f"--replan: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        k = plan.kpis or {}
        replan = {"status": plan.status, "cost": _num(plan.cost), "currency": op.settings.currency,
                  "horizon_mode": plan.options.horizon_mode,
                  "simulated_attainment": _num(k.get("simulated_attainment")),
                  "pairs_meeting_target": k.get("pairs_meeting_target"), "pairs_judged": k.get("pairs_judged"),
                  "population": (plan.simulation or {}).get("population"),
                  "misses": (plan.simulation or {}).get("misses", []),
                  "headcount_by_site": (plan.shifts.groupby("site")["headcount"].sum().astype(int).to_dict()
                                        if plan.ok and len(plan.shifts) else {})}
    seconds = {"load": round(load_s, 2), "forecast_and_plan": round(forecast_s, 2),
               "monitor": round(result.seconds, 2)}
    if args.json:
        payload = {"kpis": _records(result.kpis), "alerts": _records(result.alerts),
                   "breakdowns": {str(k): _records(v) for k, v in result.breakdowns.items()},
                   "plan": result.has_plan, "seconds": seconds}
        if intraday is not None:
            payload["intraday"] = {"now": intraday.now.isoformat().replace("+00:00", "Z"),
                                   "factors": _records(intraday.factors),
                                   "site_gap": _records(intraday.site_gap)}
        if replan is not None:
            payload["replan"] = replan
        json.dump(payload, sys.stdout, indent=1)
        sys.stdout.write("\n")
        for w in areport.warnings:
            print(str(w), file=sys.stderr)
        return EXIT_OK
    print(summary(result, intraday, op.settings.currency))
    if replan is not None:
        if replan["status"] in ("optimal", "feasible"):
            print(f"Re-plan from {now:%Y-%m-%d %H:%M} UTC (from the real backlog): cost {replan['cost']:,.0f} "
                  f"{replan['currency']}; simulated agent by agent: {replan['pairs_meeting_target']} of "
                  f"{replan['pairs_judged']} queue x markets meet target ({replan['population']})")
            for line in replan["misses"]:
                print(f"  ! {line}")
        else:
            print(f"Re-plan from {now:%Y-%m-%d %H:%M} UTC: no plan ({replan['status']})")
    print(f"(load {seconds['load']} s, forecast/plan {seconds['forecast_and_plan']} s, "
          f"monitor {seconds['monitor']} s)")
    return EXIT_OK


def summary(result, intraday, currency: str) -> str:
    week = result.kpis[(result.kpis["period"] == "week") & (result.kpis["level"] == "total")]
    lines = []
    for row in week.itertuples(index=False):
        lines.append(f"Week of {row.period_start:%Y-%m-%d}: manual incoming {row.manual_incoming:,.0f} items "
                     f"({row.volume_bias:+.1%} vs forecast), automation {row.automation_rate:.1%}, "
                     f"solved/incoming {row.solved_vs_incoming:.1%}, SLA {row.sla_attainment:.1%} "
                     f"(target {row.sla_target:.1%}), AHT {row.aht_vs_plan:+.1%} vs plan, occupancy "
                     f"{row.occupancy:.1%}, cost per solved {row.cost_per_solved:.2f} {currency}")
    lines.append(f"{len(result.alerts)} alert(s):")
    for a in result.alerts.itertuples(index=False):
        lines.append(f"  #{a.id} {a.kind:<8} {a.start:%Y-%m-%d %H:%M} - {a.end:%Y-%m-%d %H:%M} UTC  {a.message}")
    if intraday is not None:
        today = intraday.site_gap[intraday.site_gap["timestamp"] < intraday.now.floor("D") + pd.Timedelta(days=1)]
        peak = today.groupby("site")["gap_headcount"].agg(["min", "max"])
        lines.append(f"Intraday from {intraday.now:%Y-%m-%d %H:%M} UTC, rest of day, headcount to add (+) / "
                     "release (-) per site (min .. max over intervals):")
        for site, r in peak.iterrows():
            lines.append(f"  {site:<8} {r['min']:+.1f} .. {r['max']:+.1f}")
    return "\n".join(lines)


def _num(value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else round(value, 2)
