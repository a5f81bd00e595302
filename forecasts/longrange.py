"""Long-range forecasts: daily totals 12-18 months ahead, rolled up to weeks and months.

Per series, ``log1p`` of the daily total (UTC days, full history, known events divided
out) is regressed on a linear trend, day-of-week dummies, yearly Fourier terms, the
share of the day that is a public holiday and, when the data show one, a level shift
(e.g. a new automation classifier; chosen by BIC), with AR(1) errors
(:func:`forecasts.models.ar_sarimax`).  Uncertainty comes from simulated sample paths
(AR(1) errors plus coefficients drawn from their covariance), so weekly and monthly
totals and the queue / market totals are sums of the same paths: the point forecasts (path means) add up exactly
bottom-up and the intervals account for the sums.  Series are treated as independent
when summed across series (a stated simplification).

:func:`spread_to_intervals` turns daily forecasts back into intervals with the
weekday-specific intraday profile of the last weeks.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from forecasts.events import HolidayCalendar, event_multiplier, holiday_flags, normalise_events
from forecasts.harmonic import fourier
from forecasts.models import LEVELS, ar_sarimax

PATHS = 400
K_YEAR = 3
SEED = 7
LONG_COLUMNS = ["period_start", "queue", "market", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
FREQS = ("day", "week", "month")


def period_start(days: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """Start of the day / week (Monday) / month containing each day (tz kept)."""
    if freq == "day":
        return days
    if freq == "week":
        return days - pd.to_timedelta(days.day_of_week, unit="D")
    if freq == "month":
        return days - pd.to_timedelta(days.day - 1, unit="D")
    raise ValueError(f"unknown period '{freq}'; use day, week or month")


@dataclass
class LongRangeRun:
    daily: pd.DataFrame
    weekly: pd.DataFrame
    monthly: pd.DataFrame
    warnings: pd.DataFrame
    paths: dict = field(default_factory=dict, repr=False)  # (queue, market) -> (days index, paths array)

    def totals(self, freq: str = "month", by: str = "queue") -> pd.DataFrame:
        """Bottom-up totals per queue (``by="queue"``), market, or overall (``by="all"``)."""
        return aggregate(self.paths, freq, by)


def _daily(volume: pd.DataFrame) -> pd.Series:
    """Daily totals over whole UTC days only."""
    ts = volume.set_index("timestamp")["volume"].sort_index()
    counts = ts.resample("D").count()
    totals = ts.resample("D").sum()
    full = counts >= counts.max() * 0.9
    return totals[full]


def _design(days: pd.DatetimeIndex, origin: pd.Timestamp, holiday_share: np.ndarray, yearly: bool) -> np.ndarray:
    t = ((days - origin) / pd.Timedelta(days=365.25)).to_numpy()
    dow = np.eye(7)[days.day_of_week.to_numpy()][:, 1:]
    parts = [np.ones(len(days)), t, dow.T, holiday_share]
    cols = [parts[0], parts[1], *parts[2], parts[3]]
    if yearly:
        doy = days.day_of_year.to_numpy().astype(float)
        cols += list(fourier(doy, 365.25, K_YEAR).T)
    return np.column_stack(cols)


def level_shift(X: np.ndarray, z: np.ndarray, margin_days: int = 56, min_bic_gain: float = 10.0) -> int | None:
    """Day index of the one level shift (a step dummy) that best improves the fit, or None.

    Candidates every 7 days, at least ``margin_days`` from either end; accepted when the
    Bayesian information criterion improves by ``min_bic_gain`` (one extra parameter).
    """
    n = len(z)
    if n < 3 * margin_days:
        return None

    def sse(design):
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        return float(np.sum((z - design @ coef) ** 2))

    base = sse(X)
    best, best_sse = None, base
    for k in range(margin_days, n - margin_days, 7):
        value = sse(np.column_stack([X, np.arange(n) >= k]))
        if value < best_sse:
            best, best_sse = k, value
    if best is None or n * np.log(base / best_sse) - np.log(n) < min_bic_gain:
        return None
    return best


def forecast_daily_paths(volume: pd.DataFrame, days_ahead: int, events: pd.DataFrame | None,
                         calendar: HolidayCalendar | None, queue: str, market: str,
                         rng: np.random.Generator) -> tuple[pd.DatetimeIndex, np.ndarray, list[str]]:
    """(future days, paths [PATHS x days]) of daily totals for one series."""
    notes: list[str] = []
    daily = _daily(volume)
    last = daily.index[-1]
    future = pd.date_range(last + pd.Timedelta(days=1), periods=days_ahead, freq="D")
    all_days = daily.index.append(future)
    intervals = pd.date_range(all_days[0], all_days[-1] + pd.Timedelta(days=1), freq="h", inclusive="left")
    hol = pd.Series(holiday_flags(intervals, calendar), intervals).resample("D").mean().reindex(all_days).fillna(0).to_numpy()
    mult = pd.Series(event_multiplier(intervals, events, queue, market), intervals).resample("D").mean()
    mult = mult.reindex(all_days).fillna(1.0).to_numpy()
    n = len(daily)
    z = np.log1p(daily.to_numpy(float) / mult[:n])
    if n < 28:
        notes.append(f"long range: only {n} days of history; flat forecast")
        level, sd = float(np.mean(z)) if n else 0.0, float(np.std(z)) if n > 1 else 0.5
        paths = np.expm1(level + sd * rng.standard_normal((PATHS, days_ahead)))
        return future, np.maximum(paths, 0) * mult[n:], notes
    yearly = n >= 365
    if not yearly:
        notes.append(f"long range: {n} days of history is under a year; no yearly seasonality")
    X = _design(all_days, all_days[0], hol, yearly)
    shift = level_shift(X[:n], z)
    if shift is not None:
        X = np.column_stack([X, np.arange(len(all_days)) >= shift])
        notes.append(f"long range: level shift from {all_days[shift]:%Y-%m-%d} modelled "
                     "(e.g. an automation change); it carries into the forecast")
    beta, *_ = np.linalg.lstsq(X[:n], z, rcond=None)
    resid = z - X[:n] @ beta
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = ar_sarimax(resid, 1)
    notes += [f"long range: {w.category.__name__}: {str(w.message).splitlines()[0][:100]}" for w in caught]
    phi, sigma2 = float(res.params[0]), float(res.params[1])
    eps = rng.standard_normal((PATHS, days_ahead)) * np.sqrt(sigma2)
    e = np.empty_like(eps)
    prev = np.full(PATHS, resid[-1])
    for j in range(days_ahead):
        prev = phi * prev + eps[:, j]
        e[:, j] = prev
    # Coefficient uncertainty (trend, season) matters most at 12-18 months: draw the
    # coefficients per path from their OLS covariance, inflated by the AR(1) long-run
    # variance factor (1 + phi) / (1 - phi) because the errors are autocorrelated.
    inflate = (1 + phi) / max(1 - phi, 0.05)
    cov = np.linalg.pinv(X[:n].T @ X[:n]) * float(np.var(resid)) * inflate
    draws = rng.multivariate_normal(np.zeros(len(beta)), cov, size=PATHS, method="eigh")
    paths = np.expm1(X[n:] @ beta + draws @ X[n:].T + e) * mult[n:]
    return future, np.maximum(paths, 0.0), notes


def _summarise(periods: pd.DatetimeIndex, paths: np.ndarray, freq: str, keys: dict) -> pd.DataFrame:
    frame = pd.DataFrame(paths.T, index=periods)
    starts = period_start(periods, freq)
    grouped = frame.groupby(starts).sum()
    # Only whole periods: a week or month cut by the history end or the horizon would
    # read as a collapse in demand.
    days = pd.Series(1, index=starts).groupby(level=0).sum().reindex(grouped.index)
    whole = 7 if freq == "week" else grouped.index.days_in_month if freq == "month" else 1
    grouped = grouped[days.to_numpy() == np.asarray(whole)]
    values = grouped.to_numpy()
    out = pd.DataFrame({"period_start": grouped.index.as_unit("ns"), **keys, "model": "longrange_sarimax", "forecast": values.mean(axis=1)})
    for level in LEVELS:
        tail = (100 - level) / 200
        out[f"lo_{level}"] = np.quantile(values, tail, axis=1)
        out[f"hi_{level}"] = np.quantile(values, 1 - tail, axis=1)
    out["lo_95"] = np.minimum(out["lo_95"], out["lo_80"])
    out["hi_95"] = np.maximum(out["hi_95"], out["hi_80"])
    return out[LONG_COLUMNS]


def aggregate(paths: dict, freq: str = "month", by: str = "queue") -> pd.DataFrame:
    """Sum sample paths across series per queue / market / all, then summarise."""
    groups: dict[tuple[str, str], list] = {}
    for (queue, market), (days, p) in paths.items():
        key = (queue, "*") if by == "queue" else ("*", market) if by == "market" else ("*", "*")
        groups.setdefault(key, []).append((days, p))
    frames = []
    for (queue, market), members in sorted(groups.items()):
        days = members[0][0]
        total = sum(p for _, p in members)
        frames.append(_summarise(days, total, freq, {"queue": queue, "market": market}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=LONG_COLUMNS)


def long_range(volume: pd.DataFrame, months: int = 18, events: pd.DataFrame | None = None,
               calendars: dict[str, HolidayCalendar] | None = None, progress=None) -> LongRangeRun:
    """Daily, weekly and monthly forecasts ``months`` ahead for every queue x market."""
    with threadpool_limits(limits=1):  # see forecasts.series.run_series
        return _long_range(volume, months, events, calendars, progress)


def _long_range(volume, months, events, calendars, progress) -> LongRangeRun:
    volume = volume.copy()
    volume["timestamp"] = pd.to_datetime(volume["timestamp"], utc=True)
    events = normalise_events(events)
    end = volume["timestamp"].max().normalize()
    days_ahead = int((end + pd.DateOffset(months=months) - end) / pd.Timedelta(days=1))
    rng = np.random.default_rng(SEED)
    out = {"day": [], "week": [], "month": []}
    notes, paths = [], {}
    groups = list(volume.groupby(["queue", "market"], sort=True))
    for i, ((queue, market), group) in enumerate(groups, start=1):
        days, p, series_notes = forecast_daily_paths(group, days_ahead, events, (calendars or {}).get(market),
                                                     queue, market, rng)
        paths[(queue, market)] = (days, p)
        notes += [{"queue": queue, "market": market, "message": m} for m in series_notes]
        for freq in out:
            out[freq].append(_summarise(days, p, freq, {"queue": queue, "market": market}))
        if progress:
            progress(i, len(groups), f"{queue} x {market}")
    frames = {f: pd.concat(v, ignore_index=True) if v else pd.DataFrame(columns=LONG_COLUMNS) for f, v in out.items()}
    return LongRangeRun(frames["day"], frames["week"], frames["month"],
                        pd.DataFrame(notes, columns=["queue", "market", "message"]), paths)


def intraday_profile_by_weekday(volume: pd.DataFrame, interval_minutes: int, weeks: int = 4) -> np.ndarray:
    """Share of the UTC day per interval for each weekday (Mon=0), shape (7, intervals/day)."""
    pday = 24 * 60 // interval_minutes
    ts = volume.set_index(pd.to_datetime(volume["timestamp"], utc=True))["volume"].sort_index()
    ts = ts[ts.index >= ts.index.max() - pd.Timedelta(weeks=weeks)]
    slot = (ts.index.hour * 60 + ts.index.minute) // interval_minutes
    table = pd.DataFrame({"dow": ts.index.day_of_week, "slot": slot, "v": ts.to_numpy()})
    sums = table.pivot_table(index="dow", columns="slot", values="v", aggfunc="sum").reindex(
        index=range(7), columns=range(pday)).fillna(0.0).to_numpy()
    totals = sums.sum(axis=1, keepdims=True)
    flat = np.full((1, pday), 1.0 / pday)
    return np.where(totals > 0, sums / np.where(totals > 0, totals, 1), flat)


def spread_to_intervals(daily: pd.DataFrame, profile: np.ndarray, interval_minutes: int) -> pd.DataFrame:
    """Spread a daily forecast frame into intervals with a weekday profile (bounds scale alike)."""
    pday = profile.shape[1]
    rows = daily.loc[daily.index.repeat(pday)].reset_index(drop=True)
    slots = np.tile(np.arange(pday), len(daily))
    rows["timestamp"] = (rows["period_start"] + pd.to_timedelta(slots * interval_minutes, unit="min")).dt.as_unit("ns")
    share = profile[rows["period_start"].dt.day_of_week.to_numpy(), slots]
    for column in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
        rows[column] = rows[column].to_numpy() * share
    return rows[["timestamp", "queue", "market", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]]
