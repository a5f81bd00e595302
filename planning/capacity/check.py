"""Independent checker and evaluator of a hiring plan.

Shares nothing with the optimiser but the problem arrays: it replays the plan week by
week as a cohort simulation (attrition applied to every cohort each week, productivity
looked up by class age), splits each week's supply over the queue x market pairs with a
separate LP (scipy / HiGHS, not OR-Tools), recomputes the cost from scratch and lists every
broken rule.  It also evaluates the "hire nobody" view.

Who may serve what is re-derived here from the certification rows (``certified_links``), not
taken from the problem's links: a team unit serves the pairs of its own rows and of the
site-wide rows; a site unit every pair of its site's rows.  Caps are checked per unit (a
team's own cap) and per site planned by team (the sum of its teams).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from planning.capacity.problem import CapacityProblem
from planning.capacity.supply import productivity_at, weekly_retention

TOLERANCE = 1e-6


@dataclass
class Evaluation:
    headcount: np.ndarray       # [S, T]
    productive_fte: np.ndarray  # [S, T]
    short: np.ndarray           # [P, T] unmet productive hours
    alloc: np.ndarray           # [S, P, T]
    salary: np.ndarray          # [S, T] paid cost incl. billing up to the contract minimum
    hiring: np.ndarray          # [S, T] hire + training cost of classes starting that week
    penalty: float              # priority-weighted shortfall penalty

    @property
    def cost(self) -> float:
        """Money actually spent: salary (and minimum billing) + hiring + training."""
        return float(self.salary.sum() + self.hiring.sum())

    @property
    def objective(self) -> float:
        return self.cost + self.penalty


def simulate(problem: CapacityProblem, hires: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Headcount and productive FTE per site and week from a week-by-week cohort replay."""
    S, T = len(problem.sites), problem.T
    headcount, productive = np.zeros((S, T)), np.zeros((S, T))
    for s in range(S):
        sup = problem.supply[s]
        r = weekly_retention(sup.monthly_attrition)
        cohorts: list[list[float]] = [[-10**6, float(sup.current_headcount)]]  # [start week, people]
        for t in range(T):
            if t > 0:
                for c in cohorts:
                    c[1] *= r
            if hires[s, t] > 0:
                cohorts.append([t, float(hires[s, t])])
            if t >= problem.exit_week[s]:
                continue
            headcount[s, t] = sum(c[1] for c in cohorts)
            productive[s, t] = sum(c[1] * (1.0 if c[0] < 0 else productivity_at(sup, t - c[0])) for c in cohorts)
    return headcount, productive


def certified_links(problem: CapacityProblem) -> list[tuple[int, int]]:
    """(s, p) unit s may serve pair p, by the rule of ``planning.teams`` applied to the
    certification rows: a row with a team certifies that team, a row without one every
    team of the site; a site unit (no team) takes every row of its site."""
    if not problem.certification_rows:  # a problem built by hand: its own links
        return list(problem.certified)
    links = set()
    for s, site in enumerate(problem.sites):
        team = problem.team(s)
        for row_site, row_team, p in problem.certification_rows:
            if row_site == site and (team == "" or row_team is None or row_team == team):
                links.add((s, p))
    return sorted(links)


def allocate(problem: CapacityProblem, productive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-penalty split of each week's productive hours over certified pairs (scipy HiGHS)."""
    S, P, T = len(problem.sites), len(problem.pairs), problem.T
    alloc, short = np.zeros((S, P, T)), problem.demand_hours.copy()
    links = certified_links(problem)
    if not links:
        return alloc, short
    for t in range(T):
        n = len(links)
        # variables: alloc per link, then short per pair; minimise penalty * short
        c = np.concatenate([np.zeros(n), problem.penalty_per_hour])
        a_ub, b_ub = [], []
        for s in range(S):
            row = np.zeros(n + P)
            row[[i for i, (ss, _) in enumerate(links) if ss == s]] = 1.0
            a_ub.append(row)
            b_ub.append(productive[s, t] * problem.hours_per_fte(s))
        for p in range(P):  # -(sum alloc + short) <= -demand
            row = np.zeros(n + P)
            row[[i for i, (_, pp) in enumerate(links) if pp == p]] = -1.0
            row[n + p] = -1.0
            a_ub.append(row)
            b_ub.append(-problem.demand_hours[p, t])
        bounds = [(0, None)] * n + [(0, problem.demand_hours[p, t]) for p in range(P)]
        res = linprog(c, A_ub=np.array(a_ub), b_ub=np.array(b_ub), bounds=bounds, method="highs")
        if res.status != 0:
            raise RuntimeError(f"checker allocation LP failed in week {t}: {res.message}")
        for i, (s, p) in enumerate(links):
            alloc[s, p, t] = res.x[i]
        short[:, t] = res.x[n:]
    return alloc, short


def evaluate(problem: CapacityProblem, hires: np.ndarray) -> Evaluation:
    """Replay a plan (hires per site per week, [S, T]) and cost it."""
    hires = np.asarray(hires)
    headcount, productive = simulate(problem, hires)
    alloc, short = allocate(problem, productive)
    salary = np.zeros_like(headcount)
    hiring = np.zeros_like(headcount)
    for s in range(len(problem.sites)):
        live = np.arange(problem.T) < problem.exit_week[s]
        billed = np.where(live, np.maximum(headcount[s], problem.min_headcount[s]), 0.0)
        salary[s] = billed * problem.salary_per_week[s]
        hiring[s] = hires[s] * problem.cost_per_hire(s)
    penalty = float((problem.penalty_per_hour[:, None] * short).sum())
    return Evaluation(headcount, productive, short, alloc, salary, hiring, penalty)


def split_classes(hires: int, classes: int, class_min: int, class_max: int) -> list[int]:
    """Class sizes as even as possible: ``hires`` people in ``classes`` classes."""
    if classes <= 0:
        return [hires] if hires else []
    base, extra = divmod(int(hires), int(classes))
    return [base + (1 if i < extra else 0) for i in range(int(classes))]


def check_plan(problem: CapacityProblem, hires: np.ndarray, classes: np.ndarray,
               reported_cost: float | None = None, reported_objective: float | None = None,
               alloc: np.ndarray | None = None) -> list[str]:
    """Every rule the plan breaks, as sentences (empty list = the plan is valid).

    alloc : the plan's productive hours per unit, pair and week [S, P, T] (optional): checked
        against the certifications and the replayed supply.
    """
    problems: list[str] = []
    hires, classes = np.asarray(hires), np.asarray(classes)
    wk = [w.strftime("%Y-%m-%d") for w in problem.weeks]
    for s in range(len(problem.sites)):
        site = problem.unit_label(s)
        sup = problem.supply[s]
        earliest = problem.freeze_weeks + sup.recruiting_lead_weeks
        for t in range(problem.T):
            n = hires[s, t]
            if n != int(n) or n < 0:
                problems.append(f"{site} {wk[t]}: hires {n} is not a whole number >= 0")
            if n > sup.max_hires_per_week:
                problems.append(f"{site} {wk[t]}: {n} hires above the cap of {sup.max_hires_per_week} a week")
            if n > 0 and t < earliest:
                problems.append(f"{site} {wk[t]}: class starts before week {earliest} (freeze + lead time)")
            if n > 0 and t >= problem.exit_week[s]:
                problems.append(f"{site} {wk[t]}: class starts after the site's exit")
            for size in split_classes(int(n), int(classes[s, t]), sup.class_min, sup.class_max):
                if not sup.class_min <= size <= sup.class_max:
                    problems.append(f"{site} {wk[t]}: class of {size} outside {sup.class_min}-{sup.class_max}")
    ev = evaluate(problem, hires)
    bases = []
    for s in range(len(problem.sites)):
        sup = problem.supply[s]
        base = sup.current_headcount * weekly_retention(sup.monthly_attrition) ** np.arange(problem.T)
        base[int(problem.exit_week[s]):] = 0.0
        bases.append(base)
        limit = np.maximum(problem.max_headcount[s], base) + 1e-6
        over = np.nonzero(ev.headcount[s] > limit)[0]
        if len(over):
            what = "the team's max" if problem.team(s) else "the contract max"
            problems.append(f"{problem.unit_label(s)}: headcount {ev.headcount[s, over[0]]:.1f} above {what} "
                            f"{problem.max_headcount[s]:.0f} in week {wk[over[0]]}")
    for site, cap in problem.site_max_headcount.items():
        members = [s for s, name in enumerate(problem.sites) if name == site]
        total = ev.headcount[members].sum(axis=0)
        over = np.nonzero(total > np.maximum(cap, sum(bases[s] for s in members)) + 1e-6)[0]
        if len(over):
            problems.append(f"{site}: its teams' headcount {total[over[0]]:.1f} above the site's max {cap:.0f} "
                            f"in week {wk[over[0]]}")
    if alloc is not None:
        problems += _check_alloc(problem, np.asarray(alloc), ev, wk)
    if reported_cost is not None and not np.isclose(reported_cost, ev.cost, rtol=1e-6, atol=1.0):
        problems.append(f"reported cost {reported_cost:,.2f} differs from the replayed cost {ev.cost:,.2f}")
    if reported_objective is not None and not np.isclose(reported_objective, ev.objective, rtol=1e-4, atol=1.0):
        problems.append(f"reported objective {reported_objective:,.2f} differs from the replayed {ev.objective:,.2f}")
    return problems


def _check_alloc(problem: CapacityProblem, alloc: np.ndarray, ev: Evaluation, wk: list[str]) -> list[str]:
    """The plan's hours go only to pairs the unit is certified for, within its replayed supply."""
    out = []
    allowed = set(certified_links(problem))
    for s, p in zip(*np.nonzero(alloc.max(axis=2) > 1e-6)):
        if (int(s), int(p)) not in allowed:
            q, m = problem.pairs[p]
            t = int(np.argmax(alloc[s, p]))
            out.append(f"{problem.unit_label(s)} serves {q}/{m} ({alloc[s, p, t]:.1f} h in week {wk[t]}) "
                       "without a certification for it")
    for s in range(len(problem.sites)):
        given = alloc[s].sum(axis=0)
        supply = ev.productive_fte[s] * problem.hours_per_fte(s)
        over = np.nonzero(given > supply * (1 + 1e-6) + 1e-4)[0]
        if len(over):
            t = int(over[0])
            out.append(f"{problem.unit_label(s)}: {given[t]:.1f} productive hours allocated in week {wk[t]}, "
                       f"above its replayed supply of {supply[t]:.1f} h")
    return out
