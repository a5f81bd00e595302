"""Why a plan cannot meet demand, in plain words.

* ``precheck(op, requirements)`` before solving: per queue x market, the intervals where
  the requirement exceeds what every certified site could give even if it did nothing
  else (max headcount x (1 - shrinkage), wellness share on severe queues, outages), and
  the hours no certified site has a shift for.
* ``explain(op, requirements, plan)`` after solving: each run of unmet demand per pair
  and time window with the cheapest action that would fix it and its price, computed
  from the model (``planning.shiftplan.remedy``: shift templates, costs, caps,
  certifications), e.g. "NA-EN spam is short 3 agents 22:00-23:30 UTC on Sun 08 Mar:
  cheapest fix: add 3 agents to DUB-B's late shift (16:00-00:00 local) on Sun 08 Mar:
  +USD 720; the planner left it short because that costs more than the USD 410 it charges
  for the shortfall (priority 4)", or why nothing can ("no certified team has room:
  MNL-A JA team is at its cap of 40").

Teams (``planning.teams``): both reason per team (its cap, shifts, wellness share and
certifications) and name it ("MNL-A JA team is at its cap of 40"); a site's own cap over
the sum of its teams is named as the site's.  Without teams, a site is its own team.

Both return a frame ``queue, market, start, end, peak_agents, agent_hours, message``.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from planning.domain import Operation, SlaKind
from planning.inputs import shift_utc_coverage
from planning.shiftplan.remedy import Remedies
from planning.teams import unit_operation

COLUMNS = ["queue", "market", "start", "end", "peak_agents", "agent_hours", "message"]
MIN_SHORT_AGENTS = 0.05  # ignore solver round-off below this


def _runs(mask: np.ndarray):
    """(first, last) index pairs of consecutive True runs."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return list(zip(starts, ends))


def _window(times, a, b, step) -> str:
    start, end = times[a], times[b] + step
    same_day = start.date() == (end - pd.Timedelta(seconds=1)).date()
    if same_day:
        return f"{start:%H:%M}-{end:%H:%M} UTC on {start:%a %d %b}"
    return f"{start:%a %d %b %H:%M} - {end:%a %d %b %H:%M} UTC"


def _grid(requirements):
    minutes = int(requirements["interval_minutes"].iloc[0])
    ts = pd.DatetimeIndex(requirements["timestamp"]).tz_convert("UTC")
    return pd.date_range(ts.min(), ts.max(), freq=f"{minutes}min"), minutes


def _site_on_shift(op: Operation, times, minutes) -> dict[str, np.ndarray]:
    """Share of each interval some shift template of the site could cover (0-1)."""
    pos = {t: i for i, t in enumerate(times)}
    out = defaultdict(lambda: np.zeros(len(times)))
    for template in op.shifts:
        site = op.sites.get(template.site)
        if site is None:
            continue
        d0 = times[0].tz_convert(site.timezone).date() - pd.Timedelta(days=1)
        d1 = times[-1].tz_convert(site.timezone).date()
        for day in pd.date_range(d0, d1, freq="D"):
            for start, covered in shift_utc_coverage(day.date(), template.start, template.paid_hours,
                                                     site.timezone, minutes):
                i = pos.get(start)
                if i is not None:
                    out[site.site][i] = max(out[site.site][i], covered / minutes)
    return out


def _caps(op: Operation, times, minutes) -> dict[str, np.ndarray]:
    """Most productive agents each site could give per interval."""
    step = pd.Timedelta(minutes=minutes)
    out = {}
    for name, site in op.sites.items():
        heads = np.full(len(times), float(site.max_headcount))
        keep = np.full(len(times), 1.0 - site.shrinkage)
        adj = op.site_adjustments
        if adj is not None and len(adj):
            for row in adj[adj["site"] == name].to_dict("records"):
                inside = np.asarray((times + step > pd.Timestamp(row["start"])) & (times < pd.Timestamp(row["end"])))
                if row.get("max_headcount") is not None and not pd.isna(row.get("max_headcount")):
                    heads[inside] = np.minimum(heads[inside], float(row["max_headcount"]))
                if row.get("shrinkage") is not None and not pd.isna(row.get("shrinkage")):
                    keep[inside] = 1.0 - float(row["shrinkage"])
        out[name] = heads * keep
    return out


def _pair_arrays(requirements, times):
    pos = {t: i for i, t in enumerate(times)}
    out = {}
    for (q, m), g in requirements.groupby(["queue", "market"]):
        r = np.zeros(len(times))
        r[[pos[pd.Timestamp(t)] for t in g["timestamp"]]] = g["required_agents"].to_numpy(float)
        out[(q, m)] = r
    return out


def precheck(op: Operation, requirements: pd.DataFrame) -> pd.DataFrame:
    """Capacity problems visible before solving, per queue x market x interval run."""
    if not len(requirements):
        return pd.DataFrame(columns=COLUMNS)
    times, minutes = _grid(requirements)
    step, hours = pd.Timedelta(minutes=minutes), minutes / 60.0
    op, index = unit_operation(op)  # one "site" per team
    on_shift, caps = _site_on_shift(op, times, minutes), _caps(op, times, minutes)
    wellness = op.settings.wellness_severe_share_max
    rows = []
    for (q, m), required in _pair_arrays(requirements, times).items():
        queue = op.queues[q]
        units = op.certified_sites(q, m)
        sites = [index.label(u) for u in units]
        label = f"{m} {q}"
        if not sites:
            if required.sum() > 0:
                rows.append((q, m, times[0], times[-1] + step, required.max(), required.sum() * hours,
                             f"{label} has demand but no site is certified for it"))
            continue
        share = wellness if queue.severe else 1.0
        capacity = sum(caps[s] * on_shift[s] * share for s in units)
        if queue.sla_kind is SlaKind.deferred:
            # backlog work can wait up to the deadline: compare day totals
            day = times.floor("D")
            short = pd.Series(required - capacity, index=times).groupby(day).sum()
            for d, excess in short[short > MIN_SHORT_AGENTS].items():
                rows.append((q, m, d, d + pd.Timedelta(days=1), np.nan, excess * hours,
                             f"{label} needs {excess * hours:,.0f} agent-hours more on {d:%a %d %b} than "
                             f"{', '.join(sites)} could give at full headcount"))
            continue
        gap = required - capacity
        for a, b in _runs(gap > MIN_SHORT_AGENTS):
            peak = gap[a:b + 1].max()
            uncovered = [s for s in units if on_shift[s][a:b + 1].max() == 0]
            if len(uncovered) == len(sites):
                why = f"no shift at {', '.join(sites)} covers these hours"
            else:
                why = (f"{_only(sites)} at full headcount give at most "
                       f"{capacity[a:b + 1].min():,.1f} productive agents")
            rows.append((q, m, times[a], times[b] + step, peak, gap[a:b + 1].clip(0).sum() * hours,
                         f"{label} cannot be covered {_window(times, a, b, step)}: needs up to "
                         f"{peak:,.1f} more agents; {why}"))
    return pd.DataFrame(rows, columns=COLUMNS)


def _only(sites):
    return f"only {sites[0]} is certified and it" if len(sites) == 1 else f"{', '.join(sites)}"


def explain(op: Operation, requirements: pd.DataFrame, plan) -> pd.DataFrame:
    """Each run of unmet demand in a solved plan, with the cheapest action that would fix it
    and its price, or why nothing can (``planning.shiftplan.remedy``); then each pair the
    agent-level simulation still finds below target (``plan.simulation["misses"]``)."""
    cov = plan.coverage
    if cov is None or not len(cov):
        return pd.DataFrame(columns=COLUMNS)
    times, minutes = _grid(requirements)
    step, hours = pd.Timedelta(minutes=minutes), minutes / 60.0
    remedies = Remedies(op, requirements, plan)
    rows = []
    for (q, m), g in cov.groupby(["queue", "market"], sort=True):
        g = g.set_index("timestamp").reindex(times)
        short = g["shortfall"].fillna(0).to_numpy()
        queue = op.queues[q]
        for a, b in _runs(short > MIN_SHORT_AGENTS):
            peak = short[a:b + 1].max()
            if queue.sla_kind is SlaKind.live:
                what = f"is short {peak:,.0f} agent{'' if round(peak) == 1 else 's'}" if peak >= 1 else f"is short {peak:,.1f} agents"
            else:
                late = g["late_work_hours"].fillna(0).to_numpy()[a:b + 1].max()
                what = f"misses its {queue.sla_within_hours:g} h deadline ({late:,.1f} work-hours late)"
            advice = remedies.advice(q, m, a, b, short)
            rows.append((q, m, times[a], times[b] + step, peak, short[a:b + 1].sum() * hours,
                         f"{m} {q} {what} {_window(times, a, b, step)}: {advice}"))
    # What the agent-level simulation still finds short after the loop (planning.shiftplan.loop),
    # over the whole horizon, in its own words: the shortfall the operation would see.
    misses = (getattr(plan, "simulation", None) or {}).get("misses", [])
    for line in misses:
        pair = line.split(":", 1)[0].split(" ")
        q, m = (pair[0], pair[1]) if len(pair) >= 2 else ("", "")
        rows.append((q, m, times[0], times[-1] + step, np.nan, np.nan, f"In simulation: {line}"))
    return pd.DataFrame(rows, columns=COLUMNS)
