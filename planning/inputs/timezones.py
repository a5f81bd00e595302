"""Site-local time <-> the UTC interval grid.

Shifts are written in a site's local wall-clock time; demand lives on a UTC grid of
``interval_minutes`` intervals (interval starts at whole multiples of the interval
length since the Unix epoch, UTC).  This module turns one into the other:

* ``localize``: a local wall time -> a UTC instant, with one documented rule for the
  wall times that do not exist (the spring-forward gap) or exist twice (fall-back).
* ``shift_utc_coverage``: a shift starting at a local time on a local date -> the UTC
  intervals it covers, with the minutes covered in each.  A shift lasts exactly
  ``paid_hours`` of real elapsed time, also on DST nights (a 22:00 8 h shift on the
  spring-forward night ends at 07:00 local, still 8 real hours).  Intervals that the
  shift only partly covers (a +05:45 zone, a 07:15 start on a 30-minute grid) carry
  fractional minutes; nothing is re-bucketed.
* ``local_day_intervals``: the interval starts (as UTC instants) of a local day on the
  site's local grid: 48 half-hours on most days, 46 / 50 on DST transition days.
* ``local_to_utc_grid`` / ``utc_to_local_grid``: move a volume frame between a local
  grid and the UTC grid, spreading each interval's value over the target intervals in
  proportion to the overlap (uniform within an interval), so totals are conserved.

Rule for local wall times that do not map to exactly one instant (``localize``):
  - in the gap (e.g. 01:30 on the night Europe/Dublin jumps from 01:00 to 02:00):
    the time starts at the transition instant, i.e. the first local time that exists
    (02:00 IST = 01:00 UTC);
  - ambiguous (e.g. 01:30 on the night the clock goes back from 02:00 to 01:00): the
    first occurrence, the earlier instant (PEP 495 ``fold=0``).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=256)
def _zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def _as_date(value) -> dt.date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


def _as_time(value) -> dt.time:
    if isinstance(value, dt.time):
        return value
    hours, minutes = str(value).strip().split(":")[:2]
    return dt.time(int(hours), int(minutes))


def localize(wall: dt.datetime, tz: str) -> pd.Timestamp:
    """A naive local wall time in zone ``tz`` -> the UTC instant (tz-aware UTC Timestamp).

    Gap times start at the transition instant; ambiguous times take the first
    occurrence (see the module docstring).
    """
    zone = _zone(tz)
    wall = wall.replace(tzinfo=None)
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return pd.Timestamp(utc)  # exists (fold=0 is the earlier one if ambiguous)
    # In the gap: fold=1 maps the wall time with the offset after the transition,
    # which lands before the transition; fold=0 lands after it.  The transition
    # instant is the first instant in (lo, hi] whose local wall time is past the gap.
    lo = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    hi = utc
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return pd.Timestamp(hi.replace(microsecond=0))


def shift_utc_span(date_local, start_local, paid_hours: float, tz: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start_utc, end_utc) of a shift: starts at ``start_local`` on ``date_local`` in
    ``tz`` and lasts ``paid_hours`` real hours."""
    start = localize(dt.datetime.combine(_as_date(date_local), _as_time(start_local)), tz)
    return start, start + pd.Timedelta(hours=float(paid_hours))


def _grid_floor(ts: pd.Timestamp, interval_minutes: int) -> pd.Timestamp:
    return ts.floor(f"{int(interval_minutes)}min")


@lru_cache(maxsize=65536)
def _coverage(date_local: dt.date, start_local: dt.time, paid_hours: float, tz: str,
              interval_minutes: int) -> tuple[tuple[pd.Timestamp, float], ...]:
    start, end = shift_utc_span(date_local, start_local, paid_hours, tz)
    step = pd.Timedelta(minutes=interval_minutes)
    out = []
    cursor = _grid_floor(start, interval_minutes)
    while cursor < end:
        lo, hi = max(cursor, start), min(cursor + step, end)
        minutes = (hi - lo).total_seconds() / 60.0
        if minutes > 0:
            out.append((cursor, minutes))
        cursor += step
    return tuple(out)


def shift_utc_coverage(date_local, start_local, paid_hours: float, tz: str,
                       interval_minutes: int = 30) -> list[tuple[pd.Timestamp, float]]:
    """The UTC intervals a site-local shift covers.

    date_local : local calendar date the shift starts on
    start_local : local start (``datetime.time`` or ``"HH:MM"``)
    paid_hours : shift length [h] of real elapsed time
    tz : IANA zone of the site
    interval_minutes : UTC grid step [min]

    Returns ``[(interval_start_utc, minutes_covered), ...]`` in time order; the minutes
    sum to ``paid_hours * 60``; the first / last intervals may be partly covered.
    """
    return list(_coverage(_as_date(date_local), _as_time(start_local), float(paid_hours), tz,
                          int(interval_minutes)))


def local_midnight(date_local, tz: str) -> pd.Timestamp:
    """UTC instant at which ``date_local`` starts in ``tz`` (gap rule if midnight is skipped)."""
    return localize(dt.datetime.combine(_as_date(date_local), dt.time(0, 0)), tz)


def local_day_intervals(date_local, tz: str, interval_minutes: int = 30) -> pd.DatetimeIndex:
    """The interval starts (UTC) of the local day ``date_local`` on the local grid.

    The local day runs from local midnight to the next local midnight in real time
    (23 h on the spring-forward day: 46 half-hours; 25 h in autumn: 50).  In a zone
    whose offset is not a multiple of the interval (+05:45), these starts are not on
    the UTC grid; use ``local_to_utc_grid`` to move values onto it.
    """
    day = _as_date(date_local)
    start = local_midnight(day, tz)
    end = local_midnight(day + dt.timedelta(days=1), tz)
    return pd.date_range(start, end, freq=f"{int(interval_minutes)}min", inclusive="left")


def _offset_seconds(times_utc: pd.Series | pd.DatetimeIndex, tz: str | None) -> np.ndarray:
    """UTC offset [s] of each instant in ``tz`` (0 for the UTC grid)."""
    if tz is None:
        return np.zeros(len(times_utc), dtype=np.int64)
    idx = pd.DatetimeIndex(times_utc)
    local = idx.tz_convert(tz).tz_localize(None)
    return ((local - idx.tz_localize(None)).total_seconds()).to_numpy().astype(np.int64)


def _regrid(frame: pd.DataFrame, time_col: str, value_cols: list[str], interval_minutes: int,
            target_tz: str | None) -> pd.DataFrame:
    """Spread each interval ``[t, t + interval)`` over the grid of ``target_tz`` (None = UTC).

    Both grids have the same step, so each source interval overlaps at most two target
    intervals; value is split by overlap minutes (uniform within the interval).
    """
    step = int(interval_minutes) * 60
    starts = pd.DatetimeIndex(frame[time_col]).tz_convert("UTC")
    secs = (starts - pd.Timestamp(_EPOCH)).total_seconds().to_numpy().astype(np.int64)
    offset = _offset_seconds(starts, target_tz)
    into = np.mod(secs + offset, step)  # seconds past the target interval start
    first_share = (step - into) / step
    first_start = secs - into
    keys = [c for c in frame.columns if c not in value_cols and c != time_col]
    parts = []
    for share, start in ((first_share, first_start), (1.0 - first_share, first_start + step)):
        keep = share > 0
        part = frame.loc[keep, keys].copy()
        for col in value_cols:
            part[col] = frame.loc[keep, col].to_numpy(dtype=float) * share[keep]
        part[time_col] = pd.to_datetime(start[keep], unit="s", utc=True)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out = out.groupby(keys + [time_col], as_index=False, sort=True)[value_cols].sum()
    out[time_col] = out[time_col].astype("datetime64[ns, UTC]")
    if target_tz is not None:
        out[time_col] = out[time_col].dt.tz_convert(target_tz)
    return out[[time_col] + keys + value_cols]


def _aware(frame: pd.DataFrame, time_col: str, tz: str) -> pd.Series:
    """Interval starts as tz-aware instants; naive values are local wall times in ``tz``.

    Naive wall times that occur twice (fall-back) are resolved by order within each
    key: the first row is the first occurrence.  Gap times follow ``localize``.
    """
    times = frame[time_col]
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times
    naive = pd.to_datetime(times)
    keys = [c for c in frame.columns if c != time_col and not pd.api.types.is_numeric_dtype(frame[c])]
    occurrence = frame.assign(_t=naive).groupby(keys + ["_t"], sort=False).cumcount() if keys else \
        naive.groupby(naive).cumcount()
    first = occurrence.to_numpy() == 0
    # localize each distinct (wall time, first occurrence) once
    wall_ns = pd.DatetimeIndex(naive).as_unit("ns").asi8
    codes, pairs = pd.factorize(wall_ns * 2 + first.astype(np.int64))
    resolved = []
    for pair in pairs:
        wall, is_first = pd.Timestamp(int(pair) // 2).to_pydatetime(), bool(pair % 2)
        if is_first:
            resolved.append(localize(wall, tz))
        else:  # second occurrence of an ambiguous wall time: the later instant
            resolved.append(pd.Timestamp(wall.replace(tzinfo=_zone(tz), fold=1).astimezone(UTC)))
    index = pd.DatetimeIndex(resolved).as_unit("ns")
    return pd.Series(index.take(codes), index=frame.index)


def local_to_utc_grid(frame: pd.DataFrame, tz: str, interval_minutes: int = 30,
                      time_col: str = "timestamp", value_cols: Iterable[str] = ("volume",)) -> pd.DataFrame:
    """A frame on a local grid -> the UTC grid, conserving each key's total.

    ``time_col`` holds local interval starts: tz-aware, or naive wall times in ``tz``.
    Every other non-value column is a key.  Returns UTC tz-aware interval starts.
    """
    value_cols = list(value_cols)
    data = frame.copy()
    data[time_col] = _aware(frame, time_col, tz)
    return _regrid(data, time_col, value_cols, interval_minutes, None)


def utc_to_local_grid(frame: pd.DataFrame, tz: str, interval_minutes: int = 30,
                      time_col: str = "timestamp", value_cols: Iterable[str] = ("volume",)) -> pd.DataFrame:
    """A frame on the UTC grid -> the local grid of ``tz``, conserving each key's total.

    Returns interval starts as tz-aware timestamps in ``tz`` (their wall time is on the
    local grid: :00 / :30 local even at +05:45).
    """
    return _regrid(frame, time_col, list(value_cols), interval_minutes, tz)
