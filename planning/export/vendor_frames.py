"""The frames of a vendor's workbook, in the vendor's terms (no openpyxl here).

* ``week_shift_rows``: the plan week's shifts of one vendor, with each site's local time
  and zone, the team, and a note on every shift that does not lie wholly inside the plan
  week: a **carry-in** (it starts before the week, e.g. the Sunday-night shift of the
  previous week's pattern; the plan pays and counts only its part inside the week) and a
  shift that runs past the week's end.
* ``team_matrix``: headcount per team x shift x local day at one site.
* ``workload_by_hour`` / ``workload_by_day``: what the plan expects a site's agents to work,
  in the site's local time, rounded (agents to 0.1, items to whole items) and aggregated so
  the sheet prints in a few pages.

The plan week is ``frames.plan_dates`` (UTC, [start, end)).
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from planning.export import frames

DAY_FORMAT = "%a %d %b"  # Mon 16 Nov
MIX_TOP = 2  # queue x market pairs named in a vendor row's queue mix (then "+N more")


def plan_week(result) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(start, end) of the plan in UTC, tz-aware."""
    first, end = frames.plan_dates(result)
    if first is None:
        return None, None
    return pd.Timestamp(first).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC")


def week_label(result) -> str:
    """``16 Nov - 22 Nov 2026 (UTC)``: the plan's days, for titles and page headers."""
    first, end = plan_week(result)
    if first is None:
        return "no plan dates"
    last = end - pd.Timedelta(microseconds=1)
    return f"{first:%a %d %b} - {last:%a %d %b %Y} (UTC)"


def _local(ts, tz: str) -> pd.Timestamp:
    return pd.Timestamp(ts).tz_convert(tz)


def local_text(ts, tz: str) -> str:
    """``Sun 15 Nov 22:00 PST``: a wall-clock time with the zone's abbreviation."""
    t = _local(ts, tz)
    return f"{t:%a %d %b %H:%M} {t.tzname()}"


def week_shift_rows(result, vendor: str) -> pd.DataFrame:
    """The vendor's shifts that touch the plan week (``frames.shift_rows`` columns plus
    ``team``, ``zone`` = 'IANA (abbreviation)', ``carry_in`` and ``note``); carry-ins first
    within each site and team."""
    shifts = result.plan.shifts
    if "team" not in shifts:
        shifts = shifts.assign(team=shifts["site"].astype(str))
    first, end = plan_week(result)
    raw = shifts[shifts["vendor"] == vendor].reset_index(drop=True)
    if first is not None and len(raw):
        starts = pd.to_datetime(raw["start_utc"], utc=True)
        ends = pd.to_datetime(raw["end_utc"], utc=True)
        raw = raw[(starts < end) & (ends > first)].reset_index(drop=True)
    out = frames.shift_table(raw, result.plan.allocation, top=MIX_TOP)
    if not len(out):
        return out.assign(team=[], zone=[], carry_in=[], note=[])
    starts = pd.to_datetime(raw["start_utc"], utc=True)
    ends = pd.to_datetime(raw["end_utc"], utc=True)
    out["team"] = raw["team"].fillna(raw["site"]).astype(str).values
    out["zone"] = [f"{tz} ({_local(s, tz).tzname()})" for s, tz in zip(starts, raw["timezone"])]
    carry = (starts < first).to_numpy() if first is not None else np.zeros(len(raw), bool)
    out["carry_in"] = carry
    cyclic = getattr(getattr(result.plan, "options", None), "horizon_mode", "open") == "cyclic"
    length = end - first if first is not None else None
    notes = []
    for s, e, tz, c in zip(starts, ends, raw["timezone"], carry):
        if c:
            notes.append(f"carry-in: starts {local_text(s, tz)}, before the plan week; only the part "
                         f"from {local_text(first, tz)} is planned here")
        elif e > end and cyclic:  # the planned week repeats: its tail is the week's start
            notes.append(f"wraps: the week repeats, so this is also the shift of {local_text(s - length, tz)}; "
                         f"its hours after {local_text(end, tz)} cover the week's start")
        elif e > end:
            notes.append(f"runs past the plan week (ends {local_text(e, tz)}); only the part up to "
                         f"{local_text(end, tz)} is planned here")
        else:
            notes.append("")
    out["note"] = notes
    out["order"] = ~out["carry_in"]
    out = out.sort_values(["site", "team", "order", "date_local", "start_utc", "shift"], kind="stable")
    return out.drop(columns="order").reset_index(drop=True)


def day_header(day: dt.date, carry_in: bool = False) -> str:
    return f"{day:{DAY_FORMAT}}" + (" (carry-in)" if carry_in else "")


def team_matrix(shifts: pd.DataFrame, site: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Headcount per team x shift (rows) x local day (columns) at ``site``, from
    ``week_shift_rows``; returns (frame with ``team, shift, start`` and one column per day
    plus ``total``, [(column key, header)] of the day columns)."""
    mine = shifts[shifts["site"] == site]
    if not len(mine):
        return pd.DataFrame(columns=["team", "shift", "start", "total"]), []
    days = sorted(set(mine["date_local"]))
    carry_days = set(mine.loc[mine["carry_in"], "date_local"])
    keys = [(f"d{i}", day_header(d, d in carry_days and not
                                 (~mine["carry_in"] & (mine["date_local"] == d)).any()))
            for i, d in enumerate(days)]
    col_of = {d: k for d, (k, _) in zip(days, keys)}
    rows = {}
    for r in mine.itertuples(index=False):
        key = (r.team, r.shift)
        row = rows.setdefault(key, {"team": r.team, "shift": r.shift, "start": r.start_local,
                                    **{k: 0 for k, _ in keys}})
        row[col_of[r.date_local]] += int(r.headcount)
    frame = pd.DataFrame(list(rows.values()))
    frame["total"] = frame[[k for k, _ in keys]].sum(axis=1).astype(int)
    frame = frame.sort_values(["team", "start", "shift"], ignore_index=True)
    return frame, keys


def _site_alloc(result, site: str) -> pd.DataFrame:
    alloc = result.plan.allocation
    if alloc is None or not len(alloc):
        return pd.DataFrame(columns=["timestamp", "queue", "market", "agents"])
    return alloc[alloc["site"] == site]


def _interval_hours(result) -> float:
    req = result.requirements
    if req is not None and "interval_minutes" in req and len(req):
        return float(req["interval_minutes"].iloc[0]) / 60.0
    return result.operation.settings.interval_minutes / 60.0


def workload_by_hour(result, site: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Mean productive agents on queue work per local hour (rows 00:00-23:00) x local day
    (columns) at ``site``, rounded to 0.1 agent; (frame, [(column key, header)])."""
    tz = result.operation.sites[site].timezone
    alloc = _site_alloc(result, site)
    first, end = plan_week(result)
    if first is None or not len(alloc):
        return pd.DataFrame(columns=["hour"]), []
    step = pd.Timedelta(hours=_interval_hours(result))
    grid = pd.date_range(first, end - step, freq=step)  # intervals without agents count as 0
    agents = alloc.groupby(pd.to_datetime(alloc["timestamp"], utc=True))["agents"].sum()
    agents = agents.reindex(grid, fill_value=0.0)
    local = agents.index.tz_convert(tz)
    frame = pd.DataFrame({"day": local.date, "hour": local.hour, "agents": agents.to_numpy()})
    table = frame.pivot_table(index="hour", columns="day", values="agents", aggfunc="mean")
    days = list(table.columns)
    keys = [(f"d{i}", day_header(d)) for i, d in enumerate(days)]
    out = pd.DataFrame({"hour": [dt.time(h) for h in table.index]})
    for (k, _), d in zip(keys, days):
        out[k] = [None if pd.isna(v) else round(float(v), 1) for v in table[d]]
    return out, keys


def workload_by_day(result, site: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Per queue x market and local day at ``site``: agent-hours on the pair (0.1 h) and the
    items the plan expects the site to handle (whole items: each interval's forecast items
    of the pair split by the site's share of all planned agents on it)."""
    tz = result.operation.sites[site].timezone
    alloc = _site_alloc(result, site)
    if not len(alloc):
        return pd.DataFrame(columns=["queue", "market", "measure", "total"]), []
    hours = _interval_hours(result)
    all_alloc = result.plan.allocation
    ts_all = pd.to_datetime(all_alloc["timestamp"], utc=True)
    total = all_alloc.assign(timestamp=ts_all).groupby(["timestamp", "queue", "market"])["agents"].sum()
    mine = alloc.assign(timestamp=pd.to_datetime(alloc["timestamp"], utc=True))
    mine = mine.groupby(["timestamp", "queue", "market"], as_index=False)["agents"].sum()
    req = result.requirements
    volume = req.assign(timestamp=pd.to_datetime(req["timestamp"], utc=True)).set_index(
        ["timestamp", "queue", "market"])["volume"] if req is not None and "volume" in req else None
    index = pd.MultiIndex.from_frame(mine[["timestamp", "queue", "market"]])
    share = mine["agents"].to_numpy() / np.maximum(total.reindex(index).to_numpy(), 1e-12)
    vol = volume.reindex(index).fillna(0.0).to_numpy() if volume is not None else np.zeros(len(mine))
    mine["items"] = vol * np.clip(share, 0.0, 1.0)
    mine["agent_hours"] = mine["agents"] * hours
    mine["day"] = mine["timestamp"].dt.tz_convert(tz).dt.date
    days = sorted(mine["day"].unique())
    keys = [(f"d{i}", day_header(d)) for i, d in enumerate(days)]
    rows = []
    for (q, m), g in mine.groupby(["queue", "market"], sort=True):
        per_day = g.groupby("day")[["agent_hours", "items"]].sum()
        for measure, column, digits in (("Agent-hours [h]", "agent_hours", 1), ("Items [items]", "items", 0)):
            row = {"queue": q, "market": m, "measure": measure}
            for (k, _), d in zip(keys, days):
                v = float(per_day[column].get(d, 0.0))
                row[k] = int(round(v)) if digits == 0 else round(v, 1)
            row["total"] = int(round(per_day[column].sum())) if digits == 0 else round(float(per_day[column].sum()), 1)
            rows.append(row)
    return pd.DataFrame(rows), keys
