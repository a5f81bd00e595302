"""Dynamic harmonic regression: SARIMAX with Fourier terms and holiday/event dummies.

The exogenous part is Fourier terms for the daily and the weekly period plus 0/1
indicators of holiday and event intervals.  Estimating ~40 regression coefficients by
full MLE costs seconds per series, so we estimate in two steps: ordinary least squares
for the regression coefficients, then a SARIMAX AR(2) model of the regression errors with
least-squares AR coefficients (see :func:`forecasts.models.ar_sarimax`).  That is the
classic two-step estimator for regression with ARMA errors; it is ~20x faster than the
joint MLE fit, whose point forecasts it matches to within noise on our series.
"""
from __future__ import annotations

import numpy as np
from forecasts.models import Context, LogForecast, Model, ar_sarimax

# Fourier pairs per period.
K_DAY = 8
K_WEEK = 10


def fourier(t: np.ndarray, period: int, k: int) -> np.ndarray:
    """Columns sin(2 pi j t / period), cos(...) for j = 1..k (t in intervals)."""
    k = max(0, min(k, period // 2 - 1))
    cols = []
    for j in range(1, k + 1):
        angle = 2 * np.pi * j * t / period
        cols += [np.sin(angle), np.cos(angle)]
    return np.column_stack(cols) if cols else np.empty((len(t), 0))


class HarmonicSarimax(Model):
    name = "harmonic_sarimax"
    description = "SARIMAX AR(2) errors with daily/weekly Fourier terms and holiday/event dummies"
    min_weeks = 2.0

    def _design(self, t: np.ndarray) -> np.ndarray:
        parts = [fourier(t, self.ctx.period_day, K_DAY)]
        if self.weekly:
            parts.append(fourier(t, self.ctx.period_week, K_WEEK))
        if self.dummy_cols is not None:
            parts.append(self.ctx.regressors[t][:, self.dummy_cols])
        return np.column_stack(parts)

    def fit(self, y, ctx: Context):
        self.ctx = ctx
        z = np.log1p(np.asarray(y, float))
        self.n = n = len(z)
        self.weekly = n >= 2 * ctx.period_week
        self.dummy_cols = None
        if ctx.regressors is not None and ctx.regressors.shape[1]:
            seen = ctx.regressors[:n]
            keep = np.flatnonzero(seen.std(axis=0) > 0)
            self.dummy_cols = keep if len(keep) else None
        exog = self._design(np.arange(n))
        design = np.column_stack([np.ones(n), exog])
        self.beta, *_ = np.linalg.lstsq(design, z, rcond=None)
        self.res = ar_sarimax(z - design @ self.beta, 2)
        return self

    def forecast(self, h):
        t = np.arange(self.n, self.n + h)
        if self.dummy_cols is not None and self.ctx.regressors.shape[0] < self.n + h:
            raise ValueError("regressors do not cover the forecast horizon")
        regression = np.column_stack([np.ones(h), self._design(t)]) @ self.beta
        pred = self.res.get_forecast(h)
        return LogForecast(regression + np.asarray(pred.predicted_mean, float),
                           np.sqrt(np.maximum(np.asarray(pred.var_pred_mean, float), 0)))
