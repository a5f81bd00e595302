"""The planning pipeline: load -> forecast -> levers -> requirements -> plan -> simulate.

One function, ``run_pipeline``, used by the CLI (``run``, ``scenario run``), the app and
the scenarios.  Stages that scenario levers do not touch are reused: the base forecast
is cached by a fingerprint of the operation (in memory here, and on disk by the
forecasts package), so re-running a one-lever scenario only redoes requirements, the
plan and the simulation.
"""
from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pandas as pd

from planning.cachedir import cache_dir
from planning.confidence import plan_at_confidence, resolve_confidence
from planning.domain import Operation

Progress = Callable[[str, float], None]
"""progress(message, fraction_done 0-1)"""

_FORECAST_CACHE: "OrderedDict[str, pd.DataFrame]" = OrderedDict()
_FORECAST_CACHE_SIZE = 8


@dataclass
class PipelineResult:
    operation: Operation
    forecast: pd.DataFrame
    requirements: pd.DataFrame
    plan: Any  # planning.shiftplan.planner.PlanResult
    simulation: pd.DataFrame | None
    kpis: dict
    levers: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    capacity: Any = None
    # risk-aware staffing (planning.risk): confidence, method, notes, quantile ratios,
    # the probability step's paths and seconds, and the risk-neutral comparison
    risk: dict = field(default_factory=dict)


def fingerprint(op: Operation) -> str:
    """A content hash of an operation (objects, volume, events, settings)."""
    h = hashlib.sha256()
    for group in (op.queues, op.markets, op.sites):
        for key in sorted(group):
            h.update(group[key].model_dump_json().encode())
    for item in [*op.certifications, *op.shifts, *op.events, op.settings]:
        h.update(item.model_dump_json().encode())
    h.update(pd.util.hash_pandas_object(op.volume, index=False).values.tobytes())
    if op.site_adjustments is not None and len(op.site_adjustments):
        h.update(pd.util.hash_pandas_object(op.site_adjustments, index=False).values.tobytes())
    return h.hexdigest()[:24]


def _noop(message: str, fraction: float) -> None:
    return None


def base_forecast(op: Operation, weeks: int, progress: Progress = _noop) -> pd.DataFrame:
    """The forecast of the unmodified operation, cached by content."""
    from planning.forecasting import forecast_operation

    key = f"{fingerprint(op)}:{weeks}"
    if key in _FORECAST_CACHE:
        _FORECAST_CACHE.move_to_end(key)
        return _FORECAST_CACHE[key]

    def on_progress(done: int, total: int, message: str = "") -> None:
        progress(f"Forecasting: {message}" if message else "Forecasting", done / max(total, 1))

    frame = forecast_operation(op, weeks, progress=on_progress)
    _FORECAST_CACHE[key] = frame
    while len(_FORECAST_CACHE) > _FORECAST_CACHE_SIZE:
        _FORECAST_CACHE.popitem(last=False)
    return frame


def remember_forecast(op: Operation, weeks: int, frame: pd.DataFrame) -> None:
    """Keep a base forecast computed elsewhere (a job's child process) for ``base_forecast``."""
    _FORECAST_CACHE[f"{fingerprint(op)}:{weeks}"] = frame
    while len(_FORECAST_CACHE) > _FORECAST_CACHE_SIZE:
        _FORECAST_CACHE.popitem(last=False)


def apply_levers(op: Operation, forecast: pd.DataFrame, levers: Iterable) -> tuple[Operation, pd.DataFrame]:
    """Apply scenario levers in order: each may change the operation and the forecast."""
    for lever in levers:
        op = lever.apply_operation(op)
        forecast = lever.apply_forecast(forecast, op)
    return op, forecast


def run_pipeline(
    op: Operation,
    *,
    weeks: int = 1,
    levers: Iterable = (),
    start: pd.Timestamp | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    simulate: bool = True,
    sla_confidence: float | None = None,
    compare_neutral: bool = False,
) -> PipelineResult:
    """Forecast, apply levers, compute requirements (at the ``sla_confidence`` quantile of the
    workload, default the operation's setting; 0.5 = the point forecast), plan shifts,
    simulate the plan and its probability of meeting target (``planning.risk``).

    compare_neutral : also plan risk-neutrally (confidence 0.5) and keep that plan's cost and
    probabilities in ``result.risk["compare"]`` (the cost of safety)."""
    from planning.shiftplan import PlanOptions

    progress = progress or _noop
    levers = list(levers)
    timings: dict[str, float] = {}
    confidence = resolve_confidence(op, sla_confidence)

    t_wall = t0 = time.perf_counter()
    cold = f"{fingerprint(op)}:{weeks}" not in _FORECAST_CACHE
    forecast = base_forecast(op, weeks, lambda m, f: progress(m, 0.05 + 0.25 * f))
    if start is not None:
        start = pd.Timestamp(start)
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        forecast = forecast[forecast["timestamp"] >= start]
    timings["forecast_s"] = time.perf_counter() - t0
    if cold:  # a base forecast computed now is kept for every later run: outside the wall
        t_wall = time.perf_counter()

    t0 = time.perf_counter()
    progress("Applying scenario levers", 0.30)
    scenario_op, scenario_forecast = apply_levers(op, forecast, levers)
    limit = float(time_limit or scenario_op.settings.solver_time_limit_seconds)
    minutes = coarse_interval_minutes(scenario_op.settings.interval_minutes, weeks, limit)
    if minutes != scenario_op.settings.interval_minutes:
        progress(f"Coarser pass: planning at {minutes}-minute intervals (a {weeks}-week horizon in "
                 f"{limit:,.0f} s)", 0.32)
        scenario_op, scenario_forecast = coarsen(scenario_op, scenario_forecast, minutes)
    timings["levers_s"] = time.perf_counter() - t0
    # The limit is a wall for the whole run: the planner gets what the stages before it left.
    left = max(WALL_MIN_PLAN_SECONDS, limit - (time.perf_counter() - t_wall))
    # A limit the caller gives (a what-if, the CLI's --time-limit) is a wall for the probability
    # step too: it runs the volume paths that fit before the wall, or none, and says so.
    wall = t_wall + limit if time_limit else None
    requirements, plan, risk = plan_at_confidence(
        scenario_op, scenario_forecast, sla_confidence=confidence, options=PlanOptions(time_limit_seconds=left),
        simulate=simulate, progress=progress, history=op, wall=wall)
    seconds = risk["seconds"]
    timings.update({k: v for k, v in seconds.items() if k != "total_s"})
    timings["plan_s"] = seconds["total_s"] - sum(v for k, v in seconds.items() if k != "total_s")
    timings["wall_s"] = time.perf_counter() - t_wall
    simulation = plan.simulated_intervals

    progress("Done", 1.0)
    kpis = summarise(scenario_op, plan, simulation)
    kpis["time_limit_seconds"] = limit
    kpis["wall_seconds"] = timings["wall_s"]
    kpis["weeks"] = weeks
    kpis["interval_minutes"] = scenario_op.settings.interval_minutes
    result = PipelineResult(scenario_op, scenario_forecast, requirements, plan, simulation, kpis,
                            levers, timings, risk=risk)
    if compare_neutral and confidence > 0.5 and plan.ok:
        progress("Planning risk-neutrally for the cost of safety", 0.95)
        neutral = run_pipeline(op, weeks=weeks, levers=levers, start=start, time_limit=time_limit,
                               simulate=simulate, sla_confidence=0.5)
        from planning.risk import cost_of_safety
        result.risk["compare"] = cost_of_safety(result, neutral)
        result.kpis["cost_risk_neutral"] = result.risk["compare"]["neutral"]["cost"]
        progress("Done", 1.0)
    return result


# Coarser first pass: a horizon of more intervals than this, planned within a limit of at
# most COARSE_LIMIT_SECONDS, is planned at coarser intervals (60 minutes for two weeks of
# 30-minute intervals).  Measured on the sample (2 weeks, 30 min: 115,587 variables, the
# LP relaxation alone took minutes on a loaded machine); one week of 30-minute intervals
# solves within a what-if's limit.  docs/scenarios.md.
COARSE_MAX_INTERVALS = 7 * 48
COARSE_LIMIT_SECONDS = 120.0
COARSE_MAX_MINUTES = 60


def coarse_interval_minutes(interval_minutes: int, weeks: int, limit: float) -> int:
    """The interval length [min] a ``weeks``-week plan within ``limit`` seconds is made at."""
    minutes = int(interval_minutes)
    if limit > COARSE_LIMIT_SECONDS:
        return minutes
    def intervals() -> float:
        return weeks * 7 * 24 * 60 / minutes

    while minutes * 2 <= COARSE_MAX_MINUTES and (
            intervals() > COARSE_MAX_INTERVALS or limit < SECONDS_PER_WEEK_OF_INTERVALS * intervals() / (7 * 48)):
        minutes *= 2
    return minutes


# One plan-and-check round on a week of 30-minute intervals (7 x 48) takes about this many
# seconds on the sample: the solve takes 8.6 s whatever its limit (the LP and the first
# dive always finish), plus one agent-level replication and the stages around them.  A
# shorter limit plans at coarser intervals, so that the wall holds (measured with
# bench/scenarios.py --what-if-walls; docs/scenarios.md).
SECONDS_PER_WEEK_OF_INTERVALS = 15.0


def coarsen(op: Operation, forecast: pd.DataFrame, minutes: int) -> tuple[Operation, pd.DataFrame]:
    """The operation and forecast at ``minutes``-long intervals: volumes (and their
    intervals) summed per interval, AHT volume-weighted; the staffing maths then runs at
    that length (requirements, plan, simulation)."""
    import dataclasses

    settings = op.settings.model_copy(update={"interval_minutes": int(minutes)})
    f = forecast.copy()
    f["timestamp"] = f["timestamp"].dt.floor(f"{int(minutes)}min")
    keys = ["timestamp", "queue", "market"]
    sums = [c for c in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "volume") if c in f]
    agg = f.groupby(keys, sort=False)[sums].sum()
    if "aht_seconds" in f:
        weight = f["forecast"].clip(lower=0) + 1e-12
        f["_w"] = f["aht_seconds"] * weight
        f["_v"] = weight
        g = f.groupby(keys, sort=False)[["_w", "_v"]].sum()
        agg["aht_seconds"] = g["_w"] / g["_v"]
    others = [c for c in f.columns if c not in (*keys, *sums, "aht_seconds", "_w", "_v")]
    if others:
        agg = agg.join(f.groupby(keys, sort=False)[others].first())
    return dataclasses.replace(op, settings=settings), agg.reset_index()


# The planner always gets at least this long, even when the stages before it used the limit up [s].
WALL_MIN_PLAN_SECONDS = 2.0


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else value  # NaN -> None (JSON-safe)


def summarise(op: Operation, plan, simulation: pd.DataFrame | None = None) -> dict:
    """The flat KPI dict that scenarios store and compare (JSON-safe).

    cost [currency], paid_hours [h], unmet_agent_hours [agent h], headcount by site and
    vendor (agents on the busiest day), attainment per queue x market (target,
    predicted = the fluid model, simulated = agent level with its 95% interval, shares
    0-1), the agent-level totals, plus solver status, gap and seconds.
    """
    kpis = plan.kpis or {}
    by_site = {k: int(round(v)) for k, v in (kpis.get("agents_by_site") or {}).items()}
    by_vendor: dict[str, int] = {}
    for site, heads in by_site.items():
        vendor = op.sites[site].vendor if site in op.sites else "?"
        by_vendor[vendor] = by_vendor.get(vendor, 0) + heads
    attainment = []
    if plan.queues is not None and len(plan.queues):
        for row in plan.queues.to_dict("records"):
            attainment.append({"queue": row["queue"], "market": row["market"],
                               "target": _number(row.get("target")),
                               "predicted": _number(row.get("predicted")),
                               "simulated": _number(row.get("simulated")),
                               "simulated_lo": _number(row.get("simulated_lo")),
                               "simulated_hi": _number(row.get("simulated_hi")),
                               # probability over volume paths that the week meets target (planning.risk)
                               "p_target": _number(row.get("p_target")),
                               "p_target_lo": _number(row.get("p_target_lo")),
                               "p_target_hi": _number(row.get("p_target_hi")),
                               "risk_note": row.get("risk_note") or ""})
    by_site_hours, by_site_cost = {}, {}
    if plan.cost_by_site is not None and len(plan.cost_by_site):
        for row in plan.cost_by_site.to_dict("records"):
            by_site_hours[row["site"]] = _number(row.get("paid_hours"))
            by_site_cost[row["site"]] = _number(row.get("cost"))
    shifts = plan.shifts if plan.shifts is not None and len(plan.shifts) and "headcount" in plan.shifts else None
    return {
        "status": plan.status,
        # agents x shifts worked over the horizon (one agent on one shift = 1)
        "agent_shifts": None if shifts is None else int(round(float(shifts["headcount"].sum()))),
        "paid_hours_by_site": by_site_hours,
        "cost_by_site": by_site_cost,
        "cost": _number(plan.cost),
        "paid_hours": _number(kpis.get("paid_hours")),
        "unmet_agent_hours": _number(plan.unmet_agent_hours),
        "occupancy": _number(kpis.get("occupancy")),
        "gap": _number(plan.gap),
        "bound": _number(plan.bound),
        "solve_seconds": _number(plan.seconds),
        "headcount_by_site": by_site,
        "headcount_by_vendor": by_vendor,
        "attainment": attainment,
        # the agent-level simulation of the plan (planning.shiftplan.simulate_plan): all items
        # arriving in the horizon; None when the plan was not simulated
        "simulated_attainment": _number(kpis.get("simulated_attainment")),
        "simulated_attainment_lo": _number(kpis.get("simulated_attainment_lo")),
        "simulated_attainment_hi": _number(kpis.get("simulated_attainment_hi")),
        "pairs_meeting_target": kpis.get("pairs_meeting_target"),
        "pairs_judged": kpis.get("pairs_judged"),
        "sla_confidence": _number(kpis.get("sla_confidence")),
        "target_paths": kpis.get("target_paths"),
        "pairs_meeting_confidence": kpis.get("pairs_meeting_confidence"),
        "probability_note": kpis.get("probability_note") or "",
        "loop_rounds": len((getattr(plan, "simulation", None) or {}).get("rounds", [])) or None,
        "currency": op.settings.currency,
    }


# Bump when PipelineResult or a stage's output changes shape, or a stage's answer changes
# (3: the HiGHS diving planner; 4: files carry an HMAC, forecasts.cachefile; 5: cyclic
# steady-state weeks by default; 6: judged by the agent-level simulation, the loop; 7: risk-
# aware staffing, the probability of meeting target and the risk-neutral comparison), so
# old pickles are ignored.
_BASELINE_FORMAT = 7


def _baseline_path(op: Operation, weeks: int):
    return cache_dir() / f"baseline-v{_BASELINE_FORMAT}-{fingerprint(op)}-{weeks}w.pkl"


def peek_baseline(op: Operation, *, weeks: int = 1) -> PipelineResult | None:
    """The stored baseline for ``op`` if one is on disk, signed by this installation and
    readable, else None (no work).  An unsigned or tampered file is never unpickled
    (``forecasts.cachefile``)."""
    from forecasts import cachefile

    try:
        result = cachefile.load(_baseline_path(op, weeks))
    except cachefile.CacheRefused:  # missing, tampered, damaged or outdated: the caller recomputes
        return None
    return result if isinstance(result, PipelineResult) else None


def baseline(op: Operation, *, weeks: int = 1, progress: Progress | None = None,
             time_limit: float | None = None) -> PipelineResult:
    """The no-lever pipeline result for ``op``, computed once and kept on disk.

    The file name carries the operation's fingerprint, so new inputs never reuse an old
    plan; a damaged, outdated or unsigned file is recomputed, never trusted.  The app runs
    this in a child process (``planning.jobs``, task ``baseline``).
    """
    from forecasts import cachefile

    cached = peek_baseline(op, weeks=weeks)
    if cached is not None:
        return cached
    result = run_pipeline(op, weeks=weeks, progress=progress, time_limit=time_limit, compare_neutral=True)
    path = _baseline_path(op, weeks)
    try:
        cachefile.dump(result, path)
    except (OSError, cachefile.CacheRefused):  # a read-only disk or an unsafe key only costs the speed-up
        return result
    prune_baselines(keep=path)
    return result


def quick_plan(op: Operation, weeks: int, progress: Progress | None = None,
               sla_confidence: float | None = None) -> PipelineResult:
    """A plan on the last week of history repeated (no forecast models): the Export page's
    fast path.  Risk-aware as ``run_pipeline`` (the forecasting layer's error model, which
    the last-week repeat approximates)."""
    from planning.staffing import compute_requirements, seasonal_naive_forecast

    progress = progress or _noop
    confidence = resolve_confidence(op, sla_confidence)
    progress("Forecast: last week repeated", 0.05)
    forecast = seasonal_naive_forecast(op, weeks)
    requirements, plan, risk = plan_at_confidence(op, forecast, sla_confidence=confidence, progress=progress)
    simulation = plan.simulated_intervals
    progress("Done", 1.0)
    return PipelineResult(op, forecast, requirements, plan, simulation, summarise(op, plan, simulation),
                          risk=risk)


BASELINES_KEPT = 6  # newest baseline pickles kept in the cache folder (~50 MB each)


def prune_baselines(keep=None) -> list:
    """Delete baseline pickles of older formats and all but the ``BASELINES_KEPT`` newest
    (never ``keep``); returns the deleted paths.  Other inputs' plans are recomputed if
    they come back."""
    folder = cache_dir()
    if not folder.exists():
        return []
    current = f"baseline-v{_BASELINE_FORMAT}-"
    files = sorted(folder.glob("baseline-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    stale = [p for p in files if not p.name.startswith(current)]
    fresh = [p for p in files if p.name.startswith(current)]
    stale += fresh[BASELINES_KEPT:]
    deleted = []
    for p in stale:
        if keep is not None and p == keep:
            continue
        try:
            p.unlink()
            deleted.append(p)
        except OSError:  # another process removed it first
            pass
    return deleted
