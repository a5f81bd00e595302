"""Long-range capacity and hiring plan (12-18 months by week).

``plan_capacity(op, weekly_volume, ...)`` turns a weekly volume frame into demand FTE
(``capacity_demand``), builds the supply problem (``capacity_problem``, ``capacity_supply``),
solves the hiring MIP (``capacity_model``), checks the plan independently
(``capacity_check``) and returns a ``CapacityPlan`` with tidy frames:

weekly  ``week_start, site, team, vendor, demand_fte, supply_fte, hires, short_fte, headcount,
        salary_cost, hiring_cost`` (the ``capacity weekly`` contract plus detail), one row per
        supply unit and week: a team where the site's hiring rows are per team, else the
        site (``team`` = "").  A unit's demand is the demand it serves plus its share of
        the pair's unmet demand (by allocation, or equally among certified units when none
        is served); supply_fte is productivity-weighted headcount (trainees 0, nesting partial).
pairs   ``week_start, queue, market, volume, workload_hours, demand_hours, demand_fte,
        served_fte, short_fte``
totals  one row per week: ``demand_fte, supply_fte, short_fte, headcount, hires`` and the
        same for the "hire nobody" view (``*_no_hire``)
classes one row per training class: ``site, team, vendor, requisition_week, class_start,
        productive_from, fully_productive_from, size``

Scenario levers reach the plan either through the Operation (levers applied beforehand)
or through the plain parameters ``growth``, ``attrition_multiplier``, ``freeze_weeks`` and
``site_exit``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planning.capacity.check import Evaluation, check_plan, evaluate, split_classes
from planning.capacity.demand import DEFAULT_SCHEDULING_EFFICIENCY, scheduling_efficiency
from planning.capacity.model import ModelResult, solve
from planning.capacity.problem import CapacityProblem, build_problem
from planning.domain import Operation

SHORT_WEEK_FTE = 0.5
SHORT_WEEK_SHARE = 0.01
"""A week counts as short when the unmet demand is at least SHORT_WEEK_FTE and at least
SHORT_WEEK_SHARE of the week's demand (smaller gaps are rounding, not risk)."""


def short_weeks(totals: pd.DataFrame, short: str = "short_fte") -> pd.Series:
    """Boolean per row of ``totals``: is the week short."""
    limit = np.maximum(SHORT_WEEK_FTE, SHORT_WEEK_SHARE * totals["demand_fte"])
    return totals[short] >= limit
UNCERTIFIED = "(no certified site)"


@dataclass
class CapacityPlan:
    status: str
    objective: float          # cost + penalty (what the optimiser minimises)
    bound: float              # best proven lower bound of the objective
    gap: float                # (objective - bound) / objective
    gap_controllable: float   # the same gap without the fixed salary of today's staff
    solve_seconds: float
    cost: float               # money over the horizon: salary + hiring + training
    penalty: float            # priority-weighted shortfall penalty
    weekly: pd.DataFrame
    pairs: pd.DataFrame
    totals: pd.DataFrame
    classes: pd.DataFrame
    no_hire_cost: float
    check: list[str]
    problem: CapacityProblem
    demand_source: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def weeks_short(self) -> int:
        return int(short_weeks(self.totals).sum())

    @property
    def weeks_short_no_hire(self) -> int:
        return int(short_weeks(self.totals, "short_fte_no_hire").sum())

    @property
    def hires_by_site(self) -> dict[str, int]:
        """Hires per site (a site planned by team: the sum of its teams)."""
        got = self.weekly.groupby("site")["hires"].sum()
        return {s: int(got.get(s, 0)) for s in dict.fromkeys(self.problem.sites)}

    @property
    def hires_by_team(self) -> dict[str, int]:
        """Hires per team unit, keyed ``site/team`` (empty when every site is planned by site)."""
        rows = self.weekly[self.weekly["team"] != ""]
        got = rows.groupby(["site", "team"])["hires"].sum()
        p = self.problem
        return {p.units[s]: int(got.get((p.sites[s], p.team(s)), 0)) for s in range(len(p.sites)) if p.team(s)}

    def summary(self) -> dict:
        return {
            "status": self.status, "cost": round(self.cost, 2), "objective": round(self.objective, 2),
            "bound": round(self.bound, 2), "gap": round(self.gap, 6),
            "gap_controllable": round(self.gap_controllable, 6), "solve_seconds": round(self.solve_seconds, 3),
            "weeks": self.problem.T, "weeks_short": self.weeks_short, "weeks_short_no_hire": self.weeks_short_no_hire,
            "cost_no_hire": round(self.no_hire_cost, 2), "hires": self.hires_by_site,
            "hires_by_team": self.hires_by_team,
            "scheduling_efficiency": round(self.problem.efficiency, 4), "demand_source": self.demand_source,
            "check": self.check, "warnings": self.warnings,
        }


def _site_frame(problem: CapacityProblem, headcount, productive, alloc, short, hires, salary, hiring) -> pd.DataFrame:
    S, P, T = len(problem.sites), len(problem.pairs), problem.T
    served = alloc.sum(axis=1)  # [S, T] hours
    short_site = np.zeros((S, T))
    orphan = np.zeros(T)
    certified = {p: [s for s, pp in problem.certified if pp == p] for p in range(P)}
    for p in range(P):
        for t in range(T):
            if short[p, t] <= 1e-9:
                continue
            sites = [s for s in certified[p] if t < problem.exit_week[s]]
            weights = np.array([alloc[s, p, t] for s in sites])
            if not sites:
                orphan[t] += short[p, t] / (problem.paid_hours * float(np.mean(problem.keep_share)))
                continue
            if weights.sum() <= 1e-9:
                weights = np.ones(len(sites))
            for s, w in zip(sites, weights / weights.sum()):
                short_site[s, t] += short[p, t] * w
    rows = []
    for s, site in enumerate(problem.sites):
        per = problem.hours_per_fte(s)
        rows.append(pd.DataFrame({
            "week_start": problem.weeks, "site": site, "team": problem.team(s), "vendor": problem.vendors[s],
            "demand_fte": (served[s] + short_site[s]) / per, "supply_fte": productive[s],
            "hires": hires[s].astype(int), "short_fte": short_site[s] / per, "headcount": headcount[s],
            "salary_cost": salary[s], "hiring_cost": hiring[s]}))
    if orphan.any():
        rows.append(pd.DataFrame({
            "week_start": problem.weeks, "site": UNCERTIFIED, "team": "", "vendor": "", "demand_fte": orphan,
            "supply_fte": 0.0, "hires": 0, "short_fte": orphan, "headcount": 0.0, "salary_cost": 0.0,
            "hiring_cost": 0.0}))
    return pd.concat(rows, ignore_index=True)


def _pair_frame(problem: CapacityProblem, alloc, short) -> pd.DataFrame:
    frame = problem.demand.copy()
    per_fte = frame["demand_hours"] / frame["demand_fte"].where(frame["demand_fte"] > 0)
    index = {(q, m, w): i for i, (q, m, w) in enumerate(zip(frame["queue"], frame["market"], frame["week_start"]))}
    short_h = np.zeros(len(frame))
    pidx = {pair: p for p, pair in enumerate(problem.pairs)}
    for (q, m, w), i in index.items():
        short_h[i] = short[pidx[(q, m)], problem.weeks.get_loc(w)]
    frame["short_fte"] = np.nan_to_num(short_h / per_fte)
    frame["served_fte"] = frame["demand_fte"] - frame["short_fte"]
    return frame[["week_start", "queue", "market", "volume", "workload_hours", "demand_hours",
                  "demand_fte", "served_fte", "short_fte"]]


def _classes_frame(problem: CapacityProblem, result: ModelResult) -> pd.DataFrame:
    rows = []
    for s, site in enumerate(problem.sites):
        sup = problem.supply[s]
        for t in np.nonzero(result.hires[s])[0]:
            start = problem.weeks[t]
            for size in split_classes(int(result.hires[s, t]), int(result.classes[s, t]), sup.class_min, sup.class_max):
                rows.append({
                    "site": site, "team": problem.team(s), "vendor": problem.vendors[s],
                    "requisition_week": start - pd.Timedelta(weeks=sup.recruiting_lead_weeks),
                    "class_start": start,
                    "productive_from": start + pd.Timedelta(weeks=sup.training_weeks),
                    "fully_productive_from": start + pd.Timedelta(weeks=sup.training_weeks + sup.nesting_weeks),
                    "size": size})
    cols = ["site", "team", "vendor", "requisition_week", "class_start", "productive_from", "fully_productive_from", "size"]
    return pd.DataFrame(rows, columns=cols)


def plan_from_problem(problem: CapacityProblem, *, time_limit_s: float = 30.0, gap_target: float = 0.005,
                      seed: int = 7, demand_source: str = "") -> CapacityPlan:
    """Solve, check and tabulate one capacity problem."""
    result = solve(problem, time_limit_s=time_limit_s, gap_target=gap_target, seed=seed)
    S, T = len(problem.sites), problem.T
    salary = np.zeros((S, T))
    for s in range(S):
        live = np.arange(T) < problem.exit_week[s]
        salary[s] = np.where(live, result.headcount[s] + result.below_min[s], 0.0) * problem.salary_per_week[s]
    hiring = result.hires * np.array([problem.cost_per_hire(s) for s in range(S)])[:, None]
    cost = float(salary.sum() + hiring.sum())
    penalty = float((problem.penalty_per_hour[:, None] * result.short).sum())
    check = check_plan(problem, result.hires, result.classes, reported_cost=cost,
                       reported_objective=result.objective + result.constant, alloc=result.alloc)
    weekly = _site_frame(problem, result.headcount, result.productive_fte, result.alloc, result.short,
                         result.hires, salary, hiring)
    none: Evaluation = evaluate(problem, np.zeros((S, T), dtype=int))
    weekly_none = _site_frame(problem, none.headcount, none.productive_fte, none.alloc, none.short,
                              np.zeros((S, T), dtype=int), none.salary, none.hiring)
    totals = weekly.groupby("week_start", as_index=False)[["demand_fte", "supply_fte", "short_fte", "headcount", "hires"]].sum()
    nh = weekly_none.groupby("week_start", as_index=False)[["supply_fte", "short_fte", "headcount"]].sum()
    totals = totals.merge(nh.add_suffix("_no_hire").rename(columns={"week_start_no_hire": "week_start"}), on="week_start")
    return CapacityPlan(
        status=result.status, objective=result.objective + result.constant, bound=result.bound + result.constant,
        gap=result.gap, gap_controllable=(result.objective - result.bound) / max(abs(result.objective), 1e-9),
        solve_seconds=result.seconds, cost=cost, penalty=penalty, weekly=weekly,
        pairs=_pair_frame(problem, result.alloc, result.short), totals=totals,
        classes=_classes_frame(problem, result), no_hire_cost=none.cost, check=check, problem=problem,
        demand_source=demand_source, warnings=list(problem.warnings))


def plan_capacity(op: Operation, weekly_volume: pd.DataFrame, *, efficiency: float | None = None,
                  requirements: pd.DataFrame | None = None, plan_shifts: pd.DataFrame | None = None,
                  growth: float = 0.0, attrition_multiplier: float = 1.0, freeze_weeks: int = 0,
                  site_exit: dict | None = None, time_limit_s: float | None = None,
                  gap_target: float | None = None, demand_source: str = "",
                  plan_kpis: dict | None = None) -> CapacityPlan:
    """The hiring plan for a weekly volume frame (``week_start, queue, market, volume``).

    efficiency : scheduling-efficiency factor; default learned from ``requirements`` and
        ``plan_shifts`` (a short-term plan) when both are given, else
        ``DEFAULT_SCHEDULING_EFFICIENCY``
    growth, attrition_multiplier, freeze_weeks, site_exit : plain scenario levers
        (see ``capacity_problem.build_problem``)
    time_limit_s, gap_target : solver limits (default from ``op.settings``)
    plan_kpis : the short-term plan's ``PlanResult.kpis``: its agent-level simulated
        figures are named beside the learned efficiency (``efficiency_note``), and a plan
        the simulation finds short of target gives a warning (its efficiency is too low)
    """
    learned = efficiency is None and requirements is not None and plan_shifts is not None
    if efficiency is None:
        efficiency = (scheduling_efficiency(requirements, plan_shifts, op) if learned
                      else DEFAULT_SCHEDULING_EFFICIENCY)
    note = efficiency_note(efficiency, learned, plan_kpis)
    demand_source = f"{demand_source}; {note}" if demand_source else note
    problem = build_problem(op, weekly_volume, efficiency=efficiency, growth=growth,
                            attrition_multiplier=attrition_multiplier, freeze_weeks=freeze_weeks, site_exit=site_exit)
    if problem.T == 0:
        raise ValueError("the weekly volume frame has no weeks for the operation's queues")
    result = plan_from_problem(
        problem, time_limit_s=time_limit_s or op.settings.solver_time_limit_seconds,
        gap_target=op.settings.solver_gap_target if gap_target is None else gap_target,
        seed=op.settings.random_seed, demand_source=demand_source)
    k = plan_kpis or {}
    if learned and k.get("pairs_judged") and k.get("pairs_meeting_target", 0) < k["pairs_judged"]:
        result.warnings.append(
            f"the scheduling efficiency x{efficiency:.2f} is learned from a week plan that meets target on "
            f"only {k['pairs_meeting_target']} of {k['pairs_judged']} queue x markets in the agent-level "
            "simulation: the demand is understated; re-plan the week (the loop tightens it) and re-run")
    return result


def efficiency_note(efficiency: float, learned: bool, plan_kpis: dict | None) -> str:
    """Where the scheduling-efficiency factor comes from, with the agent-level figures of
    the plan it is learned from."""
    if not learned:
        return f"scheduling efficiency x{efficiency:.2f} (assumed; no week plan given)"
    k = plan_kpis or {}
    if k.get("simulated_attainment") is None or k.get("pairs_judged") is None:
        return f"scheduling efficiency x{efficiency:.2f} learned from a week plan not simulated"
    lo, hi = k.get("simulated_attainment_lo"), k.get("simulated_attainment_hi")
    band = f", 95% interval {lo:.1%}-{hi:.1%}" if lo is not None and hi is not None and lo == lo else ""
    return (f"scheduling efficiency x{efficiency:.2f} learned from the week plan, which meets target on "
            f"{k['pairs_meeting_target']} of {k['pairs_judged']} queue x markets in the agent-level simulation "
            f"({k['simulated_attainment']:.1%} of items within SLA{band})")


def apply_levers_weekly(op: Operation, weekly_volume: pd.DataFrame, levers) -> tuple[Operation, pd.DataFrame]:
    """Scenario levers (``planning.scenarios.levers``) on an operation and a weekly volume frame.

    Dated volume levers act on whole weeks: a week is in range when its Monday is.
    """
    from planning.scenarios.levers import apply_levers  # noqa: PLC0415 - keeps the import graph light

    frame = weekly_volume.rename(columns={"week_start": "timestamp"})
    op, frame = apply_levers(op, frame, levers)
    return op, frame.rename(columns={"timestamp": "week_start"})


def monthly_totals(plan: CapacityPlan) -> pd.DataFrame:
    """Weekly totals averaged per calendar month (FTE) and hires summed."""
    t = plan.totals.copy()
    t["month"] = t["week_start"].dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()
    fte = [c for c in t.columns if "_fte" in c or c.startswith("headcount")]
    agg = {**{c: "mean" for c in fte}, "hires": "sum"}
    return t.groupby("month", as_index=False).agg(agg)


def cost_by_vendor_quarter(plan: CapacityPlan) -> pd.DataFrame:
    """Money per vendor per calendar quarter: salary (incl. minimum billing), hiring + training."""
    w = plan.weekly[plan.weekly["site"] != UNCERTIFIED].copy()
    w["quarter"] = w["week_start"].dt.tz_convert(None).dt.to_period("Q").astype(str)
    out = w.groupby(["vendor", "quarter"], as_index=False)[["salary_cost", "hiring_cost"]].sum()
    out["total_cost"] = out["salary_cost"] + out["hiring_cost"]
    return out


def write_excel(plan: CapacityPlan, path: str | Path) -> Path:
    """One workbook: Summary, Totals, By site (one row per site or team and week), By pair,
    Classes, Cost by vendor (week starts UTC)."""
    path = Path(path)
    summary = plan.summary()
    rows = [(k, v if not isinstance(v, (dict, list)) else "; ".join(
        f"{a}: {b}" for a, b in v.items()) if isinstance(v, dict) else "; ".join(map(str, v))) for k, v in summary.items()]
    from planning.export.safe import write_sheets

    # Every cell through export.safe.put: site and vendor names are user text.
    write_sheets(path, {"Summary": pd.DataFrame(rows, columns=["item", "value"]), "Totals": plan.totals,
                        "By site": plan.weekly, "By pair": plan.pairs, "Classes": plan.classes,
                        "Cost by vendor": cost_by_vendor_quarter(plan)})
    return path
