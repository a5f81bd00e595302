"""Rolling-origin backtest, accuracy measures, selection with baseline fallback, coverage."""
from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from forecasts import ForecastConfig, forecast_volume
from forecasts.backtest import OriginResult, origins_for, score, seasonal_naive_mae
from forecasts.models import LogForecast
from forecasts.selection import choose
from forecasts.synthetic import make_volume

PWEEK = 336
FAST = ForecastConfig(window_weeks=6)


def test_measures_on_a_hand_computed_case():
    actual = np.array([10.0, 20.0, 30.0, 40.0])
    point = np.array([12.0, 18.0, 30.0, 44.0])  # errors +2, -2, 0, +4
    r = OriginResult("m", 0, actual, np.ones(4), LogForecast(np.log1p(point), np.full(4, 1e-9)), 2.0)
    s = score(r)
    assert_allclose(s["mae"], 2.0)
    assert_allclose(s["wape"], 8.0 / 100.0)
    assert_allclose(s["mase"], 1.0)
    assert_allclose(s["bias"], 4.0 / 100.0)
    # zero-width intervals only contain exact hits
    assert_allclose(s["coverage_95"], 0.25)


def test_seasonal_naive_mae_is_the_lag_period_mean_absolute_difference():
    y = np.array([1.0, 2, 3, 5, 2, 7])
    assert_allclose(seasonal_naive_mae(y, 3), (4 + 0 + 4) / 3)


def test_origins_end_at_the_history_end_and_step_back():
    assert origins_for(10 * PWEEK, 2 * PWEEK, 8 * PWEEK, 3, PWEEK, 2 * PWEEK) == [6 * PWEEK, 7 * PWEEK, 8 * PWEEK]
    assert origins_for(5 * PWEEK, 2 * PWEEK, 8 * PWEEK, 3, PWEEK, 2 * PWEEK) == [2 * PWEEK, 3 * PWEEK]


def test_choose_falls_back_to_the_baseline_unless_a_model_beats_it_by_the_margin():
    table = pd.DataFrame({"model": ["snaive_week", "mean_4w", "mstl_arima"], "mase": [1.0, 0.80, 0.79]})
    assert choose(table).model == "mean_4w"
    table.loc[2, "mase"] = 0.70
    assert choose(table).model == "mstl_arima"


def test_selection_picks_a_baseline_for_pure_weekly_repetition_plus_noise():
    # An irregular weekly pattern (no smooth daily/weekly shape a Fourier or trend model
    # could exploit), repeated exactly, plus small noise.
    rng = np.random.default_rng(3)
    pattern = rng.gamma(2.0, 50.0, size=PWEEK)
    weeks = 13
    index = pd.date_range("2026-01-05", periods=weeks * PWEEK, freq="30min", tz="UTC")
    values = np.tile(pattern, weeks) * rng.lognormal(0, 0.02, size=weeks * PWEEK)
    volume = pd.DataFrame({"timestamp": index, "queue": "q", "market": "m", "volume": values})
    run = forecast_volume(volume, 2 * PWEEK, config=FAST, backend="serial", use_cache=False)
    assert bool(run.selection["is_baseline"].iloc[0]), run.selection["reason"].iloc[0]


def test_pipeline_intervals_cover_poisson_series_at_nominal_rate_out_of_sample():
    series = [("a", "x"), ("b", "y"), ("c", "z")]
    full = make_volume(series, weeks=14, seed=11)
    cut = full["timestamp"].max() - pd.Timedelta(weeks=2)
    history, future = full[full["timestamp"] <= cut], full[full["timestamp"] > cut]
    run = forecast_volume(history, 2 * PWEEK, config=FAST, backend="serial", use_cache=False)
    joined = run.forecast.merge(future, on=["timestamp", "queue", "market"])
    assert len(joined) == 3 * 2 * PWEEK
    inside95 = ((joined.volume >= joined.lo_95) & (joined.volume <= joined.hi_95)).mean()
    inside80 = ((joined.volume >= joined.lo_80) & (joined.volume <= joined.hi_80)).mean()
    assert 0.91 <= inside95 <= 0.985, inside95
    assert 0.72 <= inside80 <= 0.88, inside80
    # accuracy against the seasonal naive on the same held-out weeks
    last_week = history[history["timestamp"] > cut - pd.Timedelta(weeks=1)].copy()
    naive = pd.concat([last_week.assign(timestamp=last_week.timestamp + pd.Timedelta(weeks=k)) for k in (1, 2)])
    naive = naive.merge(future, on=["timestamp", "queue", "market"], suffixes=("_naive", ""))
    model_mae = (joined.forecast - joined.volume).abs().mean()
    naive_mae = (naive.volume_naive - naive.volume).abs().mean()
    assert model_mae < 0.85 * naive_mae
