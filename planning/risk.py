"""Risk-aware staffing and the probability of meeting target (issue 20, items 3-4).

``Settings.sla_confidence`` = c is the probability that a pair's weekly attainment meets
its SLA target.  Three steps (docs/risk.md has the reasoning and the measurements):

1. **The error model** of the forecasting layer, fitted on a rolling-origin backtest of
   the operation's history *before the plan's origin* (``error_model_for``; nothing at
   or after the origin is seen; cached by content in memory and on disk).
2. **Staffing at the quantile** (``quantile_forecast``): each pair's forecast is scaled,
   per lead week, by the c-quantile of its weekly total over the error model's paths
   relative to the forecast (``forecasts.errors.risk.planning_quantile``, method
   "weekly"), and the requirements are computed from that.  c = 0.5 is risk-neutral: the
   point forecast itself, the plan as before.
3. **The probability of meeting target** (``target_probability``): the finished plan is
   run through the agent-level simulation over fresh sample paths of the volume (seeds
   distinct from those the quantile used; the paths' arrival *rates*, the simulator
   draws its own Poisson arrivals), one replication per path.  Per pair: the share of
   paths whose weekly attainment meets target, with a Wilson 95% interval, and in words
   where the caps make the confidence unreachable.

Frames
- ratios (``quantile_forecast``): ``queue, market, lead_week, planned_ratio`` [planned /
  forecast volume of the pair's week].
- probability (``target_probability``): ``queue, market, target, target_paths,
  target_paths_met, p_target, p_target_lo, p_target_hi, risk_note`` (shares 0-1;
  ``risk_note`` "" or words).
"""
from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planning.domain import Operation

NEUTRAL = 0.5            # sla_confidence that plans on the point forecast (risk-neutral)
ERROR_ORIGINS = 8        # weekly origins of the planner's error-model backtest
MIN_ORIGINS = 4          # fewer than this and no error model is fitted
MIN_TRAIN_WEEKS = 4      # weeks of history the first origin needs before it
QUANTILE_PATHS = 1000    # paths behind the planning quantile
TARGET_PATHS = 20        # paths for the probability of meeting target (one replication each)
MIN_TARGET_PATHS = 5     # ... drawn even when the time limit is spent
TARGET_SEED_OFFSET = 1_000_003  # probability paths: seed + this (never the quantile's seed)
_FORMAT = 1              # bump when the cached error model's meaning changes
PROBABILITY_COLUMNS = ["queue", "market", "target", "target_paths", "target_paths_met", "p_target",
                       "p_target_lo", "p_target_hi", "risk_note"]

_MODELS: "OrderedDict[str, tuple]" = OrderedDict()
_MODELS_KEPT = 8


@dataclass
class RiskInfo:
    """What the risk step did: the confidence, the error model's origin and backtest, the
    quantile ratios, the probability step's paths and seconds, and notes in words."""

    confidence: float
    origin: pd.Timestamp | None = None
    origins: int = 0
    ratios: pd.DataFrame | None = None
    target_paths: int = 0
    seconds: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a binomial share (95% by default); (nan, nan) for n = 0."""
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _model_key(op: Operation, volume: pd.DataFrame, origin: pd.Timestamp, origins: int) -> str:
    h = hashlib.sha256(f"{_FORMAT}:{origin.isoformat()}:{origins}:{op.settings.interval_minutes}".encode())
    h.update(pd.util.hash_pandas_object(volume[["timestamp", "queue", "market", "volume"]], index=False)
             .values.tobytes())
    for item in op.events:
        h.update(item.model_dump_json().encode())
    for key in sorted(op.markets):
        h.update(op.markets[key].model_dump_json().encode())
    return h.hexdigest()[:24]


def error_model_for(op: Operation, origin: pd.Timestamp, *, origins: int = ERROR_ORIGINS, progress=None,
                    folder=None):
    """(ErrorModel or None, words): the forecast-error model for a plan starting at
    ``origin``, fitted on a rolling backtest of the volume before ``origin`` only.

    folder : where the fitted model is kept on disk (``planning.cachedir.cache_dir()``; None:
    in memory only).  None when the history before ``origin`` is too short for ``MIN_ORIGINS`` weekly
    origins with ``MIN_TRAIN_WEEKS`` weeks before the first (the words say so)."""
    from forecasts import cachefile
    from forecasts.errors import fit_error_model, rolling_backtest
    from planning.forecasting import calendars, events_frame

    origin = pd.Timestamp(origin)
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")
    volume = op.volume.copy()
    volume["timestamp"] = pd.to_datetime(volume["timestamp"], utc=True)
    volume = volume[volume["timestamp"] < origin].reset_index(drop=True)  # no lookahead
    if not len(volume):
        return None, "no history before the plan's origin: staffed on the point forecast"
    weeks = (origin - volume["timestamp"].min()) / pd.Timedelta(weeks=1)
    origins = int(min(origins, math.floor(weeks + 1e-9) - MIN_TRAIN_WEEKS))
    if origins < MIN_ORIGINS:
        return None, (f"{weeks:.1f} weeks of history before the plan's origin; the error model needs "
                      f"{MIN_ORIGINS + MIN_TRAIN_WEEKS}: staffed on the point forecast")
    key = _model_key(op, volume, origin, origins)
    if key in _MODELS:
        _MODELS.move_to_end(key)
        return _MODELS[key]
    path = None if folder is None else Path(folder) / f"errmodel-v{_FORMAT}-{key}.pkl"
    found = None
    if path is not None:
        try:
            found = cachefile.load(path)
        except cachefile.CacheRefused:  # missing, tampered or outdated: fit it
            found = None
    if not (isinstance(found, tuple) and len(found) == 2):
        end = volume["timestamp"].max() + pd.Timedelta(minutes=op.settings.interval_minutes)
        origin_list = [end - pd.Timedelta(weeks=1 + k) for k in range(origins)][::-1]
        bt = rolling_backtest(volume, weeks=1, events=events_frame(op), calendars=calendars(op),
                              origin_list=origin_list, interval_minutes=op.settings.interval_minutes,
                              progress=progress)
        model = fit_error_model(bt, before=origin)
        found = (model, f"error model fitted on {origins} weekly origins {origin_list[0]:%Y-%m-%d} .. "
                        f"{origin_list[-1]:%Y-%m-%d} (history before {origin:%Y-%m-%d %H:%M} UTC only)")
        if path is not None:
            try:
                cachefile.dump(found, path)
            except (OSError, cachefile.CacheRefused):  # a read-only disk only costs the speed-up
                pass
    _MODELS[key] = found
    while len(_MODELS) > _MODELS_KEPT:
        _MODELS.popitem(last=False)
    return found


def quantile_forecast(model, forecast: pd.DataFrame, confidence: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the forecast with each pair-week's ``forecast`` scaled by its ``confidence``-quantile
    ratio, ratios ``queue, market, lead_week, planned_ratio``).  Other columns are kept."""
    from forecasts.errors.risk import planning_quantile

    frame = forecast.copy()
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.as_unit("ns")
    q = planning_quantile(model, frame, confidence, method="weekly", n=QUANTILE_PATHS, seed=seed)
    origin = q["timestamp"].min()
    q["lead_week"] = ((q["timestamp"] - origin) // pd.Timedelta(weeks=1)).astype(int) + 1
    ratio = q[["timestamp", "queue", "market", "planned_ratio"]]
    out = frame.merge(ratio, on=["timestamp", "queue", "market"], how="left")
    out["forecast"] = out["forecast"] * out["planned_ratio"].fillna(1.0)
    ratios = q.groupby(["queue", "market", "lead_week"], as_index=False)["planned_ratio"].first()
    return out.drop(columns=["planned_ratio"]), ratios


def _at_cap(op: Operation, plan) -> dict:
    """(queue, market) -> the certified sites at their headcount cap on their busiest day,
    when every certified site is (else absent)."""
    if plan.shifts is None or not len(plan.shifts):
        return {}
    heads = plan.shifts.groupby(["site", "date_local"])["headcount"].sum().groupby(level="site").max()
    out = {}
    for q, m in {(c.queue, c.market) for c in op.certifications}:
        sites = sorted({c.site for c in op.certifications if c.queue == q and c.market == m})
        capped = [s for s in sites if s in op.sites and heads.get(s, 0) >= op.sites[s].max_headcount - 0.5]
        if sites and len(capped) == len(sites):
            out[(q, m)] = capped
    return out


def target_probability(op: Operation, plan, model, forecast: pd.DataFrame, requirements: pd.DataFrame, *,
                       confidence: float, paths: int = TARGET_PATHS, seed: int | None = None,
                       deadline: float | None = None, progress=None) -> tuple[pd.DataFrame, int, float]:
    """Per pair, the probability that the plan's weekly attainment meets target over
    ``paths`` fresh volume paths (agent-level simulation, one replication each).

    forecast : the point forecast the paths are drawn around; requirements : the plan's
    (their ``aht_seconds``); deadline : ``time.perf_counter()`` value after which no new path
    starts (at least ``MIN_TARGET_PATHS`` run).  Returns (frame of ``PROBABILITY_COLUMNS``,
    paths run, seconds)."""
    from forecasts.errors.paths import sample_array
    from planning.simulation import simulate_agents

    t0 = time.perf_counter()
    seed = (op.settings.random_seed if seed is None else seed) + TARGET_SEED_OFFSET
    keys, rates = sample_array(model, forecast, paths, seed, counts=False)
    aht = requirements[["timestamp", "queue", "market", "aht_seconds"]].copy()
    aht["timestamp"] = pd.to_datetime(aht["timestamp"], utc=True).dt.as_unit("ns")
    base = keys[["timestamp", "queue", "market"]].merge(aht, on=["timestamp", "queue", "market"], how="left")
    cyclic = getattr(plan.options, "horizon_mode", "open") == "cyclic"
    met: dict = {}
    runs = 0
    for i in range(paths):
        if deadline is not None and i >= MIN_TARGET_PATHS and time.perf_counter() > deadline:
            break
        if progress:
            progress(f"Probability of meeting target: path {i + 1} of {paths}")
        volume = base.assign(volume=rates[i])
        res = simulate_agents(op, plan, volume, replications=1, seed=seed + i,
                              warmup_repeats=1 if cyclic else 0)
        runs += 1
        for row in res.pairs.itertuples(index=False):
            if not (row.items_judged > 0) or pd.isna(row.attainment):
                continue
            k, n = met.get((row.queue, row.market), (0, 0))
            met[(row.queue, row.market)] = (k + int(row.attainment >= row.target - 1e-9), n + 1)
    capped = _at_cap(op, plan)
    targets = plan.queues.set_index(["queue", "market"])["target"] if len(plan.queues) else pd.Series(dtype=float)
    rows = []
    for (q, m), (k, n) in sorted(met.items()):
        lo, hi = wilson(k, n)
        note = ""
        if hi < confidence:
            if (q, m) in capped:
                note = (f"caps make {confidence:.0%} unreachable: every certified site is at its headcount cap "
                        f"({', '.join(f'{s} {op.sites[s].max_headcount:,}' for s in capped[(q, m)])}); "
                        f"the {confidence:.0%} workload needs more agents than they may staff")
            else:
                note = (f"below the {confidence:.0%} confidence (Wilson upper end {hi:.0%}); not at the caps: "
                        "see the plan's notes (loop, wellness, penalty)")
        rows.append({"queue": q, "market": m, "target": float(targets.get((q, m), math.nan)),
                     "target_paths": n, "target_paths_met": k, "p_target": k / n,
                     "p_target_lo": lo, "p_target_hi": hi, "risk_note": note})
    return pd.DataFrame(rows, columns=PROBABILITY_COLUMNS), runs, time.perf_counter() - t0


def attach_probability(plan, frame: pd.DataFrame, info: RiskInfo) -> None:
    """Write the probability into ``plan.queues`` (its columns) and ``plan.kpis``
    (``sla_confidence``, ``target_paths``, ``pairs_meeting_confidence``: pairs whose
    Wilson upper end reaches the confidence, ``p_target_min``)."""
    cols = [c for c in PROBABILITY_COLUMNS if c != "target"]
    queues = plan.queues.drop(columns=[c for c in cols if c not in ("queue", "market")], errors="ignore")
    plan.queues = queues.merge(frame[cols], on=["queue", "market"], how="left")
    plan.kpis = dict(plan.kpis or {})
    judged = frame[frame["target_paths"] > 0]
    plan.kpis.update({
        "sla_confidence": info.confidence, "target_paths": info.target_paths,
        "pairs_meeting_confidence": int((judged["p_target_hi"] >= info.confidence - 1e-9).sum()) if len(judged) else None,
        "p_target_min": float(judged["p_target"].min()) if len(judged) else None,
        "risk_notes": list(info.notes) + [f"{r.queue} {r.market}: {r.risk_note}" for r in frame.itertuples()
                                           if r.risk_note]})


def path_seconds_estimate(requirements: pd.DataFrame) -> float:
    """Seconds one probability path takes (roughly): one agent-level replication of the
    plan with its week repeated once before as warm-up."""
    from planning.shiftplan.loop import simulation_seconds_estimate

    return PATH_WARMUP_FACTOR * simulation_seconds_estimate(requirements, 1)


# A path simulates its warm-up repeat and the judged week; the loop's estimate is for one
# judged replication (its cool-down included).  Measured on the sample week: the estimate
# is 3.56 s and 5 paths take 20.1 s (4.0 s each), hence 1.15.
PATH_WARMUP_FACTOR = 1.15


def budget_paths(requirements: pd.DataFrame, seconds_left: float | None) -> int:
    """Paths the probability step can afford in ``seconds_left`` (TARGET_PATHS when no limit)."""
    if seconds_left is None:
        return TARGET_PATHS
    each = path_seconds_estimate(requirements)
    return int(np.clip(seconds_left // max(each, 1e-3), MIN_TARGET_PATHS, TARGET_PATHS))


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else value  # NaN -> None (JSON-safe)


def cost_of_safety(chosen, neutral) -> dict:
    """The chosen confidence's plan beside the risk-neutral one: cost [currency], paid hours,
    and per pair the probability of meeting target (with its Wilson interval) in each."""
    conf = chosen.risk.get("confidence")

    def side(result) -> dict:
        q = result.plan.queues if result.plan.queues is not None else pd.DataFrame()
        has = "p_target" in q
        reach = int((q["p_target_hi"] >= conf - 1e-9).sum()) if has else None
        return {"confidence": result.risk.get("confidence"), "cost": _number(result.plan.cost),
                "paid_hours": _number(result.kpis.get("paid_hours")),
                "pairs_meeting_confidence": reach, "pairs": int(q["p_target"].notna().sum()) if has else 0,
                "p_target_mean": _number(q["p_target"].mean()) if has else None}

    pairs = []
    qa, qb = chosen.plan.queues, neutral.plan.queues
    if "p_target" in qa and "p_target" in qb:
        both = qa[["queue", "market", "p_target", "p_target_lo", "p_target_hi"]].merge(
            qb[["queue", "market", "p_target", "p_target_lo", "p_target_hi"]], on=["queue", "market"],
            suffixes=("", "_neutral"))
        pairs = [{k: (_number(v) if k not in ("queue", "market") else v) for k, v in r.items()}
                 for r in both.to_dict("records")]
    return {"chosen": side(chosen), "neutral": side(neutral), "pairs": pairs,
            "currency": chosen.operation.settings.currency}
