"""Holidays per market, events as multipliers, the event effect as its own component."""
from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from forecasts import ForecastConfig, HolidayCalendar, forecast_volume
from forecasts.events import estimate_holiday_factor, event_multiplier, holiday_flags
from forecasts.synthetic import make_volume

PWEEK = 336
FAST = ForecastConfig(window_weeks=4, candidates=("snaive_week", "mean_4w", "ets_weekly"))


def test_holiday_flags_follow_the_market_local_day():
    index = pd.date_range("2025-12-24", "2025-12-27", freq="30min", tz="UTC", inclusive="left")
    flags = holiday_flags(index, HolidayCalendar("US", None, "America/New_York"))
    flagged = index[flags]
    # Christmas Day in New York is 05:00 UTC on the 25th to 05:00 UTC on the 26th.
    assert flagged.min() == pd.Timestamp("2025-12-25 05:00", tz="UTC")
    assert flagged.max() == pd.Timestamp("2025-12-26 04:30", tz="UTC")
    assert flags.sum() == 48
    tokyo = holiday_flags(index, HolidayCalendar("JP", None, "Asia/Tokyo"))
    assert tokyo.sum() == 0  # 25 December is not a public holiday in Japan


def test_event_multiplier_matches_scope_and_multiplies_overlaps():
    index = pd.date_range("2026-03-01", periods=8, freq="h", tz="UTC")
    events = pd.DataFrame({
        "event": ["a", "b", "c"], "kind": "event",
        "start": pd.to_datetime(["2026-03-01 01:00", "2026-03-01 02:00", "2026-03-01 00:00"], utc=True),
        "end": pd.to_datetime(["2026-03-01 04:00", "2026-03-01 03:00", "2026-03-02 00:00"], utc=True),
        "queue": ["spam", "*", "abuse"], "market": ["*", "NA-EN", "NA-EN"], "volume_multiplier": [2.0, 1.5, 9.0],
    })
    mult = event_multiplier(index, events, "spam", "NA-EN")
    assert_allclose(mult, [1, 2, 3, 2, 1, 1, 1, 1])


def test_holiday_factor_is_estimated_from_past_holidays():
    rng = np.random.default_rng(0)
    y = rng.poisson(100, size=10 * PWEEK).astype(float)
    flags = np.zeros(len(y), bool)
    for day in (15, 40):
        flags[day * 48:(day + 1) * 48] = True
    y[flags] *= 0.6
    factor, used = estimate_holiday_factor(y, flags, PWEEK)
    assert used == 2
    assert abs(factor - 0.6) < 0.03


def test_future_event_uplift_is_applied_and_visible_as_a_component():
    volume = make_volume(weeks=6, seed=4, noise=False)
    end = volume["timestamp"].max()
    start = end + pd.Timedelta(days=3)
    events = pd.DataFrame({"event": ["launch"], "kind": ["launch"], "start": [start],
                           "end": [start + pd.Timedelta(hours=6)], "queue": ["*"], "market": ["NA-EN"],
                           "volume_multiplier": [3.0]})
    plain = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False)
    lifted = forecast_volume(volume, PWEEK, events=events, config=FAST, backend="serial", use_cache=False)
    inside = (lifted.forecast.timestamp >= start) & (lifted.forecast.timestamp < start + pd.Timedelta(hours=6))
    assert inside.sum() == 12
    ratio = lifted.forecast.forecast[inside].to_numpy() / plain.forecast.forecast[inside].to_numpy()
    assert_allclose(ratio, 3.0, rtol=1e-9)
    assert_allclose(lifted.forecast.forecast[~inside], plain.forecast.forecast[~inside], rtol=1e-9)
    comp = lifted.components
    assert_allclose(comp.event_factor[inside], 3.0)
    assert_allclose(comp.baseline * comp.event_factor * comp.holiday_factor, lifted.forecast.forecast, rtol=1e-9)


def test_past_event_is_cleaned_from_history():
    volume = make_volume(weeks=6, seed=4, noise=False)
    last_week = volume["timestamp"] > volume["timestamp"].max() - pd.Timedelta(weeks=1)
    spike = last_week & (volume["timestamp"].dt.hour.between(10, 13))
    volume.loc[spike, "volume"] *= 4.0
    events = pd.DataFrame({"event": ["incident"], "start": [volume.timestamp[last_week].min()],
                           "end": [volume.timestamp.max() + pd.Timedelta(minutes=30)], "queue": ["*"],
                           "market": ["*"], "volume_multiplier": [1.0]})
    config = ForecastConfig(window_weeks=4, candidates=("snaive_week",))
    # Without the event the naive forecast repeats the spike ...
    naive = forecast_volume(volume, PWEEK, config=config, backend="serial", use_cache=False)
    # ... with the event (x4 during the spike hours) the history is cleaned first.
    spiky = events.iloc[[0] * 7].copy()
    day0 = volume.timestamp[last_week].min().normalize()
    spiky["start"] = [day0 + pd.Timedelta(days=d, hours=10) for d in range(7)]
    spiky["end"] = spiky["start"] + pd.Timedelta(hours=4)
    spiky["volume_multiplier"] = 4.0
    cleaned = forecast_volume(volume, PWEEK, events=spiky, config=config, backend="serial", use_cache=False)
    assert naive.forecast.forecast.max() > 2 * cleaned.forecast.forecast.max()
