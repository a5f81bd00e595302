"""Operations monitor: actuals against the forecast and the plan.

Three steps, each a pure function over tidy frames:

1. :func:`planning.monitor.loading.load_actuals` reads and validates the ``actuals`` table
   (schema in :mod:`planning.inputs.schema`) against an operation;
2. :func:`facts` joins actuals with the forecast (and the plan allocation when there is
   one) into two interval frames: per queue x market and per site x queue x market;
3. :func:`kpis` aggregates them by day or week and by total, queue, market, site or vendor
   (formulas in :data:`KPI_FORMULAS`); :mod:`planning.monitor.alerts` flags spikes, level
   shifts, AHT drift, under-staffing and backlog; :mod:`planning.monitor.intraday`
   re-forecasts the rest of a day.

:func:`run_monitor` chains them.  Nothing here needs a shift plan: without one, the
reference staffing of a site is its usual share of the agents the forecast workload
needs (see :func:`reference_agents`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.teams import unit_id
REFERENCE_OCCUPANCY = 0.85  # forecast workload -> agents when there is no plan (a rostering assumption)

KPI_FORMULAS = {
    "forecast": "sum of the forecast's manual incoming [items]",
    "volume_error": "manual_incoming - forecast [items]",
    "volume_bias": "(manual_incoming - forecast) / forecast (signed share)",
    "volume_wape": "sum |actual - forecast| over intervals / sum forecast (share)",
    "automation_rate": "1 - manual_incoming / total_incoming (share)",
    "solved_vs_incoming": "manual_solved / manual_incoming (share; < 1 means the backlog grew)",
    "backlog_end": "backlog_items at the last interval of the period [items]",
    "backlog_age_hours": "backlog_end / manual items solved per hour in the period (Little's law) [h]",
    "sla_attainment": "solved-weighted mean of within_sla_share (share)",
    "sla_target": "solved-weighted mean of the queues' SLA targets (share)",
    "sla_gap": "sla_attainment - sla_target (share points)",
    "aht_seconds": "handled seconds / manual_solved (site rows when present) [s]",
    "aht_plan_seconds": "planned AHT (queue, or the forecast's aht_seconds) weighted by solved items [s]",
    "aht_vs_plan": "aht_seconds / aht_plan_seconds - 1 (share)",
    "staffed_agent_hours": "sum staffed_agents x interval hours [agent h]",
    "planned_agent_hours": "plan allocation (or reference agents) x interval hours [agent h]",
    "staffed_vs_planned": "staffed_agent_hours / planned_agent_hours - 1 (share)",
    "occupancy": "handled hours / staffed agent hours (share)",
    "cost": "staffed agent hours / (1 - site shrinkage) x hourly cost x (1 + night premium at local night) [currency]",
    "cost_per_solved": "cost / manual_solved [currency per item]",
}


class ActualsError(ValueError):
    """The actuals cannot be read or used (message for a planner)."""


# ------------------------------------------------------------------ facts
def _plan_aht(op: Operation, forecast: pd.DataFrame | None) -> pd.Series:
    return pd.Series({k: float(q.aht_seconds) for k, q in op.queues.items()})


def pair_facts(op: Operation, actuals: pd.DataFrame, forecast: pd.DataFrame | None) -> pd.DataFrame:
    """Per interval x queue x market: actuals, forecast and bands, planned AHT, SLA target."""
    pairs = actuals[actuals["site"] == ""].drop(columns=["site", "team"], errors="ignore").copy()
    keys = ["timestamp", "queue", "market"]
    if forecast is not None and len(forecast):
        cols = [c for c in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "aht_seconds") if c in forecast]
        fc = forecast[keys + cols].drop_duplicates(keys).rename(columns={"aht_seconds": "aht_plan_seconds"})
        pairs = pairs.merge(fc, on=keys, how="left")
    else:
        for c in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
            pairs[c] = np.nan
    default_aht = pairs["queue"].map(_plan_aht(op, forecast))
    if "aht_plan_seconds" in pairs:
        pairs["aht_plan_seconds"] = pd.to_numeric(pairs["aht_plan_seconds"], errors="coerce").fillna(default_aht)
    else:
        pairs["aht_plan_seconds"] = default_aht
    pairs["aht_seconds"] = pairs["aht_seconds"].fillna(pairs["aht_plan_seconds"])
    pairs["sla_target"] = pairs["queue"].map({k: q.sla_target for k, q in op.queues.items()})
    pairs["deadline_hours"] = pairs["queue"].map(
        {k: (q.sla_within_hours if q.sla_within_hours else (q.sla_within_seconds or 0) / 3600.0)
         for k, q in op.queues.items()})
    pairs["total_incoming"] = pairs["total_incoming"].fillna(pairs["manual_incoming"])
    pairs["total_solved"] = pairs["total_solved"].fillna(pairs["manual_solved"])
    return pairs.sort_values(["queue", "market", "timestamp"]).reset_index(drop=True)


def reference_agents(op: Operation, pairs: pd.DataFrame) -> pd.Series:
    """Agents the forecast workload needs per pair row when there is no plan:
    forecast x planned AHT / (interval seconds x REFERENCE_OCCUPANCY) [productive agents]."""
    seconds = op.settings.interval_minutes * 60.0
    return pairs["forecast"] * pairs["aht_plan_seconds"] / (seconds * REFERENCE_OCCUPANCY)


def site_facts(op: Operation, actuals: pd.DataFrame, pairs: pd.DataFrame,
               allocation: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per interval x site (x team) x queue x market: solved, AHT, staffed and planned
    agents, cost.  ``team`` is '' on whole-site rows.

    planned_agents: the plan allocation's ``agents`` when a plan is given (a team row: its
    team's rows of the allocation; a whole-site row: all of the site's); otherwise the
    row's median share of the pair's staffed agents (the site's, or the team's, usual
    share) times :func:`reference_agents`.
    """
    keys = ["timestamp", "queue", "market"]
    sites = actuals[actuals["site"] != ""].copy()
    sites["team"] = sites["team"].fillna("").astype(str) if "team" in sites else ""
    if sites.empty:
        return pd.DataFrame(columns=keys + ["site", "team", "vendor", "manual_solved", "aht_seconds",
                                            "staffed_agents", "planned_agents", "aht_plan_seconds",
                                            "handled_seconds", "cost"])
    plan_aht = pairs[keys + ["aht_plan_seconds"]]
    sites = sites.merge(plan_aht, on=keys, how="left")
    sites["aht_plan_seconds"] = sites["aht_plan_seconds"].fillna(sites["queue"].map(_plan_aht(op, None)))
    sites["aht_seconds"] = sites["aht_seconds"].fillna(sites["aht_plan_seconds"])
    sites["handled_seconds"] = sites["manual_solved"] * sites["aht_seconds"]
    if allocation is not None and len(allocation):
        sites["planned_agents"] = _planned_from_allocation(sites, allocation)
    else:
        ref = pairs[keys].assign(reference=reference_agents(op, pairs).to_numpy())
        total = sites.groupby(keys)["staffed_agents"].transform("sum")
        share = (sites["staffed_agents"] / total.where(total > 0)).groupby(
            [sites["site"], sites["team"], sites["queue"], sites["market"]]).transform("median")
        sites = sites.merge(ref, on=keys, how="left")
        sites["planned_agents"] = share.to_numpy() * sites["reference"].to_numpy()
        sites = sites.drop(columns=["reference"])
    sites["vendor"] = sites["site"].map({k: s.vendor for k, s in op.sites.items()})
    sites["cost"] = _cost(op, sites)
    return sites.reset_index(drop=True)


def _planned_from_allocation(sites: pd.DataFrame, allocation: pd.DataFrame) -> np.ndarray:
    """Planned agents per site-fact row: whole-site rows get the site's allocation (all its
    teams), team rows their team's (0 where the plan gave that team nothing).  A team row
    of a site the plan did not plan by team (no ``team`` column, or only the site's
    implicit team, as plans made before the teams table) has no plan to compare with: NaN."""
    on = ["timestamp", "site", "queue", "market"]
    by_site = allocation.groupby(on)["agents"].sum().rename("by_site")
    out = sites[on + ["team"]].merge(by_site, left_on=on, right_index=True, how="left")
    planned = out["by_site"].fillna(0.0).to_numpy()
    team_rows = sites["team"].ne("").to_numpy()
    if not team_rows.any():
        return planned
    if "team" not in allocation:
        return np.where(team_rows, np.nan, planned)
    alloc = allocation.assign(team=allocation["team"].astype(str))
    by_team = alloc.groupby(on + ["team"])["agents"].sum().rename("by_team")
    team = out.merge(by_team, left_on=on + ["team"], right_index=True, how="left")["by_team"].fillna(0.0)
    planned_by_team = sites["site"].isin(set(alloc.loc[alloc["team"] != alloc["site"], "site"]))
    team = team.where(planned_by_team.to_numpy(), np.nan)
    return np.where(team_rows, team.to_numpy(), planned)


def _cost(op: Operation, sites: pd.DataFrame) -> np.ndarray:
    """Paid cost of the staffed agents: productive hours / (1 - shrinkage) x hourly cost
    (a team row: the team's, which default to the site's), with the site's night premium
    for intervals starting in its local night."""
    hours = op.settings.interval_minutes / 60.0
    teams = {(t.site, t.team): t for t in op.teams}
    cost = np.zeros(len(sites))
    for (site, team), rows in sites.groupby(["site", "team"]):
        s, t = op.sites[site], teams.get((site, team))
        hourly = s.hourly_cost if t is None or t.hourly_cost is None else t.hourly_cost
        shrinkage = s.shrinkage if t is None or t.shrinkage is None else t.shrinkage
        local = rows["timestamp"].dt.tz_convert(s.timezone)
        minute = (local.dt.hour * 60 + local.dt.minute).to_numpy()
        start, end = s.night_start.hour * 60 + s.night_start.minute, s.night_end.hour * 60 + s.night_end.minute
        night = (minute >= start) | (minute < end) if start > end else (minute >= start) & (minute < end)
        rate = hourly * (1 + np.where(night, s.night_premium, 0.0))
        paid = rows["staffed_agents"].fillna(0.0).to_numpy() * hours / (1 - shrinkage)
        cost[rows.index.to_numpy()] = paid * rate
    return cost


# ------------------------------------------------------------------ KPIs
LEVELS = ("total", "queue", "market", "site", "team", "vendor")


def _period(ts: pd.Series, period: str) -> pd.Series:
    day = ts.dt.floor("D")
    if period == "day":
        return day
    if period == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")  # weeks start on Monday (UTC)
    raise ValueError("period must be 'day' or 'week'")


def kpis(op: Operation, pairs: pd.DataFrame, sites: pd.DataFrame, period: str = "day",
         levels: tuple[str, ...] = LEVELS) -> pd.DataFrame:
    """KPI rows: ``period, period_start, level, key`` + the columns of :data:`KPI_FORMULAS`.

    Volume, backlog and SLA KPIs exist for total/queue/market; AHT, staffing, occupancy
    and cost for every level (from site rows when the actuals have them).  The team level
    covers the team rows only, keyed by the planning unit id ``<site>/<team>``
    (``planning.teams.unit_id``); it is left out when no site reports by team.
    """
    hours = op.settings.interval_minutes / 60.0
    p = pairs.assign(period_start=_period(pairs["timestamp"], period), total="all")
    p["abs_error"] = (p["manual_incoming"] - p["forecast"]).abs()
    p["weighted_sla"] = p["within_sla_share"] * p["manual_solved"]
    p["weighted_target"] = p["sla_target"] * p["manual_solved"]
    has_sites = len(sites) > 0
    has_teams = has_sites and "team" in sites and bool(sites["team"].ne("").any())
    if has_sites:
        s = sites.assign(period_start=_period(sites["timestamp"], period), total="all")
        if has_teams:
            s["unit"] = [unit_id(site, team) if team else "" for site, team in zip(s["site"], s["team"])]
    else:  # AHT from the pair rows; no staffing by site
        s = p.assign(site="", vendor="", handled_seconds=p["manual_solved"] * p["aht_seconds"],
                     planned_agents=np.nan, cost=np.nan)
    s["plan_seconds"] = s["manual_solved"] * s["aht_plan_seconds"]
    s["staffed_hours"] = s["staffed_agents"] * hours
    s["planned_hours"] = s["planned_agents"] * hours
    rows = []
    for level in levels:
        key = {"total": "total", "team": "unit"}.get(level, level)
        if (level in ("site", "vendor") and not has_sites) or (level == "team" and not has_teams):
            continue
        g = (s[s["unit"] != ""] if level == "team" else s).groupby(["period_start", key])
        site_part = pd.DataFrame({
            "manual_solved_sites": g["manual_solved"].sum(), "handled_seconds": g["handled_seconds"].sum(),
            "plan_seconds": g["plan_seconds"].sum(), "staffed_agent_hours": g["staffed_hours"].sum(min_count=1),
            "planned_agent_hours": g["planned_hours"].sum(min_count=1), "cost": g["cost"].sum(min_count=1)})
        if level in ("total", "queue", "market"):
            last = p.sort_values("timestamp").groupby(["period_start", key, "queue", "market"]).tail(1)
            g = p.groupby(["period_start", key])
            pair_part = pd.DataFrame({
                "total_incoming": g["total_incoming"].sum(), "manual_incoming": g["manual_incoming"].sum(),
                "forecast": g["forecast"].sum(min_count=1), "abs_error": g["abs_error"].sum(min_count=1),
                "total_solved": g["total_solved"].sum(), "manual_solved": g["manual_solved"].sum(),
                "weighted_sla": g["weighted_sla"].sum(min_count=1), "weighted_target": g["weighted_target"].sum(),
                "backlog_end": last.groupby(["period_start", key])["backlog_items"].sum(min_count=1),
                "interval_hours": g["timestamp"].nunique() * hours})
            part = pair_part.join(site_part, how="left")
        else:
            part = site_part.rename(columns={"manual_solved_sites": "manual_solved"})
        part = part.reset_index().rename(columns={key: "key"})
        part.insert(1, "level", level)
        rows.append(part)
    frame = pd.concat(rows, ignore_index=True)
    return _derive(frame, period)


def _div(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


def _derive(f: pd.DataFrame, period: str) -> pd.DataFrame:
    for col in ("total_incoming", "manual_incoming", "forecast", "abs_error", "total_solved", "weighted_sla",
                "weighted_target", "backlog_end", "interval_hours", "manual_solved_sites"):
        if col not in f:
            f[col] = np.nan
    solved = f["manual_solved_sites"].fillna(f["manual_solved"])
    out = pd.DataFrame({"period": period, "period_start": f["period_start"], "level": f["level"], "key": f["key"]})
    out["total_incoming"] = f["total_incoming"]
    out["manual_incoming"] = f["manual_incoming"]
    out["forecast"] = f["forecast"]
    out["volume_error"] = f["manual_incoming"] - f["forecast"]
    out["volume_bias"] = _div(out["volume_error"], f["forecast"])
    out["volume_wape"] = _div(f["abs_error"], f["forecast"])
    out["automation_rate"] = 1 - _div(f["manual_incoming"], f["total_incoming"])
    out["total_solved"] = f["total_solved"]
    out["manual_solved"] = f["manual_solved"]
    out["solved_vs_incoming"] = _div(f["manual_solved"], f["manual_incoming"])
    out["backlog_end"] = f["backlog_end"]
    out["backlog_age_hours"] = _div(f["backlog_end"], _div(f["manual_solved"], f["interval_hours"]))
    out["sla_attainment"] = _div(f["weighted_sla"], f["manual_solved"])
    out["sla_target"] = _div(f["weighted_target"], f["manual_solved"])
    out["sla_gap"] = out["sla_attainment"] - out["sla_target"]
    out["aht_seconds"] = _div(f["handled_seconds"], solved)
    out["aht_plan_seconds"] = _div(f["plan_seconds"], solved)
    out["aht_vs_plan"] = _div(f["handled_seconds"], f["plan_seconds"]) - 1
    out["staffed_agent_hours"] = f["staffed_agent_hours"]
    out["planned_agent_hours"] = f["planned_agent_hours"]
    out["staffed_vs_planned"] = _div(f["staffed_agent_hours"], f["planned_agent_hours"]) - 1
    out["occupancy"] = _div(f["handled_seconds"] / 3600.0, f["staffed_agent_hours"])
    out["cost"] = f["cost"]
    out["cost_per_solved"] = _div(f["cost"], solved)
    return out.sort_values(["level", "key", "period_start"], key=lambda c: c.map(
        {lv: i for i, lv in enumerate(LEVELS)}) if c.name == "level" else c).reset_index(drop=True)


# ------------------------------------------------------------------ the whole monitor
@dataclass
class MonitorResult:
    pairs: pd.DataFrame  # pair facts
    sites: pd.DataFrame  # site facts
    kpis: pd.DataFrame  # day and week rows
    alerts: pd.DataFrame  # see planning.monitor.alerts.ALERT_COLUMNS
    breakdowns: dict = field(default_factory=dict)  # alert id -> root-cause frame
    seconds: float = 0.0
    has_plan: bool = False


def run_monitor(op: Operation, actuals: pd.DataFrame, forecast: pd.DataFrame | None,
                allocation: pd.DataFrame | None = None) -> MonitorResult:
    """KPIs by day and week, and alerts with root causes.

    allocation : the plan's ``timestamp, site, queue, market, agents`` (optional).
    """
    from planning.monitor.alerts import find_alerts

    t0 = time.perf_counter()
    if actuals is None or actuals.empty:
        raise ActualsError("the actuals are empty")
    pairs = pair_facts(op, actuals, forecast)
    sites = site_facts(op, actuals, pairs, allocation)
    table = pd.concat([kpis(op, pairs, sites, "day"), kpis(op, pairs, sites, "week")], ignore_index=True)
    alerts, breakdowns = find_alerts(op, pairs, sites, allocation is not None)
    return MonitorResult(pairs, sites, table, alerts, breakdowns, time.perf_counter() - t0,
                         allocation is not None)


def open_alerts(result: MonitorResult, within_hours: float = 24.0) -> pd.DataFrame:
    """Alerts still open: ending within ``within_hours`` of the last actual interval
    (for the Overview page's list of open alerts)."""
    if result.alerts.empty:
        return result.alerts
    stamps = result.pairs["timestamp"].drop_duplicates().sort_values()
    step = stamps.diff().min() if len(stamps) > 1 else pd.Timedelta(0)
    last = stamps.iloc[-1] + step  # end of the last actual interval
    return result.alerts[result.alerts["end"] >= last - pd.Timedelta(hours=within_hours)].reset_index(drop=True)
