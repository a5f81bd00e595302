"""Long-range demand for the capacity plan: weekly volume -> productive hours -> FTE.

Demand of one queue x market in one week, in productive hours:

    workload_hours = volume * aht_seconds / 3600
    demand_hours   = workload_hours / occupancy_cap(queue) * scheduling_efficiency

and in FTE of a site s: demand_hours / (PAID_HOURS_PER_FTE_WEEK * (1 - shrinkage_s)).
So demand FTE = volume x AHT / (paid hours x (1 - shrinkage) x occupancy) x efficiency.

The scheduling-efficiency factor says how much more productive time a real shift plan
schedules than the bare workload at the occupancy cap (interval peaks, live SLAs, whole
shifts): learned from a short-term plan with ``scheduling_efficiency`` when one is given,
``DEFAULT_SCHEDULING_EFFICIENCY`` otherwise, so the two horizons agree.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.capacity.supply import PAID_HOURS_PER_FTE_WEEK
from planning.domain import Operation

DEFAULT_SCHEDULING_EFFICIENCY = 1.15
"""Scheduled productive hours / (workload hours / occupancy cap) when no short-term plan is
given (assumption: live queues and shift granularity cost ~15% over the bare workload)."""

WEEKLY_COLUMNS = ["week_start", "queue", "market", "volume"]


def week_floor(ts: pd.Series | pd.DatetimeIndex) -> pd.Series:
    """Monday 00:00 UTC of the week containing each timestamp."""
    ts = pd.to_datetime(ts, utc=True)
    if isinstance(ts, pd.DatetimeIndex):
        ts = pd.Series(ts)
    day = ts.dt.floor("D")
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def horizon_weeks(months: float) -> int:
    """Number of whole weeks in ``months`` months (52/12 weeks per month)."""
    return max(1, int(round(months * 52.0 / 12.0)))


def scheduling_efficiency(requirements: pd.DataFrame, plan_shifts: pd.DataFrame, op: Operation) -> float:
    """Scheduled productive hours / (workload hours / occupancy cap), over the same weeks.

    requirements : frame ``requirements`` (docs/contracts.md), uses workload_hours
    plan_shifts : frame ``plan shifts``, uses site, start_utc, paid_hours, headcount
    Productive hours scheduled = paid_hours x headcount x (1 - shrinkage of the site).
    Returns DEFAULT_SCHEDULING_EFFICIENCY when the frames do not overlap.
    """
    if requirements is None or plan_shifts is None or not len(requirements) or not len(plan_shifts):
        return DEFAULT_SCHEDULING_EFFICIENCY
    shifts = plan_shifts.assign(week_start=week_floor(plan_shifts["start_utc"]))
    req = requirements.assign(week_start=week_floor(requirements["timestamp"]))
    weeks = set(shifts["week_start"]) & set(req["week_start"])
    if not weeks:
        return DEFAULT_SCHEDULING_EFFICIENCY
    shifts = shifts[shifts["week_start"].isin(weeks)]
    req = req[req["week_start"].isin(weeks)]
    keep = 1.0 - shifts["site"].map({k: s.shrinkage for k, s in op.sites.items()}).fillna(0.0)
    scheduled = float((shifts["paid_hours"] * shifts["headcount"] * keep).sum())
    occupancy = req["queue"].map({k: q.max_occupancy for k, q in op.queues.items()}).fillna(0.85)
    needed = float((req["workload_hours"] / occupancy).sum())
    if needed <= 0 or scheduled <= 0:
        return DEFAULT_SCHEDULING_EFFICIENCY
    return scheduled / needed


def demand_hours(weekly_volume: pd.DataFrame, op: Operation, efficiency: float = DEFAULT_SCHEDULING_EFFICIENCY,
                 growth: float = 0.0) -> pd.DataFrame:
    """Add workload and demand columns to a weekly volume frame.

    weekly_volume : ``week_start, queue, market, volume`` [items/week], optional
        ``aht_seconds`` (per-row override, e.g. from a lever)
    growth : uniform volume uplift over the horizon (0.1 = +10%)
    Returns the frame plus ``aht_seconds, workload_hours, demand_hours, demand_fte``
    (FTE at the mean shrinkage of the sites certified for the pair).
    """
    frame = weekly_volume.copy()
    frame = frame[frame["queue"].isin(op.queues.keys())]
    frame["volume"] = frame["volume"].astype(float) * (1.0 + growth)
    default_aht = frame["queue"].map({k: q.aht_seconds for k, q in op.queues.items()})
    if "aht_seconds" in frame:
        frame["aht_seconds"] = frame["aht_seconds"].astype(float).fillna(default_aht)
    else:
        frame["aht_seconds"] = default_aht.astype(float)
    occupancy = frame["queue"].map({k: q.max_occupancy for k, q in op.queues.items()})
    frame["workload_hours"] = frame["volume"] * frame["aht_seconds"] / 3600.0
    frame["demand_hours"] = frame["workload_hours"] / occupancy * efficiency
    keep = {pair: pair_keep_share(op, *pair) for pair in frame[["queue", "market"]].drop_duplicates().itertuples(index=False, name=None)}
    share = np.array([keep[(q, m)] for q, m in zip(frame["queue"], frame["market"])], dtype=float)
    frame["demand_fte"] = frame["demand_hours"] / (PAID_HOURS_PER_FTE_WEEK * share) if len(frame) else 0.0
    return frame.reset_index(drop=True)


def pair_keep_share(op: Operation, queue: str, market: str) -> float:
    """Mean (1 - shrinkage) of the sites certified for the pair (all sites if none)."""
    sites = op.certified_sites(queue, market) or list(op.sites)
    return float(np.mean([1.0 - op.sites[s].shrinkage for s in sites])) if sites else 1.0


def history_weekly(op: Operation) -> pd.DataFrame:
    """Complete weeks of history as ``week_start, queue, market, volume`` (partial weeks dropped)."""
    vol = op.volume
    per_week = 7 * 24 * 60 // op.settings.interval_minutes
    frame = vol.assign(week_start=week_floor(vol["timestamp"]))
    grouped = frame.groupby(["week_start", "queue", "market"], as_index=False).agg(
        volume=("volume", "sum"), n=("volume", "size"))
    counts = frame.groupby("week_start")["timestamp"].nunique()
    full = counts[counts >= per_week].index
    return grouped[grouped["week_start"].isin(full)].drop(columns="n").reset_index(drop=True)


def fallback_weekly_volume(op: Operation, weeks: int, start: pd.Timestamp | None = None) -> pd.DataFrame:
    """Long-range weekly volume when no long-range forecast is available.

    Per pair: with >= 52 complete weeks of history, repeat the last year week by week
    (seasonal naive) scaled by the year-on-year trend of the last 13 weeks (when 65+ weeks
    exist) -- otherwise the mean of the last 4 complete weeks with a least-squares linear
    trend over the last 26; growth is capped at +-50% a year.  Starts at ``start`` (default:
    the Monday after the history ends).
    """
    hist = history_weekly(op)
    if start is None:
        start = week_floor(pd.Series([op.history_end - pd.Timedelta(seconds=1)])).iloc[0] + pd.Timedelta(days=7)
    future = pd.date_range(start, periods=weeks, freq="7D")
    rows = []
    for (queue, market), g in hist.groupby(["queue", "market"]):
        series = g.set_index("week_start")["volume"].sort_index()
        values = series.to_numpy(dtype=float)
        if len(values) >= 52:
            base = values[-52:]
            trend = 1.0
            if len(values) >= 65 and values[-65:-52].sum() > 0:
                trend = float(np.clip(values[-13:].sum() / values[-65:-52].sum(), 0.5, 1.5))
            per_year = trend ** (1.0 / 52.0)
            forecast = [base[i % 52] * trend * per_year ** i for i in range(weeks)]
        else:
            level = float(values[-4:].mean()) if len(values) else 0.0
            recent = values[-26:]
            slope = float(np.polyfit(np.arange(len(recent)), recent, 1)[0]) if len(recent) >= 3 else 0.0
            cap = 0.5 * level / 52.0
            slope = float(np.clip(slope, -cap, cap))
            forecast = [max(0.0, level + slope * (i + 2.5)) for i in range(weeks)]
        rows.append(pd.DataFrame({"week_start": future, "queue": queue, "market": market, "volume": forecast}))
    if not rows:
        return pd.DataFrame(columns=WEEKLY_COLUMNS)
    return pd.concat(rows, ignore_index=True)


def long_range_weekly_volume(op: Operation, months: float) -> tuple[pd.DataFrame, str]:
    """Weekly volume for ``months`` months: the long-range forecast if the forecasting
    layer offers one (``planning.forecasting.long_range_operation``), else the fallback.

    Returns (frame, source description).
    """
    weeks = horizon_weeks(months)
    try:
        from planning import forecasting  # noqa: PLC0415 - optional layer, may not exist yet
        long_range = getattr(forecasting, "long_range_operation")
    except (ImportError, AttributeError):
        return fallback_weekly_volume(op, weeks), "history fallback (seasonal naive with trend)"
    run = long_range(op, months)
    daily = getattr(run, "daily", None)
    if isinstance(daily, pd.DataFrame):  # whole weeks of the daily forecast
        days = daily.rename(columns={"period_start": "timestamp"})
        days = days.assign(week_start=week_floor(days["timestamp"]))
        n_days = days.groupby("week_start")["timestamp"].transform("nunique")
        return to_weekly(days[n_days == 7].drop(columns="timestamp"), weeks), "long-range forecast"
    return to_weekly(run, weeks), "long-range forecast"


def to_weekly(frame: pd.DataFrame, weeks: int | None = None) -> pd.DataFrame:
    """Any ``timestamp|week_start, queue, market, forecast|volume`` frame -> complete weeks."""
    frame = frame.copy()
    value = "volume" if "volume" in frame else "forecast"
    if "week_start" not in frame:
        frame["week_start"] = week_floor(frame["timestamp"])
    else:
        frame["week_start"] = week_floor(frame["week_start"])
    cols = ["week_start", "queue", "market"]
    out = frame.groupby(cols, as_index=False)[value].sum().rename(columns={value: "volume"})
    if "aht_seconds" in frame:  # volume-weighted mean of per-row overrides
        w = frame.assign(_wa=frame["aht_seconds"] * frame[value]).groupby(cols, as_index=False)[["_wa", value]].sum()
        out["aht_seconds"] = (w["_wa"] / w[value].where(w[value] > 0)).to_numpy()
    if weeks is not None:
        keep = sorted(out["week_start"].unique())[:weeks]
        out = out[out["week_start"].isin(keep)]
    return out.reset_index(drop=True)
