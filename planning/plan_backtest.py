"""How past plans would have fared: plan at a past origin from the history before it, then
judge the plan agent by agent on the volume that really arrived.

For an origin (a UTC Monday 00:00 inside the history):

1. **what was known**: the operation cut at the origin (``operation_as_of``): volume
   before it; events known in advance (elections, launches, holidays: every kind but
   ``incident``) stay, incidents only if they had started before the origin;
2. **the plan**: the forecast from that history (``planning.forecasting``, or the
   seasonal naive one), its requirements, and the plan-and-check loop
   (``planning.shiftplan.plan_and_check``) with the operation's settings;
3. **the judgement**: the agent-level simulation (``planning.simulation.simulate_agents``,
   steady state as for every plan) on the forecast (what the plan claims) and on the
   real volume of the week (``actual_volume``) with the same random numbers;
4. **the reference**: the hindsight plan (``hindsight_plan``), planned and checked the
   same way with the volume that arrived as its forecast: what a perfect forecast costs.

Population of every figure: the items arriving in the planned week, per queue x market.
``planning.plan_backtest_runs`` runs many origins (in parallel, resumable) and sums them
up; ``bench/plan_backtest.py``, ``bench/truth.py``, the "Plan accuracy" page and
``python -m planning backtest-plan`` build on it.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from planning.domain import Operation

Progress = Callable[[str], None]


def operation_as_of(op: Operation, origin: pd.Timestamp) -> Operation:
    """``op`` as a planner saw it at ``origin``: volume before it, events known in advance
    (any kind but ``incident``), and incidents that had started before it."""
    origin = _utc(origin)
    volume = op.volume[pd.to_datetime(op.volume["timestamp"], utc=True) < origin].reset_index(drop=True)
    events = [e for e in op.events if e.kind != "incident" or pd.Timestamp(e.start) < origin]
    return dataclasses.replace(op, volume=volume, events=events)


def actual_volume(op: Operation, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The volume that arrived in [start, end): ``timestamp, queue, market, volume``."""
    stamps = pd.to_datetime(op.volume["timestamp"], utc=True)
    keep = (stamps >= _utc(start)) & (stamps < _utc(end))
    frame = op.volume.loc[keep, ["timestamp", "queue", "market", "volume"]].copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame.reset_index(drop=True)


def default_origins(op: Operation, n: int, weeks: int = 1) -> list[pd.Timestamp]:
    """The ``n`` latest weekly origins (Mondays 00:00 UTC) whose ``weeks`` planned weeks end
    where the volume ends, newest last."""
    end = op.history_end.floor("D")
    last = end - pd.Timedelta(days=int(end.day_of_week)) - pd.Timedelta(weeks=weeks)
    return [last - pd.Timedelta(weeks=k) for k in reversed(range(int(n)))]


MIN_HISTORY_WEEKS = 4  # history before an origin for its forecast (the seasonal models need a month)


def usable_origins(op: Operation, n: int, weeks: int = 1) -> list[pd.Timestamp]:
    """``default_origins`` without those with less than ``MIN_HISTORY_WEEKS`` weeks of
    history before them (none when the history is too short: say so to the user)."""
    if len(op.volume) == 0:
        return []
    first_needed = pd.to_datetime(op.volume["timestamp"], utc=True).min() + pd.Timedelta(weeks=MIN_HISTORY_WEEKS)
    return [o for o in default_origins(op, n, weeks) if o >= first_needed]


@dataclass
class OriginResult:
    """One origin's plan and how it fared.

    pairs : per queue x market: ``queue, market, sla_kind, target``, ``claimed`` (the
        plan's agent-level figure on its forecast) with ``claimed_lo/hi``, ``actual``
        (agent-level on the real volume) with ``actual_lo/hi``, ``predicted`` (the fluid
        model), ``days_below_target`` (UTC days of the week whose real-volume
        attainment is below target), ``forecast_volume``, ``actual_volume`` (items in the
        week), ``forecast_error`` (actual / forecast - 1), ``cost_share`` (the plan's cost
        apportioned to the pair by its productive agent-hours at each site [currency]:
        agents are pooled across pairs, so this is a share, not a separate bill) and
        ``hindsight_cost_share`` (the same for the hindsight plan)
    hindsight_* : the plan made with the volume that arrived as its forecast (plan-and-check
        with the same settings): the reference a perfect forecast would have cost
    """

    origin: pd.Timestamp
    plan: object  # PlanResult
    pairs: pd.DataFrame
    cost: float
    paid_hours: float
    rounds: int
    seconds: float
    forecast_seconds: float
    notes: list[str] = field(default_factory=list)
    hindsight_cost: float = np.nan
    hindsight_paid_hours: float = np.nan
    hindsight_status: str = "not planned"
    plan_from_cache: bool = False  # the decision at the origin was read back (a resume), not remade

    @property
    def met_on_forecast(self) -> int:
        return int(_met(self.pairs, "claimed").sum())

    @property
    def met_on_actual(self) -> int:
        return int(_met(self.pairs, "actual").sum())

    @property
    def reached_on_actual(self) -> int:
        """Pairs whose real-volume attainment (the point estimate) reaches the target."""
        return int((self.pairs["actual"] >= self.pairs["target"] - 1e-9).sum())

    @property
    def cost_ratio(self) -> float:
        """The plan's cost over the hindsight plan's (nan without a hindsight plan)."""
        h = self.hindsight_cost
        return self.cost / h if h and np.isfinite(h) and h > 0 else np.nan


def _met(pairs: pd.DataFrame, column: str) -> pd.Series:
    upper = pairs[f"{column}_hi"].fillna(pairs[column])
    return pairs[column].notna() & (upper >= pairs["target"] - 1e-9)


@dataclass
class PlannedOrigin:
    """What was decided at an origin (depends only on what was known then): the forecast of
    the planned weeks, its requirements and the checked plan."""

    origin: pd.Timestamp
    forecast: pd.DataFrame
    plan: object  # PlanResult
    forecast_seconds: float
    seconds: float
    risk: dict = field(default_factory=dict)  # planning.confidence.plan_at_confidence: method, ratios, notes


def plan_at(known: Operation, origin: pd.Timestamp, *, weeks: int = 1, time_limit: float | None = None,
            replications: int | None = None, naive: bool = False, forecast_backend: str | None = None,
            progress: Progress | None = None) -> PlannedOrigin:
    """Forecast the ``weeks`` after ``origin`` from ``known`` (the operation as of the
    origin), compute the requirements and plan and check them with its settings."""
    from planning.confidence import plan_at_confidence
    from planning.shiftplan import PlanOptions
    from planning.shiftplan.planner import SIMULATION_REPLICATIONS
    from planning.staffing import seasonal_naive_forecast

    say = progress or (lambda message: None)
    origin = _utc(origin)
    end = origin + pd.Timedelta(weeks=weeks)
    t0 = time.perf_counter()
    say(f"{origin:%Y-%m-%d}: forecasting from the history before it")
    if naive:
        forecast = seasonal_naive_forecast(known, weeks)
    else:
        from planning.forecasting import forecast_operation

        forecast = forecast_operation(known, weeks, backend=forecast_backend)
    forecast = forecast[(forecast["timestamp"] >= origin) & (forecast["timestamp"] < end)]
    forecast_seconds = time.perf_counter() - t0
    say(f"{origin:%Y-%m-%d}: planning and checking at sla_confidence {known.settings.sla_confidence:.0%}")
    # As the operation plans: staffed at the sla_confidence quantile of each pair-week's
    # workload, the error model fitted on the history before the origin only (the point
    # forecast when that history is too short, and the risk notes say so).  The probability
    # step is left out: the plan is judged on the volume that arrived instead.
    _requirements, plan, risk = plan_at_confidence(
        known, forecast, options=PlanOptions(time_limit_seconds=time_limit), progress=lambda m, f=0.0: say(m),
        history=known, replications=replications or SIMULATION_REPLICATIONS, probability=False)
    return PlannedOrigin(origin, forecast.reset_index(drop=True), plan, forecast_seconds, time.perf_counter() - t0,
                         risk=risk)


def hindsight_plan(op: Operation, origin: pd.Timestamp, *, weeks: int = 1, time_limit: float | None = None,
                   replications: int | None = None, progress: Progress | None = None):
    """The plan a perfect forecast would have given: the volume that arrived in the planned
    weeks as the forecast (zero-width intervals), everything known up to their end
    (incidents included), planned and checked with the same settings."""
    from planning.shiftplan import PlanOptions, plan_and_check
    from planning.shiftplan.planner import SIMULATION_REPLICATIONS
    from planning.staffing import compute_requirements

    origin = _utc(origin)
    end = origin + pd.Timedelta(weeks=weeks)
    seen = operation_as_of(op, end)
    frame = actual_volume(op, origin, end).rename(columns={"volume": "forecast"})
    frame["forecast"] = frame["forecast"].astype(float)
    frame.insert(3, "model", "hindsight")
    for col in ("lo_80", "hi_80", "lo_95", "hi_95"):
        frame[col] = frame["forecast"]
    requirements = compute_requirements(seen, frame)
    (progress or (lambda m: None))(f"{origin:%Y-%m-%d}: the hindsight plan (on the volume that arrived)")
    return plan_and_check(seen, requirements, PlanOptions(time_limit_seconds=time_limit), progress=progress,
                          replications=replications or SIMULATION_REPLICATIONS)


def pair_cost(plan) -> pd.DataFrame:
    """``queue, market, cost``: each site's cost split over the pairs by the productive
    agent-intervals its teams give them (``plan.allocation``) [currency]."""
    alloc = getattr(plan, "allocation", None)
    sites = getattr(plan, "cost_by_site", None)
    if alloc is None or sites is None or not len(alloc):
        return pd.DataFrame(columns=["queue", "market", "cost"])
    per = alloc.groupby(["site", "queue", "market"], as_index=False)["agents"].sum()
    per["share"] = per["agents"] / per.groupby("site")["agents"].transform("sum")
    per = per.merge(sites[["site", "cost"]], on="site", how="left")
    per["cost"] = per["share"] * per["cost"].fillna(0.0)
    return per.groupby(["queue", "market"], as_index=False)["cost"].sum()


def backtest_origin(op: Operation, origin: pd.Timestamp, *, weeks: int = 1, time_limit: float | None = None,
                    replications: int | None = None, naive: bool = False, hindsight: bool = False,
                    forecast_backend: str | None = None, planned: PlannedOrigin | None = None,
                    progress: Progress | None = None) -> OriginResult:
    """Plan at ``origin`` from the history before it and judge the plan on what arrived.

    planned : the decision at the origin when already made (a resume: the cache), else
    ``plan_at``; hindsight : also plan on the volume that arrived, for the cost reference
    (``planning.plan_backtest_runs`` does by default)."""
    from planning.shiftplan.planner import SIMULATION_REPLICATIONS
    from planning.simulation import simulate_agents

    say = progress or (lambda message: None)
    reps = replications or SIMULATION_REPLICATIONS
    origin = _utc(origin)
    end = origin + pd.Timedelta(weeks=weeks)
    if end > op.history_end:
        raise ValueError(f"origin {origin:%Y-%m-%d}: the volume ends {op.history_end:%Y-%m-%d %H:%M} UTC, "
                         f"before the planned weeks do ({end:%Y-%m-%d}); pick an earlier origin")
    t0 = time.perf_counter()
    known = operation_as_of(op, origin)
    if planned is None:
        planned = plan_at(known, origin, weeks=weeks, time_limit=time_limit, replications=replications,
                          naive=naive, forecast_backend=forecast_backend, progress=say)
    plan, forecast = planned.plan, planned.forecast
    actual = actual_volume(op, origin, end)
    pairs = plan.queues[["queue", "market", "sla_kind", "target", "predicted", "simulated", "simulated_lo",
                         "simulated_hi"]].rename(columns={"simulated": "claimed", "simulated_lo": "claimed_lo",
                                                          "simulated_hi": "claimed_hi"})
    notes = list(plan.messages) + list((getattr(planned, "risk", None) or {}).get("notes", []))
    if plan.ok:
        say(f"{origin:%Y-%m-%d}: simulating the plan on the volume that arrived")
        cyclic = plan.options.horizon_mode == "cyclic"
        real = simulate_agents(known, plan, actual, replications=reps, seed=known.settings.random_seed,
                               warmup_repeats=1 if cyclic else 0)
        got = real.pairs[["queue", "market", "attainment", "attainment_lo", "attainment_hi"]].rename(
            columns={"attainment": "actual", "attainment_lo": "actual_lo", "attainment_hi": "actual_hi"})
        days = real.days.assign(below=lambda d: d["attainment"] < d["target"] - 1e-9)
        below = days.groupby(["queue", "market"])["below"].sum().rename("days_below_target").reset_index()
        pairs = pairs.merge(got, on=["queue", "market"], how="outer").merge(below, on=["queue", "market"], how="left")
    else:
        for c in ("actual", "actual_lo", "actual_hi", "days_below_target"):
            pairs[c] = np.nan
    totals_f = forecast.groupby(["queue", "market"])["forecast"].sum().rename("forecast_volume")
    totals_a = actual.groupby(["queue", "market"])["volume"].sum().rename("actual_volume")
    pairs = pairs.merge(totals_f.reset_index(), on=["queue", "market"], how="left").merge(
        totals_a.reset_index(), on=["queue", "market"], how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs["forecast_error"] = pairs["actual_volume"] / pairs["forecast_volume"] - 1.0
    pairs = pairs.merge(pair_cost(plan).rename(columns={"cost": "cost_share"}), on=["queue", "market"], how="left")
    h_cost = h_paid = np.nan
    h_status = "not planned"
    if hindsight:
        h = hindsight_plan(op, origin, weeks=weeks, time_limit=time_limit, replications=replications, progress=say)
        h_status = h.status
        if h.ok:
            h_cost, h_paid = float(h.cost), float((h.kpis or {}).get("paid_hours", np.nan))
            pairs = pairs.merge(pair_cost(h).rename(columns={"cost": "hindsight_cost_share"}),
                                on=["queue", "market"], how="left")
        else:
            notes.append(f"the hindsight plan found no solution ({h.status})")
    if "hindsight_cost_share" not in pairs:
        pairs["hindsight_cost_share"] = np.nan
    targets = {q: queue.sla_target for q, queue in op.queues.items()}
    kinds = {q: queue.sla_kind.value for q, queue in op.queues.items()}
    pairs["target"] = pairs["queue"].map(targets)
    pairs["sla_kind"] = pairs["queue"].map(kinds)
    return OriginResult(origin, plan, pairs.sort_values(["queue", "market"], ignore_index=True),
                        float(plan.cost), float((plan.kpis or {}).get("paid_hours", np.nan)),
                        len(plan.simulation.get("rounds", [])) if plan.ok else 0,
                        planned.seconds + time.perf_counter() - t0, planned.forecast_seconds, notes,
                        h_cost, h_paid, h_status)


def _utc(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
