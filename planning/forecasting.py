"""Adapter: an :class:`~planning.domain.Operation` -> the forecasts package's plain frames.

``forecasts`` knows nothing of the domain objects; this module turns an operation into
its inputs (the volume frame, the events frame, a market -> holiday calendar mapping)
and the server configuration (never the uploaded settings) into a backend choice, and returns the contract frame
``timestamp, queue, market, model, forecast, lo_80, hi_80, lo_95, hi_95``.
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Callable

import pandas as pd

from forecasts import ForecastConfig, ForecastRun, HolidayCalendar, forecast_volume
from forecasts.longrange import LongRangeRun, long_range
from forecasts.parallel import BACKENDS
from planning.domain import SERVER_SETTINGS, Operation

Progress = Callable[[int, int, str], None]
"""progress(done, total, message) after each series."""


def events_frame(op: Operation) -> pd.DataFrame:
    """The operation's events as the forecasts package's events frame."""
    return pd.DataFrame([{
        "event": e.event, "kind": e.kind, "start": pd.Timestamp(e.start), "end": pd.Timestamp(e.end),
        "queue": e.queue, "market": e.market, "volume_multiplier": e.volume_multiplier,
    } for e in op.events], columns=["event", "kind", "start", "end", "queue", "market", "volume_multiplier"])


def calendars(op: Operation) -> dict[str, HolidayCalendar]:
    """Market -> public-holiday calendar (country, subdivision, market time zone)."""
    return {m.market: HolidayCalendar(m.holiday_country, m.holiday_subdivision or None, m.timezone)
            for m in op.markets.values()}


# Server configuration only (issue 17): the environment, then [server] in the Streamlit
# secrets files; never the operation's settings, which may come from an upload.
LEGACY_ENV = {"WFM_FORECAST_BACKEND": "PLANNER_FORECAST_BACKEND", "WFM_DASK_SCHEDULER": "PLANNER_DASK_SCHEDULER"}
SECRETS_FILES = (Path.home() / ".streamlit" / "secrets.toml", Path(".streamlit") / "secrets.toml")


def server_setting(key: str, environ=None, secrets_files=SECRETS_FILES) -> str | None:
    """A server-only setting (``planning.domain.SERVER_SETTINGS``): ``$WFM_<KEY>`` (or its
    older ``PLANNER_`` name), else ``key`` under ``[server]`` in ``.streamlit/secrets.toml``
    (the project file overrides ``~/.streamlit/secrets.toml``, as in Streamlit), else None."""
    environ = os.environ if environ is None else environ
    name = SERVER_SETTINGS[key]
    for var in (name, LEGACY_ENV.get(name)):
        if var and environ.get(var):
            return environ[var]
    value = None
    for path in secrets_files:
        try:
            with open(path, "rb") as handle:
                section = tomllib.load(handle).get("server") or {}
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the server configuration ({exc})") from exc
        if section.get(key):
            value = str(section[key])
    return value


def _backend(op: Operation, backend: str | None) -> tuple[str, str | None]:
    """The fan-out backend and Dask scheduler: the argument (a CLI flag), else the server
    configuration, else worker processes. ``op`` is not consulted: uploads never choose."""
    chosen = backend or server_setting("forecast_backend") or "process"
    if chosen not in BACKENDS:
        raise ValueError(f"forecast backend '{chosen}' (server configuration) is not one of {', '.join(BACKENDS)}")
    return chosen, server_setting("dask_scheduler")


def _volume(op: Operation, pairs: list[tuple[str, str]] | None) -> pd.DataFrame:
    if not pairs:
        return op.volume
    keys = pd.MultiIndex.from_frame(op.volume[["queue", "market"]])
    return op.volume[keys.isin(list(pairs))]


def run_forecast(op: Operation, weeks: int, progress: Progress | None = None, *, backend: str | None = None,
                 workers: int | None = None, selection: pd.DataFrame | None = None, use_cache: bool = True,
                 config: ForecastConfig | None = None, pairs: list[tuple[str, str]] | None = None) -> ForecastRun:
    """The full forecast run (forecast, components, backtest, selection, warnings).

    pairs : only these (queue, market) series (default: all).
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    minutes = op.settings.interval_minutes
    horizon = int(weeks * 7 * 24 * 60 // minutes)
    chosen, address = _backend(op, backend)
    return forecast_volume(_volume(op, pairs), horizon, events=events_frame(op), calendars=calendars(op),
                           config=config, progress=progress, backend=chosen, workers=workers,
                           selection=selection, use_cache=use_cache, interval_minutes=minutes,
                           dask_address=address)


def forecast_operation(op: Operation, weeks: int, progress: Progress | None = None, **kwargs) -> pd.DataFrame:
    """Forecast every queue x market ``weeks`` weeks past the history (contract frame).

    The run's per-series warnings travel in ``frame.attrs["warnings"]`` (list of dicts).
    """
    run = run_forecast(op, weeks, progress, **kwargs)
    frame = run.forecast.copy()
    frame.attrs["warnings"] = run.warnings.to_dict("records")
    return frame


def backtest_operation(op: Operation, weeks: int | None = None, progress: Progress | None = None,
                       **kwargs) -> ForecastRun:
    """Backtest + selection at the planning horizon (``settings.planning_weeks`` by default, at least 2)."""
    weeks = weeks or max(2, op.settings.planning_weeks)
    return run_forecast(op, weeks, progress, **kwargs)


def long_range_operation(op: Operation, months: int = 18, progress: Progress | None = None,
                         pairs: list[tuple[str, str]] | None = None) -> LongRangeRun:
    """Daily / weekly / monthly forecasts ``months`` ahead from the full history."""
    return long_range(_volume(op, pairs), months=months, events=events_frame(op), calendars=calendars(op),
                      progress=progress)
