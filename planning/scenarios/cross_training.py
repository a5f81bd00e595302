"""The value of cross-training: what one extra skill on one team saves, measured by re-planning.

A candidate is a team that gains one queue x market certification its site already works
(another team of the site is certified for it).  For each of a handful of candidates the
week is **re-planned** with the skill added (``planning.shiftplan.solve_plan``, the same
requirements and solver options, a short time limit each) and compared with the base plan
solved the same way (warm-started from the base plan, which stays feasible with one more
skill): the cost delta, the unmet agent-hours delta, the pair's predicted
attainment before and after, and the objective delta (cost plus the shortfall penalties
the planner charges), all per week.  Nothing is asserted from a formula: a skill that
cannot help (the team is no cheaper and the pair is covered) comes back at about 0.

Wallace & Whitt (2005, "A staffing algorithm for call centers with skill-based routing",
M&SOM 7(4)) found that two well-chosen skills per agent come close to full flexibility;
this report is how to choose the skill a team should learn next.

Choosing candidates (``candidates``): every (team, pair) its site works and the team does
not is scored by a rough estimate of what it could save, and the top ``n`` are re-planned:

* the pair's unmet agent-hours x its shortfall penalty, bounded by the team's idle
  productive hours (a team with no slack and no room under its cap cannot cover it);
* the pair's allocated agent-hours x how much dearer (per productive hour) the teams
  working it now are than this team;
* the team's idle productive hours (paid, not allocated) x the pair's current cost per
  productive hour, bounded by the pair's allocated hours (idle agents who could take it).

The estimate only ranks; the saving reported is the re-planned one.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planning.domain import Certification, Operation
from planning.shiftplan.model import SHORTFALL_PENALTY_FACTOR
from planning.teams import team_index, team_pairs, unit_column, unit_operation

DEFAULT_CANDIDATES = 5
DEFAULT_SECONDS = 20.0  # solver time limit per re-plan [s]


@dataclass(frozen=True)
class Candidate:
    site: str
    team: str
    queue: str
    market: str
    label: str  # "KUL-B EN team"
    estimate: float  # rough saving used to rank [currency per horizon]
    why: str


@dataclass
class CrossTrainingReport:
    currency: str
    weeks: float  # horizon length [weeks]
    base_cost: float
    base_objective: float
    base_unmet: float
    base_status: str
    rows: pd.DataFrame  # one per candidate (``COLUMNS``)
    notes: list[str] = field(default_factory=list)


COLUMNS = ["site", "team", "label", "queue", "market", "why", "status", "cost_saving_per_week",
           "unmet_hours_saved_per_week", "attainment_before", "attainment_after", "value_per_week",
           "gap", "within_gap"]


def _horizon_weeks(requirements: pd.DataFrame) -> float:
    ts = pd.DatetimeIndex(requirements["timestamp"])
    minutes = int(requirements["interval_minutes"].iloc[0])
    return ((ts.max() - ts.min()) + pd.Timedelta(minutes=minutes)) / pd.Timedelta(weeks=1)


def candidates(op: Operation, requirements: pd.DataFrame, plan, n: int = DEFAULT_CANDIDATES) -> list[Candidate]:
    """The ``n`` (team, pair) skills with the highest estimated saving (module docstring)."""
    units_op, index = unit_operation(op)
    skills = team_pairs(op, index)
    minutes = int(requirements["interval_minutes"].iloc[0])
    hours = minutes / 60.0
    penalty_base = max((s.hourly_cost * (1 + s.night_premium) / (1 - s.shrinkage)
                        for s in units_op.sites.values()), default=1.0) or 1.0
    unit_cost = {u: s.hourly_cost / (1 - s.shrinkage) for u, s in units_op.sites.items()}
    with_shift = {s.site for s in units_op.shifts}
    alloc = plan.allocation
    alloc = alloc.assign(unit=unit_column(alloc, index)) if len(alloc) else alloc.assign(unit=[])
    worked = defaultdict(float)  # (unit, queue, market) -> agent-hours
    for (u, q, m), v in alloc.groupby(["unit", "queue", "market"])["agents"].sum().items():
        worked[(u, q, m)] = float(v) * hours
    productive = defaultdict(float)
    shifts = plan.shifts
    if len(shifts):
        for u, h, paid in zip(unit_column(shifts, index), shifts["headcount"], shifts["paid_hours"]):
            productive[u] += h * paid * (1 - units_op.sites[u].shrinkage)
    idle = {u: max(0.0, productive[u] - sum(v for (w, _, _), v in worked.items() if w == u)) for u in index.units}
    unmet = (plan.coverage.assign(h=plan.coverage["shortfall"] * hours).groupby(["queue", "market"])["h"].sum()
             .to_dict() if len(plan.coverage) else {})
    out = []
    for site, units in index.by_site.items():
        site_pairs = {p for u in units for p in skills[u]}
        for u in units:
            if u not in with_shift:
                continue
            for q, m in sorted(site_pairs - set(skills[u])):
                penalty = SHORTFALL_PENALTY_FACTOR * (10 - op.queues[q].priority) * penalty_base
                on_pair = {w: worked[(w, q, m)] for w in index.units if worked[(w, q, m)] > 0}
                pair_hours = sum(on_pair.values())
                pair_cost = (sum(unit_cost[w] * h for w, h in on_pair.items()) / pair_hours) if pair_hours else 0.0
                room = units_op.sites[u].max_headcount > 0 or idle[u] > 0  # it could take some
                short = unmet.get((q, m), 0.0) if room else 0.0
                parts = {
                    "unmet": short * penalty,
                    "cheaper": pair_hours * max(0.0, pair_cost - unit_cost[u]),
                    "idle": min(idle[u], pair_hours) * pair_cost,
                }
                why = []
                if parts["unmet"] > 0:
                    why.append(f"{unmet[(q, m)]:,.1f} agent-hours of {m} {q} unmet")
                if parts["cheaper"] > 0:
                    why.append(f"{index.label(u)} costs {unit_cost[u]:,.2f} per productive hour against "
                               f"{pair_cost:,.2f} for the teams working it")
                if parts["idle"] > 0:
                    why.append(f"{index.label(u)} has {idle[u]:,.1f} idle productive hours")
                out.append(Candidate(site, index.team_of(u), q, m, index.label(u), float(sum(parts.values())),
                                     "; ".join(why) or "no estimated saving"))
    out.sort(key=lambda c: (-c.estimate, c.site, c.team, c.queue, c.market))
    return out[:max(0, int(n))]


def with_skill(op: Operation, candidate: Candidate) -> Operation:
    """The operation with the candidate's team certified for its pair."""
    index = team_index(op)
    team = candidate.team if index.has_teams(candidate.site) else None
    cert = Certification(site=candidate.site, queue=candidate.queue, market=candidate.market, team=team)
    return dataclasses.replace(op, certifications=[*op.certifications, cert])


def _attainment(plan, q: str, m: str) -> float:
    rows = plan.queues[(plan.queues["queue"] == q) & (plan.queues["market"] == m)]
    return float(rows["predicted"].iloc[0]) if len(rows) else np.nan


def value_of_cross_training(op: Operation, requirements: pd.DataFrame, options=None, *,
                            n: int = DEFAULT_CANDIDATES, chosen: list[Candidate] | None = None,
                            progress=None) -> CrossTrainingReport:
    """Solve the base plan, choose ``n`` candidates (or take ``chosen``) and re-plan each.

    ``options``: ``PlanOptions`` for every solve (default: ``DEFAULT_SECONDS`` each).
    ``progress(message, fraction)`` is told before each solve."""
    from planning.shiftplan import PlanOptions, solve_plan

    say = progress or (lambda message, fraction: None)
    options = options or PlanOptions(time_limit_seconds=DEFAULT_SECONDS)
    weeks = _horizon_weeks(requirements)
    say("Solving the base plan", 0.0)
    base = solve_plan(op, requirements, options)
    if not base.ok:
        raise ValueError(f"the base plan could not be solved (status {base.status}); try a longer time limit")
    picked = list(chosen) if chosen is not None else candidates(op, requirements, base, n)
    rows, notes = [], []
    for k, c in enumerate(picked):
        say(f"Re-planning with {c.label} certified for {c.market} {c.queue} ({k + 1} of {len(picked)})",
            (k + 1) / (len(picked) + 1))
        # warm start from the base plan: it is still feasible with one more skill, so the
        # re-plan starts no worse than the base (less noise from the time limit)
        plan = solve_plan(with_skill(op, c), requirements, options, start=base.decision_values)
        if not plan.ok:
            rows.append({"site": c.site, "team": c.team, "label": c.label, "queue": c.queue, "market": c.market,
                         "why": c.why, "status": plan.status})
            continue
        value = (base.objective - plan.objective) / weeks
        gap = max(base.gap if np.isfinite(base.gap) else 0.0, plan.gap if np.isfinite(plan.gap) else 0.0)
        rows.append({
            "site": c.site, "team": c.team, "label": c.label, "queue": c.queue, "market": c.market, "why": c.why,
            "status": plan.status, "cost_saving_per_week": (base.cost - plan.cost) / weeks,
            "unmet_hours_saved_per_week": (base.unmet_agent_hours - plan.unmet_agent_hours) / weeks,
            "attainment_before": _attainment(base, c.queue, c.market),
            "attainment_after": _attainment(plan, c.queue, c.market),
            "value_per_week": value, "gap": gap,
            "within_gap": abs(base.objective - plan.objective) <= gap * max(abs(base.objective), 1e-9) + 1e-6})
    if not picked:
        notes.append("no candidate: no team lacks a skill another team of its site has "
                     "(an operation without teams has none)")
    if any(r.get("within_gap") for r in rows):
        notes.append("a saving within the solver's gap may be noise of the time limit; a longer time limit "
                     "settles it")
    say("Done", 1.0)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values("value_per_week", ascending=False, na_position="last", ignore_index=True)
    return CrossTrainingReport(op.settings.currency, weeks, base.cost, base.objective, base.unmet_agent_hours,
                               base.status, frame, notes)


def report_to_json(report: CrossTrainingReport) -> dict:
    """Plain numbers for ``--json`` (NaN as null)."""
    def clean(v):
        if isinstance(v, (float, np.floating)):
            return None if not np.isfinite(v) else round(float(v), 6)
        if isinstance(v, np.bool_):
            return bool(v)
        if isinstance(v, np.integer):
            return int(v)
        return v
    return {"currency": report.currency, "weeks": round(report.weeks, 6), "base_cost": clean(report.base_cost),
            "base_objective": clean(report.base_objective), "base_unmet_agent_hours": clean(report.base_unmet),
            "base_status": report.base_status, "notes": report.notes,
            "candidates": [{k: clean(v) for k, v in row.items()} for row in report.rows.to_dict("records")]}
