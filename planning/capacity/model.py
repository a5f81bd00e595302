"""The hiring optimiser: a MIP over training classes per supply unit per week (OR-Tools, SCIP).

A supply unit is a site, or a team of a site whose hiring rows are per team
(``capacity.problem``); "site" below is the unit (a team unit's solver names read
``[site=MNL-A,team=JA,...]``).

Decisions
    hires[site, week]    integer, new agents whose class starts training that week
    classes[site, week]  integer, number of classes they form
    alloc[site, pair, week]  productive hours a site gives a queue x market (certified only)
    short[pair, week]    unmet productive hours
    below_min[site, week] FTE below the contract minimum (billed anyway)

Constraints (named, grouped hard / soft)
    hard  class_size:   class_min * classes <= hires <= class_max * classes
    hard  hire_cap:     hires <= max_hires_per_week; none before freeze + lead time, none
                        from the site's exit week
    hard  headcount_max: headcount <= contract max (or the current staff if already above);
                        a team's own cap
    hard  site_headcount_max: the teams of a site planned by team together <= the site's cap
    hard  site_hours:   sum_pair alloc <= productive FTE * paid hours * (1 - shrinkage)
    soft  demand:       sum_site alloc + short >= demand hours  (priority-weighted penalty)
    soft  headcount_min: headcount + below_min >= contract min  (paid at the salary rate)

    cuts  room_cut:     valid inequalities at the contract maximum (``add_room_cuts``): seats
                        freed after the last class stay empty; they cut off fractional
                        refilling, never a whole-class plan

Objective: salary of hires + hire and training cost + shortfall penalties + below-minimum
billing.  The salary of today's staff is fixed (nobody is fired) and reported as a constant,
so the MIP gap is measured on the part the plan controls.

Solve (``solve``): relax-and-fix warm start -> fix-and-optimize on the sites serving the pairs
left short -> the full MIP hinted with that plan.  The reported bound is the larger of SCIP's
and the LP relaxation with the room cuts (both proven lower bounds).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp

from planning.capacity.problem import CapacityProblem
from planning.capacity.room import add_room_cuts, add_site_caps, base_headcount, site_room

_VERBOSE = False  # print the SCIP log (debugging only)
CUT_WEEKS: int | None = 4
"""Longest window of the room cuts (``add_room_cuts``); None = up to twice a class's refill time."""
FIX_AND_OPTIMIZE_SHARE = 0.85
"""Share of the time limit by which the fix-and-optimize step (``fix_and_optimize``) must end;
the full MIP, hinted with its plan, gets the rest."""
SCIP_OPTIONS = "separating/maxroundsroot = 5\nseparating/maxrounds = 1\n"
"""Few cutting rounds: on this model they move the bound little and delay the first plan."""
from planning.capacity.supply import first_class_week, productivity_at, weekly_retention, SupplyLevers


@dataclass
class ModelResult:
    status: str
    hires: np.ndarray        # [S, T] int
    classes: np.ndarray      # [S, T] int
    headcount: np.ndarray    # [S, T]
    productive_fte: np.ndarray  # [S, T]
    alloc: np.ndarray        # [S, P, T] productive hours
    short: np.ndarray        # [P, T] productive hours
    below_min: np.ndarray    # [S, T]
    objective: float         # controllable part
    constant: float          # salary of current staff over the horizon
    bound: float
    gap: float
    seconds: float


def cohort_coefficients(problem: CapacityProblem, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Per age a (weeks since class start): headcount share r**a and productive share r**a * prod(a)."""
    sup = problem.supply[s]
    r = weekly_retention(sup.monthly_attrition)
    ages = np.arange(problem.T)
    stay = r ** ages
    prod = np.array([productivity_at(sup, int(a)) for a in ages])
    return stay, stay * prod


def class_weeks(problem: CapacityProblem, s: int) -> range:
    """Weeks a class may start at site s."""
    first = first_class_week(problem.supply[s], SupplyLevers(freeze_weeks=problem.freeze_weeks))
    return range(first, int(min(problem.exit_week[s], problem.T)))


def pair_groups(problem: CapacityProblem) -> list[list[int]]:
    """Pairs with the same certified sites and the same penalty behave as one demand: the
    model sums them (fewer rows) and the result splits back in proportion to demand."""
    sites_of: dict[int, list[int]] = {p: [] for p in range(len(problem.pairs))}
    for s, p in problem.certified:
        sites_of[p].append(s)
    groups: dict[tuple, list[int]] = {}
    for p in range(len(problem.pairs)):
        groups.setdefault((tuple(sorted(sites_of[p])), round(float(problem.penalty_per_hour[p]), 6)), []).append(p)
    return list(groups.values())


@dataclass
class _Built:
    solver: pywraplp.Solver
    hires: dict
    classes: dict
    short: dict
    alloc: dict
    below: dict
    groups: list
    group_sites: dict
    group_demand: np.ndarray
    constant: float
    hired: dict      # (s, t) -> people from classes still employed (the headcount_max stock)


def build(problem: CapacityProblem, *, hires_allowed: bool = True, integer: bool = True,
          backend: str = "SCIP", cut_weeks: int | None = 0) -> _Built:
    """The hiring model (``integer=False``: its LP relaxation, solved with GLOP).

    Stocks keep the model sparse: ``hired[s,t] = r * hired[s,t-1] + hires[s,t]`` (people from
    classes still employed) and ``graduated[s,t] = r * graduated[s,t-1] + r**L * hires[s,t-L]``
    (of them, those past training + nesting, L weeks); productive FTE = today's staff +
    graduated + the productivity-weighted classes younger than L.
    """
    S, P, T = len(problem.sites), len(problem.pairs), problem.T
    solver = pywraplp.Solver.CreateSolver(backend if integer else "GLOP")
    var = solver.IntVar if integer else solver.NumVar
    inf = solver.infinity()
    wk = [w.strftime("%Y-%m-%d") for w in problem.weeks]
    salary = problem.salary_per_week
    objective = solver.Objective()
    hires: dict = {}
    classes: dict = {}
    for s in range(S):
        sup, unit = problem.supply[s], problem.unit_key(s)
        max_classes = sup.max_hires_per_week // sup.class_min
        if not hires_allowed or max_classes < 1:
            continue
        for w in class_weeks(problem, s):
            h = var(0, sup.max_hires_per_week, f"hires[{unit},week={wk[w]}]")
            k = var(0, max_classes, f"classes[{unit},week={wk[w]}]")
            solver.Add(h >= sup.class_min * k, f"class_size_min[{unit},week={wk[w]}]")
            solver.Add(h <= sup.class_max * k, f"class_size_max[{unit},week={wk[w]}]")
            objective.SetCoefficient(h, problem.cost_per_hire(s))
            hires[s, w], classes[s, w] = h, k
    constant = float(sum(salary[s] * base_headcount(problem, s).sum() for s in range(S)))

    site_hours, below, hired_of = {}, {}, {}
    for s in range(S):
        sup = problem.supply[s]
        r = weekly_retention(sup.monthly_attrition)
        ramp = sup.training_weeks + sup.nesting_weeks
        base = base_headcount(problem, s)
        hpf = problem.hours_per_fte(s)
        prev_hired = prev_grad = None
        any_hires = any(ss == s for ss, _ in hires)
        for t in range(int(problem.exit_week[s])):
            name = f"[{problem.unit_key(s)},week={wk[t]}]"
            hours = solver.Constraint(-inf, base[t] * hpf, "site_hours" + name)
            site_hours[s, t] = hours
            gap_min = max(0.0, problem.min_headcount[s] - base[t])
            b = None
            if gap_min > 0:
                b = solver.NumVar(0, gap_min, "below_min" + name)
                objective.SetCoefficient(b, float(salary[s]))
                below[s, t] = b
            if not any_hires:
                continue
            room = max(0.0, problem.max_headcount[s] - base[t])
            hired = solver.NumVar(0, room, "hired" + name)  # headcount_max as a bound
            objective.SetCoefficient(hired, float(salary[s]))
            hired_of[s, t] = hired
            stock = solver.Constraint(0, 0, "hired_stock" + name)
            stock.SetCoefficient(hired, 1.0)
            if prev_hired is not None:
                stock.SetCoefficient(prev_hired, -r)
            if (s, t) in hires:
                stock.SetCoefficient(hires[s, t], -1.0)
            grad = solver.NumVar(0, inf, "graduated" + name)
            gstock = solver.Constraint(0, 0, "graduated_stock" + name)
            gstock.SetCoefficient(grad, 1.0)
            if prev_grad is not None:
                gstock.SetCoefficient(prev_grad, -r)
            if (s, t - ramp) in hires:
                gstock.SetCoefficient(hires[s, t - ramp], -(r ** ramp))
            hours.SetCoefficient(grad, -hpf)
            for a in range(min(ramp, t + 1)):
                if (s, t - a) in hires:
                    share = productivity_at(sup, a) * r ** a
                    if share > 0:
                        hours.SetCoefficient(hires[s, t - a], -share * hpf)
            if b is not None:
                hc_min = solver.Constraint(gap_min, inf, "headcount_min" + name)
                hc_min.SetCoefficient(b, 1.0)
                hc_min.SetCoefficient(hired, 1.0)
            prev_hired, prev_grad = hired, grad
    add_site_caps(problem, solver, hired_of, wk)

    groups = pair_groups(problem)
    demand, short, alloc = {}, {}, {}
    group_demand = np.array([problem.demand_hours[g].sum(axis=0) for g in groups]).reshape(len(groups), T)
    for gi, members in enumerate(groups):
        label = "+".join(f"{q}/{m}" for q, m in (problem.pairs[p] for p in members))
        for t in range(T):
            name = f"[pairs={label},week={wk[t]}]"
            x = solver.NumVar(0, float(group_demand[gi, t]), "short" + name)
            objective.SetCoefficient(x, float(problem.penalty_per_hour[members[0]]))
            c = solver.Constraint(float(group_demand[gi, t]), inf, "demand" + name)
            c.SetCoefficient(x, 1.0)
            demand[gi, t], short[gi, t] = c, x
    group_sites = {gi: sorted({s for s, p in problem.certified if p in members}) for gi, members in enumerate(groups)}
    for gi, sites in group_sites.items():
        for s in sites:
            for t in range(int(problem.exit_week[s])):
                if group_demand[gi, t] <= 0:
                    continue
                a = solver.NumVar(0, inf, f"alloc[{problem.unit_key(s)},group={gi},week={wk[t]}]")
                demand[gi, t].SetCoefficient(a, 1.0)
                site_hours[s, t].SetCoefficient(a, 1.0)
                alloc[s, gi, t] = a
    objective.SetOffset(constant)
    objective.SetMinimization()
    built = _Built(solver, hires, classes, short, alloc, below, groups, group_sites, group_demand, constant, hired_of)
    if cut_weeks != 0:
        add_room_cuts(problem, built, cut_weeks)
    return built


def relax_and_fix(problem: CapacityProblem, window: int = 13, threshold: float = 0.25,
                  cut_weeks: int | None = 0) -> tuple[np.ndarray, np.ndarray, list[float]] | None:
    """A whole-class plan from the LP relaxation, fixed window by window (a primal heuristic).

    Solve the LP; in the next ``window`` weeks turn each unit's fractional hires into whole
    classes (a class starts once the running fractional sum reaches half a minimum class,
    sized to it within the class limits, the weekly cap and the headcount room, its own and
    its site's when the site is planned by team); fix them;
    re-solve so later weeks adapt; repeat.  Returns (hires, classes, values of all model
    variables) to warm-start the MIP, or None when an LP fails.
    """
    m = build(problem, integer=False, cut_weeks=cut_weeks)
    S, T = len(problem.sites), problem.T
    hires, classes = np.zeros((S, T), dtype=int), np.zeros((S, T), dtype=int)
    stock = np.zeros(S)
    rooms = [np.maximum(0.0, problem.max_headcount[s] - base_headcount(problem, s)) for s in range(S)]
    keep = [weekly_retention(sup.monthly_attrition) for sup in problem.supply]
    site_of_unit = {s: site for site, members in problem.site_units().items() for s in members}
    site_rooms = {site: site_room(problem, site) for site in problem.site_units()}
    committed = np.zeros((S, T))  # people from fixed classes by week (for the site caps)
    for start in range(0, T, window):
        if m.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        values = {k: v.solution_value() for k, v in m.hires.items()}  # read before any change
        for s in range(S):
            sup = problem.supply[s]
            carry = 0.0
            for t in range(start, min(T, start + window)):
                stock[s] *= keep[s] if t else 1.0
                if (s, t) not in m.hires:
                    continue
                carry += values[s, t]
                size = 0
                if carry >= threshold:
                    size = max(sup.class_min, math.ceil(carry - 1e-6))
                    size = int(min(size, sup.max_hires_per_week, math.floor(rooms[s][t] - stock[s] + 1e-9)))
                    if s in site_of_unit:  # the site's cap bounds its teams together, every later week
                        members = problem.site_units()[site_of_unit[s]]
                        free = (site_rooms[site_of_unit[s]][t:] - committed[members, t:].sum(axis=0))
                        size = max(0, int(min(size, math.floor(float(np.min(free / keep[s] ** np.arange(T - t))) + 1e-9))))
                k = math.ceil(size / sup.class_max) if size > 0 else 0
                if k and size < k * sup.class_min:
                    size, k = 0, 0
                hires[s, t], classes[s, t] = size, k
                carry -= size
                stock[s] += size
                committed[s, t:] += size * keep[s] ** np.arange(T - t)
                m.hires[s, t].SetBounds(size, size)
                m.classes[s, t].SetBounds(k, k)
    if m.solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    return hires, classes, [v.solution_value() for v in m.solver.variables()]


def fix_and_optimize(problem: CapacityProblem, values: list[float], backend: str, options: str,
                     deadline: float, max_sites: int = 2) -> list[float] | None:
    """A better plan near ``values`` (all model variables of a whole-class plan), or None.

    The sites serving the pairs left short (after the first class could be productive) are
    the ones where whole classes cost most against the LP; re-solve the MIP with only their
    classes free (the others fixed as in ``values``) until ``deadline``.
    """
    m = build(problem, backend=backend, cut_weeks=CUT_WEEKS)
    if not m.hires or deadline - time.perf_counter() < 0.5:
        return None
    variables = m.solver.variables()
    start = min(class_weeks(problem, s).start + problem.supply[s].training_weeks for s, _ in m.hires)
    score = np.zeros(len(problem.sites))
    for (gi, t), x in m.short.items():
        lost = values[x.index()] * float(problem.penalty_per_hour[m.groups[gi][0]])
        if t >= start and lost > 0:
            for s in m.group_sites[gi]:
                score[s] += lost
    free = [s for s in np.argsort(-score)[:max_sites] if score[s] > 0]
    if not free:
        return None
    for key, h in m.hires.items():
        if key[0] not in free:
            k = m.classes[key]
            h.SetBounds(float(round(values[h.index()])), float(round(values[h.index()])))
            k.SetBounds(float(round(values[k.index()])), float(round(values[k.index()])))
    m.solver.SetHint(variables, [round(v) if var.integer() else v for v, var in zip(values, variables)])
    m.solver.SetTimeLimit(int((deadline - time.perf_counter()) * 1000))
    m.solver.SetSolverSpecificParametersAsString(options)
    if m.solver.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    return [v.solution_value() for v in variables]


def solve(problem: CapacityProblem, *, time_limit_s: float = 30.0, gap_target: float = 0.005,
          seed: int = 7, hires_allowed: bool = True, backend: str = "SCIP") -> ModelResult:
    """Solve the hiring MIP, warm-started from the rounded LP relaxation.

    ``hires_allowed=False`` gives the "hire nobody" plan.
    """
    if backend not in ("SCIP", "CBC"):  # HiGHS through pywraplp dies on this model (OR-Tools 9.15)
        raise ValueError(f"unsupported MIP backend '{backend}'; use SCIP or CBC")
    S, P, T = len(problem.sites), len(problem.pairs), problem.T
    started = time.perf_counter()
    deadline = started + time_limit_s
    options = {"SCIP": f"randomization/randomseedshift = {int(seed)}\n" + SCIP_OPTIONS}
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, float(gap_target))
    cuts = CUT_WEEKS if hires_allowed else 0
    heuristic = relax_and_fix(problem) if hires_allowed else None
    hint = heuristic[2] if heuristic else None
    lp_bound = -math.inf  # the LP relaxation with the room cuts: a proven lower bound
    if hires_allowed:
        relaxed = build(problem, integer=False, cut_weeks=cuts)
        if relaxed.solver.Solve() == pywraplp.Solver.OPTIMAL:
            lp_bound = relaxed.solver.Objective().Value()
    if hint is not None:
        better = fix_and_optimize(problem, hint, backend, options.get(backend, ""),
                                  started + FIX_AND_OPTIMIZE_SHARE * time_limit_s)
        if better is not None:
            hint = better
    m = build(problem, hires_allowed=hires_allowed, backend=backend, cut_weeks=cuts)
    solver, hires, classes, short, alloc, below = m.solver, m.hires, m.classes, m.short, m.alloc, m.below
    groups, group_sites, group_demand, constant = m.groups, m.group_sites, m.group_demand, m.constant
    objective = solver.Objective()
    if hint is not None:
        variables = solver.variables()
        hint = [round(v) if var.integer() else v for v, var in zip(hint, variables)]
        solver.SetHint(variables, hint)
    solver.SetTimeLimit(int(max(0.5, deadline - time.perf_counter()) * 1000))
    if _VERBOSE:
        solver.EnableOutput()
    solver.SetSolverSpecificParametersAsString(options.get(backend, ""))
    code = solver.Solve(params)
    seconds = time.perf_counter() - started
    status = {pywraplp.Solver.OPTIMAL: "optimal", pywraplp.Solver.FEASIBLE: "feasible",
              pywraplp.Solver.INFEASIBLE: "infeasible", pywraplp.Solver.UNBOUNDED: "unbounded",
              pywraplp.Solver.ABNORMAL: "abnormal", pywraplp.Solver.NOT_SOLVED: "not solved"}.get(code, str(code))
    if code not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        raise RuntimeError(f"the capacity model could not be solved (status {status})")

    H = np.zeros((S, T), dtype=int)
    K = np.zeros((S, T), dtype=int)
    for (s, w), h in hires.items():
        H[s, w] = int(round(h.solution_value()))
        K[s, w] = int(round(classes[s, w].solution_value()))
    A = np.zeros((S, P, T))
    X = np.zeros((P, T))
    for gi, members in enumerate(groups):
        total = group_demand[gi]
        safe = np.where(total > 0, total, 1.0)
        for p in members:
            share = problem.demand_hours[p] / safe
            X[p] = np.array([short[gi, t].solution_value() for t in range(T)]) * share
            for s in group_sites[gi]:
                A[s, p] = np.array([alloc[s, gi, t].solution_value() if (s, gi, t) in alloc else 0.0
                                    for t in range(T)]) * share
    B = np.zeros((S, T))
    for (s, t), b in below.items():
        B[s, t] = b.solution_value()
    HC, E = np.zeros((S, T)), np.zeros((S, T))
    for s in range(S):
        stay, productive = cohort_coefficients(problem, s)
        end = int(problem.exit_week[s])
        base = base_headcount(problem, s)
        for t in range(end):
            ages = t - np.arange(t + 1)
            HC[s, t] = base[t] + float((H[s, : t + 1] * stay[ages]).sum())
            E[s, t] = base[t] + float((H[s, : t + 1] * productive[ages]).sum())
    value = objective.Value() - constant
    bound = (max(objective.BestBound(), lp_bound) - constant) if hires else value
    if status == "feasible" and abs(value - bound) <= gap_target * max(abs(value + constant), 1e-9):
        status = "optimal"  # within the gap target against the proven bound
    gap = abs(value - bound) / max(abs(value + constant), 1e-9)
    return ModelResult(status, H, K, HC, E, A, X, B, float(value), constant, float(bound), float(gap), seconds)
