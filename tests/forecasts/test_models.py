"""Each registered model recovers a known seasonal signal; the log-scale wrapper is safe."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from forecasts.models import Context, LogForecast, to_frame_columns
from forecasts.registry import DEFAULT_CANDIDATES, MODELS, make
from forecasts.synthetic import make_volume, seasonal_rate

PDAY, PWEEK = 48, 336


def _signal(weeks: int):
    index = pd.date_range("2026-01-05", periods=weeks * PWEEK, freq="30min", tz="UTC")
    return seasonal_rate(index, level=50.0, daily_amp=0.6, weekly_amp=0.25)


@pytest.mark.parametrize("name", DEFAULT_CANDIDATES + ("mstl_ets",))
def test_model_recovers_noise_free_seasonal_signal(name):
    truth = _signal(7)
    history, future = truth[:6 * PWEEK], truth[6 * PWEEK:]
    fc = make(name).fit(history, Context(PDAY, PWEEK, PWEEK)).forecast(PWEEK)
    point = to_frame_columns(fc)["forecast"]
    # The signal repeats exactly every week, so every model should find it to within 3%.
    assert np.mean(np.abs(point - future)) / np.mean(future) < 0.03, name


def test_seasonal_naive_repeats_last_week_exactly():
    y = np.arange(2 * PWEEK, dtype=float)
    fc = make("snaive_week").fit(y, Context(PDAY, PWEEK, 10)).forecast(10)
    assert_allclose(np.expm1(fc.mu), y[PWEEK:PWEEK + 10])


def test_mean_of_weeks_is_the_arithmetic_mean_at_the_same_interval():
    rng = np.random.default_rng(1)
    y = rng.poisson(20, size=5 * PWEEK).astype(float)
    fc = make("mean_4w").fit(y, Context(PDAY, PWEEK, PWEEK)).forecast(PWEEK)
    expected = y[PWEEK:].reshape(4, PWEEK).mean(axis=0)
    assert_allclose(np.expm1(fc.mu), expected, rtol=1e-12)


def test_back_transform_is_never_negative_or_nan_and_bands_are_ordered():
    fc = LogForecast(np.array([-1.0, 0.0, np.nan, 3.0]), np.array([np.nan, 0.0, 1.0, 5.0]))
    cols = to_frame_columns(fc, {80: 2.0, 95: 0.5}, np.array([1.0, 2.0, 1.0, 0.5]))
    stacked = np.vstack([cols[c] for c in ("lo_95", "lo_80", "forecast", "hi_80", "hi_95")])
    assert np.all(np.isfinite(stacked)) and np.all(stacked >= 0)
    assert np.all(np.diff(stacked, axis=0) >= -1e-12)


def test_lognormal_bounds_match_scipy_quantiles():
    from scipy.stats import norm

    fc = LogForecast(np.array([2.0]), np.array([0.3]))
    cols = to_frame_columns(fc)
    assert_allclose(cols["hi_95"], np.expm1(2.0 + norm.ppf(0.975) * 0.3))
    assert_allclose(cols["lo_80"], np.expm1(2.0 - norm.ppf(0.9) * 0.3))


def test_registry_lists_every_model_with_a_unique_name():
    assert set(DEFAULT_CANDIDATES) <= set(MODELS)
    assert {"snaive_week", "mean_4w"} <= {n for n, c in MODELS.items() if c.is_baseline}
    with pytest.raises(ValueError, match="unknown forecasting model"):
        make("prophet")


def test_synthetic_volume_frame_shape():
    v = make_volume([("spam", "NA-EN"), ("abuse", "EMEA-DE")], weeks=1)
    assert list(v.columns) == ["timestamp", "queue", "market", "volume"]
    assert len(v) == 2 * PWEEK and str(v["timestamp"].dt.tz) == "UTC"
