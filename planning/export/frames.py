"""The tables the plan workbook shows, as plain pandas frames (no openpyxl here).

Every function takes a pipeline result (``planning.pipeline.PipelineResult`` or anything
with the same attributes) and returns a tidy frame whose columns the sheet writers in
``planning.export.workbook`` lay out.  Keeping them separate lets the tests compare the workbook
cell by cell with an independently computed frame.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

# How many queue x market pairs a shift's "queue mix" text names before "+N more".
QUEUE_MIX_TOP = 6


def _utc_naive(series: pd.Series) -> pd.Series:
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_convert("UTC").dt.tz_localize(None)


def vendors(result) -> list[str]:
    """Vendors with at least one site in the (scenario) operation."""
    return sorted({s.vendor for s in result.operation.sites.values()})


def vendor_sites(result, vendor: str) -> list[str]:
    return sorted(s for s, site in result.operation.sites.items() if site.vendor == vendor)


def queue_mix(allocation: pd.DataFrame, site: str, start_utc, end_utc, team: str | None = None
              ) -> dict[tuple[str, str], float]:
    """Share of the site's (with ``team``: the team's) productive agent-intervals per queue x
    market in [start, end)."""
    if allocation is None or not len(allocation):
        return {}
    a = allocation[(allocation["site"] == site) & (allocation["timestamp"] >= start_utc)
                   & (allocation["timestamp"] < end_utc)]
    if team is not None and "team" in a:
        a = a[a["team"] == team]
    sums = a.groupby(["queue", "market"])["agents"].sum()
    total = float(sums.sum())
    if total <= 1e-9:
        return {}
    return {k: float(v) / total for k, v in sums.sort_values(ascending=False).items() if v > 1e-9}


def mix_text(mix: dict[tuple[str, str], float], top: int = QUEUE_MIX_TOP) -> str:
    """``spam/NA-EN 45% · hate_speech/EMEA-DE 30% · +2 more`` (user names stay verbatim)."""
    if not mix:
        return "(no queue work allocated)"
    items = list(mix.items())
    parts = [f"{q}/{m} {share:.0%}" for (q, m), share in items[:top]]
    if len(items) > top:
        parts.append(f"+{len(items) - top} more")
    return " · ".join(parts)


def _wall(ts, tz: str) -> dt.time:
    """Wall-clock time of instant ``ts`` in zone ``tz`` (minutes)."""
    return pd.Timestamp(ts).tz_convert(tz).time().replace(second=0, microsecond=0)


def shift_rows(result, vendor: str | None = None) -> pd.DataFrame:
    """The plan's shifts (one row per site x shift x local date) with Excel-ready types:
    ``date_local`` a date, ``start_local``/``end_local`` times of day in the site's zone,
    ``start_utc``/``end_utc`` naive UTC datetimes, plus ``queue_mix`` text."""
    shifts = result.plan.shifts
    if vendor is not None:
        shifts = shifts[shifts["vendor"] == vendor]
    return shift_table(shifts, result.plan.allocation)


def shift_table(shifts: pd.DataFrame, alloc: pd.DataFrame | None, top: int = QUEUE_MIX_TOP) -> pd.DataFrame:
    """``shift_rows`` of a given shifts frame (``alloc`` gives the queue mix)."""
    out = shifts.copy()
    teams = shifts["team"] if "team" in shifts else pd.Series([None] * len(shifts), index=shifts.index)
    out["queue_mix"] = [mix_text(queue_mix(alloc, r.site, r.start_utc, r.end_utc, team), top)
                        for r, team in zip(shifts.itertuples(index=False), teams)]
    out["date_local"] = [d if isinstance(d, dt.date) else pd.Timestamp(d).date() for d in out["date_local"]]
    # Local clock times from the UTC instants, so a shift whose template time falls in a
    # spring-forward gap shows when agents really start (and both columns agree).
    out["start_local"] = [_wall(r.start_utc, r.timezone) for r in shifts.itertuples(index=False)]
    out["end_local"] = [_wall(r.end_utc, r.timezone) for r in shifts.itertuples(index=False)]
    out["start_utc"] = _utc_naive(out["start_utc"]) if len(out) else out["start_utc"]
    out["end_utc"] = _utc_naive(out["end_utc"]) if len(out) else out["end_utc"]
    return out.reset_index(drop=True)


def coverage_detail(result) -> pd.DataFrame:
    """Coverage per interval and pair, with ``coverage`` = planned / required (NaN when
    nothing is required)."""
    cov = result.plan.coverage.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cov["required"] > 1e-9, cov["planned"] / cov["required"].where(cov["required"] > 1e-9), np.nan)
    cov["coverage"] = ratio
    cov["timestamp"] = _utc_naive(cov["timestamp"]) if len(cov) else cov["timestamp"]
    return cov


def coverage_matrix(result) -> pd.DataFrame:
    """Intervals (rows, naive UTC) x ``queue / market`` (columns): planned / required."""
    cov = coverage_detail(result)
    if not len(cov):
        return pd.DataFrame()
    cov["pair"] = cov["queue"].astype(str) + " / " + cov["market"].astype(str)
    wide = cov.pivot_table(index="timestamp", columns="pair", values="coverage", aggfunc="first",
                           dropna=False, sort=True)
    order = sorted(cov["pair"].unique())
    return wide.reindex(columns=order)


def cost_by_vendor(result) -> pd.DataFrame:
    frame = result.plan.cost_by_site
    if frame is None or not len(frame):
        return pd.DataFrame(columns=["vendor", "sites", "paid_hours", "cost", "peak_daily_headcount"])
    return (frame.groupby("vendor", as_index=False)
            .agg(sites=("site", "count"), paid_hours=("paid_hours", "sum"), cost=("cost", "sum"),
                 peak_daily_headcount=("peak_daily_headcount", "sum")))


def sla_table(result) -> pd.DataFrame:
    queues = result.plan.queues
    cols = ["queue", "market", "sla_kind", "target", "simulated", "simulated_lo", "simulated_hi", "predicted"]
    if queues is None or not len(queues):
        return pd.DataFrame(columns=cols)
    out = queues.copy()
    if "p_target" in out and out["p_target"].notna().any():  # risk-aware plans (planning.risk)
        cols += ["p_target", "p_target_lo", "p_target_hi"]
    for c in cols:
        if c not in out:
            out[c] = np.nan
    return out[cols]


def safety_items(result) -> list[tuple[str, object, str]]:
    """The cost of safety (planning.risk.cost_of_safety) as Summary rows: the confidence,
    queue x markets reaching it, and the risk-neutral plan's cost beside the chosen one."""
    risk = getattr(result, "risk", None) or {}
    compare, currency = risk.get("compare") or {}, result.operation.settings.currency
    chosen, neutral = compare.get("chosen") or {}, compare.get("neutral") or {}
    if not chosen or neutral.get("cost") is None or chosen.get("cost") is None:
        return []
    items = [("SLA confidence (chance a queue x market's week meets target)", chosen.get("confidence"), "pct")]
    if chosen.get("pairs"):
        items.append(("Queue x markets reaching it (chosen / risk-neutral plan)",
                      f"{chosen.get('pairs_meeting_confidence')} / {neutral.get('pairs_meeting_confidence')} "
                      f"of {chosen['pairs']}", "text"))
    items += [(f"Cost of the risk-neutral plan [{currency}]", neutral["cost"], "money"),
              (f"Cost of safety (chosen - risk-neutral) [{currency}]", chosen["cost"] - neutral["cost"], "money")]
    return items


def plan_dates(result) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(first interval start, end of the last interval) of the plan, UTC."""
    req = result.requirements
    if req is None or not len(req):
        return None, None
    minutes = int(req["interval_minutes"].iloc[0]) if "interval_minutes" in req else \
        result.operation.settings.interval_minutes
    ts = pd.to_datetime(req["timestamp"], utc=True)
    return ts.min(), ts.max() + pd.Timedelta(minutes=minutes)


def data_period(result) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(first history interval, end of the history) of the input volume, UTC."""
    vol = result.operation.volume
    if vol is None or not len(vol):
        return None, None
    return pd.Timestamp(vol["timestamp"].min()), result.operation.history_end


def lever_rows(result) -> pd.DataFrame:
    rows = []
    for i, lever in enumerate(result.levers or [], 1):
        describe = getattr(lever, "describe", None)
        rows.append({"order": i, "kind": getattr(lever, "kind", type(lever).__name__),
                     "description": describe() if callable(describe) else str(lever)})
    return pd.DataFrame(rows, columns=["order", "kind", "description"])


def settings_rows(result) -> pd.DataFrame:
    """Every planning setting and solver option: ``section, item, value, note``."""
    op = result.operation
    rows = []
    fields = type(op.settings).model_fields
    for name, value in op.settings.model_dump(mode="json").items():
        info = fields.get(name)
        rows.append({"section": "settings", "item": name, "value": value,
                     "note": (info.description if info else None) or ""})
    options = getattr(result.plan, "options", None)
    if options is not None and dataclasses.is_dataclass(options):
        for f in dataclasses.fields(options):
            rows.append({"section": "shift planner", "item": f.name, "value": getattr(options, f.name),
                         "note": "as used for this plan"})
    plan = result.plan
    for item, value, note in (("status", plan.status, "solver status"),
                              ("backend", getattr(plan, "backend", ""), "solver / method"),
                              ("gap", plan.gap, "relative gap to the best bound"),
                              ("solve_seconds", plan.seconds, "s")):
        rows.append({"section": "shift planner", "item": item, "value": value, "note": note})
    models = result.forecast["model"].value_counts() if result.forecast is not None and \
        "model" in result.forecast else pd.Series(dtype=int)
    for model, count in models.items():
        rows.append({"section": "forecast", "item": "model", "value": model,
                     "note": f"{count:,} intervals forecast with it"})
    rows.append({"section": "input", "item": "source", "value": op.source or "", "note": "where the inputs came from"})
    for lever in lever_rows(result).itertuples(index=False):
        rows.append({"section": "lever", "item": f"{lever.order}. {lever.kind}", "value": lever.description,
                     "note": "scenario lever, applied in this order"})
    for event in op.events:
        rows.append({"section": "event", "item": event.event,
                     "value": f"x{event.volume_multiplier:g} {event.queue}/{event.market}",
                     "note": f"{event.start:%Y-%m-%d %H:%M} to {event.end:%Y-%m-%d %H:%M} UTC"})
    return pd.DataFrame(rows, columns=["section", "item", "value", "note"])


def queue_rows(result) -> pd.DataFrame:
    return pd.DataFrame([q.model_dump(mode="json") for q in result.operation.queues.values()])


def site_rows(result, vendor: str | None = None) -> pd.DataFrame:
    rows = [s.model_dump(mode="json") for s in result.operation.sites.values()
            if vendor is None or s.vendor == vendor]
    return pd.DataFrame(rows)


def allocation_rows(result, vendor: str | None = None) -> pd.DataFrame:
    alloc = result.plan.allocation.copy()
    if vendor is not None:
        alloc = alloc[alloc["site"].isin(vendor_sites(result, vendor))]
    alloc["timestamp"] = _utc_naive(alloc["timestamp"]) if len(alloc) else alloc["timestamp"]
    return alloc.sort_values(["site", "timestamp", "queue", "market"], ignore_index=True)


def forecast_rows(result) -> pd.DataFrame:
    if result.forecast is None:  # e.g. a plan made from given requirements
        return pd.DataFrame(columns=["timestamp", "queue", "market", "model", "forecast"])
    fc = result.forecast.copy()
    fc["timestamp"] = _utc_naive(fc["timestamp"]) if len(fc) else fc["timestamp"]
    return fc.sort_values(["queue", "market", "timestamp"], ignore_index=True)


def requirement_rows(result) -> pd.DataFrame:
    req = result.requirements.copy()
    req["timestamp"] = _utc_naive(req["timestamp"]) if len(req) else req["timestamp"]
    return req.sort_values(["queue", "market", "timestamp"], ignore_index=True)
