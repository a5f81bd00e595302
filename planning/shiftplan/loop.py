"""Close the loop: plan, judge the plan by the agent-level simulation, tighten the model
where the simulation finds it short, re-solve warm, and repeat.

The fluid model (``planning.shiftplan.build``) buys capacity for work in hours; the
operation runs integer agents at their sites with whole agents off the floor, a router
and per-agent wellness caps (``planning.simulation.agents``).  Where the two disagree the
simulation wins: after each solve, ``plan_and_check`` simulates the plan, and for every
queue x market whose simulated attainment (the upper end of its 95% interval) is below
target it adds **cuts** (``simulation_cuts`` in ``planning.shiftplan.constraints``): at
least ``(1 + CUT_STEP)`` x the agents the plan gave the pair, and one agent more at the
least, in the intervals where it failed (live: the intervals whose arrivals missed; deferred:
the deadline windows of the arrivals that missed).  Cuts accumulate over rounds, so a
pair once tightened stays tightened; the re-solve starts from the previous plan (the
HiGHS dive repairs it by adding agents, beside a fresh dive).  This is the simulation-
based cutting-plane idea of Atlason, Epelman & Henderson (2004) and Cezik & L'Ecuyer
(2008), with a fixed step instead of sub-gradients from the simulator.

The time limit (``PlanOptions.time_limit_seconds``) covers the whole loop: every round
leaves room for its simulation, and no round starts that cannot finish (with a limit
shorter than about twice the simulation, the first solve keeps ``FIRST_SOLVE_SHARE`` of it
and the loop overruns by the simulation's time).  What misses after
the last round is explained in words (caps, certifications, wellness, the penalty being
cheaper than agents, the time limit) in ``plan.simulation["misses"]`` and the plan's
messages.  docs/shiftplan.md has the measurements.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from planning.domain import Operation, SlaKind
from planning.shiftplan.constraints import deadline_lag_intervals
from planning.shiftplan.planner import (SIMULATION_REPLICATIONS, PlanOptions, PlanResult, _resolve,
                                        simulate_plan, solve_plan)

Progress = Callable[[str], None]

LOOP_MAX_ROUNDS = 4       # solves at most (the first one included)
CUT_STEP = 0.10           # a failing pair's agents in its failing intervals grow by this share per round
CUT_MIN_AGENTS = 1.0      # ... and by one productive agent at the least
MIN_ROUND_SECONDS = 8.0   # no re-solve is started with less solver time than this
# The first solve gets at least this share of the time left even when the simulation's
# estimate would leave it less; the simulation then runs fewer replications (at least one),
# so a short limit is overrun by one replication at most.
FIRST_SOLVE_SHARE = 0.6
# Seconds of simulation per item per replication on 2 threads (measured on the sample
# week, bench/agents.py: 3.4M items incl. warm-up and cool-down in 2.2 s), and the items
# simulated per judged item (warm-up + cool-down), to budget the loop.
SIM_SECONDS_PER_ITEM = 0.7e-6
SIM_ITEMS_PER_JUDGED = 2.5


@dataclass
class LoopRound:
    """One solve and its simulation."""

    round: int
    status: str
    cost: float  # [currency]
    gap: float
    solve_seconds: float
    simulate_seconds: float
    pairs_judged: int
    pairs_meeting_target: int
    failing: list[str] = field(default_factory=list)  # "queue market" below target
    cuts_total: int = 0  # cut rows in the model that was solved


def simulation_seconds_estimate(requirements: pd.DataFrame, replications: int) -> float:
    """Seconds the agent-level check of a plan on ``requirements`` will take (roughly)."""
    items = float(requirements["volume"].sum()) if "volume" in requirements else 0.0
    return 1.0 + SIM_SECONDS_PER_ITEM * SIM_ITEMS_PER_JUDGED * items * replications


def replications_within(seconds_left: float, estimate: float, replications: int) -> int:
    """Replications of the agent-level check that fit in ``seconds_left`` when ``replications``
    take about ``estimate`` seconds (1 s fixed cost): never fewer than one (a plan is always
    judged), never more than asked."""
    per = max(1e-9, (estimate - 1.0) / max(1, replications))
    return int(max(1, min(replications, math.floor((seconds_left - 1.0) / per))))


def failing_pairs(plan: PlanResult) -> pd.DataFrame:
    """Rows of ``plan.queues`` simulated below target (the 95% interval's upper end, or the
    mean with one replication)."""
    q = plan.queues
    if q is None or not len(q) or "simulated" not in q:
        return q.iloc[0:0] if q is not None else pd.DataFrame()
    upper = q["simulated_hi"].fillna(q["simulated"]) if "simulated_hi" in q else q["simulated"]
    return q[q["simulated"].notna() & (upper < q["target"] - 1e-9)]


def new_cuts(op: Operation, plan: PlanResult, intervals: pd.DataFrame, cuts: dict,
             interval_minutes: int) -> dict:
    """The cuts after this round: ``cuts`` raised where ``plan`` failed in simulation.

    intervals : ``simulate_plan``'s frame (``timestamp, queue, market, items_judged,
        simulated_service_level``), arrivals per interval."""
    out = dict(cuts)
    planned = plan.coverage.set_index(["queue", "market", "timestamp"])["planned"]
    stamps = pd.DatetimeIndex(sorted(plan.coverage["timestamp"].unique()))
    n = len(stamps)
    for row in failing_pairs(plan).itertuples(index=False):
        queue = op.queues[row.queue]
        mine = intervals[(intervals["queue"] == row.queue) & (intervals["market"] == row.market)]
        bad = mine[mine["simulated_service_level"] < row.target - 1e-9]
        if not len(bad):  # short overall but in no one interval: its worst tenth
            bad = mine.nsmallest(max(1, len(mine) // 10), "simulated_service_level")
        where = stamps.get_indexer(pd.DatetimeIndex(bad["timestamp"]))
        where = where[where >= 0]
        if queue.sla_kind is SlaKind.live:
            window = set(where.tolist())
        else:  # the arrivals' deadline windows (wrapping in a cyclic week)
            lag = deadline_lag_intervals(queue.sla_within_hours, interval_minutes / 60.0)
            cyclic = plan.options.horizon_mode == "cyclic"
            window = {(j + k) % n if cyclic else j + k for j in where for k in range(lag + 1)}
            window = {t for t in window if 0 <= t < n}
        for t in sorted(window):
            ts = stamps[t]
            key = (row.queue, row.market, ts)
            now = float(planned.get((row.queue, row.market, ts), 0.0))
            base = max(now, out.get(key, 0.0))
            out[key] = max(base * (1.0 + CUT_STEP), base + CUT_MIN_AGENTS)
    return out


def plan_and_check(op: Operation, requirements: pd.DataFrame, options: PlanOptions | None = None,
                   progress: Progress | None = None, *, replications: int = SIMULATION_REPLICATIONS,
                   max_rounds: int = LOOP_MAX_ROUNDS, volume: pd.DataFrame | None = None) -> PlanResult:
    """Solve, simulate agent by agent, tighten and re-solve until every queue x market meets
    its target in simulation, the rounds run out or the time limit would be passed.

    Returns the best plan found (most pairs meeting target, then the cheapest), with
    ``plan.queues``/``plan.kpis`` carrying its simulated figures (``simulate_plan``) and
    ``plan.simulation["rounds"]`` (``LoopRound`` dicts) and ``["misses"]`` (words)."""
    say = progress or (lambda message: None)
    opts = _resolve(op, options)
    interval_minutes = (int(requirements["interval_minutes"].iloc[0])
                        if "interval_minutes" in requirements and len(requirements)
                        else op.settings.interval_minutes)
    t0 = time.perf_counter()
    deadline = t0 + float(opts.time_limit_seconds)
    sim_estimate = simulation_seconds_estimate(requirements, replications)
    cuts: dict = {}
    start = None
    rounds: list[LoopRound] = []
    best: PlanResult | None = None
    stop_reason = ""
    for k in range(1, max(1, max_rounds) + 1):
        left = deadline - time.perf_counter()
        solve_limit = left - sim_estimate
        if k == 1:  # the first solve keeps at least FIRST_SOLVE_SHARE of what is left; the
            # simulation then runs with fewer replications so that the loop ends at the wall
            solve_limit = max(solve_limit, FIRST_SOLVE_SHARE * left)
        if k > 1 and solve_limit < MIN_ROUND_SECONDS:
            stop_reason = "time"
            break
        say(f"Round {k}: solving" + (f" with {len(cuts):,} simulation cuts" if cuts else "")
            + f" ({max(1.0, solve_limit):.0f} s for the solver)")
        t_solve = time.perf_counter()
        plan = solve_plan(op, requirements, dataclasses.replace(opts, time_limit_seconds=max(1.0, solve_limit)),
                          progress=say, cuts=cuts, start=start)
        solve_seconds = time.perf_counter() - t_solve
        if not plan.ok:
            rounds.append(LoopRound(k, plan.status, math.nan, math.nan, solve_seconds, 0.0, 0, 0,
                                    cuts_total=len(cuts)))
            best = best or plan
            stop_reason = "solve"
            break
        reps = replications_within(deadline - time.perf_counter(), sim_estimate, replications)
        say(f"Simulating the plan agent by agent (round {k}, {reps} replications)")
        t_sim = time.perf_counter()
        intervals = simulate_plan(op, requirements, plan, reps, volume=volume)
        sim_seconds = time.perf_counter() - t_sim
        # the next round's budget uses what was seen (scaled to the full replications)
        sim_estimate = max(sim_estimate, 1.0 + max(0.0, sim_seconds - 1.0) * replications / reps)
        failing = failing_pairs(plan)
        names = [f"{r.queue} {r.market}" for r in failing.itertuples(index=False)]
        record = LoopRound(k, plan.status, plan.cost, plan.gap, solve_seconds, sim_seconds,
                           int(plan.kpis.get("pairs_judged", 0)), int(plan.kpis.get("pairs_meeting_target", 0)),
                           names, len(cuts))
        rounds.append(record)
        say(f"Round {k}: {record.pairs_meeting_target} of {record.pairs_judged} queue x markets meet "
            f"target in simulation; cost {plan.cost:,.0f} {op.settings.currency}"
            + (f"; short: {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}" if names else ""))
        if best is None or _better(plan, best):
            best = plan
        if not names:
            break
        if k == max_rounds:
            stop_reason = "rounds"
            break
        cuts = new_cuts(op, plan, intervals, cuts, interval_minutes)
        start = plan.decision_values
    plan = best
    if plan.ok:
        plan.simulation["rounds"] = [dataclasses.asdict(r) for r in rounds]
        plan.simulation["loop_seconds"] = time.perf_counter() - t0
        misses = explain_misses(op, plan, rounds, stop_reason)
        plan.simulation["misses"] = misses
        plan.messages.extend(misses)
    return plan


def _better(a: PlanResult, b: PlanResult) -> bool:
    ka = (a.kpis.get("pairs_meeting_target", 0), -a.cost)
    kb = (b.kpis.get("pairs_meeting_target", 0), -b.cost)
    return ka > kb


def explain_misses(op: Operation, plan: PlanResult, rounds: list[LoopRound], stop_reason: str) -> list[str]:
    """Why each pair still below target in simulation is there, in a planner's words."""
    out = []
    failing = failing_pairs(plan)
    if not len(failing):
        return out
    heads = plan.shifts.groupby(["site", "date_local"])["headcount"].sum() if len(plan.shifts) else pd.Series(dtype=float)
    busiest = heads.groupby(level="site").max() if len(heads) else pd.Series(dtype=float)
    cut_short: dict = {}
    for (q, m, _t), value in (plan.cut_shortfall or {}).items():
        cut_short[(q, m)] = cut_short.get((q, m), 0.0) + value
    hours = op.settings.interval_minutes / 60.0  # a cut's shortfall is agents per interval
    for row in failing.itertuples(index=False):
        queue = op.queues[row.queue]
        sites = sorted({c.site for c in op.certifications if c.queue == row.queue and c.market == row.market})
        why = []
        if not sites:
            why.append("no site is certified for it")
        at_cap = [s for s in sites if s in op.sites and busiest.get(s, 0) >= op.sites[s].max_headcount - 0.5]
        if sites and len(at_cap) == len(sites):
            why.append(f"every certified site is at its headcount cap ({', '.join(f'{s} {op.sites[s].max_headcount:,}' for s in at_cap)})")
        elif at_cap:
            why.append(f"{', '.join(at_cap)} at the headcount cap")
        if queue.severe and plan.kpis.get("severe_share_max", 0.0) >= op.settings.wellness_severe_share_max - 1e-6:
            why.append(f"severe work is at the wellness cap ({op.settings.wellness_severe_share_max:.0%} of an agent's floor time)")
        unbought = cut_short.get((row.queue, row.market), 0.0) * hours
        if unbought > 0.05 and not at_cap:
            why.append(f"the model left {unbought:,.1f} agent-hours of the added capacity unbought: "
                       "the shortfall penalty was cheaper than the agents")
        if stop_reason == "time":
            why.append("the time limit ended the loop; a longer limit would let it tighten further")
        elif stop_reason == "rounds":
            why.append(f"the loop stopped after {len(rounds)} rounds")
        if not why:
            why.append("the loop could not find where to add capacity")
        lo = row.simulated_lo if pd.notna(getattr(row, "simulated_lo", np.nan)) else row.simulated
        hi = row.simulated_hi if pd.notna(getattr(row, "simulated_hi", np.nan)) else row.simulated
        out.append(f"{row.queue} {row.market}: simulated {row.simulated:.1%} (95% interval {lo:.1%}-{hi:.1%}) "
                   f"below its {row.target:.0%} target: " + "; ".join(why) + ".")
    return out
