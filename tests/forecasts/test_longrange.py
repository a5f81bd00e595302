"""Long range: yearly seasonality, bottom-up coherent totals, consistency with intraday, profiles."""
from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from forecasts import ForecastConfig, forecast_volume
from forecasts.longrange import intraday_profile_by_weekday, long_range, period_start, spread_to_intervals
from forecasts.synthetic import make_volume


def _hourly_with_yearly_cycle(weeks=104, seed=0):
    """Two years of hourly counts with a +-20% yearly cycle peaking mid-year."""
    v = make_volume([("spam", "NA-EN"), ("abuse", "NA-EN"), ("spam", "APAC-JA")], weeks=weeks,
                    freq_minutes=60, seed=seed, noise=False)
    doy = v["timestamp"].dt.day_of_year.to_numpy()
    v["volume"] = np.random.default_rng(seed).poisson(v["volume"] * (1 + 0.2 * np.sin(2 * np.pi * (doy - 100) / 365.25)))
    return v.astype({"volume": float})


def test_long_range_recovers_yearly_seasonality_and_sums_bottom_up():
    volume = _hourly_with_yearly_cycle()
    run = long_range(volume, months=12)
    monthly = run.monthly
    assert {"period_start", "queue", "market", "forecast", "lo_95", "hi_95"} <= set(monthly.columns)
    one = monthly[(monthly.queue == "spam") & (monthly.market == "NA-EN")].set_index("period_start")
    full = one.iloc[1:-1]  # whole months only
    # Peak (around July) vs trough (around January) months differ by ~ (1.2 / 0.8) in expectation.
    months = full.index.month
    per_day = full.forecast / full.index.days_in_month
    ratio = per_day[months == 7].mean() / per_day[months == 1].mean()
    assert 1.3 < ratio < 1.7, ratio
    assert (full.lo_95 <= full.lo_80).all() and (full.lo_80 <= full.forecast).all() and (full.hi_80 <= full.hi_95).all()
    # bottom-up coherence: queue totals are the sums of their series
    totals = run.totals("month", by="queue")
    spam = monthly[monthly.queue == "spam"].groupby("period_start").forecast.sum()
    assert_allclose(totals[totals.queue == "spam"].set_index("period_start").forecast, spam, rtol=1e-9)
    overall = run.totals("week", by="all")
    assert_allclose(overall.forecast.sum(), run.weekly.forecast.sum(), rtol=1e-9)


def test_long_range_agrees_with_the_intraday_forecast_over_the_overlap():
    volume = make_volume([("spam", "NA-EN")], weeks=20, seed=3)
    daily = long_range(volume, months=2).daily
    intraday = forecast_volume(volume, 14 * 48, config=ForecastConfig(window_weeks=6), backend="serial",
                               use_cache=False).forecast
    intraday_days = intraday.groupby(intraday.timestamp.dt.normalize()).forecast.sum()
    overlap = daily.set_index("period_start").forecast.reindex(intraday_days.index)
    assert overlap.notna().all()
    rel = abs(overlap.sum() - intraday_days.sum()) / intraday_days.sum()
    assert rel < 0.05, rel


def test_daily_forecast_spreads_into_intervals_with_the_weekday_profile():
    volume = make_volume([("spam", "NA-EN")], weeks=6, seed=1, noise=False)
    profile = intraday_profile_by_weekday(volume, 30)
    assert profile.shape == (7, 48)
    assert_allclose(profile.sum(axis=1), 1.0)
    daily = pd.DataFrame({"period_start": pd.to_datetime(["2026-03-02", "2026-03-03"], utc=True), "queue": "spam",
                          "market": "NA-EN", "model": "m", "forecast": [480.0, 960.0], "lo_80": 1.0, "hi_80": 2.0,
                          "lo_95": 0.5, "hi_95": 3.0})
    spread = spread_to_intervals(daily, profile, 30)
    assert len(spread) == 96
    assert_allclose(spread.groupby(spread.timestamp.dt.normalize()).forecast.sum().to_numpy(), [480.0, 960.0])
    # the shape is the history's shape for that weekday (2026-03-02 is a Monday)
    assert_allclose(spread.forecast.to_numpy()[:48] / 480.0, profile[0])


def test_period_start_for_weeks_and_months():
    days = pd.DatetimeIndex(pd.to_datetime(["2026-03-04", "2026-03-31"], utc=True))
    assert list(period_start(days, "week").strftime("%Y-%m-%d")) == ["2026-03-02", "2026-03-30"]
    assert list(period_start(days, "month").strftime("%Y-%m-%d")) == ["2026-03-01", "2026-03-01"]


def test_a_level_shift_is_found_and_carried_forward():
    from forecasts.longrange import level_shift

    rng = np.random.default_rng(2)
    n = 500
    X = np.column_stack([np.ones(n), np.arange(n) / 365.0])
    z = 5.0 + rng.normal(0, 0.03, n) + np.where(np.arange(n) >= 301, -0.16, 0.0)  # about x0.85 from day 301
    k = level_shift(X, z)
    assert k is not None and abs(k - 301) <= 7
    assert level_shift(X, 5.0 + rng.normal(0, 0.03, n)) is None  # no shift, none found
    volume = _hourly_with_yearly_cycle(weeks=80, seed=5)
    plain = long_range(volume, months=3)
    assert not any("level shift" in m for m in plain.warnings["message"])
    step = volume["timestamp"] >= volume["timestamp"].min() + pd.Timedelta(weeks=50)
    shifted = volume.copy()
    shifted.loc[step, "volume"] = np.round(shifted.loc[step, "volume"] * 0.7)
    run = long_range(shifted, months=3)
    assert any("level shift" in m for m in run.warnings["message"])
    # The forecast after a x0.7 step is 0.7 x the forecast of the same data without it.
    by_series = ["queue", "market"]
    assert_allclose(run.monthly.groupby(by_series).forecast.sum(),
                    0.7 * plain.monthly.groupby(by_series).forecast.sum(), rtol=0.05)
