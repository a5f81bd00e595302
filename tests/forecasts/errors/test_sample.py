"""On the sample operation: paths reproduce the backtest's error distribution on held-out
weeks, and agree with the bands the forecast already shows.

One rolling backtest of 26 weekly origins (about 1.5 minutes on 2 cores), fitted on every
other origin and scored on the rest.
"""
from __future__ import annotations

import numpy as np
import pytest

from forecasts.errors import fit_error_model, path_intervals, rolling_backtest, sample_array
from forecasts.errors.paths import coverage, pit_coverage, share_inside

pytestmark = pytest.mark.slow
ORIGINS = 26
PATHS = 300


@pytest.fixture(scope="module")
def held_out(sample_dir, tmp_path_factory):
    from planning.forecasting import calendars, events_frame
    from planning.inputs.loading import load_operation

    mp = pytest.MonkeyPatch()
    mp.setenv("PLANNER_CACHE_DIR", str(tmp_path_factory.mktemp("forecast-cache")))
    try:
        op, _ = load_operation(sample_dir)
        backtest = rolling_backtest(op.volume, weeks=1, origins=ORIGINS, events=events_frame(op),
                                    calendars=calendars(op), interval_minutes=op.settings.interval_minutes)
    finally:
        mp.undo()
    origins = sorted(backtest["origin"].unique())
    model = fit_error_model(backtest[backtest["origin"].isin(origins[0::2])])
    figures: dict[str, list] = {}
    for origin in origins[1::2]:
        fc = backtest[backtest["origin"] == origin].sort_values(["queue", "market", "timestamp"], ignore_index=True)
        keys, values = sample_array(model, fc, PATHS, seed=1)
        bands = path_intervals(keys, values)
        actual = fc["actual"].to_numpy(float)
        for level in (80, 95):
            lo, hi = bands[f"lo_{level}"].to_numpy(), bands[f"hi_{level}"].to_numpy()
            figures.setdefault(f"pit{level}", []).append(pit_coverage(values, actual, level))
            figures.setdefault(f"band{level}", []).append(coverage(actual, lo, hi))
            figures.setdefault(f"self{level}", []).append(share_inside(values, lo, hi).mean())
            app = share_inside(values, fc[f"lo_{level}"].to_numpy(), fc[f"hi_{level}"].to_numpy())
            figures.setdefault(f"in_app{level}", []).append(app.mean())
    return model, {key: float(np.mean(v)) for key, v in figures.items()}


@pytest.mark.parametrize("level", [80, 95])
def test_paths_cover_held_out_weeks_at_their_level(held_out, level):
    _, figures = held_out
    assert figures[f"pit{level}"] == pytest.approx(level / 100, abs=0.03)
    # inside the paths' own band: discrete counts sit inside more often than the level,
    # and the actuals must do so exactly as often as the paths themselves
    assert figures[f"band{level}"] == pytest.approx(figures[f"self{level}"], abs=0.03)


@pytest.mark.parametrize("level", [80, 95])
def test_paths_agree_with_the_forecast_bands(held_out, level):
    _, figures = held_out
    assert figures[f"in_app{level}"] == pytest.approx(level / 100, abs=0.03)


def test_the_sample_has_no_planted_cross_pair_correlation_beyond_the_season(held_out):
    model, _ = held_out
    assert 0.0 <= model.across_markets <= model.within_market < 0.95
    assert (model.levels["level_sd"] < 0.05).all() and (model.noise["alpha"] < 0.05).all()
