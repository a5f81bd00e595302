"""Leadership figures from the inputs alone: demand, site capacity, concentration risk.

Pure functions over an Operation (no streamlit), used by the Overview page. Figures that
need a plan (staffed capacity, SLA risk, cost) come from ``planning.pipeline`` results.

workload_hours = volume x AHT / 3600  (hours of handling, before shrinkage and occupancy)
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from planning.domain import Operation


def recent_volume(op: Operation, weeks: int) -> pd.DataFrame:
    """The last ``weeks`` whole weeks of history (UTC weeks starting Monday)."""
    volume = op.volume
    if volume.empty:
        return volume
    end = op.history_end.floor("D") - pd.Timedelta(days=op.history_end.day_of_week)  # last whole week ends here
    start = end - pd.Timedelta(weeks=weeks)
    return volume[(volume["timestamp"] >= start) & (volume["timestamp"] < end)]


def weekly_demand(op: Operation, weeks: int = 26) -> pd.DataFrame:
    """Columns ``week_start, queue, market, volume, workload_hours`` over the last weeks."""
    volume = recent_volume(op, weeks)
    cols = ["week_start", "queue", "market", "volume", "workload_hours"]
    if volume.empty:
        return pd.DataFrame(columns=cols)
    aht = pd.Series({q: queue.aht_seconds for q, queue in op.queues.items()}, dtype=float)
    ts = volume["timestamp"]
    week = (ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.floor("D")
    out = (volume.assign(week_start=week)
           .groupby(["week_start", "queue", "market"], as_index=False, observed=True)["volume"].sum())
    out["workload_hours"] = out["volume"] * out["queue"].map(aht).astype(float) / 3600.0
    return out[cols]


def site_table(op: Operation, at: dt.datetime | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per site: vendor, time zone with its UTC offset at ``at``, caps and costs.

    productive_max = max_headcount x (1 - shrinkage): agents on queue work at the cap.
    """
    at = pd.Timestamp(at if at is not None else op.history_end)
    rows = []
    for s in op.sites.values():
        offset_h = at.tz_convert(s.timezone).utcoffset().total_seconds() / 3600.0
        sign = "+" if offset_h >= 0 else "-"
        hours, minutes = divmod(round(abs(offset_h) * 60), 60)
        rows.append({
            "vendor": s.vendor, "site": s.site, "city": s.city, "timezone": s.timezone,
            "utc_offset": f"UTC{sign}{hours:02d}:{minutes:02d}", "utc_offset_hours": offset_h,
            "max_headcount": s.max_headcount, "min_headcount": s.min_headcount,
            "productive_max": s.max_headcount * (1 - s.shrinkage),
            "hourly_cost": s.hourly_cost, "shrinkage": s.shrinkage,
            "certified_pairs": sum(1 for c in op.certifications if c.site == s.site),
        })
    cols = ["vendor", "site", "city", "timezone", "utc_offset", "utc_offset_hours", "max_headcount",
            "min_headcount", "productive_max", "hourly_cost", "shrinkage", "certified_pairs"]
    return pd.DataFrame(rows, columns=cols).sort_values(["vendor", "site"]).reset_index(drop=True)


def concentration(op: Operation, weeks: int = 13) -> pd.DataFrame:
    """Concentration risk per queue x market from certifications and site caps.

    top_site_share = the largest certified site's max headcount / the summed max headcount
    of all sites certified for the pair (1.0 when one site holds the pair alone). It is
    the share of the pair's certified capacity that one site outage would remove.
    workload_hours is the recent weekly average, to rank which concentrations matter.
    """
    caps = {s: site.max_headcount for s, site in op.sites.items()}
    demand = weekly_demand(op, weeks)
    n_weeks = max(1, demand["week_start"].nunique()) if not demand.empty else 1
    hours = demand.groupby(["queue", "market"])["workload_hours"].sum() / n_weeks if not demand.empty else {}
    rows = []
    for queue, market in sorted(set(op.pairs) | {(c.queue, c.market) for c in op.certifications}):
        sites = op.certified_sites(queue, market)
        total = sum(caps.get(s, 0) for s in sites)
        top = max(sites, key=lambda s: (caps.get(s, 0), s)) if sites else None
        share = (caps[top] / total if total > 0 else 1.0) if top else float("nan")
        rows.append({
            "queue": queue, "market": market, "certified_sites": len(sites),
            "sites": ", ".join(sites), "top_site": top or "", "top_site_share": share,
            "single_site": len(sites) == 1,
            "weekly_workload_hours": float(hours.get((queue, market), 0.0)) if len(hours) else 0.0,
        })
    cols = ["queue", "market", "certified_sites", "sites", "top_site", "top_site_share", "single_site",
            "weekly_workload_hours"]
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["top_site_share", "weekly_workload_hours"], ascending=False).reset_index(drop=True)


def workload_share_single_site(conc: pd.DataFrame) -> float:
    """Share of weekly workload hours in pairs that only one site may work (0-1)."""
    total = conc["weekly_workload_hours"].sum()
    if total <= 0:
        return 0.0
    return float(conc.loc[conc["single_site"], "weekly_workload_hours"].sum() / total)
