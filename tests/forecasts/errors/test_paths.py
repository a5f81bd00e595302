"""Sample paths: seeded, common random numbers per pair, and the fitted error distribution."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.errors import PATH_COLUMNS, fit_error_model, sample_array, sample_paths
from forecasts.errors.paths import mid_pit, path_bands, paths_to_array, pit_coverage
from tests.forecasts.errors.cases import synthetic_backtest

MARKETS = {"A": 3, "B": 3}


@pytest.fixture(scope="module")
def fitted():
    frame = synthetic_backtest(MARKETS, weeks=40, within=0.5, level_sd=0.04, bias=0.02, alpha=0.003, phi=0.8, seed=11)
    origins = sorted(frame["origin"].unique())
    model = fit_error_model(frame[frame["origin"].isin(origins[:30])])
    return model, frame, origins


def forecast_of(frame, origin):
    rows = frame[frame["origin"] == origin]
    return rows[["timestamp", "queue", "market", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]]


def test_paths_are_tidy_seeded_and_reproducible(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    a = model.sample_paths(fc, n=20, seed=5)
    assert list(a.columns) == PATH_COLUMNS
    assert len(a) == 20 * len(fc) and a["path"].nunique() == 20
    assert str(a["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert (a["volume"] >= 0).all() and np.allclose(a["volume"], a["volume"].round())
    pd.testing.assert_frame_equal(a, sample_paths(model, fc, n=20, seed=5))
    assert not a["volume"].equals(sample_paths(model, fc, n=20, seed=6)["volume"])


def test_a_pairs_paths_do_not_depend_on_the_other_pairs(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    one = fc[(fc["queue"] == "q1") & (fc["market"] == "B")]
    alone = sample_paths(model, one, n=10, seed=3)
    together = sample_paths(model, fc, n=10, seed=3)
    together = together[(together["queue"] == "q1") & (together["market"] == "B")]
    np.testing.assert_array_equal(alone["volume"].to_numpy(), together["volume"].to_numpy())


def test_weekly_totals_follow_the_fitted_level_distribution(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    keys, values = sample_array(model, fc, n=3000, seed=1)
    idx = keys.index[(keys["queue"] == "q0") & (keys["market"] == "A")].to_numpy()
    ratio = np.log(values[:, idx].sum(axis=1) / keys["forecast"].to_numpy()[idx].sum())
    bias, sd = model.level("q0", "A", 1)
    row = model.levels.set_index(["queue", "market"]).loc[("q0", "A")]
    assert ratio.mean() == pytest.approx(bias, abs=0.004)
    assert ratio.std() == pytest.approx(np.hypot(sd, row["noise_sd"]), rel=0.1)


def test_paths_carry_the_fitted_correlation(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    keys, values = sample_array(model, fc, n=4000, seed=2)
    totals = {}
    for (q, m), idx in keys.groupby(["queue", "market"]).indices.items():
        totals[(q, m)] = values[:, idx].sum(axis=1)
    same = np.corrcoef(totals[("q0", "A")], totals[("q1", "A")])[0, 1]
    other = np.corrcoef(totals[("q0", "A")], totals[("q0", "B")])[0, 1]
    # level correlation diluted by the (independent) noise in weekly totals
    row = model.levels.set_index(["queue", "market"])
    share = row["level_sd"] ** 2 / (row["level_sd"] ** 2 + row["noise_sd"] ** 2)
    expected = model.within_market * np.sqrt(share[("q0", "A")] * share[("q1", "A")])
    assert same == pytest.approx(expected, abs=0.05)
    assert abs(other) < 0.06 and model.across_markets == 0.0


def test_held_out_weeks_are_covered_at_their_levels(fitted):
    model, frame, origins = fitted
    pit, inside = [], {80: [], 95: []}
    for origin in origins[30:]:
        fc = frame[frame["origin"] == origin]
        keys, values = sample_array(model, fc, n=400, seed=int(origin.value % 1000))
        actual = fc.sort_values(["queue", "market", "timestamp"])["actual"].to_numpy()
        pit.append(mid_pit(values, actual))
        for level in inside:
            inside[level].append(pit_coverage(values, actual, level))
    for level, values in inside.items():
        assert np.mean(values) == pytest.approx(level / 100, abs=0.03)
    counts = np.histogram(np.concatenate(pit), bins=5, range=(0, 1))[0]
    assert counts.min() / counts.sum() > 0.15  # roughly uniform


def test_pit_coverage_fails_for_paths_that_are_too_narrow(fitted):
    model, frame, origins = fitted
    fc = frame[frame["origin"] == origins[-1]]
    keys, values = sample_array(model, fc, n=400, seed=9)
    actual = fc.sort_values(["queue", "market", "timestamp"])["actual"].to_numpy()
    narrow = keys["forecast"].to_numpy()[None, :] * np.ones((400, 1))  # no spread at all
    assert pit_coverage(narrow, actual, 80) < 0.3
    assert pit_coverage(values, actual, 80) > 0.7


def test_path_bands_replace_the_forecast_bands_and_keep_the_contract(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    bands = path_bands(model, fc, n=400, seed=4)
    assert list(bands.columns) == list(fc.columns) and len(bands) == len(fc)
    ordered = (bands["lo_95"] <= bands["lo_80"]) & (bands["lo_80"] <= bands["forecast"]) & \
              (bands["forecast"] <= bands["hi_80"]) & (bands["hi_80"] <= bands["hi_95"])
    assert ordered.all()


def test_paths_round_trip_to_arrays(fitted):
    model, frame, origins = fitted
    fc = forecast_of(frame, origins[-1])
    paths = sample_paths(model, fc, n=7, seed=1)
    keys, values = paths_to_array(paths, fc)
    keys2, values2 = sample_array(model, fc, n=7, seed=1)
    np.testing.assert_array_equal(values, values2)
    with pytest.raises(ValueError, match="do not cover"):
        paths_to_array(paths[paths["path"] > 0].iloc[5:], fc)
