"""Planning at a confidence: staff a forecast at the ``sla_confidence`` quantile of each
pair-week's workload, plan and check it agent by agent, and measure the probability that
each pair's week meets target (``planning.risk``; docs/risk.md).

``plan_at_confidence`` is what the pipeline, the Plan page's job, ``quick_plan`` and the
plan backtest call; ``resolve_confidence`` reads and checks the setting.
"""
from __future__ import annotations

import time
from typing import Callable

import pandas as pd

from planning.cachedir import cache_dir
from planning.domain import Operation

Progress = Callable[[str, float], None]
"""progress(message, fraction_done 0-1)"""


def _noop(message: str, fraction: float) -> None:
    return None


def plan_at_confidence(op: Operation, forecast: pd.DataFrame, *, sla_confidence: float | None = None,
                       options=None, simulate: bool = True, progress: Progress | None = None,
                       history: Operation | None = None, error_model=None, wall: float | None = None,
                       replications: int | None = None, probability: bool = True):
    """Staff ``forecast`` at the ``sla_confidence`` quantile (default the setting), plan (with
    the agent-level loop when ``simulate``) and measure the probability of meeting target.

    history : the operation whose volume before the forecast's start fits the error model
    (default ``op``; a scenario passes the unmodified operation); error_model : a fitted
    ``forecasts.errors.ErrorModel`` to use instead (tests, benches); wall : a
    ``time.perf_counter()`` value the probability step must end by (it runs the paths that
    fit, at least ``planning.risk.MIN_TARGET_PATHS``, or none with a note); replications : the
    loop's agent-level replications (default its own); probability : False leaves the
    probability step out (a plan backtest judges on the volume that arrived).  Returns (requirements,
    plan, risk dict: ``confidence, origin, method, ratios, target_paths, notes, seconds``
    with ``error_model_s, requirements_s, simulate_s, probability_s, total_s``)."""
    from planning.staffing import compute_requirements

    progress = progress or _noop
    confidence = resolve_confidence(op, sla_confidence)
    t0 = time.perf_counter()
    model, info = _error_model(history or op, forecast, confidence, progress, error_model)
    planned = _planned_forecast(model, forecast, info, op)
    t1 = time.perf_counter()
    progress("Computing requirements", 0.45)
    requirements = compute_requirements(op, planned)
    info.seconds["requirements_s"] = time.perf_counter() - t1
    plan = _plan(op, requirements, options, simulate, progress, replications)
    if simulate and plan.simulation:
        info.seconds["simulate_s"] = sum(r["simulate_seconds"] for r in plan.simulation.get("rounds", []))
    limit = getattr(options, "time_limit_seconds", None)
    if probability:
        _probability(op, plan, model, forecast, requirements, info, limit, simulate, progress, wall)
    info.seconds["total_s"] = time.perf_counter() - t0
    return requirements, plan, _risk_dict(info)


def resolve_confidence(op: Operation, sla_confidence: float | None) -> float:
    value = op.settings.sla_confidence if sla_confidence is None else sla_confidence
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"sla_confidence must be a number between 0.5 and 1, got {value!r}") from None
    if not 0.5 <= value < 1.0:
        raise ValueError(f"sla_confidence must be at least 0.5 and below 1, got {value}")
    return value


def _error_model(op: Operation, forecast: pd.DataFrame, confidence: float, progress: Progress, given=None):
    """The error model for a plan starting where ``forecast`` starts (history before it only)."""
    from planning.risk import RiskInfo, error_model_for

    info = RiskInfo(confidence)
    if not len(forecast):
        info.notes.append("empty forecast: no error model")
        return None, info
    t0 = time.perf_counter()
    info.origin = pd.Timestamp(forecast["timestamp"].min())
    if given is not None:
        info.notes.append("error model given by the caller")
        return given, info
    progress("Fitting the forecast-error model (history before the plan only)", 0.42)
    model, note = error_model_for(op, info.origin, folder=cache_dir())
    info.notes.append(note)
    info.seconds["error_model_s"] = time.perf_counter() - t0
    return model, info


def _planned_forecast(model, forecast: pd.DataFrame, info, op: Operation) -> pd.DataFrame:
    """The forecast to staff against: the point forecast (confidence 0.5, or no error model),
    else the confidence quantile of each pair-week's workload."""
    from planning.risk import NEUTRAL, quantile_forecast

    if model is None or info.confidence <= NEUTRAL:
        info.notes.append("risk-neutral: staffed on the point forecast" if info.confidence <= NEUTRAL
                          else "staffed on the point forecast (no error model)")
        return forecast
    planned, info.ratios = quantile_forecast(model, forecast, info.confidence, op.settings.random_seed)
    r = info.ratios["planned_ratio"]
    info.notes.append(f"staffed at the {info.confidence:.0%} quantile of each queue x market's weekly workload: "
                      f"{r.min() - 1:+.1%} to {r.max() - 1:+.1%} over the point forecast ({len(r):,} pair-weeks)")
    return planned


def _plan(op: Operation, requirements: pd.DataFrame, options, simulate: bool, progress: Progress,
          replications: int | None = None):
    from planning.shiftplan import plan_and_check, solve_plan

    progress("Planning shifts", 0.55)
    if simulate:  # solve, judge agent by agent, tighten, re-solve: one time limit for all
        extra = {"replications": replications} if replications else {}
        return plan_and_check(op, requirements, options, progress=_loop_progress(progress), **extra)
    return solve_plan(op, requirements, options, progress=lambda message: progress(f"Planning: {message}", 0.6))


# The probability step's own budget: this share of the plan's time limit, after the loop
# (measured: docs/risk.md); at least planning.risk.MIN_TARGET_PATHS paths run.
PROBABILITY_SHARE = 0.5


def _probability(op, plan, model, forecast, requirements, info, time_limit, simulate, progress,
                 wall: float | None = None) -> None:
    from planning.risk import MIN_TARGET_PATHS, attach_probability, budget_paths, path_seconds_estimate, \
        target_probability

    if not simulate or model is None or not plan.ok:
        return
    budget = PROBABILITY_SHARE * float(time_limit or op.settings.solver_time_limit_seconds)
    if wall is not None:
        budget = wall - time.perf_counter()
        need = MIN_TARGET_PATHS * path_seconds_estimate(requirements)
        if budget < need:
            note = (f"probability of meeting target not measured: the run's time limit leaves "
                    f"{max(0.0, budget):,.0f} s and {MIN_TARGET_PATHS} volume paths take about {need:,.0f} s; "
                    f"raise the time limit by {need - max(0.0, budget):,.0f} s to measure it")
            info.notes.append(note)
            plan.kpis["probability_note"] = note
            return
    paths = budget_paths(requirements, budget)
    frame, runs, seconds = target_probability(
        op, plan, model, forecast, requirements, confidence=info.confidence, paths=paths,
        deadline=time.perf_counter() + budget, progress=lambda m: progress(m, 0.93))
    info.target_paths = runs
    info.seconds["probability_s"] = seconds
    attach_probability(plan, frame, info)


def _risk_dict(info) -> dict:
    return {"confidence": info.confidence, "origin": info.origin,
            "method": "weekly quantile" if info.ratios is not None else "point forecast",
            "ratios": info.ratios, "target_paths": info.target_paths, "notes": list(info.notes),
            "seconds": dict(info.seconds)}


def _loop_progress(progress: Progress, t0: float | None = None, limit: float | None = None):
    """The planner's and the loop's messages as pipeline progress: the bar moves from 35% to
    98% with the share of the time limit used (it never goes back), the simulation's
    messages included."""
    done = {"f": 0.35}

    def say(message: str) -> None:
        if t0 is not None and limit:
            share = min(1.0, (time.perf_counter() - t0) / max(limit, 1e-9))
            done["f"] = max(done["f"], 0.35 + 0.63 * share)
        else:
            done["f"] = max(done["f"], 0.9 if message.startswith("Simulating") else 0.6)
        progress(message if message.startswith("Simulating") else f"Planning: {message}", done["f"])
    return say
