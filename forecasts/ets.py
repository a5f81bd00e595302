"""ETS with weekly seasonality on daily totals, spread into intervals by an intraday profile.

Fitting ETS with a weekly season directly on 30-minute data would mean 336 seasonal
states to estimate; instead ETSModel (additive error, damped trend, additive weekly
season of 7 days) runs on log daily totals and a weekday-specific intraday profile
(share of the day per interval, averaged over the last weeks) spreads each day into
intervals.  The interval-level log variance is the daily forecast variance plus the
in-sample variance of the profile's own errors.
"""
from __future__ import annotations

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecasts.models import Context, LogForecast, Model, to_series

PROFILE_WEEKS = 4


def intraday_profile(y: np.ndarray, period_day: int, weeks: int = PROFILE_WEEKS) -> np.ndarray:
    """Share of the day per interval for each of the 7 day positions, shape (7, period_day).

    Days are blocks of ``period_day`` intervals counted back from the end of ``y``;
    day position ``b % 7`` of block b (block 0 = the oldest whole block).
    """
    nd = len(y) // period_day
    blocks = np.asarray(y[len(y) - nd * period_day:], float).reshape(nd, period_day)
    take = min(nd, 7 * weeks)
    profile = np.zeros((7, period_day))
    for b in range(nd - take, nd):
        profile[b % 7] += blocks[b]
    flat = blocks[nd - take:].sum(axis=0)
    for d in range(7):
        total = profile[d].sum()
        profile[d] = profile[d] / total if total > 0 else (flat / flat.sum() if flat.sum() > 0 else 1.0 / period_day)
    return profile


class EtsWeekly(Model):
    name = "ets_weekly"
    description = "ETS (damped trend, weekly season) on daily totals x weekday intraday profile"
    min_weeks = 2.0

    def fit(self, y, ctx: Context):
        y = np.asarray(y, float)
        pd_ = ctx.period_day
        self.nd = nd = len(y) // pd_
        self.pd = pd_
        blocks = y[len(y) - nd * pd_:].reshape(nd, pd_)
        zd = np.log1p(blocks.sum(axis=1))
        seasonal = dict(seasonal="add", seasonal_periods=7) if nd >= 14 else {}
        self.res = ETSModel(to_series(zd), error="add", trend="add", damped_trend=True, **seasonal).fit(disp=False)
        self.profile = intraday_profile(y, pd_)
        # In-sample spread of the profile: interval vs day total x share, log scale.
        recent = np.arange(max(0, nd - 7 * PROFILE_WEEKS), nd)
        expected = blocks[recent].sum(axis=1)[:, None] * self.profile[recent % 7]
        self.profile_sd = float(np.std(np.log1p(blocks[recent]) - np.log1p(expected)))
        return self

    def forecast(self, h):
        days = int(np.ceil(h / self.pd))
        pred = self.res.get_prediction(start=self.nd, end=self.nd + days - 1)
        mu_day = np.asarray(pred.predicted_mean, float)
        var_day = np.asarray(pred.forecast_variance, float)
        positions = (self.nd + np.arange(days)) % 7
        share = self.profile[positions]  # (days, pd)
        mu = np.log1p(np.expm1(mu_day)[:, None] * share).ravel()[:h]
        var = (var_day[:, None] + self.profile_sd**2 + 0 * share).ravel()[:h]
        return LogForecast(mu, np.sqrt(np.maximum(var, 0)))
