"""The forecasting entry point on plain frames (no knowledge of ``planning``).

Inputs
------
volume : ``timestamp, queue, market, volume`` (UTC interval starts, counts per interval)
events : ``event, start, end, queue, market, volume_multiplier`` (optional; ``*`` = all)
calendars : market -> :class:`forecasts.events.HolidayCalendar` (optional)

Output (:class:`ForecastRun`)
------
forecast : ``timestamp, queue, market, model, forecast, lo_80, hi_80, lo_95, hi_95``
components : ``timestamp, queue, market, baseline, holiday_factor, event_factor``
    (forecast = baseline x holiday_factor x event_factor, the event effect made visible)
backtest : one row per series x model x origin with mase, wape, bias and coverage
selection : one row per series: chosen model, why, interval widening factors
warnings : ``queue, market, message``
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import pandas as pd

from forecasts import cache
from forecasts.events import HolidayCalendar, event_multiplier, holiday_flags, normalise_events
from forecasts.parallel import Progress, fan_out
from forecasts.registry import MODELS
from forecasts.selection import Choice
from forecasts.series import COMPONENT_COLUMNS, FORECAST_COLUMNS, ForecastConfig, SeriesTask, run_series

BACKEND_ENV = "PLANNER_FORECAST_BACKEND"
SELECTION_COLUMNS = ["queue", "market", "model", "is_baseline", "reason", "scale_80", "scale_95"]


@dataclass
class ForecastRun:
    forecast: pd.DataFrame
    components: pd.DataFrame
    backtest: pd.DataFrame
    selection: pd.DataFrame
    warnings: pd.DataFrame
    timings: dict = field(default_factory=dict)

    def scores(self) -> pd.DataFrame:
        """Mean backtest scores per series x model, with the chosen model flagged."""
        if self.backtest.empty:
            return pd.DataFrame()
        metrics = [c for c in self.backtest.columns if c not in ("queue", "market", "model", "origin")]
        table = self.backtest.groupby(["queue", "market", "model"], as_index=False)[metrics].mean()
        chosen = self.selection[["queue", "market", "model"]].assign(chosen=True)
        table = table.merge(chosen, on=["queue", "market", "model"], how="left")
        table["chosen"] = table["chosen"].fillna(False).astype(bool)
        return table


def infer_interval_minutes(volume: pd.DataFrame) -> int:
    """The most common spacing between consecutive timestamps of a series [min]."""
    diffs = (volume.sort_values("timestamp").groupby(["queue", "market"])["timestamp"].diff().dropna())
    if diffs.empty:
        return 30
    return int(round(diffs.mode().iloc[0] / pd.Timedelta(minutes=1)))


def make_tasks(volume: pd.DataFrame, horizon: int, events: pd.DataFrame | None = None,
               calendars: dict[str, HolidayCalendar] | None = None, config: ForecastConfig | None = None,
               interval_minutes: int | None = None, selection: pd.DataFrame | None = None) -> list[SeriesTask]:
    """One task per queue x market, on a regular grid ending at the last history interval."""
    config = config or ForecastConfig()
    volume = volume.copy()
    volume["timestamp"] = pd.to_datetime(volume["timestamp"], utc=True).dt.as_unit("ns")
    freq = interval_minutes or infer_interval_minutes(volume)
    step = pd.Timedelta(minutes=freq)
    end = volume["timestamp"].max()
    events = normalise_events(events)
    chosen = {}
    if selection is not None and len(selection):
        for row in selection.itertuples(index=False):
            chosen[(row.queue, row.market)] = Choice(row.model, row.reason, {80: row.scale_80, 95: row.scale_95})
    tasks = []
    for (queue, market), group in volume.groupby(["queue", "market"], sort=True):
        start = group["timestamp"].min()
        grid = pd.date_range(start, end + step * horizon, freq=step, inclusive="both").as_unit("ns")
        n = int((end - start) / step) + 1
        series = group.groupby("timestamp")["volume"].sum(min_count=1)
        values = series.reindex(grid[:n]).to_numpy(float)
        grid = grid[: n + horizon]
        calendar = (calendars or {}).get(market)
        tasks.append(SeriesTask(
            queue=str(queue), market=str(market), start=start, freq_minutes=freq, values=values,
            horizon=horizon, event_multiplier=event_multiplier(grid, events, queue, market),
            holiday=holiday_flags(grid, calendar), config=config, selection=chosen.get((queue, market)),
        ))
    return tasks


def run_tasks(tasks: list[SeriesTask], progress: Progress | None = None, backend: str | None = None,
              workers: int | None = None, use_cache: bool = True, dask_address: str | None = None) -> ForecastRun:
    started = time.perf_counter()
    backend = backend or os.environ.get(BACKEND_ENV, "process")
    results: list = [None] * len(tasks)
    keys = [cache.task_key(t) for t in tasks] if use_cache else [None] * len(tasks)
    todo = []
    for i, key in enumerate(keys):
        hit = cache.load(key) if key else None
        if hit is not None:
            results[i] = hit
        else:
            todo.append(i)
    hits = len(tasks) - len(todo)
    if progress and hits:
        progress(hits, len(tasks), "cached")

    def on_progress(done, total, message):
        if progress:
            progress(hits + done, len(tasks), message)

    computed = fan_out(run_series, [tasks[i] for i in todo], backend=backend, workers=workers,
                       progress=on_progress, dask_address=dask_address)
    for i, result in zip(todo, computed):
        results[i] = result
        if keys[i]:
            cache.store(keys[i], result)
    return assemble(results, {"seconds": time.perf_counter() - started, "series": len(tasks),
                              "cached": hits, "backend": backend})


def assemble(results, timings: dict) -> ForecastRun:
    def concat(frames, columns):
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    selection = pd.DataFrame([{
        "queue": r.queue, "market": r.market, "model": r.choice.model,
        "is_baseline": MODELS[r.choice.model].is_baseline, "reason": r.choice.reason,
        "scale_80": r.choice.scale.get(80, 1.0), "scale_95": r.choice.scale.get(95, 1.0),
    } for r in results], columns=SELECTION_COLUMNS)
    warnings = pd.DataFrame([{"queue": r.queue, "market": r.market, "message": m}
                             for r in results for m in r.warnings], columns=["queue", "market", "message"])
    timings = {**timings, "series_seconds": float(sum(r.seconds for r in results))}
    return ForecastRun(
        forecast=concat([r.forecast for r in results], FORECAST_COLUMNS),
        components=concat([r.components for r in results], COMPONENT_COLUMNS),
        backtest=concat([r.backtest for r in results], ["queue", "market", "model", "origin"]),
        selection=selection, warnings=warnings, timings=timings,
    )


def forecast_volume(volume: pd.DataFrame, horizon: int, events: pd.DataFrame | None = None,
                    calendars: dict[str, HolidayCalendar] | None = None, config: ForecastConfig | None = None,
                    progress: Progress | None = None, backend: str | None = None, workers: int | None = None,
                    selection: pd.DataFrame | None = None, use_cache: bool = True,
                    interval_minutes: int | None = None, dask_address: str | None = None) -> ForecastRun:
    """Backtest, choose and forecast every series ``horizon`` intervals past the history.

    Pass a previous run's ``selection`` to refresh the forecast without re-selection
    (only the chosen model is fitted per series).
    """
    if horizon < 1:
        raise ValueError("horizon must be at least one interval")
    tasks = make_tasks(volume, horizon, events, calendars, config, interval_minutes, selection)
    return run_tasks(tasks, progress, backend, workers, use_cache, dask_address)
