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
) -> PipelineResult:
    """Forecast, apply levers, compute requirements, plan shifts and simulate the plan."""
    from planning.staffing import compute_requirements
    from planning.shiftplan import PlanOptions, solve_plan

    progress = progress or _noop
    levers = list(levers)
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    forecast = base_forecast(op, weeks, lambda m, f: progress(m, 0.05 + 0.35 * f))
    if start is not None:
        start = pd.Timestamp(start)
        start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
        forecast = forecast[forecast["timestamp"] >= start]
    timings["forecast_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress("Applying scenario levers", 0.40)
    scenario_op, scenario_forecast = apply_levers(op, forecast, levers)
    progress("Computing requirements", 0.45)
    requirements = compute_requirements(scenario_op, scenario_forecast)
    timings["requirements_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    progress("Planning shifts", 0.55)
    options = PlanOptions(time_limit_seconds=time_limit)
    plan = solve_plan(scenario_op, requirements, options,
                      progress=lambda message: progress(f"Planning: {message}", 0.6))
    timings["plan_s"] = time.perf_counter() - t0

    simulation = None
    if simulate:
        t0 = time.perf_counter()
        progress("Simulating the plan", 0.90)
        simulation = _simulate(scenario_op, requirements, plan)
        timings["simulate_s"] = time.perf_counter() - t0

    progress("Done", 1.0)
    kpis = summarise(scenario_op, plan, simulation)
    return PipelineResult(scenario_op, scenario_forecast, requirements, plan, simulation, kpis,
                          levers, timings)


def _simulate(op: Operation, requirements: pd.DataFrame, plan) -> pd.DataFrame | None:
    from planning.shiftplan import simulate_plan

    return simulate_plan(op, requirements, plan)


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
    predicted, simulated shares 0-1), plus solver status, gap and seconds.
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
                               "simulated": _number(row.get("simulated"))})
    return {
        "status": plan.status,
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
        "currency": op.settings.currency,
    }


# Bump when PipelineResult or a stage's output changes shape, or a stage's answer changes
# (3: the HiGHS diving planner; 4: files carry an HMAC, forecasts.cachefile; 5: cyclic
# steady-state weeks by default), so old pickles are ignored.
_BASELINE_FORMAT = 5


def cache_dir() -> "Path":
    """Where computed results are kept between runs (``WFM_CACHE_DIR``, default var/cache)."""
    import os
    from pathlib import Path

    return Path(os.environ.get("WFM_CACHE_DIR", Path(__file__).resolve().parents[1] / "var" / "cache"))


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
    result = run_pipeline(op, weeks=weeks, progress=progress, time_limit=time_limit)
    path = _baseline_path(op, weeks)
    try:
        cachefile.dump(result, path)
    except (OSError, cachefile.CacheRefused):  # a read-only disk or an unsafe key only costs the speed-up
        return result
    prune_baselines(keep=path)
    return result


def quick_plan(op: Operation, weeks: int, progress: Progress | None = None) -> PipelineResult:
    """A plan on the last week of history repeated (no forecast models): the Export page's
    fast path."""
    from planning.shiftplan import simulate_plan, solve_plan
    from planning.staffing import compute_requirements, seasonal_naive_forecast

    progress = progress or _noop
    progress("Forecast: last week repeated", 0.05)
    forecast = seasonal_naive_forecast(op, weeks)
    progress("Computing requirements", 0.15)
    requirements = compute_requirements(op, forecast)
    progress("Planning shifts (OR-Tools)", 0.3)
    plan = solve_plan(op, requirements, progress=lambda message: progress(f"Planning: {message}", 0.6))
    progress("Simulating the plan", 0.9)
    simulation = simulate_plan(op, requirements, plan) if plan.ok else None
    progress("Done", 1.0)
    return PipelineResult(op, forecast, requirements, plan, simulation, summarise(op, plan, simulation))


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
