"""The shift planner: headcount per site x shift x day that covers every queue's SLA at least cost.

A mixed-integer model solved with OR-Tools (``pywraplp``; SCIP by default, HiGHS
selectable).  Decisions:

* ``headcount[site, shift, date]`` (integer): agents starting a site-local shift template
  on a local date; or, with weekly tours, ``tour[site, shift, week, first_day]``: agents
  working the same start time on ``tour_days`` consecutive days from ``first_day``;
* ``agents[site, queue, market, t]`` (continuous): productive agents of a site working a
  certified queue x market pair in UTC interval ``t``;
* ``backlog[queue, market, t]`` (continuous, work hours) for deferred queues;
* ``short`` / ``late`` (continuous): shortfall, penalised by queue priority, so an answer
  always comes back with the unmet demand shown.

Shift local times map to UTC per date via ``planning.inputs.timezones.shift_utc_coverage``
(DST, +05:30, +05:45 with fractional interval coverage).

Each constraint is one named function below, registered in ``HARD_CONSTRAINTS``; the
objective terms are in ``SOFT_TERMS``.  ``planning.shiftplan.check`` re-verifies a plan
independently; ``planning.shiftplan.diagnosis`` explains shortfalls in words.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from ortools.linear_solver import pywraplp

from planning.shiftplan import highsmip

from planning.shiftplan import highs as shiftplan_highs
from planning.domain import Operation
from planning.shiftplan.build import build_model
from planning.shiftplan.model import PlanModel

Progress = Callable[[str], None]

DEFAULT_BACKEND = "SCIP"  # measured in bench/plan.py; see docs/shiftplan.md


@dataclass(frozen=True)
class PlanOptions:
    """How to solve.  ``None`` means: take it from ``Operation.settings``.

    weekly_tours : decide weekly tours (same start, ``tour_days`` consecutive days)
        instead of free headcount per shift and day
    time_limit_seconds : wall-clock limit of the MIP solve [s]
    gap_target : stop at this relative gap (0.005 = 0.5%)
    seed : solver random seed
    backend : a ``pywraplp`` solver id: "SCIP" or "HIGHS"
    method : "auto" picks the direct MIP for small models, and for large ones the HiGHS
        children (diving and neighbourhood search, branch and cut beside it; the better
        plan wins); "mip" / "lp-round" force the in-process MIP or LP rounding (no HiGHS)
    horizon_mode : "cyclic" (default): the horizon is the pattern that repeats week after
        week (steady state): the backlog at its end is its start's, work arriving on
        Sunday night is due, and staffed, on Monday morning of the same pattern, and a
        shift running past the end covers the first intervals (no carry-in shifts from
        the day before).  "open": an empty backlog at the start, nothing due after the
        end, shifts from the day before count for their part inside the horizon (a
        re-plan from a real backlog, or to compare).  "backlog": open at the start, and
        every item arriving in the horizon is done by its end (the monitor's re-plan from
        the real backlog).  docs/shiftplan.md.
    """

    weekly_tours: bool = False
    tour_days: int = 5
    time_limit_seconds: float | None = None
    gap_target: float | None = None
    seed: int | None = None
    backend: str = DEFAULT_BACKEND
    method: str = "auto"  # "auto" | "mip" (always the MIP) | "lp-round" (always the rounding)
    horizon_mode: str = "cyclic"  # "cyclic" (steady-state week) | "open" (free edges) | "backlog" (re-plan)


@dataclass
class PlanResult:
    """A solved plan: status, numbers and the tidy frames of docs/contracts.md."""

    status: str  # optimal | feasible | infeasible | not_solved | error
    objective: float
    cost: float  # paid-hours cost only (no penalties) [currency]
    bound: float  # best proven lower bound of the objective
    lp_bound: float  # LP-relaxation bound of the objective (nan if not computed)
    gap: float  # (objective - bound) / objective
    seconds: float
    backend: str
    unmet_agent_hours: float
    shifts: pd.DataFrame
    allocation: pd.DataFrame
    coverage: pd.DataFrame
    cost_by_site: pd.DataFrame
    queues: pd.DataFrame  # queue, market, sla_kind, target, predicted, simulated
    kpis: dict = field(default_factory=dict)
    model_size: dict = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    options: PlanOptions = field(default_factory=PlanOptions)
    decision_values: dict = field(default_factory=dict)  # decision name -> headcount (a warm start)
    cut_shortfall: dict = field(default_factory=dict)  # (queue, market, t) -> agents below a simulation cut
    # the agent-level check (planning.shiftplan.loop / simulate_plan): engine, replications,
    # seconds, population, loop rounds; {} until the plan is simulated
    simulation: dict = field(default_factory=dict)
    # simulate_plan's per-interval frame of the latest check (None until simulated)
    simulated_intervals: pd.DataFrame | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "feasible")


_STATUS = {
    pywraplp.Solver.OPTIMAL: "optimal",
    pywraplp.Solver.FEASIBLE: "feasible",
    pywraplp.Solver.INFEASIBLE: "infeasible",
    pywraplp.Solver.UNBOUNDED: "unbounded",
    pywraplp.Solver.ABNORMAL: "error",
    pywraplp.Solver.NOT_SOLVED: "not_solved",
}


def _resolve(op: Operation, options: PlanOptions | None) -> PlanOptions:
    options = options or PlanOptions()
    s = op.settings
    return PlanOptions(
        weekly_tours=options.weekly_tours,
        tour_days=options.tour_days,
        time_limit_seconds=options.time_limit_seconds or s.solver_time_limit_seconds,
        gap_target=s.solver_gap_target if options.gap_target is None else options.gap_target,
        seed=s.random_seed if options.seed is None else options.seed,
        backend=options.backend.upper(),
        method=options.method,
        horizon_mode=options.horizon_mode,
    )


def _configure(solver: pywraplp.Solver, opts: PlanOptions, seconds: float) -> pywraplp.MPSolverParameters:
    solver.SetTimeLimit(max(1, int(seconds * 1000)))
    solver.SuppressOutput()
    if opts.backend == "SCIP":
        solver.SetSolverSpecificParametersAsString(
            f"randomization/randomseedshift = {int(opts.seed)}\n")
    else:  # HiGHS: the banner goes to stdout unless output is off (breaks --json)
        solver.SetSolverSpecificParametersAsString(f"output_flag = false\nrandom_seed = {int(opts.seed)}\n")
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, float(opts.gap_target))
    return params


# Models up to this many variables go to the MIP solver directly (seeded with the LP's
# rounded solution); larger ones use LP + repaired rounding, which reaches a small gap
# in a fraction of the time (measured in bench/plan.py, see docs/shiftplan.md).
DIRECT_MIP_MAX_VARIABLES = 15_000
MIN_LP_SECONDS = 600.0


def solve_plan(op: Operation, requirements: pd.DataFrame, options: PlanOptions | None = None,
               progress: Progress | None = None, *, cuts: dict | None = None,
               start: dict | None = None) -> PlanResult:
    """Plan shifts for ``requirements`` (docs/contracts.md) and return a ``PlanResult``.

    Small models: the LP relaxation (HiGHS simplex, the LP bound), then the MIP
    (``backend``) with the rounded LP solution as a hint.  Large models: HiGHS in child
    processes (``planning.shiftplan.highs``: LP, diving and neighbourhood search, branch
    and cut beside it); if they bring back no plan, or with ``method="lp-round"``, the LP
    rounding in this process (``planning.shiftplan.rounding``).  docs/shiftplan.md has the
    details and the measurements.

    cuts : simulation cuts ``{(queue, market, UTC interval): agents}`` (the
        ``simulation_cuts`` rule; ``planning.shiftplan.loop``)
    start : a previous plan's ``PlanResult.decision_values`` (decision name -> headcount):
        a warm start (the MIP's hint; the HiGHS dive also repairs it by adding agents)
    """
    from planning.shiftplan.rounding import lp_relaxation, round_and_fix

    say = progress or (lambda message: None)
    opts = _resolve(op, options)
    t0 = time.perf_counter()
    deadline = t0 + opts.time_limit_seconds
    solver = pywraplp.Solver.CreateSolver(opts.backend)
    if solver is None:
        raise ValueError(f"solver backend '{opts.backend}' is not available; use SCIP or HIGHS")
    say("Building the model")
    model = build_model(solver, op, requirements, weekly_tours=opts.weekly_tours,
                        tour_days=opts.tour_days, horizon_mode=opts.horizon_mode, cuts=cuts)
    size = {"integer_variables": len(model.decisions), "variables": solver.NumVariables(),
            "constraints": solver.NumConstraints(), "build_seconds": time.perf_counter() - t0}
    say(f"Model: {size['variables']:,} variables ({size['integer_variables']:,} integer), "
        f"{size['constraints']:,} constraints")
    method = opts.method
    if method == "auto":
        method = "mip" if size["variables"] <= DIRECT_MIP_MAX_VARIABLES else "lp-round"
    search = None
    if opts.method == "auto" and method == "lp-round" and opts.backend == "SCIP" and highsmip.available():
        # HiGHS in child processes: LP, diving and neighbourhood search, and branch and
        # cut on the other core; the cheaper plan wins (docs/shiftplan.md).
        search = shiftplan_highs.start(model, opts, deadline, say, start=_start_vector(model, start))
    try:
        found = shiftplan_highs.collect(search, model, opts, deadline, say) if search else None
        if search is not None and found is None:
            say("HiGHS brought back no plan; solving the LP relaxation in this process")
    except BaseException:  # interrupted (e.g. a Stop in the app): no orphan HiGHS
        if search is not None:
            search.close()
        raise

    def finish(status: str, objective: float, bound: float, lp_bound: float) -> PlanResult:
        seconds = time.perf_counter() - t0
        size["solve_seconds"] = seconds - size["build_seconds"]
        say(f"Solver finished: {status} in {seconds:.1f} s")
        return extract_result(model, op, requirements, status, seconds, objective, bound, lp_bound, opts, size)

    if found is not None:
        model.values = found.values
        size["method"] = found.method
        return finish(found.status, found.objective, found.bound, found.lp_bound)
    say("Solving the LP relaxation")
    # The LP relaxation and the first rounding always finish (an answer always comes
    # back); the time limit bounds the search for better integer solutions.
    relaxed = lp_relaxation(model, opts, max(MIN_LP_SECONDS, deadline - time.perf_counter()))
    lp_bound = relaxed.objective if relaxed.ok else math.nan
    say(f"LP bound {lp_bound:,.0f}" if relaxed.ok else f"LP relaxation: {relaxed.status}")
    if not relaxed.ok:
        method = "mip"
    size["method"] = method
    if method == "mip":
        say(f"Solving the MIP with {opts.backend} (gap target {opts.gap_target:.2%})")
        params = _configure(solver, opts, max(1.0, deadline - time.perf_counter()))
        warm = _start_vector(model, start)
        if warm is not None and opts.backend == "SCIP":  # the previous plan (it is feasible: shortfalls are soft)
            solver.SetHint(model.decision_vars, [float(warm[v.index()]) for v in model.decision_vars])
        elif relaxed.ok and opts.backend == "SCIP":  # HiGHS via pywraplp crashes on hints
            solver.SetHint(model.decision_vars,
                           [float(math.ceil(relaxed.values[v.index()] - 1e-6)) for v in model.decision_vars])
        code = solver.Solve(params)
        status = _STATUS.get(code, "error")
        if status in ("optimal", "feasible"):
            model.values = np.array([v.solution_value() for v in solver.variables()])
            objective = solver.Objective().Value()
            bound = solver.Objective().BestBound()
        elif relaxed.ok:  # no integer solution in time: fall back to the rounding
            say("No MIP solution in time; rounding the LP instead")
            status, objective, values = round_and_fix(model, relaxed, opts, deadline, say)
            model.values, bound = values, lp_bound
        else:
            objective = bound = math.nan
    else:
        say("Rounding the LP headcounts and re-solving the allocation")
        status, objective, values = round_and_fix(model, relaxed, opts, deadline, say)
        model.values = values
        bound = lp_bound
    return finish(status, objective, bound, lp_bound)


def _start_vector(model: PlanModel, start: dict | None) -> np.ndarray | None:
    """A full column vector with the previous plan's headcounts on the decision columns
    (decisions it did not have start at 0), or None."""
    if not start:
        return None
    values = np.zeros(model.solver.NumVariables())
    for d, var in zip(model.decisions, model.decision_vars):
        values[var.index()] = min(float(start.get(d.name, 0.0)), var.ub())
    return values


def extract_result(model: PlanModel, op: Operation, requirements: pd.DataFrame, status: str,
                   seconds: float, objective: float, bound: float, lp_bound: float,
                   opts: PlanOptions, size: dict) -> PlanResult:
    from planning.shiftplan.output import build_frames

    solved = status in ("optimal", "feasible")
    if solved:
        if not math.isnan(lp_bound):
            bound = max(bound, lp_bound) if not math.isnan(bound) else lp_bound
        bound = min(bound, objective)
        gap = (objective - bound) / abs(objective) if abs(objective) > 1e-9 else 0.0
    else:
        objective = bound = gap = math.nan
    # the mode the model was built in (a horizon of partial days cannot repeat: open)
    opts = dataclasses.replace(opts, horizon_mode="cyclic" if model.cyclic else
                               ("backlog" if model.terminal else "open"))
    frames = build_frames(model, op, requirements) if solved else None
    empty = pd.DataFrame()
    return PlanResult(
        status=status, objective=objective,
        cost=frames["cost"] if frames else math.nan,
        bound=bound, lp_bound=lp_bound, gap=max(gap, 0.0) if solved else math.nan,
        seconds=seconds, backend=(f"HiGHS/{size['method'].removeprefix('highs-')}" if size.get("method", "").startswith("highs-")
                                  else f"{opts.backend}/{size.get('method', 'mip')}"),
        unmet_agent_hours=frames["unmet_agent_hours"] if frames else math.nan,
        shifts=frames["shifts"] if frames else empty,
        allocation=frames["allocation"] if frames else empty,
        coverage=frames["coverage"] if frames else empty,
        cost_by_site=frames["cost_by_site"] if frames else empty,
        queues=frames["queues"] if frames else empty,
        kpis=frames["kpis"] if frames else {},
        model_size=size, messages=list(model.notes), options=opts,
        decision_values=({d.name: round(model.value(v)) for d, v in zip(model.decisions, model.decision_vars)}
                         if solved else {}),
        cut_shortfall={key: model.value(v) for key, v in model.cut_short.items()} if solved else {},
    )


SIMULATION_REPLICATIONS = 4  # agent-level replications judging a plan (CI over them)
PAIR_REPLICATIONS = 3  # per queue x market in the per-pair fast check


def simulate_plan(op: Operation, requirements: pd.DataFrame, plan: PlanResult,
                  replications: int = SIMULATION_REPLICATIONS, *, volume: pd.DataFrame | None = None,
                  seed: int | None = None):
    """Judge ``plan`` by the agent-level simulation (``planning.simulation.simulate_agents``:
    integer agents at their sites, shrinkage as whole agents off the floor, deadline-aware
    routing pooled across sites, per-agent wellness caps) and write its figures into the
    plan:

    * ``plan.queues``: ``simulated`` (share of the pair's judged items within SLA, mean
      over replications), ``simulated_lo`` / ``simulated_hi`` (95% interval);
    * ``plan.kpis``: ``simulated_attainment`` (+ ``_lo``/``_hi``) over all judged items,
      ``pairs_meeting_target`` / ``pairs_judged`` (CI upper end >= target);
    * ``plan.simulation``: engine, replications, seconds, the population judged.

    Population: the items arriving in the horizon.  Cyclic plans run in steady state
    (the horizon repeated once before as warm-up and after it until every deadline has
    passed); open plans start from an empty floor and run on with the plan repeated.
    ``volume`` (``timestamp, queue, market, volume``): what to judge against (default the
    requirements' forecast volume; pass real volume for a backtest).  Returns the
    per-interval frame (``timestamp, queue, market, items_judged, simulated_service_level``)
    or None when the plan has no solution."""
    from planning.simulation import simulate_agents

    if not plan.ok:  # (a plan with no shifts is simulated: its items are all missed)
        return None
    if volume is None:
        cols = [c for c in ("timestamp", "queue", "market", "volume", "aht_seconds") if c in requirements]
        volume = requirements[cols]
    cyclic = getattr(plan.options, "horizon_mode", "open") == "cyclic"
    res = simulate_agents(op, plan, volume, replications=replications,
                          seed=op.settings.random_seed if seed is None else seed,
                          warmup_repeats=1 if cyclic else 0)
    attach_simulation(plan, res)
    plan.simulated_intervals = res.intervals.rename(columns={"attainment": "simulated_service_level"})[
        ["timestamp", "queue", "market", "items_judged", "simulated_service_level"]]
    return plan.simulated_intervals


def attach_simulation(plan: PlanResult, res) -> None:
    """Write an ``AgentSimResult``'s figures into ``plan`` (see ``simulate_plan``)."""
    figures = res.pairs[["queue", "market", "attainment", "attainment_lo", "attainment_hi"]].rename(
        columns={"attainment": "simulated", "attainment_lo": "simulated_lo", "attainment_hi": "simulated_hi"})
    queues = plan.queues.drop(columns=["simulated", "simulated_lo", "simulated_hi"], errors="ignore")
    plan.queues = queues.merge(figures, on=["queue", "market"], how="left")
    judged = plan.queues[plan.queues["simulated"].notna()]
    upper = judged["simulated_hi"].fillna(judged["simulated"])
    plan.kpis = dict(plan.kpis or {})
    plan.kpis.update({
        "simulated_attainment": res.attainment, "simulated_attainment_lo": res.attainment_lo,
        "simulated_attainment_hi": res.attainment_hi,
        "pairs_meeting_target": int((upper >= judged["target"] - 1e-9).sum()),
        "pairs_judged": int(len(judged)),
        "severe_share_max": res.severe_share_max})
    plan.simulation = {
        **(plan.simulation or {}),
        "engine": "agent-level", "replications": res.replications, "seed": res.seed,
        "routing": res.routing, "seconds_per_replication": res.seconds_per_replication,
        "items_judged": float(res.pairs["items_judged"].sum()),
        "population": (f"items arriving {res.judged_start:%Y-%m-%d %H:%M} to "
                       f"{res.judged_end:%Y-%m-%d %H:%M} UTC (every item arriving in the horizon)"),
        "notes": list(res.notes)}


def simulate_plan_pairs(op: Operation, requirements: pd.DataFrame, plan: PlanResult,
                        replications: int = PAIR_REPLICATIONS) -> pd.DataFrame | None:
    """The fast check: run the plan's planned agents per pair (fractional, interchangeable,
    one queue per pair: the LP's own picture) through the per-pair discrete-event engine
    (``planning.simulation.pairs.simulate_staffing``) and fill
    ``plan.queues['simulated_pairs']``: the volume-weighted attainment per queue x market.
    ``simulate_plan`` (agent level) is the figure a plan is judged by.

    Population: the items arriving in the horizon, as the predicted figure.  Cyclic plans
    (steady state): the simulator warms up with the plan's horizon repeated once before
    the judged one (so the backlog carried in from last week is there) and runs on into
    the next repeat for as long as the longest deadline, so every item arriving in the
    horizon is judged at its deadline.  Open plans: one pass from an empty queue, judging
    the arrivals whose deadline falls inside the horizon.  Returns the simulator's
    per-interval frame for the horizon (None if the plan has no solution)."""
    from planning.simulation import simulate_staffing

    if not plan.ok or not len(plan.coverage):
        return None
    frame = requirements[["timestamp", "queue", "market", "volume", "aht_seconds"]].merge(
        plan.coverage[["timestamp", "queue", "market", "planned"]], on=["timestamp", "queue", "market"],
        how="left").fillna({"planned": 0.0})
    horizon = pd.DatetimeIndex(frame["timestamp"])
    cyclic = getattr(plan.options, "horizon_mode", "open") == "cyclic" and len(frame)
    if cyclic:
        step = pd.Timedelta(minutes=int(requirements["interval_minutes"].iloc[0])
                            if "interval_minutes" in requirements else op.settings.interval_minutes)
        length = horizon.max() + step - horizon.min()
        longest = max(max(q.deadline_seconds / 3600.0, q.sla_rest_within_hours or 0.0) for q in op.queues.values())
        tail = frame[horizon < horizon.min() + min(length, pd.Timedelta(hours=longest) + step)]
        frame = pd.concat([frame.assign(timestamp=frame["timestamp"] - length), frame,
                           tail.assign(timestamp=tail["timestamp"] + length)], ignore_index=True)
    sim = simulate_staffing(frame, op, replications=replications, agents_column="planned")
    if cyclic:
        inside = pd.DatetimeIndex(sim["timestamp"])
        sim = sim[(inside >= horizon.min()) & (inside <= horizon.max())].reset_index(drop=True)
        frame = requirements[["timestamp", "queue", "market", "volume"]]
    # Compare like with like: the arrivals the predicted level judges (cyclic: all of them;
    # open: those whose deadline falls inside the horizon).
    judged = plan.coverage[["timestamp", "queue", "market", "predicted_service_level"]]
    both = sim.merge(frame[["timestamp", "queue", "market", "volume"]], on=["timestamp", "queue", "market"])
    both = both.merge(judged, on=["timestamp", "queue", "market"], how="left")
    both = both[both["simulated_service_level"].notna() & both["predicted_service_level"].notna()
                & (both["volume"] > 0)]
    both["_met"] = both["simulated_service_level"] * both["volume"]
    per_pair = both.groupby(["queue", "market"])[["_met", "volume"]].sum()
    simulated = (per_pair["_met"] / per_pair["volume"]).rename("simulated_pairs").reset_index()
    plan.queues = plan.queues.drop(columns=["simulated_pairs"], errors="ignore").merge(
        simulated, on=["queue", "market"], how="left")
    return sim
