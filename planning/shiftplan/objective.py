"""The shift planner's objective: its soft terms (cost, and the penalties that let an answer
always come back with the unmet demand shown).  Each function takes the ``PlanModel``
under construction and returns its objective terms; ``planning.shiftplan.build`` sums them.
The hard rules are in :mod:`planning.shiftplan.constraints`.
"""
from __future__ import annotations

from planning.shiftplan.constraints import deadline_lag_intervals
from planning.shiftplan.model import PlanModel

# [currency per work-hour per interval]: small against any hourly cost, so it never
# buys staff, only orders the work of staff already paid for.
BACKLOG_HOLDING_COST = 1e-3


# ------------------------------------------------------------------------- soft terms
def paid_hours_cost(model: PlanModel) -> list:
    """Paid hours x hourly cost, with the night premium on local night hours (open mode:
    the in-horizon part of each shift; cyclic: every shift starting in the horizon, whole)."""
    costs = []
    for d, var in zip(model.decisions, model.decision_vars):
        cost = sum(model.instances[i].cost for i in d.instances)
        costs.append(var * cost)
    model.cost_terms = costs
    return costs


def live_shortfall_penalty(model: PlanModel) -> list:
    """Agent-hours short on live queues, below a short-deadline deferred queue's floor and
    below a simulation cut, x the queue's priority penalty."""
    terms = [var * (model.penalty[(q, m)] * model.interval_hours)
             for (q, m, t), var in (*model.short.items(), *model.floor_short.items(),
                                    *model.cut_short.items())]
    model.penalty_terms.extend(terms)
    return terms


def deferred_lateness_penalty(model: PlanModel) -> list:
    """Deferred work past its deadline, in agent-hours (work / occupancy), charged per
    interval it stays late, scaled so late work held for a whole deadline window costs
    one priority penalty."""
    terms = []
    for (q, m, t), var in model.late.items():
        queue = model.op.queues[q]
        lag = max(1, deadline_lag_intervals(queue.sla_within_hours, model.interval_hours))
        terms.append(var * (model.penalty[(q, m)] / queue.max_occupancy / lag))
    model.penalty_terms.extend(terms)
    return terms


# Work a cyclic plan leaves undone in a cycle [work hours] costs as much as being late for
# this many deadline windows: dearer than any staffing (>= 4x the dearest agent-hour per
# window), so it is only chosen where no certified site can do the work.
DROPPED_WORK_WINDOWS = 10.0


def dropped_work_penalty(model: PlanModel) -> list:
    """Cyclic mode: deferred work not done within a cycle (the backlog would grow week
    after week), in agent-hours x the priority penalty x ``DROPPED_WORK_WINDOWS``."""
    terms = [var * (model.penalty[(q, m)] / model.op.queues[q].max_occupancy * DROPPED_WORK_WINDOWS)
             for (q, m), var in model.dropped.items()]
    model.penalty_terms.extend(terms)
    return terms


def backlog_holding(model: PlanModel) -> list:
    """A tiny charge per work-hour of backlog (on time and late) per interval, so idle
    paid capacity drains the backlog early instead of leaving the (1 - target) share to
    the end."""
    return [var * BACKLOG_HOLDING_COST for var in (*model.backlog.values(), *model.late.values())]


SOFT_TERMS = [paid_hours_cost, live_shortfall_penalty, deferred_lateness_penalty, dropped_work_penalty,
              backlog_holding]
