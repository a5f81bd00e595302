"""Known effects: public holidays per market and the events calendar, as per-interval factors.

Both become a multiplier per interval.  Events carry their own ``volume_multiplier``
(3 = triples); past occurrences are divided out of the history ("cleaned") and future
ones multiply the forecast.  Holidays have no stated size, so each series estimates its
own holiday factor from the past holidays in its full history (median ratio of the
holiday's volume to the same intervals one and two weeks before and after); with no
past holiday the factor is 1 (no effect assumed).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays as holidays_lib
import numpy as np
import pandas as pd

EVENT_COLUMNS = ["event", "kind", "start", "end", "queue", "market", "volume_multiplier"]
ALL = "*"
# Bounds on an estimated holiday factor (ratios outside are data problems, not holidays).
HOLIDAY_FACTOR_BOUNDS = (0.2, 5.0)


@dataclass(frozen=True)
class HolidayCalendar:
    """Which public holidays apply to a market: ISO country, optional subdivision, time zone."""

    country: str
    subdivision: str | None = None
    timezone: str = "UTC"


def holiday_dates(calendar: HolidayCalendar, years: range) -> dict[dt.date, str]:
    """Public holidays of the calendar's country over the given years (date -> name)."""
    found = holidays_lib.country_holidays(calendar.country, subdiv=calendar.subdivision or None,
                                          years=list(years))
    return dict(found.items())


def holiday_flags(index: pd.DatetimeIndex, calendar: HolidayCalendar | None) -> np.ndarray:
    """True for intervals that fall on a public holiday in the market's local time."""
    if calendar is None or len(index) == 0:
        return np.zeros(len(index), bool)
    local = index.tz_convert(calendar.timezone)
    dates = holiday_dates(calendar, range(local[0].year, local[-1].year + 1))
    if not dates:
        return np.zeros(len(index), bool)
    return np.isin(local.normalize().tz_localize(None).to_numpy().astype("datetime64[D]"),
                   np.array(sorted(dates), dtype="datetime64[D]"))


def event_multiplier(index: pd.DatetimeIndex, events: pd.DataFrame | None, queue: str, market: str) -> np.ndarray:
    """Product of the volume multipliers of the events covering each interval of a series."""
    mult = np.ones(len(index))
    if events is None or len(events) == 0:
        return mult
    scope = events[events["queue"].isin([queue, ALL]) & events["market"].isin([market, ALL])]
    stamps = index.as_unit("ns").asi8
    for row in scope.itertuples(index=False):
        start, end = pd.Timestamp(row.start).tz_convert("UTC"), pd.Timestamp(row.end).tz_convert("UTC")
        active = (stamps >= start.value) & (stamps < end.value)
        mult[active] *= float(row.volume_multiplier)
    return mult


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of consecutive True runs."""
    padded = np.concatenate([[False], flags, [False]]).astype(int)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2]))


def estimate_holiday_factor(y: np.ndarray, flags: np.ndarray, period_week: int) -> tuple[float, int]:
    """Median ratio of holiday volume to the same intervals +-1 and +-2 weeks (factor, holidays used)."""
    ratios = []
    n = len(y)
    for start, end in _runs(flags[:n]):
        refs = []
        for shift in (-2, -1, 1, 2):
            a, b = start + shift * period_week, end + shift * period_week
            if a >= 0 and b <= n and not flags[a:b].any():
                refs.append(y[a:b].sum())
        if refs and np.mean(refs) > 0:
            ratios.append(y[start:end].sum() / np.mean(refs))
    if not ratios:
        return 1.0, 0
    return float(np.clip(np.median(ratios), *HOLIDAY_FACTOR_BOUNDS)), len(ratios)


def normalise_events(events: pd.DataFrame | None) -> pd.DataFrame:
    """Events as a frame with the expected columns and UTC timestamps (defaults filled)."""
    if events is None or len(events) == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    out = events.copy()
    for column, default in (("kind", "event"), ("queue", ALL), ("market", ALL), ("volume_multiplier", 1.0)):
        if column not in out:
            out[column] = default
        out[column] = out[column].fillna(default)
    out["start"] = pd.to_datetime(out["start"], utc=True)
    out["end"] = pd.to_datetime(out["end"], utc=True)
    return out[EVENT_COLUMNS].reset_index(drop=True)
