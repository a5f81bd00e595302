"""Seats under the headcount caps of the hiring model (``capacity.model``).

Today's staff after attrition (``base_headcount``), the room a site planned by team leaves
above its teams' staff (``site_room``) and its hard row (``add_site_caps``), and the room
cuts at the contract maximum (``room_inflow``, ``add_room_cuts``): valid inequalities that
make the LP pay for the seats whole classes leave empty.
"""
from __future__ import annotations

import math

import numpy as np

from planning.capacity.problem import CapacityProblem
from planning.capacity.supply import weekly_retention


def base_headcount(problem: CapacityProblem, s: int) -> np.ndarray:
    """Today's staff at site s by week after attrition (0 from the site's exit week)."""
    sup = problem.supply[s]
    out = sup.current_headcount * weekly_retention(sup.monthly_attrition) ** np.arange(problem.T)
    out[int(problem.exit_week[s]):] = 0.0
    return out


def site_room(problem: CapacityProblem, site: str) -> np.ndarray:
    """[T] seats above today's staff under the cap of a site planned by team: the site's
    max_headcount minus its teams' staff by week (never below 0)."""
    base = sum(base_headcount(problem, s) for s in problem.site_units()[site])
    return np.maximum(0.0, problem.site_max_headcount[site] - base)


def add_site_caps(problem: CapacityProblem, solver, hired_of: dict, wk: list[str]) -> None:
    """hard site_headcount_max: the teams' people from classes fit in the room the site's cap
    leaves above its teams' staff (each team's own cap is the bound on its ``hired``)."""
    for site, members in problem.site_units().items():
        room = site_room(problem, site)
        for t in range(problem.T):
            stocks = [hired_of[s, t] for s in members if (s, t) in hired_of]
            if len(stocks) < 1:
                continue
            row = solver.Constraint(-solver.infinity(), float(room[t]), f"site_headcount_max[site={site},week={wk[t]}]")
            for x in stocks:
                row.SetCoefficient(x, 1.0)


def room_inflow(problem: CapacityProblem, s: int) -> tuple[np.ndarray, float]:
    """Seats freed at site s each week by attrition and today's staff leaving:
    ``d[t] = room[t] - r * room[t-1]`` (``d[0] = room[0]``), all >= 0; and r."""
    r = weekly_retention(problem.supply[s].monthly_attrition)
    room = np.maximum(0.0, problem.max_headcount[s] - base_headcount(problem, s))
    return room - r * np.concatenate([[0.0], room[:-1]]), r


def add_room_cuts(problem: CapacityProblem, built, max_weeks: int | None = None) -> int:
    """Valid inequalities for sites near their contract maximum (returns how many).

    With u[t] = room[t] - hired[t] the empty seats, ``u[t] = r u[t-1] + d[t] - hires[t]``.
    Seats freed after the last class before t stay empty until t: ``u[t] >= sum over weeks
    τ in (last class, t] of r**(t-τ) d[τ]``.  "No class in τ..t" is at least
    ``1 - sum_{l=τ..t} classes[l]`` for integer classes, so for every window length j

        hired[t] <= room[t] - sum_{i=1..j} c_i (1 - sum_{l=t-i+1..t} classes[l]),   c_i = r**(i-1) d[t-i+1]

    The LP refills seats a fraction of a class at a time; whole classes (>= class_min) leave
    about half a class of seats empty on average, which these rows make the LP pay for.
    Window lengths run up to about twice the weeks attrition needs to free a minimum class.
    """
    solver, n = built.solver, 0
    inflow = {s: room_inflow(problem, s) for s in range(len(problem.sites))}
    for (s, t), hired in built.hired.items():
        d, r = inflow[s]
        sup = problem.supply[s]
        room_t = max(0.0, float(problem.max_headcount[s] - base_headcount(problem, s)[t]))
        weekly = max(float(np.mean(d[max(0, t - 8):t + 1])), 1e-9)
        longest = int(min(t + 1, max_weeks or 10 ** 6, math.ceil(2 * sup.class_min / weekly)))
        unit, wk = problem.unit_key(s), problem.weeks[t].strftime("%Y-%m-%d")
        for j in range(1, longest + 1):
            c = np.array([r ** (i - 1) * d[t - i + 1] for i in range(1, j + 1)])
            # coefficient of classes[l], l = t-i'+1: sum of c_i for i >= i'
            tail = np.cumsum(c[::-1])[::-1]
            terms = [(built.classes[s, t - i + 1], float(tail[i - 1])) for i in range(1, j + 1)
                     if (s, t - i + 1) in built.classes and tail[i - 1] > 1e-9]
            if not terms or c.sum() <= 1e-6:
                continue
            row = solver.Constraint(-solver.infinity(), room_t - float(c.sum()),
                                    f"room_cut[{unit},week={wk},weeks={j}]")
            row.SetCoefficient(hired, 1.0)
            for k, coef in terms:
                row.SetCoefficient(k, -coef)
            n += 1
    return n
