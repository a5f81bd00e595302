"""Building the shift planner's MIP on a solver: variables, the named hard constraints of
:mod:`planning.shiftplan.constraints` and the objective of the soft terms of
:mod:`planning.shiftplan.objective`.

The data classes and shift instances live in :mod:`planning.shiftplan.model`; the
constraints import only those, so the model does not import its constraints.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp

from planning.domain import Operation, SlaKind
from planning.teams import unit_operation
from planning.shiftplan.constraints import HARD_CONSTRAINTS
from planning.shiftplan.objective import SOFT_TERMS
from planning.shiftplan.model import (EPS, HORIZON_MODES, SHORT_DEADLINE_FLOOR_HOURS, SHORTFALL_PENALTY_FACTOR,
                                      WORKING_DAYS_PER_WEEK, PlanModel, _decisions, _grid, _shift_instances, _shrinkage, horizon_days)


# --------------------------------------------------------------------------- build
def build_model(solver: pywraplp.Solver, op: Operation, requirements: pd.DataFrame, *,
                weekly_tours: bool = False, tour_days: int = WORKING_DAYS_PER_WEEK,
                horizon_mode: str = "cyclic", cuts: dict | None = None) -> PlanModel:
    """Variables, every hard constraint and the objective, on ``solver``.

    horizon_mode : "cyclic" (default) plans the horizon as a pattern repeated week after
        week: the backlog, the deadlines and the shifts wrap from its end to its start;
        "open" starts from an empty backlog and leaves what is due after the horizon
        (``planning.shiftplan.model.HORIZON_MODES``).  A horizon that is not a whole number
        of days cannot repeat: it is planned open, with a note.
    cuts : ``{(queue, market, UTC interval start): agents}`` from the simulation loop
        (``planning.shiftplan.loop``), added as the ``simulation_cuts`` rule."""
    if horizon_mode not in HORIZON_MODES:
        raise ValueError(f"horizon_mode must be one of {HORIZON_MODES}, not {horizon_mode!r}")
    source, (op, teams) = op, unit_operation(op)  # one "site" per team (planning.teams)
    if "interval_minutes" in requirements and len(requirements):
        interval_minutes = int(requirements["interval_minutes"].iloc[0])
    else:
        interval_minutes = op.settings.interval_minutes
    times = _grid(requirements, interval_minutes)
    cyclic = horizon_mode == "cyclic" and horizon_days(times) is not None
    n = len(times)
    pos = {ts: i for i, ts in enumerate(times)}
    req = requirements.assign(_t=pd.DatetimeIndex(requirements["timestamp"]).tz_convert("UTC").map(pos))
    pairs = sorted(map(tuple, req[["queue", "market"]].drop_duplicates().itertuples(index=False)))
    required, workload = {}, {}
    for (q, m), g in req.groupby(["queue", "market"]):
        r, w = np.zeros(n), np.zeros(n)
        r[g["_t"].to_numpy()] = g["required_agents"].to_numpy(dtype=float)
        w[g["_t"].to_numpy()] = g["workload_hours"].to_numpy(dtype=float)
        required[(q, m)], workload[(q, m)] = r, w

    instances = _shift_instances(op, times, interval_minutes, cyclic)
    decisions = _decisions(instances, weekly_tours, tour_days, times[0], op, times, cyclic)
    upper = {s: site.max_headcount for s, site in op.sites.items()}
    decision_vars = [solver.IntVar(0, upper[d.site], d.name) for d in decisions]

    dearest = max((s.hourly_cost * (1 + s.night_premium) / (1 - s.shrinkage)
                   for s in op.sites.values()), default=1.0) or 1.0
    penalty = {(q, m): SHORTFALL_PENALTY_FACTOR * (10 - op.queues[q].priority) * dearest
               for q, m in pairs}

    model = PlanModel(solver, op, times, interval_minutes / 60.0, pairs, instances, decisions,
                      decision_vars, {}, {}, {}, {}, required, workload, _shrinkage(op, times),
                      penalty, cyclic, teams=teams, source_op=source)
    model.terminal = horizon_mode == "backlog"
    if horizon_mode == "cyclic" and not cyclic:
        model.notes.append("the horizon is not a whole number of days, so it cannot repeat: "
                           "planned open (empty backlog at its start, nothing due after its end)")
    site_cover: dict[str, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for d, var in zip(decisions, decision_vars):
        shares: dict[int, float] = defaultdict(float)
        for i in d.instances:
            for t, share in instances[i].cover.items():
                shares[t] += share
        for t, share in shares.items():
            site_cover[d.site][t].append((var, share))
    model._site_cover = site_cover
    certified = defaultdict(list)
    for c in op.certifications:
        if (c.queue, c.market) in required and c.site in op.sites:
            certified[c.site].append((c.queue, c.market))
    model._site_pairs = {s: sorted(set(p)) for s, p in certified.items()}
    model.cuts = {}
    for (q, m, ts), agents in (cuts or {}).items():
        t = pos.get(pd.Timestamp(ts).tz_convert("UTC") if pd.Timestamp(ts).tzinfo else pd.Timestamp(ts, tz="UTC"))
        if t is not None and (q, m) in required:
            model.cuts[(q, m, t)] = max(model.cuts.get((q, m, t), 0.0), float(agents))
    _allocation_variables(model)
    for rule in HARD_CONSTRAINTS:
        model.counts[rule.__name__] = rule(model)
    terms = []
    for term in SOFT_TERMS:
        terms.extend(term(model))
    solver.Minimize(solver.Sum(terms))
    return model


def has_short_deadline(queue) -> bool:
    """A deferred queue whose stochastic requirement is a floor on its agents
    (``SHORT_DEADLINE_FLOOR_HOURS``)."""
    return queue.sla_kind is SlaKind.deferred and queue.sla_within_hours <= SHORT_DEADLINE_FLOOR_HOURS


def _allocation_variables(model: PlanModel) -> None:
    """``agents[site, queue, market, t]`` only where the site is certified, has agents on
    shift, and the pair has work: live -> required > 0; deferred -> after the first
    arrival (cyclic: every interval, last week's backlog is there from the start).
    ``backlog``/``late``/``short`` per pair and interval likewise, and in cyclic mode one
    ``dropped`` per deferred pair (work the plan cannot do in a cycle)."""
    solver, op = model.solver, model.op
    for site, pairs in model._site_pairs.items():
        covered = model._site_cover.get(site, {})
        for q, m in pairs:
            live = op.queues[q].sla_kind is SlaKind.live
            need = model.required[(q, m)] if live else model.workload[(q, m)]
            nz = np.flatnonzero(need > EPS)
            if not len(nz):
                continue
            span = nz if live else range(0 if model.cyclic else nz[0], len(model.times))
            for t in span:
                if t in covered:
                    model.agents[(site, q, m, t)] = solver.NumVar(
                        0, solver.infinity(),
                        f"agents[site={site},queue={q},market={m},t={model.tname(t)}]")
    for q, m in model.pairs:
        if op.queues[q].sla_kind is SlaKind.live:
            for t in np.flatnonzero(model.required[(q, m)] > EPS):
                model.short[(q, m, t)] = solver.NumVar(
                    0, solver.infinity(), f"short[queue={q},market={m},t={model.tname(t)}]")
        else:
            nz = np.flatnonzero(model.workload[(q, m)] > EPS)
            if not len(nz):
                continue
            for t in range(0 if model.cyclic else nz[0], len(model.times)):
                model.backlog[(q, m, t)] = solver.NumVar(
                    0, solver.infinity(), f"backlog[queue={q},market={m},t={model.tname(t)}]")
                model.late[(q, m, t)] = solver.NumVar(
                    0, solver.infinity(), f"late[queue={q},market={m},t={model.tname(t)}]")
            if model.cyclic:
                model.dropped[(q, m)] = solver.NumVar(0, solver.infinity(), f"dropped[queue={q},market={m}]")
            if has_short_deadline(op.queues[q]):  # open: from the first arrival, as the agents
                for t in np.flatnonzero(model.required[(q, m)] > EPS):
                    if model.cyclic or t >= nz[0]:
                                model.floor_short[(q, m, t)] = solver.NumVar(
                            0, solver.infinity(), f"floor_short[queue={q},market={m},t={model.tname(t)}]")
