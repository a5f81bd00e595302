"""What to plan against, from sample paths: per-pair volume quantiles and SAA scenario sets.

``sla_confidence`` is the probability that a pair's weekly attainment meets its target.
Two ways to turn paths into a plan (docs/risk.md has the reasoning and the measurement):

* :func:`planning_quantile` — per pair, the volume to plan against.  Default
  ``method="weekly"``: the ``confidence`` quantile, over paths, of the pair's weekly total
  relative to its forecast, applied to every interval of that week (planned_t =
  forecast_t x q).  This is the chance-constrained staffing of Gurvich, Luedtke & Tezcan
  (2010) reduced to one pair: with the pair's own agents, "attainment meets target with
  probability c" holds when the plan meets target at the c-quantile of the uncertain
  rate, and the queueing maths (Erlang C/A, the backlog) already deal with the Poisson
  randomness inside each interval.  ``method="interval"`` is the per-interval quantile of
  the paths (a far more expensive promise: every interval at once).
* :func:`saa_scenarios` — the sample-average-approximation scenario set (Robbins &
  Harrison 2010; the SAA form of the chance constraint, Luedtke & Ahmed 2008): ``n``
  joint paths of all pairs with equal weights, and how many of them a plan may miss
  (``floor((1 - confidence) n)``).  Needed when agents are shared across pairs, where
  the pairs' errors (and their correlation) decide how much safety is pooled.

Both are monotone: with the same paths, a higher confidence never lowers the planned
volume (tested).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.errors.paths import paths_to_array, sample_array

QUANTILE_COLUMNS = ["timestamp", "queue", "market", "forecast", "planned_volume", "planned_ratio",
                    "confidence", "method"]
METHODS = ("weekly", "interval")
# Paths drawn when planning_quantile is given a model rather than paths.
DEFAULT_PATHS = 1000


def _arrays(paths_or_model, forecast: pd.DataFrame, n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    if isinstance(paths_or_model, pd.DataFrame):
        return paths_to_array(paths_or_model, forecast)
    return sample_array(paths_or_model, forecast, n, seed)


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence}")
    return confidence


def planning_quantile(paths_or_model, forecast: pd.DataFrame, confidence: float = 0.95,
                      method: str = "weekly", n: int = DEFAULT_PATHS, seed: int = 0) -> pd.DataFrame:
    """Per pair and interval, the volume to plan against at ``confidence``.

    paths_or_model : a paths frame (``path, timestamp, queue, market, volume``) for the
        forecast's intervals, or an :class:`~forecasts.errors.ErrorModel` (then ``n`` paths
        are drawn with ``seed``).
    forecast : the forecast frame the paths belong to (``timestamp, queue, market, forecast``).
    Returns ``timestamp, queue, market, forecast, planned_volume, planned_ratio, confidence,
    method``: planned_volume [items per interval], planned_ratio = planned / forecast (the
    week's ratio for ``weekly``), sorted by queue, market, timestamp.
    """
    confidence = _check_confidence(confidence)
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    keys, values = _arrays(paths_or_model, forecast, n, seed)
    f = keys["forecast"].to_numpy(float)
    out = keys[["timestamp", "queue", "market", "forecast"]].copy()
    if method == "interval":
        planned = np.quantile(values, confidence, axis=0)
        ratio = np.divide(planned, f, out=np.ones_like(f), where=f > 0)
    else:
        ratio = np.ones(len(keys))
        for _, idx in keys.groupby(["queue", "market", "lead_week"], sort=False).indices.items():
            total = f[idx].sum()
            if total > 0:
                ratio[idx] = np.quantile(values[:, idx].sum(axis=1) / total, confidence)
        planned = f * ratio
    out["planned_volume"] = planned
    out["planned_ratio"] = ratio
    out["confidence"] = confidence
    out["method"] = method
    return out[QUANTILE_COLUMNS]


@dataclass
class ScenarioSet:
    """SAA scenarios: ``paths`` (``scenario, timestamp, queue, market, volume, weight``),
    the confidence, and ``allowed_misses`` = floor((1 - confidence) x scenarios): a plan
    meets the chance constraint on this set when it meets target in all but that many."""

    paths: pd.DataFrame
    confidence: float
    scenarios: int
    allowed_misses: int


def saa_scenarios(model, forecast: pd.DataFrame, n: int = 30, confidence: float = 0.95,
                  seed: int = 0) -> ScenarioSet:
    """``n`` joint volume paths of every pair, equal weights (see module doc)."""
    confidence = _check_confidence(confidence)
    paths = model.sample_paths(forecast, n, seed).rename(columns={"path": "scenario"})
    paths["weight"] = 1.0 / n
    return ScenarioSet(paths, confidence, n, int(math.floor((1 - confidence) * n + 1e-9)))
