"""The one interface every forecasting model implements.

Every model is fitted on one regular history of counts per interval and returns its
forecast as a normal distribution on the ``log1p`` scale (a mean ``mu`` and a standard
deviation ``sd`` per future interval).  Working on ``log1p(volume)`` makes the
multiplicative daily / weekly shape additive and guarantees that back-transformed
forecasts and bounds are never negative; :func:`to_frame_columns` is the single place
where that back-transform happens, so callers never see statsmodels' differing outputs
(``pi_lower`` for ETSModel, ``mean_ci_lower`` for SARIMAX).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

LEVELS = (80, 95)
# Two-sided standard-normal quantiles for the interval levels [%].
Z_SCORES = {80: 1.2815515655446004, 95: 1.959963984540054}
# Floor for a log-scale standard deviation: keeps intervals of noiseless series finite.
MIN_LOG_SD = 1e-6


@dataclass
class Context:
    """What a model may use besides the target values.

    period_day : intervals per day (48 for 30-minute intervals)
    period_week : intervals per week
    regressors : 0/1 indicators (holiday / event intervals) over history + horizon,
        shape (n_history + horizon, k), or None.  Only the harmonic regression uses them;
        the other models see a history already cleaned of known effects.
    memo : per-origin scratch space so models can share work (the MSTL decomposition).
    """

    period_day: int
    period_week: int
    horizon: int
    regressors: np.ndarray | None = None
    memo: dict = field(default_factory=dict)


@dataclass
class LogForecast:
    """A forecast as normal(mu, sd) on the log1p scale, one value per future interval."""

    mu: np.ndarray
    sd: np.ndarray

    def clean(self, fallback_level: float = 0.0) -> "LogForecast":
        mu = np.where(np.isfinite(self.mu), self.mu, fallback_level)
        sd = np.where(np.isfinite(self.sd) & (self.sd > 0), self.sd, MIN_LOG_SD)
        return LogForecast(np.maximum(mu, 0.0), np.maximum(sd, MIN_LOG_SD))


class Model:
    """Base class: ``fit(y, ctx)`` then ``forecast(h)``.

    y : history of counts per interval (float >= 0, no gaps), oldest first.
    """

    name = ""
    description = ""
    is_baseline = False
    # Shortest history this model needs, in weeks.
    min_weeks = 2.0

    def fit(self, y: np.ndarray, ctx: Context) -> "Model":  # pragma: no cover - interface
        raise NotImplementedError

    def forecast(self, h: int) -> LogForecast:  # pragma: no cover - interface
        raise NotImplementedError


def to_frame_columns(fc: LogForecast, interval_scale: dict[int, float] | None = None,
                     multiplier: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Back-transform a log-scale forecast to ``forecast, lo_80, hi_80, lo_95, hi_95``.

    interval_scale : widening factor per level (from backtest calibration), default 1.
    multiplier : known event / holiday factor per interval, applied to every column.
    The point forecast is the mean of the log-normal distribution (exp(mu + sd^2/2) - 1).
    Bounds are clipped at 0 and ordered lo <= forecast <= hi.
    """
    fc = fc.clean()
    mult = np.ones_like(fc.mu) if multiplier is None else np.asarray(multiplier, float)
    # The mean of the log-normal predictive distribution, not its median: staffing needs
    # the expected arrival rate, and the median under-forecasts by ~sd^2/2 (3-5% here).
    point = np.expm1(fc.mu + 0.5 * np.minimum(fc.sd, 1.0) ** 2) * mult
    out = {"forecast": point}
    for level in LEVELS:
        scale = (interval_scale or {}).get(level, 1.0)
        half = Z_SCORES[level] * fc.sd * scale
        out[f"lo_{level}"] = np.minimum(np.maximum(np.expm1(fc.mu - half), 0.0) * mult, point)
        out[f"hi_{level}"] = np.maximum(np.expm1(fc.mu + half) * mult, point)
    # 95% bands contain the 80% bands by construction unless calibration crossed them.
    out["lo_95"] = np.minimum(out["lo_95"], out["lo_80"])
    out["hi_95"] = np.maximum(out["hi_95"], out["hi_80"])
    for key, value in out.items():
        out[key] = np.nan_to_num(np.maximum(value, 0.0), nan=0.0, posinf=0.0)
    return out


def seasonal_tile(last_cycle: np.ndarray, h: int) -> np.ndarray:
    """Repeat the last seasonal cycle over h future intervals."""
    reps = int(np.ceil(h / len(last_cycle)))
    return np.tile(last_cycle, reps)[:h]


def to_series(values: np.ndarray) -> pd.Series:
    """statsmodels' ETS prediction needs a pandas input; a RangeIndex is enough."""
    return pd.Series(np.asarray(values, float))


def ar_sarimax(x: np.ndarray, order: int = 2):
    """A SARIMAX AR(order) results object for ``x`` with conditional-least-squares parameters.

    Numerical MLE of even an AR(2) costs ~40 Kalman passes; the OLS (AutoReg) estimates
    are asymptotically equivalent, so we run one ``SARIMAX.filter`` pass with them and get
    statsmodels' state-space forecasts and variances at a fraction of the cost.
    Non-stationary estimates are shrunk until stationary.
    """
    from statsmodels.tsa.ar_model import AutoReg
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    x = np.asarray(x, float)
    fit = AutoReg(x, order, trend="n").fit()
    ar = np.asarray(fit.params, float)
    for _ in range(20):
        roots = np.roots(np.r_[1.0, -ar])
        if np.all(np.abs(roots) < 0.995):
            break
        ar = ar * 0.9
    sigma2 = float(max(np.var(x[order:] - sum(ar[i] * x[order - 1 - i:len(x) - 1 - i] for i in range(order))), 1e-12))
    return SARIMAX(x, order=(order, 0, 0)).filter(np.r_[ar, sigma2], cov_type="none")
