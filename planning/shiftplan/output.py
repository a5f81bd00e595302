"""Turn a solved shift-plan model into the tidy frames of docs/contracts.md.

Population of every KPI: the items arriving in the horizon.  Cyclic plans (the default)
are judged in steady state: the deferred replay runs the horizon repeated and judges one
pass, so the backlog carried in from the previous week is worked first and the items
arriving late in the horizon are judged at their deadlines in the next repeat.  Open
plans start empty and leave items whose deadline falls after the horizon unjudged.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from planning.domain import SlaKind
from planning.shiftplan.constraints import deadline_lag_intervals
from planning.shiftplan.model import PlanModel
from planning.inputs import shift_utc_span

SHIFT_COLUMNS = ["vendor", "site", "team", "shift", "date_local", "start_local", "end_local", "timezone",
                 "start_utc", "end_utc", "paid_hours", "headcount"]
COVERAGE_COLUMNS = ["timestamp", "queue", "market", "sla_kind", "required", "planned", "shortfall",
                    "backlog_items", "late_work_hours", "predicted_service_level"]


def instance_headcounts(model: PlanModel) -> np.ndarray:
    """Agents on each shift instance (tours add up on the days they share)."""
    heads = np.zeros(len(model.instances))
    for d, var in zip(model.decisions, model.decision_vars):
        value = round(model.value(var))
        for i in d.instances:
            heads[i] += value
    return heads


def _site_team(model: PlanModel, unit: str) -> tuple[str, str]:
    """(site, team) of a planning unit; a site without teams is its own team."""
    return (model.teams.site_of(unit), model.teams.team_of(unit)) if model.teams is not None else (unit, unit)


def _shifts(model: PlanModel, heads: np.ndarray) -> pd.DataFrame:
    rows = []
    for x, h in zip(model.instances, heads):
        if h < 0.5:
            continue
        site = model.op.sites[x.site]
        start, end = shift_utc_span(x.date_local, x.start_local, x.paid_hours, site.timezone)
        site_id, team = _site_team(model, x.site)
        rows.append({
            "vendor": site.vendor, "site": site_id, "team": team, "shift": x.shift, "date_local": x.date_local,
            "start_local": x.start_local.strftime("%H:%M"),
            "end_local": end.tz_convert(site.timezone).strftime("%H:%M"),
            "timezone": site.timezone, "start_utc": start, "end_utc": end,
            "paid_hours": x.paid_hours, "headcount": int(h),
        })
    frame = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    return frame.sort_values(["vendor", "site", "team", "date_local", "start_local", "shift"], ignore_index=True)


def _predicted_deferred(arrived_per_t: np.ndarray, backlog: np.ndarray, lag: int,
                        judged: slice | None = None) -> np.ndarray:
    """Share of each interval's arrivals done within the deadline (fluid FIFO): the
    items of interval tau are done in order, so the share done by the end of tau + lag is
    (done(tau + lag) - arrived(tau - 1)) / arrived in tau, clipped to 0-1.  ``judged``: the
    intervals to return (a cyclic replay's judged pass); NaN where the deadline falls
    after the replay."""
    arrived = np.cumsum(arrived_per_t)
    done = arrived - backlog
    n = len(arrived_per_t)
    out = np.full(n, np.nan)
    for tau in range(n):
        if arrived_per_t[tau] <= 1e-12 or tau + lag >= n:
            continue
        before = arrived[tau - 1] if tau else 0.0
        out[tau] = np.clip((done[tau + lag] - before) / arrived_per_t[tau], 0.0, 1.0)
    return out if judged is None else out[judged]


def _fifo(work: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Fluid FIFO backlog at each interval end from an empty start; capacity never idles
    while work waits (done = min(capacity, waiting))."""
    backlog = np.zeros(len(work))
    waiting = 0.0
    for t in range(len(work)):
        waiting += work[t]
        waiting -= min(capacity[t], waiting)
        backlog[t] = waiting
    return backlog


def _lateness(queue, work: np.ndarray, backlog: np.ndarray, interval_hours: float) -> np.ndarray:
    """How far cumulative done falls behind each deadline (all earlier arrivals plus the
    target share of interval t - lag; all of it within the optional second deadline)."""
    n = len(work)
    arrived = np.cumsum(work)
    done = arrived - backlog
    late = np.zeros(n)
    for hours, share in ((queue.sla_within_hours, queue.sla_target), (queue.sla_rest_within_hours, 1.0)):
        if not hours:
            continue
        lag = deadline_lag_intervals(hours, interval_hours)
        if lag < n:
            before = np.concatenate([np.zeros(lag + 1), arrived[: max(0, n - lag - 1)]])[:n]
            judged = np.concatenate([np.zeros(lag), work[: n - lag]])
            due = np.where(judged > 1e-9, before + share * judged, 0.0)  # only intervals with items
            late = np.maximum(late, due - done)
    return np.maximum(late, 0.0)


def _passes(queue, n: int, interval_hours: float) -> tuple[int, int]:
    """Cyclic replay: (warm-up passes before the judged one, passes in all).  One warm-up
    pass reaches the steady state exactly (from an empty start, the fluid FIFO backlog
    at the end of one pass is the smallest periodic one whenever the pass's capacity
    covers its work; otherwise the backlog grows by the difference every pass, and the
    judged pass shows it); more when a deadline is longer than the horizon; then enough
    passes after it for the deadlines of the judged pass's last arrivals."""
    lags = [deadline_lag_intervals(h, interval_hours) for h in (queue.sla_within_hours, queue.sla_rest_within_hours) if h]
    reach = -(-max(lags, default=0) // n) if n else 0
    warm = max(1, reach)
    return warm, warm + 1 + reach


def replay_deferred(queue, work: np.ndarray, agents: np.ndarray, interval_hours: float,
                    cyclic: bool = False) -> dict:
    """FIFO replay of a deferred pair from its allocated agents (agents work whenever work
    is waiting).  Open: one pass from an empty backlog; predicted is NaN where the deadline
    falls after the horizon.  Cyclic (steady state): the horizon replayed ``_passes``
    times and the judged pass returned, so every item arriving in the horizon is judged,
    with its deadline wrapping into the next repeat.  Returns per interval of the
    horizon ``backlog``, ``late`` (work hours), ``predicted`` (share of each interval's
    arrivals done by its deadline), and ``handled`` (work hours done in the judged pass)."""
    n = len(work)
    warm, passes = _passes(queue, n, interval_hours) if cyclic else (0, 1)
    w = np.tile(work, passes)
    backlog = _fifo(w, np.tile(agents * queue.max_occupancy * interval_hours, passes))
    late = _lateness(queue, w, backlog, interval_hours)
    judged = slice(warm * n, warm * n + n)
    lag = deadline_lag_intervals(queue.sla_within_hours, interval_hours)
    carried = backlog[warm * n - 1] if warm else 0.0
    # late per interval of the horizon: the worst over the judged pass and the repeats
    # after it (equal in steady state; where the capacity falls short of the work the
    # backlog grows every pass, and the judged items' deadlines fall in the next one)
    late = late[warm * n:].reshape(-1, n).max(axis=0) if cyclic else late
    return {"backlog": backlog[judged], "late": late,
            "predicted": _predicted_deferred(w, backlog, lag, judged),
            "handled": float(work.sum() + carried - backlog[warm * n + n - 1])}


def replay_backlog(queue, work: np.ndarray, agents: np.ndarray, interval_hours: float,
                   cyclic: bool = False):
    """FIFO replay of a deferred pair: allocated agents work whenever work is waiting
    (done = min(capacity, waiting)).  Returns (backlog, late) in work hours per interval;
    late = how far cumulative done falls behind each deadline (all earlier arrivals plus
    the target share of interval t - lag; all of it within the optional second deadline).
    ``cyclic``: the steady state of the repeated horizon (``replay_deferred``).  The model's
    own backlog may idle capacity within the gap tolerance; the replay never does, so its
    lateness is <=."""
    replay = replay_deferred(queue, work, agents, interval_hours, cyclic)
    return replay["backlog"], replay["late"]


def _live_service_level(queue, work, agents, required, interval_hours, aht_seconds):
    """Erlang C / A service level of the planned agents per interval
    (``planning.staffing.erlang.service_level``); NaN where nothing arrives."""
    from planning.staffing import erlang as staffing

    volume = work * 3600.0 / aht_seconds
    level = np.full(len(work), np.nan)
    busy = volume > 1e-9
    if busy.any():
        level[busy] = staffing.service_level(volume[busy], aht_seconds, np.maximum(agents[busy], 0.0),
                                             queue.sla_within_seconds, int(round(interval_hours * 60)),
                                             queue.patience_seconds)
    return level


def _coverage(model: PlanModel, requirements: pd.DataFrame, handled: dict | None = None) -> pd.DataFrame:
    """Per pair and interval of the horizon.  Cyclic plans: the deferred columns are the
    steady state, every item arriving in the horizon judged (``replay_deferred``).
    ``handled`` is filled with the deferred work hours each pair's replay does."""
    n, ih = len(model.times), model.interval_hours
    handled = {} if handled is None else handled
    planned = defaultdict(lambda: np.zeros(n))
    for (site, q, m, t), var in model.agents.items():
        planned[(q, m)][t] += model.value(var)
    aht = requirements.groupby(["queue", "market"])["aht_seconds"].mean().to_dict()
    parts = []
    for q, m in model.pairs:
        queue = model.op.queues[q]
        required, plan = model.required[(q, m)], np.maximum(planned[(q, m)], 0.0)
        backlog, late = np.zeros(n), np.zeros(n)
        if queue.sla_kind is SlaKind.live:
            short = np.array([model.value(model.short[(q, m, t)]) if (q, m, t) in model.short else 0.0
                              for t in range(n)])
            level = _live_service_level(queue, model.workload[(q, m)], plan, required, ih,
                                        aht.get((q, m), queue.aht_seconds))
        else:
            replay = replay_deferred(queue, model.workload[(q, m)], plan, ih, model.cyclic)
            backlog, late, level = replay["backlog"], replay["late"], replay["predicted"]
            short = late / (queue.max_occupancy * ih)
            below = np.array([model.value(model.floor_short[(q, m, t)]) if (q, m, t) in model.floor_short
                              else 0.0 for t in range(n)]) if model.floor_short else np.zeros(n)
            short = np.maximum(short, below)  # short-deadline queues: agents below their floor
            handled[(q, m)] = replay["handled"]
        seconds = aht.get((q, m), queue.aht_seconds)
        parts.append(pd.DataFrame({
            "timestamp": model.times, "queue": q, "market": m, "sla_kind": queue.sla_kind.value,
            "required": required, "planned": plan, "shortfall": np.maximum(short, 0.0),
            "backlog_items": backlog * 3600.0 / seconds, "late_work_hours": late,
            "predicted_service_level": level,
            "_volume": model.workload[(q, m)] * 3600.0 / seconds,
        }))
    if not parts:
        return pd.DataFrame(columns=COVERAGE_COLUMNS + ["_volume"])
    return pd.concat(parts, ignore_index=True)


def _queues(model: PlanModel, coverage: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (q, m), g in coverage.groupby(["queue", "market"], sort=True):
        ok = g["predicted_service_level"].notna() & (g["_volume"] > 0)
        weights = g.loc[ok, "_volume"]
        predicted = float(np.average(g.loc[ok, "predicted_service_level"], weights=weights)) \
            if weights.sum() > 0 else np.nan
        queue = model.op.queues[q]
        rows.append({"queue": q, "market": m, "sla_kind": queue.sla_kind.value,
                     "target": queue.sla_target, "predicted": predicted, "simulated": np.nan})
    return pd.DataFrame(rows, columns=["queue", "market", "sla_kind", "target", "predicted", "simulated"])


def build_frames(model: PlanModel, op, requirements: pd.DataFrame) -> dict:
    heads = instance_headcounts(model)
    shifts = _shifts(model, heads)
    allocation = pd.DataFrame(
        [{"timestamp": model.times[t], "site": site, "team": team, "queue": q, "market": m, "agents": v}
         for (s, q, m, t), var in model.agents.items() if (v := model.value(var)) > 1e-6
         for site, team in [_site_team(model, s)]],
        columns=["timestamp", "site", "team", "queue", "market", "agents"])
    handled_deferred: dict = {}
    coverage = _coverage(model, requirements, handled_deferred)
    per_site = defaultdict(lambda: {"paid_hours": 0.0, "night_hours": 0.0, "cost": 0.0})
    daily, daily_team = defaultdict(float), defaultdict(float)
    for x, h in zip(model.instances, heads):
        if h < 0.5:
            continue
        site_id, team = _site_team(model, x.site)
        row = per_site[site_id]
        row["paid_hours"] += h * x.paid_hours_in_horizon
        row["night_hours"] += h * x.night_hours_in_horizon
        row["cost"] += h * x.cost
        daily[(site_id, x.date_local)] += h
        daily_team[((site_id, team), x.date_local)] += h
    cost_by_site = pd.DataFrame(
        [{"vendor": (model.source_op or op).sites[s].vendor, "site": s, **vals,
          "peak_daily_headcount": int(max((h for (ss, _), h in daily.items() if ss == s), default=0))}
         for s, vals in sorted(per_site.items())],
        columns=["vendor", "site", "paid_hours", "night_hours", "cost", "peak_daily_headcount"])
    ih = model.interval_hours
    live = coverage["sla_kind"] == SlaKind.live.value
    unmet_live = float((coverage.loc[live, "shortfall"] * ih).sum())
    unmet_deferred = 0.0
    below_floor = defaultdict(float)  # agent-hours below a short-deadline floor per pair
    for (q, m, _), var in model.floor_short.items():
        below_floor[(q, m)] += model.value(var) * ih
    for (q, m), g in coverage[~live].groupby(["queue", "market"]):
        # the largest late work, or the agent-hours below a short-deadline floor if more
        unmet_deferred += max(float(g["late_work_hours"].max()) / op.queues[q].max_occupancy,
                              below_floor[(q, m)])
    productive_hours = 0.0
    for site in model.op.sites:  # planning units (teams)
        for t, terms in model._site_cover.get(site, {}).items():
            productive_hours += sum(model.value(var) * share for var, share in terms) \
                * (1 - model.shrinkage[site][t]) * ih
    if model.cyclic:
        # Steady state: all work arriving in the horizon (live, and deferred as the replay
        # does it: all of it unless the capacity falls short of the week's work).
        deferred = {key for key in model.workload if model.op.queues[key[0]].sla_kind is not SlaKind.live}
        handled = float(sum(model.workload[key].sum() for key in model.workload if key not in deferred)
                        + sum(handled_deferred.get(key, 0.0) for key in deferred))
    else:
        # Open: everything that arrived, less the deferred backlog still waiting at the
        # horizon's end (work arriving late in the horizon is due after it).
        last = len(model.times) - 1
        waiting = sum(model.value(var) + model.value(model.late[key]) for key, var in model.backlog.items()
                      if key[2] == last)
        handled = float(requirements["workload_hours"].sum()) - waiting
    cost = float(cost_by_site["cost"].sum())
    queues = _queues(model, coverage)
    kpis = {
        "cost": cost, "paid_hours": float(cost_by_site["paid_hours"].sum()),
        "unmet_agent_hours": unmet_live + unmet_deferred,
        "occupancy": handled / productive_hours if productive_hours > 0 else np.nan,
        "agents_by_site": dict(zip(cost_by_site["site"], cost_by_site["peak_daily_headcount"])),
        "agents_by_team": {key: int(max(h for (k, _), h in daily_team.items() if k == key))
                           for key in sorted({k for k, _ in daily_team})},
        "predicted_attainment": {f"{r.queue}/{r.market}": r.predicted for r in queues.itertuples()},
    }
    return {"shifts": shifts, "allocation": allocation,
            "coverage": coverage.drop(columns=["_volume"]), "cost_by_site": cost_by_site,
            "queues": queues, "kpis": kpis, "cost": cost, "unmet_agent_hours": kpis["unmet_agent_hours"]}
