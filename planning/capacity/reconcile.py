"""Why the weekly plan's cost and the capacity plan's cost differ, and what can cover the weeks
hiring cannot reach.

``reconcile``: the weekly plan (shift plan, plan of record) pays the *scheduled* paid hours
(productive + shrinkage) of its plan week at each site's hourly cost, with its night premium.
The capacity plan pays everyone on payroll (headcount x ``paid_hours`` h a week, trainees and
nesting agents included) at the hourly cost, plus hiring and training, over its N weeks.  The
difference per week is split into named parts that add up to it exactly:

- night premium in the weekly plan (the capacity plan has none): ``-(W - H)``;
- payroll in the capacity plan's first week vs the plan week's scheduled paid hours at the
  same hourly costs (bench, minimum headcount, hours not scheduled): ``S_1 - H``;
- payroll change over the N weeks (hires, growth, attrition): ``mean(S) - S_1``;
- hiring and training, spread over the N weeks: ``(hiring) / N``;
- anything else in the capacity cost (``cost / N - mean(S) - hiring / N``, normally 0).

``weeks_within_lead``: weeks at risk before the first week a requisition opened now can
give productive agents (freeze + recruiting lead + training weeks, per site or team): hiring
cannot reach them; the figures say what can (overtime, spare capacity at other certified
sites or teams and their vendors).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Part:
    name: str
    amount: float  # [currency / week], capacity minus weekly plan


@dataclass(frozen=True)
class Reconciliation:
    weekly_cost: float          # weekly plan cost per week [currency]
    capacity_cost: float        # capacity plan cost per week [currency]
    capacity_weeks: int
    parts: list[Part]
    currency: str

    @property
    def difference(self) -> float:
        return self.capacity_cost - self.weekly_cost

    def lines(self) -> list[str]:
        c = self.currency
        head = (f"Weekly plan {c} {self.weekly_cost:,.0f} / week (scheduled paid hours, productive + shrinkage, "
                f"of the plan week at each site's hourly cost, with night premium) vs capacity plan "
                f"{c} {self.capacity_cost:,.0f} / week (headcount on payroll incl. trainees, hiring, training, "
                f"attrition backfill, averaged over {self.capacity_weeks} weeks): difference "
                f"{c} {self.difference:+,.0f} / week")
        return [head] + [f"{p.name}: {c} {p.amount:+,.0f} / week" for p in self.parts]


def reconcile(cost_by_site: pd.DataFrame, plan_weeks: float, hourly_cost: dict[str, float],
              capacity_weekly: pd.DataFrame, capacity_cost: float, capacity_weeks: int,
              currency: str) -> Reconciliation:
    """cost_by_site: the weekly plan's ``site, paid_hours, cost`` over ``plan_weeks`` weeks;
    capacity_weekly: ``week_start, site, salary_cost, hiring_cost``; capacity_cost over
    ``capacity_weeks`` weeks."""
    if plan_weeks <= 0 or capacity_weeks <= 0:
        raise ValueError("both plans need at least one week")
    W = float(cost_by_site["cost"].sum()) / plan_weeks
    H = float(sum(h * hourly_cost[s] for s, h in zip(cost_by_site["site"], cost_by_site["paid_hours"]))) / plan_weeks
    salary = capacity_weekly.groupby("week_start")["salary_cost"].sum().sort_index()
    first = float(salary.iloc[0]) if len(salary) else 0.0
    mean = float(salary.sum()) / capacity_weeks
    hiring = float(capacity_weekly["hiring_cost"].sum()) / capacity_weeks
    C = float(capacity_cost) / capacity_weeks
    parts = [Part("night premium in the weekly plan (none in the capacity plan)", -(W - H)),
             Part("payroll in the capacity plan's first week vs the plan week's scheduled paid hours "
                  "(bench, minimum headcount, unscheduled hours)", first - H),
             Part(f"payroll change over the {capacity_weeks} weeks (hires, growth, attrition)", mean - first),
             Part("hiring and training", hiring)]
    other = C - mean - hiring
    if abs(other) > 0.5:
        parts.append(Part("other capacity cost (not split)", other))
    return Reconciliation(W, C, int(capacity_weeks), parts, currency)


def reconcile_plans(result, capacity) -> Reconciliation:
    """``reconcile`` of a ``PipelineResult`` (the plan of record) and a ``CapacityPlan``."""
    op = result.operation
    hourly = {s: op.sites[s].hourly_cost for s in op.sites}
    frame = result.requirements if result.requirements is not None and len(result.requirements) else \
        result.plan.coverage
    weeks = frame["timestamp"].nunique() * op.settings.interval_minutes / (7 * 24 * 60)
    return reconcile(result.plan.cost_by_site, weeks, hourly, capacity.weekly,
                     capacity.cost, capacity.problem.T, op.settings.currency)


def weeks_within_lead(capacity) -> pd.DataFrame:
    """Weeks at risk that no hire can reach: one row per such week with ``week_start,
    short_fte, short_hours`` (productive hours), ``reach_week`` (first week hires add
    capacity anywhere), ``overtime_hours_per_agent`` (short hours / headcount of the short
    sites), ``spare_fte`` and ``spare_sites`` (other sites certified for a short pair with
    supply above their demand that week, with vendor)."""
    from planning.capacity.plan import short_weeks

    problem = capacity.problem
    reach = [problem.freeze_weeks + s.recruiting_lead_weeks + s.training_weeks for s in problem.supply]
    first_reach = int(min(reach)) if reach else 0
    team_of = getattr(problem, "team", lambda s: "")  # a problem from before teams: sites only
    unit = [(site, team_of(s)) for s, site in enumerate(problem.sites)]  # the weekly frame's keys
    index = {k: s for s, k in enumerate(unit)}
    label = {k: f"{k[0]} {k[1]} team" if k[1] else k[0] for k in unit}
    weekly = capacity.weekly if "team" in capacity.weekly else capacity.weekly.assign(team="")
    totals = capacity.totals.reset_index(drop=True)
    risky = totals[short_weeks(totals)]
    rows = []
    for _, row in risky.iterrows():
        t = problem.weeks.get_loc(row["week_start"])
        if t >= first_reach:
            continue
        week = weekly[weekly["week_start"] == row["week_start"]]
        short_sites = week[week["short_fte"] > 1e-6]
        pairs = capacity.pairs[(capacity.pairs["week_start"] == row["week_start"]) & (capacity.pairs["short_fte"] > 1e-6)]
        short_idx = {problem.pairs.index((q, m)) for q, m in zip(pairs["queue"], pairs["market"])
                     if (q, m) in problem.pairs}
        able = {unit[s] for s, p in problem.certified if p in short_idx}
        keys = list(zip(week["site"], week["team"]))
        spare = week[[k in able for k in keys] & (week["supply_fte"] > week["demand_fte"] + 1e-6).to_numpy()]
        spare_fte = (spare["supply_fte"] - spare["demand_fte"])
        hours = float(sum(f * problem.hours_per_fte(index[k])
                          for k, f in zip(zip(short_sites["site"], short_sites["team"]), short_sites["short_fte"])
                          if k in index))
        heads = float(short_sites["headcount"].sum())
        rows.append({"week_start": row["week_start"], "short_fte": float(row["short_fte"]), "short_hours": hours,
                     "reach_week": problem.weeks[first_reach] if first_reach < problem.T else pd.NaT,
                     "overtime_hours_per_agent": hours / heads if heads > 0 else np.nan,
                     "spare_fte": float(spare_fte.sum()),
                     "spare_sites": ", ".join(f"{label[k]} ({v}) {f:.1f} FTE" for k, v, f in
                                              zip(zip(spare["site"], spare["team"]), spare["vendor"], spare_fte))})
    return pd.DataFrame(rows, columns=["week_start", "short_fte", "short_hours", "reach_week",
                                       "overtime_hours_per_agent", "spare_fte", "spare_sites"])
