"""Rolling-origin backtest of one series and the accuracy measures.

Origins are spaced ``step`` intervals apart and end so that the last origin's test window
ends at the end of the history; each origin fits every candidate on the ``window``
intervals before it and forecasts ``horizon`` intervals.  Forecasts are scored on the
count scale after known event / holiday factors are applied, against the raw actuals.

Measures (Hyndman & Koehler 2006, "Another look at measures of forecast accuracy"):
WAPE = sum|e| / sum|y|; MASE = MAE / in-sample MAE of the weekly seasonal naive on the
training window; bias = sum(e) / sum(y) (positive = over-forecast); coverage = share of
actuals inside the 80% / 95% intervals.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from forecasts.models import LEVELS, Z_SCORES, Context, LogForecast, to_frame_columns
from forecasts.registry import make

# Interval widening from calibration stays within these factors.
SCALE_BOUNDS = (0.5, 4.0)


@dataclass
class OriginResult:
    model: str
    origin: int          # index of the first forecast interval in the history
    actual: np.ndarray   # raw counts
    multiplier: np.ndarray
    fc: LogForecast
    scale_denominator: float  # in-sample MAE of weekly seasonal naive


def seasonal_naive_mae(y: np.ndarray, period: int) -> float:
    """In-sample MAE of the weekly seasonal naive (MASE denominator); 1 if undefined or 0."""
    if len(y) <= period:
        return 1.0
    mae = float(np.mean(np.abs(y[period:] - y[:-period])))
    return mae if mae > 0 else max(float(np.mean(np.abs(y))), 1.0)


def standardized_errors(r: OriginResult) -> np.ndarray:
    """(log1p(actual / factor) - mu) / sd: N(0, 1) when the intervals are right."""
    cleaned = np.log1p(r.actual / r.multiplier)
    fc = r.fc.clean()
    return (cleaned - fc.mu) / fc.sd


def calibration_scale(errors: np.ndarray) -> dict[int, float]:
    """Widening factor per level so that the empirical coverage of the errors hits it."""
    errors = np.abs(errors[np.isfinite(errors)])
    if len(errors) < 20:
        return {level: 1.0 for level in LEVELS}
    return {level: float(np.clip(np.quantile(errors, level / 100) / Z_SCORES[level], *SCALE_BOUNDS))
            for level in LEVELS}


def score(r: OriginResult, scale: dict[int, float] | None = None) -> dict[str, float]:
    cols = to_frame_columns(r.fc, scale, r.multiplier)
    err = cols["forecast"] - r.actual
    total = float(np.sum(np.abs(r.actual)))
    out = {
        "mae": float(np.mean(np.abs(err))),
        "wape": float(np.sum(np.abs(err)) / total) if total > 0 else float(np.mean(np.abs(err))),
        "mase": float(np.mean(np.abs(err)) / r.scale_denominator),
        "bias": float(np.sum(err) / total) if total > 0 else float(np.mean(err)),
    }
    for level in LEVELS:
        inside = (r.actual >= cols[f"lo_{level}"] - 1e-9) & (r.actual <= cols[f"hi_{level}"] + 1e-9)
        out[f"coverage_{level}"] = float(np.mean(inside))
    return out


def origins_for(n: int, horizon: int, window: int, count: int, step: int, min_train: int) -> list[int]:
    """Origin positions (first test interval), oldest first; only those with min_train before."""
    ends = [n - horizon - i * step for i in range(count)]
    return sorted(o for o in ends if o >= min_train)


def fit_forecast(name: str, y: np.ndarray, ctx: Context, h: int, notes: list[str]) -> LogForecast | None:
    """Fit one model and forecast; warnings and failures land in ``notes``, never on stderr."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        try:
            fc = make(name).fit(y, ctx).forecast(h)
        except Exception as exc:  # a model failing on one series must not stop the others
            notes.append(f"{name}: failed ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})")
            fc = None
    for w in caught:
        message = str(w.message).splitlines()[0][:120]
        notes.append(f"{name}: {w.category.__name__}: {message}")
    if fc is not None and not (np.all(np.isfinite(fc.mu)) and np.all(np.isfinite(fc.sd))):
        notes.append(f"{name}: non-finite forecast, discarded")
        return None
    return fc


def rolling_origin(y: np.ndarray, multiplier: np.ndarray, regressors: np.ndarray | None, candidates,
                   period_day: int, period_week: int, horizon: int, window: int, origins: list[int],
                   notes: list[str], raw: np.ndarray) -> list[OriginResult]:
    """Backtest every candidate at every origin.  ``y`` is the cleaned history, ``raw`` the actuals."""
    results = []
    for origin in origins:
        start = max(0, origin - window)
        train = y[start:origin]
        regs = regressors[start:origin + horizon] if regressors is not None else None
        ctx = Context(period_day, period_week, horizon, regs)
        denominator = seasonal_naive_mae(raw[start:origin], period_week)
        for name in candidates:
            fc = fit_forecast(name, train, ctx, horizon, notes)
            if fc is not None:
                results.append(OriginResult(name, origin, raw[origin:origin + horizon],
                                            multiplier[origin:origin + horizon], fc, denominator))
    return results
