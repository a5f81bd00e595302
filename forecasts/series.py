"""One series, start to finish: clean -> backtest -> choose -> calibrate -> forecast.

This is the unit of work the fan-out (``forecasts.parallel``) ships to worker processes:
a :class:`SeriesTask` of plain arrays in, a :class:`SeriesResult` of frames out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from forecasts.backtest import fit_forecast, origins_for, rolling_origin
from forecasts.events import estimate_holiday_factor
from forecasts.models import Context, LogForecast, to_frame_columns
from forecasts.registry import DEFAULT_CANDIDATES, MODELS
from forecasts.selection import Choice, calibrate, choose, score_table

FORECAST_COLUMNS = ["timestamp", "queue", "market", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
COMPONENT_COLUMNS = ["timestamp", "queue", "market", "baseline", "holiday_factor", "event_factor"]


@dataclass(frozen=True)
class ForecastConfig:
    """How series are modelled.

    window_weeks : recent history the intraday models are fitted on [weeks].  The sample
        has two years of 30-minute data; eight weeks capture the current level and
        weekly shape while keeping each fit well under a second.
    origins / origin_step_weeks : rolling-origin backtest design.
    min_train_weeks : shortest training window a backtest origin may have [weeks].
    """

    window_weeks: int = 8
    origins: int = 3
    origin_step_weeks: int = 1
    min_train_weeks: int = 2
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    margin: float = 0.02


@dataclass
class SeriesTask:
    queue: str
    market: str
    start: pd.Timestamp           # first history interval (UTC)
    freq_minutes: int
    values: np.ndarray            # regular grid from start, NaN = missing interval
    horizon: int                  # intervals to forecast
    event_multiplier: np.ndarray  # len(values) + horizon
    holiday: np.ndarray           # bool, len(values) + horizon
    config: ForecastConfig = field(default_factory=ForecastConfig)
    selection: Choice | None = None  # given: refresh without re-selection


@dataclass
class SeriesResult:
    queue: str
    market: str
    choice: Choice
    forecast: pd.DataFrame
    components: pd.DataFrame
    backtest: pd.DataFrame
    warnings: list[str]
    seconds: float


def fill_gaps(values: np.ndarray, period_week: int, period_day: int) -> tuple[np.ndarray, list[str]]:
    """Missing intervals take the same interval a week (else a day) earlier or later."""
    y = np.asarray(values, float).copy()
    notes = []
    negative = np.isfinite(y) & (y < 0)
    if negative.any():
        notes.append(f"{int(negative.sum())} negative volumes set to 0")
        y[negative] = 0.0
    missing = ~np.isfinite(y)
    if missing.any():
        notes.append(f"{int(missing.sum())} missing intervals filled from the same interval a week/day away")
        for lag in (period_week, -period_week, period_day, -period_day, 2 * period_week, -2 * period_week):
            gaps = np.flatnonzero(~np.isfinite(y))
            if not len(gaps):
                break
            src = gaps - lag
            ok = (src >= 0) & (src < len(y))
            src_ok = src[ok]
            good = np.isfinite(y[src_ok])
            y[gaps[ok][good]] = y[src_ok[good]]
        rest = ~np.isfinite(y)
        if rest.any():
            y[rest] = np.nanmedian(y) if np.isfinite(y).any() else 0.0
    return y, notes


def _dedupe(notes: list[str]) -> list[str]:
    seen, out = set(), []
    for note in notes:
        if note not in seen:
            seen.add(note)
            out.append(note)
    return out


def run_series(task: SeriesTask) -> SeriesResult:
    """Run one series with BLAS pinned to one thread.

    Our matrices are small, and on a shared machine OpenBLAS' thread pool makes a
    2688 x 40 least-squares solve ~80x slower (1 s instead of 13 ms) under load; the
    fan-out provides the parallelism instead.
    """
    with threadpool_limits(limits=1):
        return _run_series(task)


def _run_series(task: SeriesTask) -> SeriesResult:
    started = time.perf_counter()
    cfg = task.config
    pday = 24 * 60 // task.freq_minutes
    pweek = 7 * pday
    h = task.horizon
    raw, notes = fill_gaps(task.values, pweek, pday)
    n = len(raw)
    factor, used = estimate_holiday_factor(raw, task.holiday, pweek)
    holiday_mult = np.where(task.holiday, factor, 1.0)
    mult = task.event_multiplier * holiday_mult
    y = raw / mult[:n]
    regressors = np.column_stack([task.holiday, task.event_multiplier != 1.0]).astype(float)
    window = cfg.window_weeks * pweek
    backtest = pd.DataFrame()

    if n < 2 * pweek or np.all(y == y[0]):
        if np.all(y == y[0]):
            notes.append("constant history: flat forecast")
            name = "flat"
        else:
            name = "snaive_day" if n >= 2 * pday else "flat"
            notes.append(f"history of {n / pday:.1f} days is under two weeks: using {MODELS[name].description}")
        choice = task.selection or Choice(name, notes[-1])
    elif task.selection is not None:
        choice = task.selection
    else:
        origins = origins_for(n, h, window, cfg.origins, cfg.origin_step_weeks * pweek, cfg.min_train_weeks * pweek)
        if len(origins) < cfg.origins:
            notes.append(f"history allows {len(origins)} of {cfg.origins} backtest origins")
        results = rolling_origin(y, mult, regressors, cfg.candidates, pday, pweek, h, window, origins, notes, raw)
        if results:
            backtest = score_table(results)
            choice = calibrate(choose(backtest, cfg.margin), results)
        else:
            choice = Choice("mean_4w", "history too short to backtest at this horizon")
            notes.append(choice.reason)

    train = y[max(0, n - window):]

    ctx = Context(pday, pweek, h, regressors[max(0, n - window):])
    fc = fit_forecast(choice.model, train, ctx, h, notes)
    if fc is None:
        fallback = "snaive_week" if n >= pweek + 1 else "flat"
        notes.append(f"{choice.model} failed on the full history; fell back to {fallback}")
        choice = Choice(fallback, f"fallback after {choice.model} failed", choice.scale)
        fc = fit_forecast(fallback, train, ctx, h, notes) or LogForecast(np.zeros(h), np.ones(h))
    cols = to_frame_columns(fc, choice.scale, mult[n:n + h])
    index = (task.start + pd.to_timedelta(np.arange(n, n + h) * task.freq_minutes, unit="min"))
    index = pd.DatetimeIndex(index).as_unit("ns")
    forecast = pd.DataFrame({"timestamp": index, "queue": task.queue, "market": task.market,
                             "model": choice.model, **cols})[FORECAST_COLUMNS]
    components = pd.DataFrame({
        "timestamp": index, "queue": task.queue, "market": task.market,
        "baseline": to_frame_columns(fc)["forecast"],
        "holiday_factor": holiday_mult[n:n + h], "event_factor": task.event_multiplier[n:n + h],
    })[COMPONENT_COLUMNS]
    if len(backtest):
        backtest.insert(0, "market", task.market)
        backtest.insert(0, "queue", task.queue)
    return SeriesResult(task.queue, task.market, choice, forecast, components, backtest, _dedupe(notes),
                        time.perf_counter() - started)
