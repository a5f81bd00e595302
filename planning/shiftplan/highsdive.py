"""LP diving and large-neighbourhood search for the shift-plan MIP, run with ``highspy``.

Runs in the child process of ``planning.shiftplan.highsmip`` (mode ``"dive"``): it imports
``highspy`` and numpy only.  The idea (measured in docs/shiftplan.md):

1. the LP relaxation (HiGHS dual simplex): the LP bound;
2. a *round-up dive*: raise the lower bound of the fractional headcounts nearest their
   ceiling to that ceiling, a few at a time, and re-solve the LP (warm-started from the
   previous basis, milliseconds each) until every headcount is integral.  Rounding up
   keeps every coverage row satisfiable, the LP moves the other headcounts and the
   allocation to compensate, and the end point is a real plan (an LP solution of the
   unchanged model whose headcounts are integral);
3. *large-neighbourhood search*: free the headcounts of one site, or of one local day,
   keep the rest at the incumbent, re-solve the LP and dive again; keep the result when
   it is cheaper.  Neighbourhoods are visited in a seeded random order until the time
   limit, the gap target, or a full round without an improvement.

Every improving plan is handed to ``on_plan`` as soon as it is found.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

INTEGRAL_TOLERANCE = 1e-6
# Headcounts pinned per diving step, as a share of the integer columns (at least 5).
# Sample week: one per step 0.69% in 7.5 s, five per step 0.74% in 2.2 s.
DIVE_SHARE = 0.02
# The LP relaxation and the first dive always finish (an answer always comes back), up to this long.
LP_SECONDS = 600.0


@dataclass
class DiveResult:
    lp_status: str
    lp_bound: float
    lp_seconds: float
    objective: float          # best plan's objective (nan when none)
    values: np.ndarray | None
    neighbourhoods: int


class Diver:
    """Diving and LNS on one ``highspy.Highs`` LP (the model with integrality dropped)."""

    def __init__(self, highs, integer: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 deadline: float, status_name: Callable[[], str]):
        self.h = highs
        self.integer = np.asarray(integer, np.int32)
        self.lower, self.upper = np.asarray(lower, float), np.asarray(upper, float)
        self.deadline = deadline
        self._status = status_name
        self.per_step = max(5, math.ceil(DIVE_SHARE * len(self.integer)))

    # -- LP helpers ------------------------------------------------------------------
    def _solve(self, lo: np.ndarray, hi: np.ndarray, hard_limit: float | None = None) -> bool:
        self.h.changeColsBounds(len(self.integer), self.integer, lo, hi)
        left = (self.deadline - time.perf_counter()) if hard_limit is None else hard_limit
        # HiGHS's time limit is on its run clock, which adds up over the calls to run()
        self.h.setOptionValue("time_limit", self.h.getRunTime() + max(0.5, left))
        self.h.run()
        return self._status() == "Optimal"

    def _values(self) -> np.ndarray:
        return np.asarray(self.h.getSolution().col_value, float)

    def objective(self) -> float:
        return float(self.h.getInfo().objective_function_value)

    # -- diving --------------------------------------------------------------------
    def _step_size(self, fractional: int, step_seconds: float | None, budget: float) -> int:
        """Headcounts to round per step: ``per_step``, or more when the steps measured so
        far would not fit the dive into ``budget`` seconds (large models), but always at
        least four steps for what is left."""
        size = self.per_step
        if step_seconds and budget > 0:
            size = max(size, math.ceil(fractional * step_seconds / budget))
        elif step_seconds:
            size = fractional
        return max(1, min(size, math.ceil(fractional / 4)))

    def dive(self, lo: np.ndarray, hi: np.ndarray, finish: bool = False,
             budget_share: float = 0.35) -> np.ndarray | None:
        """Round-up dive from bounds ``lo``/``hi`` of the integer columns; the LP solution
        (all columns) with integral headcounts, or None (infeasible or out of time).  With
        ``finish`` the dive ignores the deadline (the first plan must come back).  Steps
        grow when re-solves are slow, so the dive takes about ``budget_share`` of the
        time left."""
        lo, hi = lo.copy(), hi.copy()
        limit = LP_SECONDS if finish else None
        if not self._solve(lo, hi, limit):
            return None
        budget = budget_share * (self.deadline - time.perf_counter())
        step_seconds, started, steps = None, time.perf_counter(), 0
        while True:
            values = self._values()
            x = values[self.integer]
            frac = x - np.floor(x)
            fractional = np.where(np.minimum(frac, 1 - frac) > INTEGRAL_TOLERANCE)[0]
            if not len(fractional):
                return values
            if not finish and time.perf_counter() > self.deadline:
                return None
            if steps:
                step_seconds = (time.perf_counter() - started) / steps
                budget = budget_share * (self.deadline - time.perf_counter())
            size = self._step_size(len(fractional), step_seconds, budget)
            steps += 1
            take = fractional[np.argsort(-frac[fractional], kind="stable")][:size]
            trial = lo.copy()
            trial[take] = np.minimum(np.ceil(x[take]), hi[take])
            if self._solve(trial, hi, limit):
                lo = trial
                continue
            # A cap forbids rounding these up together: one at a time, down if up fails.
            for k in take:
                up = lo.copy()
                up[k] = min(math.ceil(x[k]), hi[k])
                if self._solve(up, hi, limit):
                    lo = up
                    continue
                down = hi.copy()
                down[k] = max(math.floor(x[k]), lo[k])
                if self._solve(lo, down, limit):
                    hi = down
                    continue
                return None
            # the last successful solve was at the current (lo, hi): loop on

    def search(self, start: np.ndarray, start_objective: float, groups: list[np.ndarray], seed: int,
               good_enough: float, on_plan: Callable[[float, np.ndarray], None]) -> tuple[float, np.ndarray, int]:
        """LNS from the integral plan ``start``: (objective, values, neighbourhoods tried)."""
        best_obj, best = start_objective, start
        y = np.round(start[self.integer])
        rng = np.random.default_rng(seed)
        tried = 0
        while time.perf_counter() < self.deadline and best_obj > good_enough:
            improved = False
            for g in rng.permutation(len(groups)):
                if time.perf_counter() >= self.deadline or best_obj <= good_enough:
                    break
                free = groups[g]
                lo, hi = y.copy(), y.copy()
                lo[free], hi[free] = self.lower[free], self.upper[free]
                values = self.dive(lo, hi)
                tried += 1
                if values is None:
                    continue
                # the dive's last LP has integral headcounts: its objective is the plan's
                objective = self.objective()
                if objective < best_obj - 1e-6 * max(1.0, abs(best_obj)):
                    best_obj, best, y, improved = objective, values, np.round(values[self.integer]), True
                    on_plan(best_obj, best)
            if not improved:
                break
        return best_obj, best, tried


def groups_from_labels(*labels: np.ndarray) -> list[np.ndarray]:
    """Neighbourhoods: for each label array (e.g. site, day of each integer column), the
    positions sharing each value."""
    out = []
    for label in labels:
        label = np.asarray(label)
        for value in np.unique(label):
            members = np.where(label == value)[0]
            if 0 < len(members) < len(label):
                out.append(members)
    return out


def run(highs, data: dict, options: dict, status_name: Callable[[], str],
        say: Callable[[dict], None], on_plan: Callable[[float, np.ndarray], None]) -> DiveResult:
    """LP, dive, LNS on the model already passed to ``highs`` as an LP."""
    t0 = time.perf_counter()
    deadline = t0 + float(options["time_limit"])
    highs.setOptionValue("time_limit", LP_SECONDS)
    highs.run()
    lp_seconds = time.perf_counter() - t0
    if status_name() != "Optimal":
        return DiveResult(status_name(), math.nan, lp_seconds, math.nan, None, 0)
    bound = float(highs.getInfo().objective_function_value)
    say({"t": round(lp_seconds, 1), "lp_bound": bound})
    integer = np.where(np.asarray(data["integrality"]) == 1)[0]
    diver = Diver(highs, integer, data["col_lower"][integer], data["col_upper"][integer], deadline, status_name)
    values, objective = None, math.inf
    if "start" in data:  # warm start: the previous plan, repaired by adding agents only
        lo = np.clip(np.round(np.asarray(data["start"], float)[integer]), diver.lower, diver.upper)
        values = diver.dive(lo, diver.upper, finish=True)
        if values is not None:
            objective = diver.objective()
            on_plan(objective, values)
    fresh = diver.dive(diver.lower, diver.upper, finish=values is None)
    if fresh is not None and diver.objective() < objective:
        values, objective = fresh, diver.objective()
        on_plan(objective, values)
    if values is None:
        return DiveResult("Optimal", bound, lp_seconds, math.nan, None, 0)
    gap = float(options.get("gap", 0.0))
    good_enough = bound / max(1e-12, 1 - gap) if gap > 0 else -math.inf
    labels = [data[k] for k in ("int_site", "int_day") if k in data]
    tried = 0
    if labels:
        objective, values, tried = diver.search(values, objective, groups_from_labels(*labels),
                                                int(options.get("seed", 1)), good_enough, on_plan)
    return DiveResult("Optimal", bound, lp_seconds, objective, values, tried)
