"""MSTL decomposition with an ETS or ARIMA model on the seasonally adjusted series.

statsmodels' MSTL only decomposes: the daily and weekly seasonal components of the last
week are carried forward unchanged, and the remainder model (trend + irregular) gives the
level forecast and the prediction intervals.  ``seasonal_deg=0`` (locally constant
seasonal smoothing) matched the best-known configuration in our measurements; one outer
iteration (``iterate=1``) halves the cost against the default with no measurable loss on
the sample operation (see docs/forecasting.md).
"""
from __future__ import annotations

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.seasonal import MSTL

from forecasts.models import Context, LogForecast, Model, ar_sarimax, seasonal_tile, to_series

MSTL_ITERATE = 1
# Loess jumps as in R's stl defaults (evaluate every ~10th point and interpolate): 10x faster
# than statsmodels' jump=1 for the 336-interval weekly period, same decomposition to noise.
MSTL_STL_KWARGS = {"seasonal_deg": 0, "trend_jump": 10, "low_pass_jump": 10, "seasonal_jump": 1}


def decompose(z: np.ndarray, ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """(seasonal sum, seasonally adjusted) of a log-scale history, memoised per origin."""
    key = ("mstl", len(z), float(z.sum()))
    if key not in ctx.memo:
        periods = [p for p in (ctx.period_day, ctx.period_week) if len(z) >= 2 * p]
        if not periods:
            seasonal = np.zeros_like(z)
        else:
            res = MSTL(z, periods=periods, iterate=MSTL_ITERATE, stl_kwargs=MSTL_STL_KWARGS).fit()
            seasonal = np.asarray(res.seasonal, float)
            seasonal = seasonal.sum(axis=1) if seasonal.ndim == 2 else seasonal
        ctx.memo[key] = (seasonal, z - seasonal)
    return ctx.memo[key]


class _MstlBase(Model):
    min_weeks = 2.0

    def fit(self, y, ctx: Context):
        z = np.log1p(np.asarray(y, float))
        seasonal, adjusted = decompose(z, ctx)
        cycle = ctx.period_week if len(z) >= 2 * ctx.period_week else ctx.period_day
        self.last_cycle = seasonal[-cycle:]
        self.n = len(z)
        self._fit_remainder(adjusted)
        return self

    def forecast(self, h):
        mean, var = self._remainder_forecast(h)
        return LogForecast(mean + seasonal_tile(self.last_cycle, h), np.sqrt(np.maximum(var, 0)))


class MstlEts(_MstlBase):
    name = "mstl_ets"
    description = "MSTL (daily + weekly) with damped-trend ETS on the adjusted series"

    def _fit_remainder(self, adjusted):
        self.res = ETSModel(to_series(adjusted), error="add", trend="add", damped_trend=True).fit(disp=False)

    def _remainder_forecast(self, h):
        pred = self.res.get_prediction(start=self.n, end=self.n + h - 1)
        return np.asarray(pred.predicted_mean, float), np.asarray(pred.forecast_variance, float)


class MstlArima(_MstlBase):
    name = "mstl_arima"
    description = "MSTL (daily + weekly) with AR(2) plus mean on the adjusted series"

    def _fit_remainder(self, adjusted):
        self.mean = float(np.mean(adjusted))
        self.res = ar_sarimax(adjusted - self.mean, 2)

    def _remainder_forecast(self, h):
        pred = self.res.get_forecast(h)
        return self.mean + np.asarray(pred.predicted_mean, float), np.asarray(pred.var_pred_mean, float)
