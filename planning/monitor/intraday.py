"""Intraday re-forecast: what today's actuals so far say about the rest of the day and week.

For each queue x market, the day so far ran ``r = actual / forecast`` (manual incoming,
from the start of the UTC day up to ``now``).  The surprise is trusted in proportion to
how much volume it rests on (credibility weight ``w = F / (F + CREDIBILITY_ITEMS)``):

    factor_today = 1 + w (r - 1)                    (rest of today)
    factor_week  = 1 + WEEK_CARRY x (factor_today - 1)   (the following days of the horizon)

The re-forecast is the forecast times the factor (bands scaled alike).  Requirements of
both forecasts (:func:`planning.staffing.requirements.compute_requirements`; the re-forecast also
carries the backlog waiting at ``now`` in its first interval) give the productive
agents the change needs per pair and interval; they are split over sites by the plan's
allocation (or, without a plan, by each site's share of the staffed agents in the actuals,
else equally over certified sites) and turned into headcount with the site's shrinkage:
agents to add (> 0) or release (< 0) per site and interval.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.domain import Operation

CREDIBILITY_ITEMS = 50.0  # items of forecast so far at which the day's surprise counts half
WEEK_CARRY = 0.5  # share of today's surprise assumed to persist on the following days
BANDS = ("lo_80", "hi_80", "lo_95", "hi_95")


@dataclass
class IntradayResult:
    now: pd.Timestamp
    factors: pd.DataFrame  # queue, market, actual_so_far, forecast_so_far, ratio, weight, factor_today, factor_week
    reforecast: pd.DataFrame  # forecast contract frame + original, factor, part (today|week)
    pair_gap: pd.DataFrame  # timestamp, queue, market, required_before, required_after, gap_agents
    site_gap: pd.DataFrame  # timestamp, site, vendor, gap_agents, gap_headcount (+ add / - release)


def day_factors(forecast: pd.DataFrame, actual_pairs: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Per queue x market: the day so far (start of now's UTC day up to ``now``) vs forecast."""
    day = now.floor("D")
    keys = ["timestamp", "queue", "market"]
    a = actual_pairs[(actual_pairs["timestamp"] >= day) & (actual_pairs["timestamp"] < now)]
    f = forecast[(forecast["timestamp"] >= day) & (forecast["timestamp"] < now)]
    joined = f[keys + ["forecast"]].merge(a[keys + ["manual_incoming"]], on=keys, how="inner")
    g = joined.groupby(["queue", "market"])[["manual_incoming", "forecast"]].sum()
    out = pd.DataFrame({"actual_so_far": g["manual_incoming"], "forecast_so_far": g["forecast"]})
    out["ratio"] = out["actual_so_far"] / out["forecast_so_far"].where(out["forecast_so_far"] > 0)
    out["weight"] = out["forecast_so_far"] / (out["forecast_so_far"] + CREDIBILITY_ITEMS)
    out["factor_today"] = (1 + out["weight"] * (out["ratio"] - 1)).fillna(1.0).clip(lower=0.0)
    out["factor_week"] = 1 + WEEK_CARRY * (out["factor_today"] - 1)
    return out.reset_index()


def reforecast(forecast: pd.DataFrame, factors: pd.DataFrame, now: pd.Timestamp,
               until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The forecast from ``now`` to ``until`` (default: its end) scaled by the day's factors."""
    end_of_day = now.floor("D") + pd.Timedelta(days=1)
    f = forecast[forecast["timestamp"] >= now]
    if until is not None:
        f = f[f["timestamp"] < until]
    f = f.merge(factors[["queue", "market", "factor_today", "factor_week"]], on=["queue", "market"], how="left")
    today = (f["timestamp"] < end_of_day).to_numpy()
    factor = np.where(today, f["factor_today"].fillna(1.0), f["factor_week"].fillna(1.0))
    out = f.drop(columns=["factor_today", "factor_week"]).copy()
    out["original"] = out["forecast"]
    for col in ("forecast",) + tuple(c for c in BANDS if c in out):
        out[col] = out[col] * factor
    out["factor"] = factor
    out["part"] = np.where(today, "today", "week")
    return out.reset_index(drop=True)


def _with_backlog(new: pd.DataFrame, pairs: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Add the backlog waiting at ``now`` (last actual interval before it) to each pair's
    first re-forecast interval: work already in the queue must be worked too."""
    past = pairs[(pairs["timestamp"] < now) & pairs["backlog_items"].notna()]
    if past.empty:
        return new
    waiting = past.sort_values("timestamp").groupby(["queue", "market"])["backlog_items"].last()
    out = new.copy()
    first = out.groupby(["queue", "market"])["timestamp"].transform("min") == out["timestamp"]
    extra = pd.MultiIndex.from_frame(out[["queue", "market"]]).map(waiting.to_dict().get)
    extra = pd.Series(extra, index=out.index, dtype=float).fillna(0.0)
    out.loc[first, "forecast"] = out.loc[first, "forecast"] + extra[first]
    return out


def _site_shares(op: Operation, actuals: pd.DataFrame | None, allocation: pd.DataFrame | None) -> pd.DataFrame:
    """site, queue, market, share (summing to 1 per pair)."""
    if allocation is not None and len(allocation):
        w = allocation.groupby(["site", "queue", "market"])["agents"].sum()
    elif actuals is not None and (actuals["site"] != "").any() and actuals["staffed_agents"].notna().any():
        s = actuals[actuals["site"] != ""]
        w = s.groupby(["site", "queue", "market"])["staffed_agents"].sum()
    else:
        w = pd.Series(1.0, index=pd.MultiIndex.from_tuples(
            [(c.site, c.queue, c.market) for c in op.certifications], names=["site", "queue", "market"]))
    w = w.rename("weight").reset_index()
    w["share"] = w["weight"] / w.groupby(["queue", "market"])["weight"].transform("sum")
    return w[w["share"] > 0][["site", "queue", "market", "share"]]


def intraday(op: Operation, forecast: pd.DataFrame, actuals: pd.DataFrame, now: pd.Timestamp, *,
             until: pd.Timestamp | None = None, allocation: pd.DataFrame | None = None) -> IntradayResult:
    """Re-forecast from ``now`` (rest of the day, and the week up to ``until``) and the staffing gap.

    actuals : the monitor's actuals (pair rows have site ''); allocation : the plan's
    ``timestamp, site, queue, market, agents`` (optional).
    """
    from planning.staffing import compute_requirements

    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    pairs = actuals[actuals["site"] == ""]
    factors = day_factors(forecast, pairs, now)
    new = reforecast(forecast, factors, now, until)
    keys = ["timestamp", "queue", "market"]
    before = compute_requirements(op, new.assign(forecast=new["original"]))
    after = compute_requirements(op, _with_backlog(new, pairs, now))
    gap = before[keys + ["required_agents"]].rename(columns={"required_agents": "required_before"}).merge(
        after[keys + ["required_agents"]].rename(columns={"required_agents": "required_after"}), on=keys)
    gap["gap_agents"] = gap["required_after"] - gap["required_before"]
    shares = _site_shares(op, actuals, allocation)
    site = gap.merge(shares, on=["queue", "market"], how="inner")
    site["gap_agents"] = site["gap_agents"] * site["share"]
    shrink = {k: s.shrinkage for k, s in op.sites.items()}
    site["gap_headcount"] = site["gap_agents"] / (1 - site["site"].map(shrink))
    site_gap = site.groupby(["timestamp", "site"], as_index=False)[["gap_agents", "gap_headcount"]].sum()
    site_gap["vendor"] = site_gap["site"].map({k: s.vendor for k, s in op.sites.items()})
    return IntradayResult(now, factors, new, gap, site_gap[["timestamp", "site", "vendor", "gap_agents",
                                                             "gap_headcount"]])


def replan_from_now(op: Operation, forecast: pd.DataFrame, actuals: pd.DataFrame, now: pd.Timestamp, *,
                    until: pd.Timestamp | None = None, time_limit: float | None = None, progress=None):
    """Re-plan the rest of the horizon from ``now``, starting from the real backlog.

    The re-forecast of ``intraday`` (today's surprise carried forward) with the backlog
    waiting at ``now`` (``actuals.backlog_items``, the last interval before it) in each
    pair's first interval, planned in **backlog** mode (``PlanOptions.horizon_mode="backlog"``:
    the real backlog is the start, not last week's pattern; the waiting items are due
    within their deadline from ``now``, and everything arriving is done by the horizon's
    end) by the plan-and-check loop, so the re-plan is
    judged agent by agent like every plan.  Returns ``(plan, requirements)``."""
    from planning.shiftplan import PlanOptions, plan_and_check
    from planning.staffing import compute_requirements

    now = pd.Timestamp(now)
    now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    now = now.ceil(step)
    pairs = actuals[actuals["site"] == ""]
    new = reforecast(forecast, day_factors(forecast, pairs, now), now, until)
    new = new[new["timestamp"] >= now]
    if new.empty:
        raise ValueError(f"nothing to re-plan: the forecast ends before {now:%Y-%m-%d %H:%M} UTC")
    requirements = compute_requirements(op, _with_backlog(new, pairs, now))
    plan = plan_and_check(op, requirements, PlanOptions(time_limit_seconds=time_limit, horizon_mode="backlog"),
                          progress=progress)
    return plan, requirements
