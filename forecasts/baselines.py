"""Baselines: weekly seasonal naive, the mean of the last k weeks, and short-history fallbacks.

Their intervals come from the empirical spread of their own in-sample errors on the log1p
scale at the same lead (one week ahead, two weeks ahead, ...), so they need no
distributional model.  Every statistical model must beat these to be chosen.
"""
from __future__ import annotations

import numpy as np

from forecasts.models import MIN_LOG_SD, Context, LogForecast, Model, seasonal_tile

# Weeks averaged by the mean-of-last-k-weeks baseline.
MEAN_WEEKS = 4


def _lead_sd(z: np.ndarray, point_at, lead_periods: int, period: int, needed: int) -> float | None:
    """Std of log errors of a forecaster ``point_at(t, lead)`` over the history, or None."""
    start = needed + (lead_periods - 1) * period
    if len(z) - start < period // 2 or len(z) - start < 4:
        return None
    t = np.arange(start, len(z))
    err = z[t] - point_at(t, lead_periods)
    return float(max(np.std(err), MIN_LOG_SD))


def _sd_by_lead(z, point_at, h, period, needed) -> np.ndarray:
    leads = np.arange(h) // period + 1
    sds: dict[int, float] = {}
    for lead in np.unique(leads):
        sd = _lead_sd(z, point_at, int(lead), period, needed)
        if sd is None:  # not enough history at this lead: grow like a random walk
            first = sds.get(1) or _lead_sd(z, point_at, 1, period, needed) or float(max(np.std(z), MIN_LOG_SD))
            sd = first * np.sqrt(lead)
        sds[int(lead)] = sd
    return np.array([sds[int(lead)] for lead in leads])


class SeasonalNaive(Model):
    """Repeat the last cycle (a week by default): y[t] = y[t - period]."""

    name = "snaive_week"
    description = "weekly seasonal naive: the same interval last week"
    is_baseline = True
    min_weeks = 1.0
    cycle = "week"

    def fit(self, y, ctx: Context):
        self.period = ctx.period_week if self.cycle == "week" else ctx.period_day
        self.z = np.log1p(np.asarray(y, float))
        return self

    def forecast(self, h):
        z, p = self.z, self.period
        mu = seasonal_tile(z[-p:], h)
        sd = _sd_by_lead(z, lambda t, lead: z[t - lead * p], h, p, p)
        return LogForecast(mu, sd)


class DailyNaive(SeasonalNaive):
    """Short-history fallback: the same interval yesterday."""

    name = "snaive_day"
    description = "daily seasonal naive (fallback for histories under two weeks)"
    min_weeks = 2 / 7
    cycle = "day"


class MeanOfWeeks(Model):
    """Mean of the last k weeks at the same interval of the week (arithmetic, count scale)."""

    name = "mean_4w"
    description = f"mean of the last {MEAN_WEEKS} weeks at the same interval"
    is_baseline = True
    min_weeks = 2.0

    def fit(self, y, ctx: Context):
        self.y = np.asarray(y, float)
        self.p = ctx.period_week
        self.k = int(max(1, min(MEAN_WEEKS, len(y) // self.p - 1)))
        return self

    def _point(self, t, lead):
        y, p, k = self.y, self.p, self.k
        lags = [(lead - 1 + j) * p for j in range(1, k + 1)]
        return np.log1p(np.mean([y[t - lag] for lag in lags], axis=0))

    def forecast(self, h):
        y, p, k = self.y, self.p, self.k
        last = y[-k * p:].reshape(k, p).mean(axis=0)
        mu = seasonal_tile(np.log1p(last), h)
        z = np.log1p(y)
        sd = _sd_by_lead(z, self._point, h, p, k * p)
        return LogForecast(mu, sd)


class Flat(Model):
    """Last-resort fallback for under two days of history: the mean level, wide bands."""

    name = "flat"
    description = "flat mean level (fallback for histories under two days)"
    min_weeks = 0.0

    def fit(self, y, ctx):
        z = np.log1p(np.asarray(y, float))
        self.mu = float(np.mean(z)) if len(z) else 0.0
        self.sd = float(np.std(z)) if len(z) > 1 else 1.0  # 0 for a constant history
        return self

    def forecast(self, h):
        return LogForecast(np.full(h, self.mu), np.full(h, self.sd))
