"""Independent checker and evaluator of a hiring plan.

Shares nothing with the optimiser but the problem arrays: it replays the plan week by
week as a cohort simulation (attrition applied to every cohort each week, productivity
looked up by class age), splits each week's supply over the queue x market pairs with a
separate LP (scipy / HiGHS, not OR-Tools), recomputes the cost from scratch and lists every
broken rule.  It also evaluates the "hire nobody" view.
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


def allocate(problem: CapacityProblem, productive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-penalty split of each week's productive hours over certified pairs (scipy HiGHS)."""
    S, P, T = len(problem.sites), len(problem.pairs), problem.T
    alloc, short = np.zeros((S, P, T)), problem.demand_hours.copy()
    links = problem.certified
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
               reported_cost: float | None = None, reported_objective: float | None = None) -> list[str]:
    """Every rule the plan breaks, as sentences (empty list = the plan is valid)."""
    problems: list[str] = []
    hires, classes = np.asarray(hires), np.asarray(classes)
    wk = [w.strftime("%Y-%m-%d") for w in problem.weeks]
    for s, site in enumerate(problem.sites):
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
    for s, site in enumerate(problem.sites):
        sup = problem.supply[s]
        base = sup.current_headcount * weekly_retention(sup.monthly_attrition) ** np.arange(problem.T)
        limit = np.maximum(problem.max_headcount[s], base) + 1e-6
        over = np.nonzero(ev.headcount[s] > limit)[0]
        if len(over):
            problems.append(f"{site}: headcount {ev.headcount[s, over[0]]:.1f} above the contract max "
                            f"{problem.max_headcount[s]:.0f} in week {wk[over[0]]}")
    if reported_cost is not None and not np.isclose(reported_cost, ev.cost, rtol=1e-6, atol=1.0):
        problems.append(f"reported cost {reported_cost:,.2f} differs from the replayed cost {ev.cost:,.2f}")
    if reported_objective is not None and not np.isclose(reported_objective, ev.objective, rtol=1e-4, atol=1.0):
        problems.append(f"reported objective {reported_objective:,.2f} differs from the replayed {ev.objective:,.2f}")
    return problems
