"""The large-model solve path: HiGHS children beside (instead of) the in-process rounding.

``planning.shiftplan.highsmip`` runs HiGHS in child processes (``highspy`` cannot share a process
with OR-Tools).  For a large model ``solve_plan`` starts:

* a **dive** child (always): the LP relaxation (the LP bound), a round-up dive to a first
  plan, then neighbourhood search (``planning.shiftplan.highsdive``) until the time limit;
* a **branch-and-cut** child (when at least ``HIGHS_MIN_SECONDS`` are left and the model
  has at most ``HIGHS_MAX_VARIABLES`` variables): HiGHS's MIP solver, whose root cuts raise
  the proven bound and whose sub-MIP heuristics find cheaper plans given a minute.

This module relays their progress, stops the search once the gap target is met, and
picks the cheaper plan; the bound is the larger of the LP bound and HiGHS's dual bound.
If the dive child brings back no plan (it crashed, or highspy failed), the caller falls
back to the in-process LP rounding, so an answer always comes back.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from planning.shiftplan import highsmip

HIGHS_RESERVE_SECONDS = 1.0  # of the time limit, kept for reading the children's answers
# Below this much time HiGHS branch and cut does not get past the root node of the sample
# week (root LP and cut rounds take 15-25 s on 2 cores), so it is not started.
HIGHS_MIN_SECONDS = 20.0
# Above this size HiGHS's root LP alone takes longer than a 2-minute limit (12 sites x 60
# pairs x 2 weeks, 242k variables: ~88 s to its first bound): branch and cut is not started.
HIGHS_MAX_VARIABLES = 150_000
# Threads of the dive child when it runs alone (parallel dual simplex); 2 cores here.
DIVE_THREADS_ALONE = max(1, min(2, os.cpu_count() or 1))
# The dive child's LP and first plan always finish (an answer always comes back), within
# this long past the deadline at most.
FIRST_PLAN_SECONDS = 900.0


@dataclass
class Found:
    status: str            # optimal / feasible
    objective: float
    bound: float           # best proven bound (LP bound or HiGHS's dual bound)
    lp_bound: float
    values: np.ndarray
    method: str            # "highs-dive" or "highs-mip"


@dataclass
class Search:
    dive: highsmip.MipRun
    mip: highsmip.MipRun | None

    def runs(self):
        return [r for r in (self.dive, self.mip) if r is not None]

    def close(self) -> None:
        for run in self.runs():
            run.close()


def labels(model) -> dict[str, np.ndarray]:
    """Neighbourhood labels per integer column: its site (all the site's teams together:
    the site's cap couples them) and its (first) local day."""
    site_of = getattr(model, "site_of", lambda unit: unit)
    sites = {s: k for k, s in enumerate(sorted({site_of(d.site) for d in model.decisions}))}
    def day(d):
        return d.first_day or model.instances[d.instances[0]].date_local
    days = {x: k for k, x in enumerate(sorted({day(d) for d in model.decisions}))}
    return {"int_site": np.array([sites[site_of(d.site)] for d in model.decisions], np.int32),
            "int_day": np.array([days[day(d)] for d in model.decisions], np.int32)}


def start(model, opts, deadline: float, say, start=None) -> Search | None:
    """Start the children; ``start``: a previous plan's column vector (a warm start: the
    dive child first repairs it by adding agents, ``planning.shiftplan.highsdive.run``)."""
    from ortools.linear_solver import linear_solver_pb2

    proto = linear_solver_pb2.MPModelProto()
    model.solver.ExportModelToProto(proto)
    arrays = highsmip.proto_arrays(proto)
    left = deadline - time.perf_counter() - HIGHS_RESERVE_SECONDS
    branch_and_cut = left >= HIGHS_MIN_SECONDS and len(arrays["col_cost"]) <= HIGHS_MAX_VARIABLES
    try:
        # Without branch and cut the second core is free: the dive child's simplex uses both.
        dive = highsmip.MipRun.start(proto, arrays=arrays, mode="dive", time_limit=max(1.0, left),
                                     gap=opts.gap_target, seed=opts.seed, labels=labels(model),
                                     start_values=start,
                                     threads=1 if branch_and_cut else DIVE_THREADS_ALONE)
    except OSError as exc:  # no process could be started: the in-process rounding answers
        say(f"HiGHS could not start ({exc}); LP rounding in this process")
        return None
    mip = None
    if branch_and_cut:
        try:
            mip = highsmip.MipRun.start(proto, arrays=arrays, time_limit=left, gap=opts.gap_target,
                                        seed=opts.seed)
        except OSError:
            mip = None
    search = Search(dive, mip)
    try:
        say("Solving with HiGHS: LP relaxation, then diving and neighbourhood search"
            + (", with branch and cut on the other core" if mip else ""))
    except BaseException:  # a Stop in the app: no orphan children
        search.close()
        raise
    return search


@dataclass
class Progress:
    """What the children have said so far (from their progress lines on stdout)."""
    lp_bound: float = math.nan
    mip_bound: float = -math.inf
    best: dict = field(default_factory=lambda: {"dive": math.inf, "branch and cut": math.inf})
    mip_optimal: bool = False


def _relay(search: Search, say, seen: Progress, currency: str) -> None:
    for run, who in ((search.dive, "dive"), (search.mip, "branch and cut")):
        if run is None:
            continue
        for line in run.poll():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # HiGHS prints a banner
            if who == "branch and cut" and math.isfinite(event.get("bound", math.nan)):
                seen.mip_bound = max(seen.mip_bound, event["bound"])
            if "lp_bound" in event:
                seen.lp_bound = event["lp_bound"]
                say(f"LP bound {event['lp_bound']:,.0f} {currency} ({event['t']:.1f} s)")
            elif "objective" in event:
                seen.best[who] = min(seen.best[who], event["objective"])
                ref, name = ((seen.lp_bound, "the LP bound") if math.isfinite(seen.lp_bound)
                             else (event.get("bound", math.nan), "HiGHS's bound"))
                gap = (event["objective"] - ref) / abs(event["objective"]) if math.isfinite(ref) else math.nan
                say(f"Plan from HiGHS {who}: objective {event['objective']:,.0f} {currency}"
                    + (f", {gap:.2%} above {name}" if math.isfinite(gap) else "") + f" ({event['t']:.1f} s)")
            elif event.get("status") == "optimal" and who == "branch and cut":
                seen.mip_optimal = True


def collect(search: Search, model, opts, deadline: float, say) -> Found | None:
    """Wait for the children (relaying progress), then the cheaper plan, or None."""
    seen = Progress()
    currency = model.op.settings.currency
    while True:
        _relay(search, say, seen, currency)
        if all(r.proc.poll() is not None for r in search.runs()):
            break
        best = min(seen.best.values())
        bound = max(seen.lp_bound, seen.mip_bound) if math.isfinite(seen.lp_bound) else math.nan
        if math.isfinite(bound) and math.isfinite(best) and best - bound <= opts.gap_target * abs(best):
            break  # gap target met: stop the search
        if seen.mip_optimal:
            break  # branch and cut proved its plan optimal
        now = time.perf_counter()
        if now > deadline + 2 * HIGHS_RESERVE_SECONDS:
            if search.dive.proc.poll() is not None or math.isfinite(seen.best["dive"]):
                break  # past the limit with a plan in hand
            if now > deadline + FIRST_PLAN_SECONDS:
                break
        time.sleep(0.1)
    for run in search.runs():
        run.cancel()
    _relay(search, say, seen, currency)
    dive, mip = search.dive.wait(), (search.mip.wait() if search.mip else None)
    lp_bound = dive.bound if dive is not None and math.isfinite(dive.bound) else seen.lp_bound
    candidates = [(r, m) for r, m in ((dive, "highs-dive"), (mip, "highs-mip"))
                  if r is not None and r.values is not None and len(r.values) == model.solver.NumVariables()
                  and math.isfinite(r.objective)]
    if not candidates or not math.isfinite(lp_bound):
        return None
    # the cheapest plan; on a tie (1e-9) the one HiGHS proved optimal
    cheapest = min(c[0].objective for c in candidates)
    result, method = min(candidates, key=lambda c: (c[0].objective > cheapest + 1e-9 * abs(cheapest),
                                                    c[0].status != "optimal", c[0].objective))
    bound = lp_bound
    if mip is not None and math.isfinite(mip.bound):
        bound = max(bound, mip.bound)
    values = np.array(result.values, dtype=float)
    integer = [v.index() for v in model.decision_vars]
    values[integer] = np.round(values[integer])  # integral within HiGHS's 1e-6 tolerance
    status = "optimal" if result.status == "optimal" else "feasible"
    return Found(status, result.objective, bound, lp_bound, values, method)
