"""The error model recovers what synthetic data were drawn with (levels, noise, correlation)."""
from __future__ import annotations

import numpy as np
import pytest

from forecasts.errors import ErrorConfig, fit_error_model, weekly_errors
from forecasts.errors.model import week_noise_variance
from tests.forecasts.errors.cases import synthetic_backtest

MARKETS = {"A": 5, "B": 5, "C": 5}


@pytest.fixture(scope="module")
def correlated():
    return synthetic_backtest(MARKETS, weeks=60, within=0.6, across=0.0, seed=1)


@pytest.fixture(scope="module")
def independent():
    return synthetic_backtest(MARKETS, weeks=60, within=0.0, across=0.0, seed=2)


def test_known_within_market_correlation_is_recovered(correlated, independent):
    strong = fit_error_model(correlated)
    none = fit_error_model(independent)
    assert strong.within_market == pytest.approx(0.6, abs=0.12)
    assert none.within_market < 0.15
    assert strong.across_markets == 0.0 and none.across_markets == 0.0  # not material
    pooled = strong.correlation.set_index(["scope", "market"])
    assert pooled.loc[("within_market", "*"), "pairs"] == 3 * 10  # 10 pairs of pairs per market


def test_a_material_across_market_correlation_is_used():
    model = fit_error_model(synthetic_backtest(MARKETS, weeks=60, within=0.7, across=0.5, seed=3))
    assert model.across_markets == pytest.approx(0.5, abs=0.15)
    assert model.within_market >= model.across_markets
    assert model.within_market == pytest.approx(0.7, abs=0.12)


def test_level_sd_is_net_of_the_noise_a_weekly_total_carries():
    frame = synthetic_backtest({"A": 6}, weeks=40, within=0.0, level_sd=0.03, alpha=0.004, phi=0.9, seed=4)
    model = fit_error_model(frame, ErrorConfig(prior_weeks=0))
    lv = model.levels
    # raw sd of the weekly log ratio includes Poisson + interval noise; level_sd removes it
    assert (lv["raw_sd"] > lv["level_sd"]).all()
    assert lv["level_sd"].mean() == pytest.approx(0.03, rel=0.2)
    assert model.noise["alpha"].mean() == pytest.approx(0.004, rel=0.2)
    assert model.noise["phi"].mean() == pytest.approx(0.9, abs=0.06)


def test_a_pure_poisson_pair_has_no_level_error_left():
    frame = synthetic_backtest({"A": 4}, weeks=30, within=0.0, level_sd=0.0, alpha=0.0, phi=0.0, level=5.0, seed=5)
    model = fit_error_model(frame, ErrorConfig(prior_weeks=0))
    assert model.levels["raw_sd"].mean() > 0.02  # Poisson alone moves a week of ~1,700 items ~2.4%
    assert (model.levels["level_sd"] < 0.012).all()
    assert model.noise["alpha"].mean() < 0.003  # the moment estimator's noise at 5 items is ~0.003


def test_bias_is_learned_and_shrunk_towards_the_pool():
    frame = synthetic_backtest({"A": 4}, weeks=12, within=0.0, bias=0.05, seed=6)
    model = fit_error_model(frame, ErrorConfig(prior_weeks=8))
    assert model.levels["bias"].mean() == pytest.approx(0.05, abs=0.015)
    centred = fit_error_model(frame, ErrorConfig(center_bias=False))
    assert centred.level("q0", "A", 1)[0] == 0.0


def test_week_noise_variance_matches_a_direct_sum():
    m = np.array([3.0, 5.0, 2.0, 7.0])
    alpha, phi = 0.01, 0.5
    s2 = np.log1p(alpha)
    direct = m.sum() + sum(m[i] * m[j] * np.expm1(s2 * phi ** abs(i - j)) for i in range(4) for j in range(4))
    assert week_noise_variance(m, alpha, phi) == pytest.approx(direct, rel=1e-12)


def test_weekly_errors_skip_incomplete_weeks(correlated):
    frame = correlated.copy()
    frame.loc[5, "actual"] = np.nan
    weeks = weekly_errors(frame)
    assert len(weeks) == len(weekly_errors(correlated)) - 1
    row = weekly_errors(correlated).iloc[0]
    assert row["log_error"] == pytest.approx(np.log(row["actual"] / row["forecast"]))


def test_before_uses_only_weeks_that_ended(correlated):
    origins = sorted(correlated["origin"].unique())
    cut = origins[30]
    model = fit_error_model(correlated, before=cut)
    assert max(model.origins) < cut and len(model.origins) == 30
    with pytest.raises(ValueError, match="no complete week"):
        fit_error_model(correlated, before=origins[0])


def test_an_unseen_pair_gets_the_pooled_parameters(correlated):
    model = fit_error_model(correlated)
    bias, sd = model.level("new_queue", "Z", 1)
    assert sd == pytest.approx(model.pooled["levels"][1][1])
    assert model.interval_noise("new_queue", "Z") == (model.pooled["alpha"], model.pooled["phi"])
