"""The per-interval rolling backtest: origins, known events, and no lookahead."""
from __future__ import annotations

import pandas as pd
import pytest

from forecasts import ForecastConfig
from forecasts.errors import BACKTEST_COLUMNS, fit_error_model, known_events, rolling_backtest
from forecasts.errors.backtest import backtest_origins
from forecasts.synthetic import make_volume

FAST = ForecastConfig(window_weeks=4, candidates=("snaive_week", "mean_4w", "mstl_arima"))
SERIES = [("spam", "NA-EN"), ("abuse", "NA-EN")]


def run(volume, events=None, origins=4):
    return rolling_backtest(volume, weeks=1, origins=origins, events=events, config=FAST, backend="serial",
                            use_cache=False, interval_minutes=30)


@pytest.fixture(scope="module")
def volume():
    return make_volume(SERIES, weeks=12, seed=3)


@pytest.fixture(scope="module")
def backtest(volume):
    return run(volume)


def test_frame_shape_and_origins(volume, backtest):
    assert list(backtest.columns) == BACKTEST_COLUMNS
    origins = backtest_origins(volume, 1, 4)
    assert sorted(backtest["origin"].unique()) == origins
    end = volume["timestamp"].max() + pd.Timedelta(minutes=30)
    assert origins[-1] + pd.Timedelta(weeks=1) == end
    assert len(backtest) == 4 * 2 * 336 and (backtest["lead_week"] == 1).all()
    assert str(backtest["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert backtest["actual"].notna().all()


def test_changing_volume_after_an_origin_changes_nothing_known_at_it(volume, backtest):
    origins = sorted(backtest["origin"].unique())
    cut = origins[1]
    altered = volume.copy()
    late = altered["timestamp"] >= cut
    altered.loc[late, "volume"] = altered.loc[late, "volume"] * 3 + 7
    again = run(altered)
    columns = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95", "model"]
    for origin in origins:
        before = backtest[backtest["origin"] == origin].reset_index(drop=True)
        after = again[again["origin"] == origin].reset_index(drop=True)
        if origin <= cut:  # forecasts made with history before the cut only
            pd.testing.assert_frame_equal(before[columns], after[columns])
        else:              # the test can fail: later origins do see the change
            assert not before["forecast"].equals(after["forecast"])
    # the error model a planner had at the cut is unchanged too
    a, b = fit_error_model(backtest, before=cut), fit_error_model(again, before=cut)
    pd.testing.assert_frame_equal(a.levels, b.levels)
    pd.testing.assert_frame_equal(a.noise, b.noise)
    assert fit_error_model(again).levels["bias"].iloc[0] != a.levels["bias"].iloc[0]


def test_incidents_are_unknown_until_they_start_planned_events_are_known():
    events = pd.DataFrame([
        {"event": "raid", "kind": "incident", "start": "2026-02-20T10:00Z", "end": "2026-02-20T14:00Z",
         "queue": "spam", "market": "NA-EN", "volume_multiplier": 4.0},
        {"event": "vote", "kind": "election", "start": "2026-02-25T00:00Z", "end": "2026-02-27T00:00Z",
         "queue": "*", "market": "NA-EN", "volume_multiplier": 2.0},
        {"event": "old raid", "kind": "incident", "start": "2026-01-05T10:00Z", "end": "2026-01-05T12:00Z",
         "queue": "spam", "market": "NA-EN", "volume_multiplier": 3.0},
    ])
    origin = pd.Timestamp("2026-02-16", tz="UTC")
    assert set(known_events(events, origin)["event"]) == {"vote", "old raid"}
    assert set(known_events(events, pd.Timestamp("2026-02-21", tz="UTC"))["event"]) == {"raid", "vote", "old raid"}


def test_a_future_incident_does_not_move_the_forecast_a_planned_event_does(volume):
    origin = backtest_origins(volume, 1, 1)[0]
    incident = pd.DataFrame([{"event": "raid", "kind": "incident", "start": origin + pd.Timedelta(days=2),
                              "end": origin + pd.Timedelta(days=2, hours=4), "queue": "spam", "market": "NA-EN",
                              "volume_multiplier": 4.0}])
    plain = run(volume, origins=1)
    with_incident = run(volume, incident, origins=1)
    pd.testing.assert_series_equal(plain["forecast"], with_incident["forecast"])
    planned = run(volume, incident.assign(kind="launch"), origins=1)
    assert planned["forecast"].sum() > plain["forecast"].sum()
