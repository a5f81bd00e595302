"""Planning quantiles and SAA scenario sets: monotone in confidence, calibrated on fresh paths."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasts.errors import fit_error_model
from forecasts.errors.paths import sample_array
from forecasts.errors.risk import QUANTILE_COLUMNS, planning_quantile, saa_scenarios
from tests.forecasts.errors.cases import synthetic_backtest


@pytest.fixture(scope="module")
def case():
    frame = synthetic_backtest({"A": 2, "B": 2}, weeks=30, within=0.4, level_sd=0.04, seed=21)
    model = fit_error_model(frame)
    origin = frame["origin"].max()
    forecast = frame[frame["origin"] == origin][["timestamp", "queue", "market", "forecast"]]
    return model, forecast


def test_the_frame_and_the_weekly_ratio(case):
    model, forecast = case
    q = planning_quantile(model, forecast, 0.9, n=500, seed=1)
    assert list(q.columns) == QUANTILE_COLUMNS and len(q) == len(forecast)
    # weekly: one ratio per pair-week, applied to the forecast's profile
    assert q.groupby(["queue", "market"])["planned_ratio"].nunique().eq(1).all()
    np.testing.assert_allclose(q["planned_volume"], q["forecast"] * q["planned_ratio"])
    keys, values = sample_array(model, forecast, 500, 1)
    idx = keys.index[(keys["queue"] == "q0") & (keys["market"] == "A")]
    expected = np.quantile(values[:, idx].sum(axis=1) / keys.loc[idx, "forecast"].sum(), 0.9)
    assert q.loc[idx, "planned_ratio"].iloc[0] == pytest.approx(expected)


@settings(max_examples=25, deadline=None)
@given(low=st.floats(0.5, 0.99), step=st.floats(0.0, 0.4), seed=st.integers(0, 50),
       method=st.sampled_from(["weekly", "interval"]))
def test_a_higher_confidence_never_lowers_the_planned_volume(case, low, step, seed, method):
    model, forecast = case
    high = min(low + step, 0.999)
    a = planning_quantile(model, forecast, low, method=method, n=60, seed=seed)
    b = planning_quantile(model, forecast, high, method=method, n=60, seed=seed)
    assert (b["planned_volume"].to_numpy() >= a["planned_volume"].to_numpy() - 1e-9).all()


def test_paths_frame_and_model_give_the_same_quantile(case):
    model, forecast = case
    paths = model.sample_paths(forecast, n=80, seed=4)
    from_paths = planning_quantile(paths, forecast, 0.95)
    from_model = planning_quantile(model, forecast, 0.95, n=80, seed=4)
    np.testing.assert_allclose(from_paths["planned_volume"], from_model["planned_volume"])


def test_the_weekly_quantile_is_met_on_fresh_paths_at_its_confidence(case):
    model, forecast = case
    q = planning_quantile(model, forecast, 0.9, n=2000, seed=1)
    keys, fresh = sample_array(model, forecast, 2000, 999)
    met = []
    for _, idx in keys.groupby(["queue", "market"]).indices.items():
        met.append(np.mean(fresh[:, idx].sum(axis=1) <= q["planned_volume"].to_numpy()[idx].sum()))
    assert np.mean(met) == pytest.approx(0.9, abs=0.02)


def test_interval_quantiles_cost_more_than_weekly_ones(case):
    model, forecast = case
    weekly = planning_quantile(model, forecast, 0.95, n=400, seed=2)["planned_volume"].sum()
    interval = planning_quantile(model, forecast, 0.95, method="interval", n=400, seed=2)["planned_volume"].sum()
    assert interval > weekly > forecast["forecast"].sum()


def test_bad_arguments_are_refused(case):
    model, forecast = case
    with pytest.raises(ValueError, match="confidence"):
        planning_quantile(model, forecast, 1.0)
    with pytest.raises(ValueError, match="method"):
        planning_quantile(model, forecast, 0.9, method="daily")


def test_saa_scenario_set(case):
    model, forecast = case
    s = saa_scenarios(model, forecast, n=40, confidence=0.95, seed=3)
    assert s.scenarios == 40 and s.allowed_misses == 2
    assert list(s.paths.columns) == ["scenario", "timestamp", "queue", "market", "volume", "weight"]
    assert s.paths["scenario"].nunique() == 40
    assert s.paths.groupby(["queue", "market", "timestamp"])["weight"].sum().round(12).eq(1.0).all()
    assert saa_scenarios(model, forecast, n=20, confidence=0.95).allowed_misses == 1
