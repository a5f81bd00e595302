"""The rolling-origin backtest as a tidy per-interval frame, for learning forecast error.

The forecasting layer's own backtest (:mod:`forecasts.backtest`) scores 3 origins and keeps
only the scores.  The error model needs the forecasts themselves, at more origins, and
made exactly as they would have been made at each origin.  :func:`rolling_backtest` does
that with the forecasting layer itself (:func:`forecasts.forecast_volume`: same models,
selection, calibration, events and holidays):

1. the model per series is chosen once, by the layer's usual backtest, on the history
   before the **first** origin (so the choice and its interval calibration know nothing
   of any origin's test week);
2. at every origin the chosen models are refitted on the history before that origin
   (a refresh: ``forecast_volume(..., selection=...)``) and forecast ``weeks`` weeks;
3. events are those known at the origin (:func:`known_events`): incidents that start at
   or after the origin are dropped (nobody forecasts an unforeseen incident); elections,
   launches and other planned events stay.

Nothing at or after an origin enters its forecast, so changing the volume after an
origin leaves that origin's rows unchanged except for ``actual`` (tested).

Output columns (:data:`BACKTEST_COLUMNS`), one row per origin x series x interval:

origin : first forecast interval (UTC), a week boundary of the history's grid
timestamp : interval start (UTC)
queue, market : the series
model : the model chosen for the series
lead_week : 1 for the first 7 days after the origin, 2 for the next 7, ...
forecast, lo_80, hi_80, lo_95, hi_95 : the forecast frame's columns at that origin [items]
actual : the volume that arrived [items] (NaN if the interval is missing from the volume)
"""
from __future__ import annotations

import pandas as pd

from forecasts.api import forecast_volume, infer_interval_minutes
from forecasts.events import HolidayCalendar, normalise_events
from forecasts.series import ForecastConfig

BACKTEST_COLUMNS = ["origin", "timestamp", "queue", "market", "model", "lead_week",
                    "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "actual"]
# Event kinds nobody knows before they start (forecasts.events: ``kind``).
UNFORESEEN_KINDS = ("incident",)


def known_events(events: pd.DataFrame | None, origin: pd.Timestamp) -> pd.DataFrame:
    """The events a planner knew of at ``origin``: planned ones, and incidents already begun."""
    events = normalise_events(events)
    unforeseen = events["kind"].isin(UNFORESEEN_KINDS) & (events["start"] >= origin)
    return events[~unforeseen].reset_index(drop=True)


def backtest_origins(volume: pd.DataFrame, weeks: int, origins: int) -> list[pd.Timestamp]:
    """``origins`` origins one week apart, oldest first; the newest one's ``weeks`` test weeks
    end where the volume ends."""
    stamps = pd.to_datetime(volume["timestamp"], utc=True)
    step = pd.Timedelta(minutes=infer_interval_minutes(volume))
    end = stamps.max() + step
    return [end - pd.Timedelta(weeks=weeks + k) for k in range(origins)][::-1]


def rolling_backtest(volume: pd.DataFrame, weeks: int = 1, origins: int = 12,
                     events: pd.DataFrame | None = None,
                     calendars: dict[str, HolidayCalendar] | None = None,
                     config: ForecastConfig | None = None, *, origin_list: list[pd.Timestamp] | None = None,
                     backend: str | None = None, workers: int | None = None, use_cache: bool = True,
                     interval_minutes: int | None = None, progress=None) -> pd.DataFrame:
    """Forecast ``weeks`` weeks from each origin with history before it only (see module doc).

    volume : ``timestamp, queue, market, volume``; events / calendars / config as for
    :func:`forecasts.forecast_volume`.  ``origin_list`` overrides the weekly origins.
    progress : ``progress(done, total, message)`` per origin.
    """
    if weeks < 1 or origins < 1:
        raise ValueError("weeks and origins must be at least 1")
    volume = volume.copy()
    volume["timestamp"] = pd.to_datetime(volume["timestamp"], utc=True).dt.as_unit("ns")
    minutes = interval_minutes or infer_interval_minutes(volume)
    horizon = weeks * 7 * 24 * 60 // minutes
    stamps = sorted(pd.Timestamp(o).tz_convert("UTC") for o in (origin_list or backtest_origins(volume, weeks, origins)))
    kwargs = dict(calendars=calendars, config=config, backend=backend, workers=workers, use_cache=use_cache,
                  interval_minutes=minutes)
    first = stamps[0]
    selection = forecast_volume(volume[volume["timestamp"] < first], horizon, known_events(events, first),
                                **kwargs).selection
    actual = volume.groupby(["timestamp", "queue", "market"], as_index=False)["volume"].sum()
    frames = []
    for i, origin in enumerate(stamps):
        run = forecast_volume(volume[volume["timestamp"] < origin], horizon, known_events(events, origin),
                              selection=selection, **kwargs)
        fc = run.forecast
        fc = fc[fc["timestamp"] >= origin].copy()  # a series ending early starts its forecast before
        fc.insert(0, "origin", origin)
        fc["lead_week"] = ((fc["timestamp"] - origin) // pd.Timedelta(weeks=1)).astype(int) + 1
        fc = fc[fc["lead_week"] <= weeks]
        frames.append(fc)
        if progress:
            progress(i + 1, len(stamps), f"origin {origin:%Y-%m-%d}")
    out = pd.concat(frames, ignore_index=True).merge(actual.rename(columns={"volume": "actual"}),
                                                      on=["timestamp", "queue", "market"], how="left")
    return out[BACKTEST_COLUMNS].sort_values(["origin", "queue", "market", "timestamp"], ignore_index=True)
