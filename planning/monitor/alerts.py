"""Alerts: spikes, level shifts, AHT drift, under-staffing and backlog, each with a root cause.

Rules (thresholds are the named constants below):

* **volume spike** - a run of at least ``SPIKE_MIN_INTERVALS`` consecutive intervals of a
  queue x market above the forecast's 95% band (or below it), whose excess is at least
  ``SPIKE_MIN_SHARE`` of the forecast over the run;
* **volume level shift** - a two-sided tabular CUSUM (Page, 1954; Montgomery, *Statistical
  Quality Control*, ch. 9) over daily standardised errors
  ``z = (actual - forecast) / sigma_day`` with ``sigma_day^2 = sum(sigma_i^2) +
  (DAILY_LEVEL_SD x forecast_day)^2`` (``sigma_i`` from the interval's 95% band); spike
  intervals count at their forecast so one spike is not also a shift; alarm when the
  cumulative sum exceeds ``CUSUM_H`` with allowance ``CUSUM_K``;
* **AHT drift** - the same CUSUM over a site's daily AHT ratio ``handled / planned seconds``
  with ``AHT_DAILY_SD``; at least one day must be off by ``AHT_MIN_SHIFT``;
* **staffing** - a site's staffed agents over the reference (plan allocation, or without a
  plan the forecast workload, normalised by the site's median ratio) on a centred
  ``STAFF_WINDOW``-interval rolling sum, below ``1 - STAFF_SHORT`` for at least
  ``STAFF_MIN_INTERVALS`` intervals; a site that reports by team is judged team by team
  (its team rows against the team's plan), with the same thresholds;
* **backlog** - a queue x market whose measured SLA attainment is under target by more
  than ``SLA_NOISE_Z`` binomial standard errors (few items at night are noisy), or whose
  backlog age (backlog / solve rate) exceeds its deadline (deferred queues), for
  ``BACKLOG_MIN_INTERVALS`` intervals in a row.

Root cause: every alert carries a breakdown (which queue x market, site or vendor
contributes most); backlog alerts split the extra workload hours into volume (items above
forecast x planned AHT), AHT (handled minus planned seconds) and staffing (missing agent
hours x occupancy), and name the largest - or ``unknown`` when it explains less than
``MIN_CAUSE_SHARE`` of the peak backlog's work (e.g. actuals without a forecast).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.teams import team_index, unit_id

SPIKE_MIN_INTERVALS = 4
SPIKE_MIN_SHARE = 0.20
SPIKE_MIN_Z = 3.0  # and the excess must be >= this many Poisson sd (sqrt of the forecast sum)
DAILY_LEVEL_SD = 0.06  # day-level forecast error beyond the interval noise (share of the day)
CUSUM_K = 0.5  # allowance [sd]
CUSUM_H = 4.0  # decision interval [sd]
AHT_DAILY_SD = 0.03  # day-to-day sd of a site's AHT ratio in normal operation (share)
AHT_MIN_SHIFT = 0.05
STAFF_WINDOW = 4
STAFF_SHORT = 0.25
STAFF_MIN_INTERVALS = 4
BACKLOG_MIN_INTERVALS = 4
MIN_CAUSE_SHARE = 0.1  # a cause must explain >= this share of the peak backlog's work, else 'unknown'
SLA_NOISE_Z = 2.0  # measured attainment counts as missed below target - z binomial standard errors
BACKLOG_LOOKBACK_HOURS = (2.0, 24.0)  # root-cause window: at least the deadline, clipped to this
BACKLOG_LOOKBACK_DAYS = 7  # ... and back to where the backlog started building, at most this
Z95 = 1.959964

ALERT_COLUMNS = ["id", "start", "end", "queue", "market", "site", "team", "vendor", "kind", "signal", "size",
                 "amount", "unit", "cause", "message"]  # team: '*' unless the alert is one team's


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last+1) of each run of True."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.diff(m.astype(int))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def cusum(z: np.ndarray, k: float = CUSUM_K, h: float = CUSUM_H) -> list[tuple[int, int, int]]:
    """Two-sided tabular CUSUM: (start, end+1, sign) of each alarm episode.

    An episode starts where the sum last left zero before crossing ``h`` and ends where it
    returns to zero (or at the end of the data).
    """
    episodes = []
    for sign in (1, -1):
        s, start, alarmed = 0.0, 0, False
        for i, value in enumerate(sign * np.nan_to_num(np.asarray(z, dtype=float))):
            if s == 0.0:
                start = i
            s = max(0.0, s + value - k)
            if s > h:
                alarmed = True
            if s == 0.0 and alarmed:
                episodes.append((start, i, sign))
                alarmed = False
        if alarmed:
            episodes.append((start, len(z), sign))
    return episodes


def _sigma(pairs: pd.DataFrame) -> pd.Series:
    return ((pairs["hi_95"] - pairs["lo_95"]) / (2 * Z95)).clip(lower=0).fillna(0.0)


# ------------------------------------------------------------------ volume
def volume_alerts(op: Operation, pairs: pd.DataFrame) -> list[dict]:
    out = []
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    for (queue, market), g in pairs.groupby(["queue", "market"], sort=True):
        g = g[g["forecast"].notna()]
        if g.empty:
            continue
        a, f = g["manual_incoming"].to_numpy(), g["forecast"].to_numpy()
        ts = g["timestamp"].reset_index(drop=True)
        spiked = np.zeros(len(g), dtype=bool)
        for sign, outside in ((1, a > g["hi_95"].to_numpy()), (-1, a < g["lo_95"].to_numpy())):
            for i, j in runs(outside):
                excess = (a[i:j] - f[i:j]).sum()
                expected = f[i:j].sum()
                if (j - i >= SPIKE_MIN_INTERVALS and sign * excess >= SPIKE_MIN_SHARE * expected
                        and sign * excess >= SPIKE_MIN_Z * np.sqrt(expected)):
                    spiked[i:j] = True
                    out.append(_volume_alert(queue, market, ts[i], ts[j - 1] + step, "spike", excess, f[i:j].sum()))
        cleaned = np.where(spiked, f, a)
        day = ts.dt.floor("D").to_numpy()
        frame = pd.DataFrame({"day": day, "a": cleaned, "f": f, "v": _sigma(g).to_numpy() ** 2})
        daily = frame.groupby("day").sum()
        sd = np.sqrt(daily["v"] + (DAILY_LEVEL_SD * daily["f"]) ** 2)
        z = ((daily["a"] - daily["f"]) / sd.where(sd > 0)).to_numpy()
        days = daily.index
        for i, j, sign in cusum(z):
            excess = (daily["a"].iloc[i:j] - daily["f"].iloc[i:j]).sum()
            out.append(_volume_alert(queue, market, pd.Timestamp(days[i]), pd.Timestamp(days[j - 1]) + pd.Timedelta(days=1),
                                     "level_shift", excess, daily["f"].iloc[i:j].sum()))
    return out


def _volume_alert(queue, market, start, end, signal, excess, forecast) -> dict:
    size = excess / forecast if forecast > 0 else np.nan
    word = "spike" if signal == "spike" else "level shift"
    return {"start": start, "end": end, "queue": queue, "market": market, "site": "*", "vendor": "*",
            "kind": "volume", "signal": signal, "size": size, "amount": excess, "unit": "items",
            "cause": "volume",
            "message": f"{queue} x {market}: volume {word} {size:+.0%} vs forecast ({excess:+,.0f} items)",
            "_breakdown": pd.DataFrame({"dimension": ["queue x market"], "key": [f"{queue} x {market}"],
                                        "contribution": [excess], "unit": ["items"], "share": [1.0]})}


# ------------------------------------------------------------------ AHT
def aht_alerts(op: Operation, pairs: pd.DataFrame, sites: pd.DataFrame) -> list[dict]:
    if len(sites):
        frame, by = sites, "site"
    else:
        frame = pairs.assign(site="*", handled_seconds=pairs["manual_solved"] * pairs["aht_seconds"])
        by = "site"
    frame = frame.assign(plan_seconds=frame["manual_solved"] * frame["aht_plan_seconds"],
                         day=frame["timestamp"].dt.floor("D"))
    out = []
    for site, g in frame.groupby(by, sort=True):
        daily = g.groupby("day")[["handled_seconds", "plan_seconds"]].sum()
        ratio = daily["handled_seconds"] / daily["plan_seconds"].where(daily["plan_seconds"] > 0)
        z = ((ratio - 1) / AHT_DAILY_SD).to_numpy()
        for i, j, sign in cusum(z):
            if not (np.abs(ratio.iloc[i:j] - 1) >= AHT_MIN_SHIFT).any():
                continue
            start, end = daily.index[i], daily.index[j - 1] + pd.Timedelta(days=1)
            part = g[(g["day"] >= start) & (g["day"] < end)]
            extra = (part["handled_seconds"] - part["plan_seconds"]).groupby(
                [part["queue"], part["market"]]).sum() / 3600.0
            size = part["handled_seconds"].sum() / part["plan_seconds"].sum() - 1
            breakdown = _breakdown("queue x market", extra, "handled hours above plan")
            queue, market = _top_pair(breakdown)
            out.append({"start": start, "end": end, "queue": queue, "market": market, "site": site,
                        "vendor": _vendor(op, site), "kind": "aht", "signal": "drift", "size": size,
                        "amount": float(extra.sum()), "unit": "agent hours", "cause": "aht",
                        "message": f"{site}: AHT {size:+.0%} vs plan ({extra.sum():+,.0f} handled hours)",
                        "_breakdown": breakdown})
    return out


# ------------------------------------------------------------------ staffing
def staffing_alerts(op: Operation, sites: pd.DataFrame, has_plan: bool) -> list[dict]:
    """Under-staffing per site, or per team where the site's rows name one (team rows and
    whole-site rows of a site are judged apart: the loader forbids both for one interval
    x pair, so neither counts the other's agents)."""
    if sites.empty or sites["staffed_agents"].isna().all():
        return []
    hours = op.settings.interval_minutes / 60.0
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    teams = team_index(op)
    if "team" not in sites:
        sites = sites.assign(team="")
    out = []
    for (site, team), g in sites.groupby(["site", "team"], sort=True):
        who = teams.label(unit_id(site, team)) if team else site
        t = g.groupby("timestamp")[["staffed_agents", "planned_agents"]].sum().sort_index()
        roll = t.rolling(STAFF_WINDOW, center=True, min_periods=1).sum()
        ratio = roll["staffed_agents"] / roll["planned_agents"].where(roll["planned_agents"] > 0)
        norm = 1.0 if has_plan else float(ratio.median())
        if not np.isfinite(norm) or norm <= 0:
            continue
        rel = (ratio / norm).to_numpy()
        for i, j in runs(rel < 1 - STAFF_SHORT):
            if j - i < STAFF_MIN_INTERVALS:
                continue
            start, end = t.index[i], t.index[j - 1] + step
            part = g[(g["timestamp"] >= start) & (g["timestamp"] < end)]
            short = ((part["planned_agents"] * norm - part["staffed_agents"]) * hours).groupby(
                [part["queue"], part["market"]]).sum()
            size = part["staffed_agents"].sum() / (part["planned_agents"].sum() * norm) - 1
            breakdown = _breakdown("queue x market", short, "agent hours short")
            queue, market = _top_pair(breakdown)
            out.append({"start": start, "end": end, "queue": queue, "market": market, "site": site,
                        "team": team or "*", "vendor": _vendor(op, site), "kind": "staffing", "signal": "short",
                        "size": size, "amount": float(short.sum()), "unit": "agent hours", "cause": "staffing",
                        "message": f"{who} ({_vendor(op, site)}): staffed {size:+.0%} vs "
                                   f"{'plan' if has_plan else 'usual'} ({short.sum():,.0f} agent hours short)",
                        "_breakdown": breakdown})
    return out


# ------------------------------------------------------------------ backlog
def backlog_alerts(op: Operation, pairs: pd.DataFrame, sites: pd.DataFrame, has_plan: bool) -> list[dict]:
    hours = op.settings.interval_minutes / 60.0
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    norms = {}
    if len(sites) and not has_plan:
        t = sites.groupby(["site", "timestamp"])[["staffed_agents", "planned_agents"]].sum()
        r = (t["staffed_agents"] / t["planned_agents"].where(t["planned_agents"] > 0)).groupby(level="site").median()
        norms = r.to_dict()
    out = []
    for (queue, market), g in pairs.groupby(["queue", "market"], sort=True):
        g = g.reset_index(drop=True)
        rate = g["manual_solved"].rolling(STAFF_WINDOW, min_periods=1).mean() / hours  # items per hour
        age = g["backlog_items"] / rate.where(rate > 0)
        deadline = float(g["deadline_hours"].iloc[0])
        target = g["sla_target"]
        noise = SLA_NOISE_Z * np.sqrt(target * (1 - target) / g["manual_solved"].clip(lower=1))
        late = g["within_sla_share"] < target - noise
        if op.queues[queue].sla_kind.value == "deferred":  # live queues: the measured SLA only
            late |= age > deadline
        for i, j in runs(late.fillna(False).to_numpy()):
            if j - i < BACKLOG_MIN_INTERVALS:
                continue
            start, end = g["timestamp"].iloc[i], g["timestamp"].iloc[j - 1] + step
            parts = _backlog_causes(g, sites, queue, market, _build_start(g, i, rate * hours, deadline), end,
                                    hours, norms)
            best = parts.iloc[0]
            backlog_hours = float((g["backlog_items"].iloc[i:j] * g["aht_plan_seconds"].iloc[i:j]).max()) / 3600.0
            if best["contribution"] < MIN_CAUSE_SHARE * backlog_hours:  # nothing in the data explains it
                best = {"cause": "unknown", "dimension": "", "key": ""}
            site = best["key"] if best["dimension"] == "site" else "*"
            cause = best["cause"]
            attainment = float(g["within_sla_share"].iloc[i:j].min())
            out.append({"start": start, "end": end, "queue": queue, "market": market, "site": site,
                        "vendor": _vendor(op, site), "kind": "backlog", "signal": "sla_risk",
                        "size": float(g["backlog_items"].iloc[i:j].max()), "amount": attainment,
                        "unit": "items (size), lowest SLA attainment (amount)", "cause": cause,
                        "message": f"{queue} x {market}: backlog up to {g['backlog_items'].iloc[i:j].max():,.0f} items, "
                                   f"SLA attainment down to {attainment:.0%}; main cause {cause}"
                                   + (f" at {site}" if site != "*" else ""),
                        "_breakdown": parts})
    return out


def _build_start(g: pd.DataFrame, i: int, per_interval: pd.Series, deadline: float) -> pd.Timestamp:
    """Where the backlog behind an alert started building: the last interval before ``i``
    with less than one interval of work waiting, at most BACKLOG_LOOKBACK_DAYS back;
    at least the queue's deadline (clipped to BACKLOG_LOOKBACK_HOURS) before the alert."""
    small = (g["backlog_items"] <= per_interval).to_numpy()[:i]
    earlier = np.flatnonzero(small)
    start = g["timestamp"].iloc[earlier[-1]] if len(earlier) else g["timestamp"].iloc[0]
    floor = g["timestamp"].iloc[i] - pd.Timedelta(days=BACKLOG_LOOKBACK_DAYS)
    look = g["timestamp"].iloc[i] - pd.Timedelta(hours=float(np.clip(deadline, *BACKLOG_LOOKBACK_HOURS)))
    return max(min(start, look), floor)


def _backlog_causes(g, sites, queue, market, start, end, hours, norms) -> pd.DataFrame:
    """Extra workload hours by cause (volume / aht / staffing) and site, largest first."""
    window = g[(g["timestamp"] >= start) & (g["timestamp"] < end)]
    volume = float(((window["manual_incoming"] - window["forecast"]).clip(lower=0)
                    * window["aht_plan_seconds"]).sum() / 3600.0) if window["forecast"].notna().any() else 0.0
    rows = [{"cause": "volume", "dimension": "queue x market", "key": f"{queue} x {market}", "contribution": volume}]
    if len(sites):
        s = sites[(sites["queue"] == queue) & (sites["market"] == market)
                  & (sites["timestamp"] >= start) & (sites["timestamp"] < end)]
        for site, part in s.groupby("site"):
            aht = float((part["handled_seconds"] - part["manual_solved"] * part["aht_plan_seconds"]).sum() / 3600.0)
            norm = norms.get(site, 1.0) or 1.0
            missing = ((part["planned_agents"] * norm - part["staffed_agents"]).clip(lower=0) * hours).sum()
            rows.append({"cause": "aht", "dimension": "site", "key": site, "contribution": max(aht, 0.0)})
            rows.append({"cause": "staffing", "dimension": "site", "key": site, "contribution": float(missing)})
    parts = pd.DataFrame(rows)
    parts["unit"] = "workload hours"
    total = parts["contribution"].sum()
    parts["share"] = parts["contribution"] / total if total > 0 else 0.0
    return parts.sort_values("contribution", ascending=False, kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ helpers
def _breakdown(dimension: str, values: pd.Series, unit: str) -> pd.DataFrame:
    values = values.sort_values(ascending=False, key=np.abs)
    total = values.abs().sum()
    keys = [" x ".join(k) if isinstance(k, tuple) else str(k) for k in values.index]
    return pd.DataFrame({"dimension": dimension, "key": keys, "contribution": values.to_numpy(),
                         "unit": unit, "share": values.abs().to_numpy() / total if total > 0 else 0.0})


TOP_SHARE = 0.5  # an alert names one queue x market only when it carries at least this share


def _top_pair(breakdown: pd.DataFrame) -> tuple[str, str]:
    if breakdown.empty or breakdown["share"].iloc[0] < TOP_SHARE:
        return "*", "*"
    queue, market = breakdown["key"].iloc[0].split(" x ")
    return queue, market


def _vendor(op: Operation, site: str) -> str:
    return op.sites[site].vendor if site in op.sites else "*"


def find_alerts(op: Operation, pairs: pd.DataFrame, sites: pd.DataFrame,
                has_plan: bool = False) -> tuple[pd.DataFrame, dict]:
    """All alerts (``ALERT_COLUMNS``, sorted by start) and their root-cause breakdowns by id."""
    found = (volume_alerts(op, pairs) + aht_alerts(op, pairs, sites) + staffing_alerts(op, sites, has_plan)
             + backlog_alerts(op, pairs, sites, has_plan))
    for alert in found:
        alert.setdefault("team", "*")
    found.sort(key=lambda a: (a["start"], a["kind"], a["queue"], a["market"], a["site"], a["team"]))
    breakdowns = {}
    for n, alert in enumerate(found, start=1):
        alert["id"] = n
        breakdowns[n] = alert.pop("_breakdown")
    return pd.DataFrame(found, columns=ALERT_COLUMNS), breakdowns
