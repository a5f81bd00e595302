"""The shift planner's named hard constraints (the soft terms of the objective are in
:mod:`planning.shiftplan.objective`).

Each function takes the ``PlanModel`` under construction, adds its rows, and returns how
many it added.  ``planning.shiftplan.check`` re-verifies
every hard rule here on a finished plan, written independently.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

import numpy as np
import pandas as pd

from planning.domain import SlaKind
from planning.shiftplan.model import EPS, WORKING_DAYS_PER_WEEK, PlanModel, _tname


def _agents_by_site_t(model: PlanModel):
    out = defaultdict(list)
    for (site, q, m, t), var in model.agents.items():
        out[(site, t)].append(((q, m), var))
    return out


def _agents_by_pair_t(model: PlanModel):
    out = defaultdict(list)
    for (site, q, m, t), var in model.agents.items():
        out[(q, m, t)].append(var)
    return out


def deadline_lag_intervals(hours: float, interval_hours: float) -> int:
    """Work that arrived in interval tau is due by the end of interval tau + lag: the last
    interval ending by tau's start + H (conservative for items arriving later in tau;
    at least the arrival interval itself when H is shorter than an interval)."""
    return max(0, int(math.floor(hours / interval_hours + 1e-9)) - 1)


def cyclic_window_sums(work: np.ndarray, length: int) -> np.ndarray:
    """s[t] = work arriving in the ``length`` intervals ending at t, counted modulo the
    horizon (t, t - 1, ..., wrapping to its end; whole repeats when longer than it)."""
    n = len(work)
    full, rest = divmod(int(length), n)
    doubled = np.concatenate([[0.0], np.cumsum(np.concatenate([work, work]))])
    t = np.arange(n)
    return full * float(work.sum()) + doubled[t + n + 1] - doubled[t + n + 1 - rest]


# ------------------------------------------------------------------------- hard rules
def site_capacity(model: PlanModel) -> int:
    """Allocated agents of a site in an interval <= its productive agents on shift
    (headcount x covered share x (1 - shrinkage, adjusted by site_adjustments))."""
    rows = 0
    for (site, t), items in _agents_by_site_t(model).items():
        # sum agents - sum headcount x share x keep <= 0, through the low-level API (the
        # expression API was most of the model build on 12 sites x 60 pairs x 2 weeks)
        coef: dict = defaultdict(float)
        for _, v in items:
            coef[v] += 1.0
        keep = 1.0 - model.shrinkage[site][t]
        for var, share in model._site_cover[site].get(t, ()):
            coef[var] -= share * keep
        row = model.solver.Constraint(-model.solver.infinity(), 0.0, f"site_capacity[site={site},t={model.tname(t)}]")
        for var, c in coef.items():
            row.SetCoefficient(var, c)
        rows += 1
    return rows


def certified_pairs_only(model: PlanModel) -> int:
    """Agents exist only for certified site x queue x market (by construction); pairs with
    no certified site are noted, their whole requirement becomes shortfall."""
    covered = {(q, m) for (_, q, m, _) in model.agents}
    for q, m in model.pairs:
        if (q, m) not in covered and (model.required[(q, m)].sum() > EPS or model.workload[(q, m)].sum() > EPS):
            model.notes.append(f"{q} {m}: no site is certified (or on shift) for this pair")
    return 0


def live_coverage(model: PlanModel) -> int:
    """Live queues: sum of allocated agents + shortfall >= required agents, per interval."""
    by_pair = _agents_by_pair_t(model)
    rows = 0
    for (q, m, t), short in model.short.items():
        model.solver.Add(model.solver.Sum(by_pair.get((q, m, t), [])) + short
                         >= float(model.required[(q, m)][t]),
                         f"live_coverage[queue={q},market={m},t={model.tname(t)}]")
        rows += 1
    return rows


def deferred_backlog_flow(model: PlanModel) -> int:
    """Deferred queues: backlog[t] = backlog[t-1] + arrived work[t] - work done[t], where work
    done = agents x max_occupancy x interval hours (the occupancy cap); backlog >= 0.
    Open mode: the backlog before the horizon is empty.  Cyclic mode: t - 1 of t = 0 is
    the last interval (t = T - 1), less ``dropped`` (work not done in a cycle).  Where a
    short-deadline pair has an agent floor (``short_deadline_floor``) the row is ">=":
    its floor agents may stand idle, done <= agents x occupancy x interval hours.
    The backlog is held in two parts, ``backlog`` (on time: at most what the deadline
    allows, see ``deferred_deadline``) and ``late`` (penalised), so each row reads
    backlog[t] + late[t] = backlog[t-1] + late[t-1] + work[t] - done[t]."""
    by_pair = _agents_by_pair_t(model)
    rows = 0
    for (q, m, t), backlog in model.backlog.items():
        # backlog + late - previous backlog - previous late + rate x agents = work[t]
        rate = model.op.queues[q].max_occupancy * model.interval_hours
        work = float(model.workload[(q, m)][t])
        # pairs with an agent floor (short_deadline_floor) may hold agents idle: done <= capacity
        upper = model.solver.infinity() if (q, m, t) in model.floor_short else work
        row = model.solver.Constraint(work, upper, f"deferred_backlog_flow[queue={q},market={m},t={model.tname(t)}]")
        row.SetCoefficient(backlog, 1.0)
        row.SetCoefficient(model.late[(q, m, t)], 1.0)
        # cyclic: the row at t = 0 starts from the backlog at the horizon's end (last
        # week's Sunday night is this Monday's work); work the plan cannot do in a cycle
        # leaves it there as ``dropped`` (penalised), so the cycle always closes
        before = (t - 1) % len(model.times) if model.cyclic else t - 1
        previous = model.backlog.get((q, m, before))
        if previous is not None:
            row.SetCoefficient(previous, -1.0)
            row.SetCoefficient(model.late[(q, m, before)], -1.0)
        if model.cyclic and t == 0:
            row.SetCoefficient(model.dropped[(q, m)], 1.0)
        for var in by_pair.get((q, m, t), ()):
            row.SetCoefficient(var, rate)
        rows += 1
    return rows


def deferred_deadline(model: PlanModel) -> int:
    """FIFO deadline per arrival interval: by the end of interval t, the work done covers
    everything that arrived before interval t - lag plus the target share of what arrived
    in it (and all of it within the optional second deadline), so each interval's items
    meet the SLA at the target rate.  With total backlog = arrived - done:
    backlog total[t] - late[t] <= arrived(t) - arrived(t - lag - 1) - target x work(t - lag).
    Since the total is held as on-time ``backlog`` + ``late``, this is the upper bound
    ``backlog[t] <= allowed[t]`` on the on-time part: a column bound, not a row (the
    LP has a third fewer rows, the same optimum).  Intervals with nothing to judge take
    no lateness (``late[t]`` fixed at 0).  Cyclic mode: the window wraps, allowed[t] =
    the work arriving in the lag + 1 intervals ending at t, counted modulo the horizon,
    less the target share of interval (t - lag) mod T; so work arriving late on Sunday
    is due early on Monday of the same pattern.  "backlog" mode (``model.terminal``): the
    on-time backlog at the last interval is 0, so what is left then is late.  Returns the
    number of bounded intervals."""
    bounded = 0
    for q, m in model.pairs:
        queue = model.op.queues[q]
        if queue.sla_kind is not SlaKind.deferred:
            continue
        work = model.workload[(q, m)]
        arrived = np.cumsum(work)
        deadlines = [(deadline_lag_intervals(queue.sla_within_hours, model.interval_hours), queue.sla_target)]
        if queue.sla_rest_within_hours:
            deadlines.append((deadline_lag_intervals(queue.sla_rest_within_hours, model.interval_hours), 1.0))
        n = len(model.times)
        windows = {lag: cyclic_window_sums(work, lag + 1) for lag, _ in deadlines} if model.cyclic else {}
        for t in range(n):
            backlog = model.backlog.get((q, m, t))
            if backlog is None:
                continue
            # Both deadlines bound the same on-time backlog: the tighter one holds.
            allowed = math.inf
            for lag, share in deadlines:
                if model.cyclic:
                    if work[(t - lag) % n] <= EPS:
                        continue
                    allowed = min(allowed, float(windows[lag][t] - share * work[(t - lag) % n]))
                    continue
                if t - lag < 0 or work[t - lag] <= EPS:  # no items of that interval to judge
                    continue
                before = arrived[t - lag - 1] if t - lag - 1 >= 0 else 0.0
                allowed = min(allowed, float(arrived[t] - before - share * work[t - lag]))
            if model.terminal and t == n - 1:
                allowed = 0.0  # "backlog" mode: nothing on time is left at the end (late is penalised)
            if allowed < math.inf:
                backlog.SetUb(max(0.0, allowed))
                bounded += 1
            else:
                model.late[(q, m, t)].SetUb(0.0)
    return bounded


def short_deadline_floor(model: PlanModel) -> int:
    """Deferred queues with a deadline <= ``SHORT_DEADLINE_FLOOR_HOURS`` (1-hour child
    safety, violent extremism): sum of allocated agents + ``floor_short`` >= the
    requirement's ``required_agents`` per interval (its stochastic floor: the agents must
    meet the target as an Erlang C queue with deadline H, not only as fluid capacity)."""
    by_pair = _agents_by_pair_t(model)
    rows = 0
    for (q, m, t), short in model.floor_short.items():
        model.solver.Add(model.solver.Sum(by_pair.get((q, m, t), [])) + short
                         >= float(model.required[(q, m)][t]),
                         f"short_deadline_floor[queue={q},market={m},t={model.tname(t)}]")
        rows += 1
    return rows


def simulation_cuts(model: PlanModel) -> int:
    """Cuts from the agent-level simulation (``planning.shiftplan.loop``): where a plan
    was simulated short of a pair's target, sum of the pair's allocated agents +
    ``cut_short`` >= the cut's agents in that interval (a cutting plane in the sense of
    Atlason, Epelman & Henderson 2004: the fluid model's capacity was not enough there).
    Soft like the live coverage, so caps and certifications still decide; no cuts, no rows."""
    by_pair = _agents_by_pair_t(model)
    rows = 0
    for (q, m, t), rhs in sorted(model.cuts.items()):
        if t < 0 or t >= len(model.times) or rhs <= EPS:
            continue
        short = model.solver.NumVar(0, model.solver.infinity(),
                                    f"cut_short[queue={q},market={m},t={model.tname(t)}]")
        model.cut_short[(q, m, t)] = short
        model.solver.Add(model.solver.Sum(by_pair.get((q, m, t), [])) + short >= float(rhs),
                         f"simulation_cut[queue={q},market={m},t={model.tname(t)}]")
        rows += 1
    return rows


def _daily_members(model: PlanModel):
    """(site, local date) -> decision variables with a shift starting that date (cyclic:
    the pattern's date, so the partial first and last local days count as one)."""
    out = defaultdict(list)
    for d, var in zip(model.decisions, model.decision_vars):
        for i in d.instances:
            out[(d.site, model.pattern_date(d.site, model.instances[i].date_local))].append(var)
    return out


def daily_headcount_cap(model: PlanModel) -> int:
    """Agents starting a shift at a site on one local date <= the site's max_headcount."""
    rows = 0
    for (site, day), members in _daily_members(model).items():
        model.solver.Add(model.solver.Sum(members) <= model.op.sites[site].max_headcount,
                         f"daily_headcount_cap[site={site},date={day}]")
        rows += 1
    return rows


def _full_weeks(model: PlanModel):
    """(site, week k) -> agent-day variables of the k-th full 7-day block of local dates
    starting at the local date of the horizon start."""
    daily = _daily_members(model)
    horizon_end = model.times[-1] + model.times.freq
    out = {}
    for site_id, site in model.op.sites.items():
        first = model.times[0].tz_convert(site.timezone).date()
        last = (horizon_end - model.times.freq).tz_convert(site.timezone).date()
        k = 0
        while first + dt.timedelta(days=7 * k + 6) <= last:
            block = [first + dt.timedelta(days=7 * k + j) for j in range(7)]
            out[(site_id, k)] = [v for day in block for v in daily.get((site_id, day), [])]
            k += 1
    return out


def weekly_agent_days_cap(model: PlanModel) -> int:
    """Agent-days in a full local week <= 5 x max_headcount (five working days per agent)."""
    rows = 0
    for (site, k), members in _full_weeks(model).items():
        if members:
            model.solver.Add(model.solver.Sum(members)
                             <= WORKING_DAYS_PER_WEEK * model.op.sites[site].max_headcount,
                             f"weekly_agent_days_cap[site={site},week={k}]")
            rows += 1
    return rows


def contract_minimum(model: PlanModel) -> int:
    """Agent-days in a full local week >= 5 x min_headcount (the vendor contract minimum)."""
    rows = 0
    for (site, k), members in _full_weeks(model).items():
        minimum = model.op.sites[site].min_headcount
        if minimum > 0:
            model.solver.Add(model.solver.Sum(members) >= WORKING_DAYS_PER_WEEK * minimum,
                             f"contract_minimum[site={site},week={k}]")
            rows += 1
    return rows


def site_adjustment_caps(model: PlanModel) -> int:
    """Scenario site adjustments: agents on shift in any interval of the window <= the cap
    (0 = outage: no shift may touch the window)."""
    adj = model.op.site_adjustments
    if adj is None or not len(adj) or "max_headcount" not in adj:
        return 0
    rows = 0
    for row in adj.itertuples(index=False):
        cap = row.max_headcount
        if row.site not in model._site_cover or cap is None or pd_isna(cap):
            continue
        cover = model._site_cover[row.site]
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        for t in range(len(model.times)):
            ts = model.times[t]
            if ts + model.times.freq > start and ts < end and t in cover:
                model.solver.Add(model.on_duty(row.site, t) <= float(cap),
                                 f"site_adjustment_cap[site={row.site},t={_tname(ts)}]")
                rows += 1
    return rows


def site_team_totals(model: PlanModel) -> int:
    """Sites with teams (``planning.teams``): each team has its own cap and minimum (the
    rules above, per team); the site's bound the sum of its teams: agents starting a shift
    on one local date <= the site's max_headcount, agent-days in a full local week <= 5 x
    max_headcount and >= 5 x min_headcount, and a scenario cap above 0 on the site
    (``site_adjustments``) bounds all its teams on shift together."""
    index, source = model.teams, model.source_op
    if index is None or source is None:
        return 0
    teamed = {site: units for site, units in index.by_site.items() if index.has_teams(site)}
    if not teamed:
        return 0
    rows = 0
    daily = defaultdict(list)
    for (unit, day), members in _daily_members(model).items():
        daily[(model.site_of(unit), day)].extend(members)
    for (site, day), members in sorted(daily.items()):
        if site in teamed:
            model.solver.Add(model.solver.Sum(members) <= source.sites[site].max_headcount,
                             f"site_daily_headcount_cap[site={site},date={day}]")
            rows += 1
    weekly = defaultdict(list)
    for (unit, k), members in _full_weeks(model).items():
        weekly[(model.site_of(unit), k)].extend(members)
    for (site, k), members in sorted(weekly.items()):
        if site not in teamed or not members:
            continue
        model.solver.Add(model.solver.Sum(members) <= WORKING_DAYS_PER_WEEK * source.sites[site].max_headcount,
                         f"site_weekly_agent_days_cap[site={site},week={k}]")
        rows += 1
        if source.sites[site].min_headcount > 0:
            model.solver.Add(model.solver.Sum(members) >= WORKING_DAYS_PER_WEEK * source.sites[site].min_headcount,
                             f"site_contract_minimum[site={site},week={k}]")
            rows += 1
    adj = source.site_adjustments
    if adj is None or not len(adj) or "max_headcount" not in adj:
        return rows
    for row in adj.itertuples(index=False):
        cap = row.max_headcount
        if row.site not in teamed or cap is None or pd_isna(cap) or float(cap) <= 0:
            continue  # outages (0) hold per team already
        start, end = pd.Timestamp(row.start), pd.Timestamp(row.end)
        for t in range(len(model.times)):
            ts = model.times[t]
            on = [model.on_duty(u, t) for u in teamed[row.site] if t in model._site_cover.get(u, {})]
            if on and ts + model.times.freq > start and ts < end:
                model.solver.Add(model.solver.Sum(on) <= float(cap),
                                 f"site_adjustment_cap[site={row.site},t={_tname(ts)}]")
                rows += 1
    return rows


def pd_isna(value) -> bool:
    try:
        return bool(value != value)
    except Exception:
        return False


def wellness_cap(model: PlanModel) -> int:
    """Agents of a site on severe queues <= wellness_severe_share_max x its productive agents."""
    share = model.op.settings.wellness_severe_share_max
    if share >= 1:
        return 0
    rows = 0
    for (site, t), items in _agents_by_site_t(model).items():
        severe = [v for (q, _), v in items if model.op.queues[q].severe]
        if severe:  # sum severe agents - share x productive agents <= 0 (low-level API)
            coef: dict = defaultdict(float)
            for v in severe:
                coef[v] += 1.0
            keep = 1.0 - model.shrinkage[site][t]
            for var, cover in model._site_cover[site].get(t, ()):
                coef[var] -= share * cover * keep
            row = model.solver.Constraint(-model.solver.infinity(), 0.0, f"wellness_cap[site={site},t={model.tname(t)}]")
            for var, c in coef.items():
                row.SetCoefficient(var, c)
            rows += 1
    return rows


def concentration_limit(model: PlanModel) -> int:
    """Optional: a site's agent-intervals on a queue x market <= X x all sites' (over the
    horizon).  Skipped (with a note) where fewer than 1/X sites are certified."""
    limit = model.op.settings.concentration_max_share
    if limit is None or limit >= 1:
        return 0
    per_site = defaultdict(list)  # by site: a site's teams count together
    for (unit, q, m, t), var in model.agents.items():
        per_site[(q, m, model.site_of(unit))].append(var)
    sites_of = defaultdict(list)
    for (q, m, site) in per_site:
        sites_of[(q, m)].append(site)
    rows = 0
    for (q, m), sites in sites_of.items():
        n_certified = len({model.site_of(u) for u in model.op.certified_sites(q, m)})
        if n_certified < math.ceil(1 / limit - 1e-9):
            model.notes.append(f"{q} {m}: concentration limit {limit:.0%} not applied, only "
                               f"{n_certified} certified site(s)")
            continue
        total = model.solver.Sum([v for s in sites for v in per_site[(q, m, s)]])
        for s in sites:
            model.solver.Add(model.solver.Sum(per_site[(q, m, s)]) <= limit * total,
                             f"concentration_limit[queue={q},market={m},site={s}]")
            rows += 1
    return rows


HARD_CONSTRAINTS = [
    site_capacity, certified_pairs_only, live_coverage, deferred_backlog_flow, deferred_deadline,
    short_deadline_floor, daily_headcount_cap, weekly_agent_days_cap, contract_minimum, site_adjustment_caps,
    site_team_totals, wellness_cap, concentration_limit, simulation_cuts,
]
