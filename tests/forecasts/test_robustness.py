"""Forecasts are never negative or NaN on zero, constant, short or gappy series;
warnings are collected per series, never printed raw."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts import FORECAST_COLUMNS, ForecastConfig, forecast_volume
from forecasts.series import fill_gaps
from forecasts.synthetic import make_volume

PWEEK = 336
FAST = ForecastConfig(window_weeks=4, candidates=("snaive_week", "mean_4w", "mstl_arima", "harmonic_sarimax", "ets_weekly"))


def _frame(values, start="2026-01-05"):
    index = pd.date_range(start, periods=len(values), freq="30min", tz="UTC")
    return pd.DataFrame({"timestamp": index, "queue": "q", "market": "m", "volume": values})


def _check(run, horizon):
    fc = run.forecast
    assert list(fc.columns) == FORECAST_COLUMNS
    assert len(fc) == horizon
    numbers = fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].to_numpy()
    assert np.isfinite(numbers).all() and (numbers >= 0).all()
    assert (fc.lo_95 <= fc.lo_80).all() and (fc.lo_80 <= fc.forecast).all()
    assert (fc.forecast <= fc.hi_80).all() and (fc.hi_80 <= fc.hi_95).all()
    assert str(fc["timestamp"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("case", ["zeros", "constant", "short", "tiny", "gappy", "spiky_sparse"])
def test_degenerate_series_give_finite_non_negative_forecasts(case, capsys):
    rng = np.random.default_rng(5)
    if case == "zeros":
        volume = _frame(np.zeros(5 * PWEEK))
    elif case == "constant":
        volume = _frame(np.full(5 * PWEEK, 7.0))
    elif case == "short":  # ten days: under two weekly cycles
        volume = make_volume(weeks=2).iloc[: 10 * 48]
    elif case == "tiny":  # three intervals
        volume = _frame(np.array([1.0, 0.0, 2.0]))
    elif case == "gappy":
        volume = make_volume(weeks=6, seed=2)
        drop = rng.choice(len(volume), size=len(volume) // 5, replace=False)
        volume = volume.drop(volume.index[drop])
        volume = volume[(volume.timestamp < "2026-02-10") | (volume.timestamp > "2026-02-14")]
    else:  # mostly zeros with rare bursts
        values = np.where(rng.random(5 * PWEEK) < 0.02, rng.poisson(30, 5 * PWEEK), 0).astype(float)
        volume = _frame(values)
    run = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False)
    _check(run, PWEEK)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # nothing printed raw
    messages = " | ".join(run.warnings["message"])
    if case in ("zeros", "constant"):
        assert "constant history" in messages
        assert np.allclose(run.forecast["forecast"], volume["volume"].iloc[0])
    if case in ("short", "tiny"):
        assert "under two weeks" in messages
    if case == "gappy":
        assert "missing intervals filled" in messages


def test_negative_and_missing_volumes_are_repaired_and_reported():
    y = np.r_[np.arange(14 * 48, dtype=float), [np.nan] * 5, [-3.0]]
    filled, notes = fill_gaps(y, 7 * 48, 48)
    assert np.isfinite(filled).all() and (filled >= 0).all()
    assert filled[14 * 48] == y[14 * 48 - 7 * 48]  # same interval a week earlier
    assert any("negative" in n for n in notes) and any("missing" in n for n in notes)


def test_a_failing_model_is_reported_and_skipped(monkeypatch):
    from forecasts import registry

    class Broken(registry.MODELS["mstl_arima"]):
        name = "broken"

        def fit(self, y, ctx):
            raise np.linalg.LinAlgError("singular matrix")

    monkeypatch.setitem(registry.MODELS, "broken", Broken)
    config = ForecastConfig(window_weeks=4, candidates=("snaive_week", "mean_4w", "broken"))
    run = forecast_volume(make_volume(weeks=8), PWEEK, config=config, backend="serial", use_cache=False)
    _check(run, PWEEK)
    assert run.selection["model"].iloc[0] in ("snaive_week", "mean_4w")
    assert any("broken: failed (LinAlgError" in m for m in run.warnings["message"])


def test_statsmodels_warnings_are_collected_per_series_not_printed(monkeypatch, capsys):
    import warnings

    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    from forecasts import registry

    class Noisy(registry.MODELS["mean_4w"]):
        name = "noisy"
        is_baseline = False

        def fit(self, y, ctx):
            warnings.warn("Maximum Likelihood optimization failed to converge.", ConvergenceWarning)
            return super().fit(y, ctx)

    monkeypatch.setitem(registry.MODELS, "noisy", Noisy)
    config = ForecastConfig(window_weeks=4, candidates=("snaive_week", "noisy"))
    run = forecast_volume(make_volume(weeks=8), PWEEK, config=config, backend="serial", use_cache=False)
    _check(run, PWEEK)
    assert "noisy: ConvergenceWarning: Maximum Likelihood optimization failed to converge." in list(
        run.warnings["message"])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("minutes", [15, 60])
def test_other_interval_lengths(minutes):
    volume = make_volume(weeks=5, freq_minutes=minutes, seed=8)
    per_week = 7 * 24 * 60 // minutes
    run = forecast_volume(volume, per_week, config=ForecastConfig(window_weeks=3), backend="serial",
                          use_cache=False)
    _check(run, per_week)
    assert run.forecast["timestamp"].diff().dropna().eq(pd.Timedelta(minutes=minutes)).all()
    assert not run.backtest.empty and run.backtest["model"].nunique() == 5
