"""Long-range capacity plan: hand-computed supply and demand, the MIP on cases whose answer
is known, lever directions, and the independent checker."""
from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.capacity import plan_capacity, write_excel, cost_by_vendor_quarter, monthly_totals
from planning.capacity import check_plan, evaluate, simulate
from planning.capacity import demand_hours, fallback_weekly_volume, scheduling_efficiency
from planning.capacity import build_problem
from planning.capacity import SiteSupply, productivity_curve, weekly_retention
from planning.domain import Certification, Market, Operation, Queue, ShiftTemplate, Site

START = pd.Timestamp("2027-01-04", tz="UTC")  # a Monday


def hiring_row(site: str, **over) -> dict:
    row = dict(site=site, current_headcount=100, monthly_attrition=0.0, recruiting_lead_weeks=2,
               training_weeks=3, nesting_weeks=0, nesting_productivity=1.0, class_min=10, class_max=10,
               max_hires_per_week=10, hire_cost=100.0, training_cost_per_week=10.0)
    row.update(over)
    return row


def make_op(sites=("S0",), queues=("q0",), hiring=None, max_headcount=500, min_headcount=0,
            shrinkage=0.0, occupancy=1.0) -> Operation:
    """Queues with AHT 3600 s and occupancy 1, so one item = one productive hour."""
    qs = {q: Queue(queue=q, sla_kind="deferred", sla_target=0.9, sla_within_hours=24, aht_seconds=3600,
                   max_occupancy=occupancy, priority=1) for q in queues}
    markets = {"M": Market(market="M", timezone="UTC", holiday_country="US")}
    ss = {s: Site(site=s, vendor=f"V-{s}", timezone="UTC", max_headcount=max_headcount,
                  min_headcount=min_headcount, hourly_cost=10.0 + i, shrinkage=shrinkage)
          for i, s in enumerate(sites)}
    certs = [Certification(site=s, queue=q, market="M") for s in ss for q in qs]
    shifts = [ShiftTemplate(site=s, shift="day", start="08:00", paid_hours=8) for s in ss]
    vol = pd.DataFrame({"timestamp": pd.date_range(START - pd.Timedelta(weeks=2), periods=2 * 336,
                                                   freq="30min", tz="UTC")})
    vol = pd.concat([vol.assign(queue=q, market="M", volume=1.0) for q in qs], ignore_index=True)
    op = Operation(qs, markets, ss, certs, shifts, vol)
    op.hiring = pd.DataFrame(hiring if hiring is not None else [hiring_row(s) for s in ss])
    return op


def weekly(fte: list[float], queue: str = "q0") -> pd.DataFrame:
    """Weekly volume giving ``fte`` FTE of demand per week (40 h/FTE, no shrinkage)."""
    return pd.DataFrame({"week_start": [START + pd.Timedelta(weeks=i) for i in range(len(fte))],
                         "queue": queue, "market": "M", "volume": [40.0 * f for f in fte]})


def solve(op, frame, **kw):
    kw.setdefault("efficiency", 1.0)
    kw.setdefault("time_limit_s", 20)
    kw.setdefault("gap_target", 0.0)
    return plan_capacity(op, frame, **kw)


# --- supply and demand arithmetic, by hand ----------------------------------------------

def test_attrition_compounds_weekly_to_the_monthly_rate():
    r = weekly_retention(0.04)
    assert_allclose(r ** (52 / 12), 0.96, rtol=1e-12)
    op = make_op(hiring=[hiring_row("S0", monthly_attrition=0.04)])
    problem = build_problem(op, weekly([0.0] * 14), efficiency=1.0)
    headcount, productive = simulate(problem, np.zeros((1, 14), dtype=int))
    assert_allclose(headcount[0, 0], 100.0)
    assert_allclose(headcount[0, 13], 100 * 0.96 ** 3, rtol=1e-12)  # 13 weeks = 3 months
    assert_allclose(productive, headcount)


def test_lead_time_training_and_nesting_ramp():
    sup = SiteSupply(**hiring_row("S0", training_weeks=3, nesting_weeks=4, nesting_productivity=0.6))
    assert_allclose(productivity_curve(sup), [0, 0, 0, 0.6, 0.7, 0.8, 0.9])
    op = make_op(hiring=[hiring_row("S0", current_headcount=0, training_weeks=3, nesting_weeks=4,
                                    nesting_productivity=0.6)])
    problem = build_problem(op, weekly([0.0] * 14), efficiency=1.0)
    hires = np.zeros((1, 14), dtype=int)
    hires[0, 5] = 10
    headcount, productive = simulate(problem, hires)
    assert_allclose(headcount[0], [0] * 5 + [10] * 9)
    assert_allclose(productive[0], [0] * 8 + [6, 7, 8, 9, 10, 10])


def test_demand_fte_formula():
    op = make_op(shrinkage=0.25, occupancy=0.8)
    frame = pd.DataFrame({"week_start": [START], "queue": ["q0"], "market": ["M"], "volume": [1000.0],
                          "aht_seconds": [72.0]})
    out = demand_hours(frame, op, efficiency=1.2)
    # 1000 x 72 s = 20 h workload; / 0.8 occupancy = 25 h; x 1.2 = 30 h; / (40 h x 0.75) = 1 FTE
    assert_allclose(out["workload_hours"], [20.0])
    assert_allclose(out["demand_hours"], [30.0])
    assert_allclose(out["demand_fte"], [1.0])


def test_scheduling_efficiency_from_a_short_term_plan():
    op = make_op(shrinkage=0.5, occupancy=0.8)
    req = pd.DataFrame({"timestamp": [START, START + pd.Timedelta(hours=1)], "queue": "q0", "market": "M",
                        "workload_hours": [40.0, 40.0]})
    shifts = pd.DataFrame({"site": ["S0"], "start_utc": [START], "paid_hours": [8.0], "headcount": [25]})
    # scheduled productive 8 x 25 x 0.5 = 100 h; needed 80 h / 0.8 = 100 h
    assert_allclose(scheduling_efficiency(req, shifts, op), 1.0)


def test_fallback_demand_continues_a_flat_history():
    op = make_op()
    out = fallback_weekly_volume(op, 5)
    assert len(out) == 5 and out["week_start"].iloc[0] == START
    assert_allclose(out["volume"], 336.0)


# --- the optimiser on cases with a known answer --------------------------------------------

def test_class_starts_training_weeks_before_a_demand_step():
    op = make_op()
    plan = solve(op, weekly([100] * 20 + [110] * 10))
    assert plan.check == []
    assert list(plan.classes["class_start"]) == [START + pd.Timedelta(weeks=17)]  # 20 - 3 training
    assert list(plan.classes["requisition_week"]) == [START + pd.Timedelta(weeks=15)]
    assert plan.weeks_short == 0 and plan.hires_by_site == {"S0": 10}
    assert plan.weeks_short_no_hire == 10
    # cost: 100 agents x 30 weeks + 10 agents x 13 weeks at 400/week, + 10 x (100 + 3 x 10)
    assert_allclose(plan.cost, (100 * 30 + 10 * 13) * 400 + 10 * 130)
    assert plan.bound <= plan.objective + 1e-6


def test_lead_time_makes_an_early_step_unavoidably_short():
    op = make_op()
    plan = solve(op, weekly([100] * 3 + [110] * 10))
    # requisitions from week 0 -> class at week 2 -> productive from week 5: weeks 3, 4 short
    assert list(plan.classes["class_start"]) == [START + pd.Timedelta(weeks=2)]
    assert plan.weeks_short == 2
    short = plan.totals.set_index("week_start")["short_fte"]
    assert_allclose(short.iloc[3:5], [10, 10], atol=1e-6)


# --- levers move results the right way -----------------------------------------------------

def _growing_op():
    rows = [hiring_row(s, current_headcount=60, monthly_attrition=0.04, class_min=8, class_max=20,
                       max_hires_per_week=20, nesting_weeks=2, nesting_productivity=0.5) for s in ("S0", "S1")]
    return make_op(sites=("S0", "S1"), queues=("q0", "q1"), hiring=rows), \
        pd.concat([weekly([55 + 0.5 * t for t in range(24)], q) for q in ("q0", "q1")])


@pytest.fixture(scope="module")
def growing():
    op, frame = _growing_op()
    return op, frame, solve(op, frame, gap_target=0.005)


def test_more_attrition_needs_more_hires(growing):
    op, frame, base = growing
    worse = solve(op, frame, attrition_multiplier=2.0, gap_target=0.005)
    assert sum(worse.hires_by_site.values()) > sum(base.hires_by_site.values())
    assert worse.check == []


def test_hiring_freeze_leaves_more_weeks_short(growing):
    op, frame, base = growing
    frozen = solve(op, frame, freeze_weeks=10, gap_target=0.005)
    assert frozen.weeks_short > base.weeks_short
    assert frozen.classes["class_start"].min() >= START + pd.Timedelta(weeks=12)  # freeze + lead time


def test_growth_needs_more_hires_and_site_exit_moves_work(growing):
    op, frame, base = growing
    grown = solve(op, frame, growth=0.2, gap_target=0.005)
    assert sum(grown.hires_by_site.values()) > sum(base.hires_by_site.values())
    gone = solve(op, frame, site_exit={"S1": START + pd.Timedelta(weeks=10)}, gap_target=0.005)
    s1 = gone.weekly[gone.weekly["site"] == "S1"].set_index("week_start")
    assert (s1["headcount"].iloc[10:] == 0).all() and s1["hires"].iloc[10:].sum() == 0
    assert gone.hires_by_site["S0"] > base.hires_by_site["S0"]


def test_scenario_levers_reach_the_plan(growing):
    from planning.capacity import apply_levers_weekly
    from planning.scenarios import RemoveSite, VolumeChange

    op, frame, base = growing
    op2, frame2 = apply_levers_weekly(op, frame, [VolumeChange(percent=30), RemoveSite(site="S1")])
    assert_allclose(frame2["volume"].sum(), 1.3 * frame["volume"].sum())
    plan = solve(op2, frame2, gap_target=0.005)
    assert plan.problem.sites == ["S0"]
    assert plan.hires_by_site["S0"] > base.hires_by_site["S0"]
    assert plan.weeks_short >= base.weeks_short


# --- the independent checker ---------------------------------------------------------------

def test_plan_respects_caps_class_sizes_and_the_checker_agrees(growing):
    op, frame, plan = growing
    assert plan.check == []
    problem = plan.problem
    for s, sup in enumerate(problem.supply):
        site = problem.sites[s]
        rows = plan.weekly[plan.weekly["site"] == site]
        assert (rows["hires"] <= sup.max_hires_per_week).all()
        assert (rows["headcount"] <= problem.max_headcount[s] + 1e-6).all()
        sizes = plan.classes.loc[plan.classes["site"] == site, "size"]
        assert sizes.between(sup.class_min, sup.class_max).all()
    replay = evaluate(problem, plan.weekly.pivot(index="site", columns="week_start", values="hires")
                      .loc[problem.sites].to_numpy())
    assert_allclose(replay.cost, plan.cost, rtol=1e-9)
    assert_allclose(replay.objective, plan.objective, rtol=1e-5)
    assert plan.bound <= plan.objective + 1e-6 and 0 <= plan.gap <= 0.01


def test_checker_reports_broken_rules():
    op = make_op(max_headcount=105, hiring=[hiring_row("S0", class_min=8, class_max=10, max_hires_per_week=12)])
    problem = build_problem(op, weekly([100] * 10), efficiency=1.0)
    hires = np.zeros((1, 10), dtype=int)
    classes = np.zeros((1, 10), dtype=int)
    hires[0, 0], classes[0, 0] = 8, 1          # before the lead time
    hires[0, 4], classes[0, 4] = 5, 1          # class below the minimum (and above the headcount max)
    hires[0, 6], classes[0, 6] = 14, 1         # above the weekly cap and the class maximum
    found = " | ".join(check_plan(problem, hires, classes, reported_cost=1.0))
    for words in ("before week 2", "class of 5 outside 8-10", "above the cap of 12", "class of 14",
                  "above the contract max", "differs from the replayed cost"):
        assert words in found


def test_outputs_excel_and_summaries(tmp_path, growing):
    op, frame, plan = growing
    path = write_excel(plan, tmp_path / "capacity.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Totals", "By site", "By pair", "Classes", "Cost by vendor"]
    summary = plan.summary()
    json.dumps(summary)
    assert {"cost", "gap", "weeks_short", "hires"} <= set(summary)
    quarters = cost_by_vendor_quarter(plan)
    assert_allclose(quarters["total_cost"].sum(), plan.cost, rtol=1e-9)
    months = monthly_totals(plan)
    assert months["hires"].sum() == sum(plan.hires_by_site.values())
    # contract frame
    assert {"week_start", "site", "demand_fte", "supply_fte", "hires", "short_fte"} <= set(plan.weekly)
    assert (plan.weekly["demand_fte"] - plan.weekly["short_fte"] <= plan.weekly["supply_fte"] + 1e-6).all()
    assert (plan.totals["supply_fte_no_hire"] <= plan.totals["supply_fte"] + 1e-6).all()


# --- the command ----------------------------------------------------------------------------

def _write_inputs(folder, op: Operation) -> None:
    folder.mkdir()
    pd.DataFrame([q.model_dump(mode="json") for q in op.queues.values()]).to_csv(folder / "queues.csv", index=False)
    pd.DataFrame([m.model_dump(mode="json") for m in op.markets.values()]).to_csv(folder / "markets.csv", index=False)
    sites = pd.DataFrame([s.model_dump(mode="json") for s in op.sites.values()])
    for col in ("night_start", "night_end"):
        sites[col] = sites[col].str[:5]
    sites.to_csv(folder / "sites.csv", index=False)
    pd.DataFrame([c.model_dump() for c in op.certifications]).to_csv(folder / "certifications.csv", index=False)
    shifts = pd.DataFrame([s.model_dump(mode="json") for s in op.shifts])
    shifts["start"] = shifts["start"].str[:5]
    shifts.to_csv(folder / "shifts.csv", index=False)
    vol = op.volume.copy()
    vol["timestamp"] = vol["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    vol.to_csv(folder / "volume.csv", index=False)
    op.hiring.to_csv(folder / "hiring.csv", index=False)


def test_cli_json_and_workbook(tmp_path, capsys):
    from planning.cli import main

    folder = tmp_path / "inputs"
    _write_inputs(folder, make_op(hiring=[hiring_row("S0", current_headcount=1, monthly_attrition=0.05)]))
    out = tmp_path / "plan.xlsx"
    code = main(["capacity", str(folder), "--months", "3", "--history-demand", "--time-limit", "10",
                 "--json", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out)
    assert summary["weeks"] == 13 and summary["hires"]["S0"] > 0 and summary["check"] == []
    assert summary["gap"] <= 0.01 and summary["weeks_short"] >= 4  # nobody productive before week 5
    assert out.exists()
    assert main(["capacity", str(folder), "--months", "40", "--json"]) == 2
    assert main(["capacity", str(folder), "--json", "--site-exit", "NOPE=2027-01-01"]) == 2
    assert main(["capacity", str(tmp_path / "missing"), "--json"]) == 1  # missing inputs


# --- the page -------------------------------------------------------------------------------

def _page_script():
    from types import SimpleNamespace

    from planning.access import Principal, Role
    from tests.capacity.test_plan import hiring_row, make_op
    from ui import capacity, common

    op = make_op(hiring=[hiring_row("S0", current_headcount=2, monthly_attrition=0.05)])
    saved = common.principal, common.require_operation, common.load_inputs
    try:  # patched for this script run only: the module is shared with other tests
        common.principal = lambda: Principal("test", Role.planner)
        common.require_operation = lambda who=None: op
        common.load_inputs = lambda: SimpleNamespace(label="synthetic", digest="capacity-test")
        capacity.render()
    finally:
        common.principal, common.require_operation, common.load_inputs = saved


def test_page_renders_the_plan():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page_script, default_timeout=120)
    at.run()
    assert not at.exception
    at.radio(key="capacity_source").set_value("History, last year with trend (fast)")
    at.slider(key="capacity_months").set_value(6)
    at.toggle(key="capacity_run").set_value(True)
    at.run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels == ["Cost over the horizon", "Hires", "Weeks short", "Optimality gap"]
    assert at.metric[1].value != "0 agents"
    at.radio(key="capacity_by").set_value("Month")
    at.run()
    assert not at.exception


# --- room cuts: valid inequalities at the contract maximum ------------------------------

def _capped_problem(weeks: int = 8):
    """One site 5 below its cap, 5 %/month attrition, classes of 3-5, demand beyond the cap."""
    op = make_op(max_headcount=100, hiring=[hiring_row("S0", current_headcount=95, monthly_attrition=0.05,
                                                        recruiting_lead_weeks=1, training_weeks=1, class_min=3,
                                                        class_max=5, max_hires_per_week=5)])
    return build_problem(op, weekly([120] * weeks), efficiency=1.0)


def test_room_cuts_keep_every_whole_class_plan_and_lift_the_lp():
    import itertools
    from planning.capacity import base_headcount, build, class_weeks

    problem = _capped_problem()
    m = build(problem, integer=False, cut_weeks=None)
    rows = [c for c in m.solver.constraints() if c.name().startswith("room_cut")]
    assert len(rows) > 10
    weeks = list(class_weeks(problem, 0))
    assert len(weeks) >= 6
    r = weekly_retention(0.05)
    room = np.maximum(0.0, 100 - base_headcount(problem, 0))
    feasible = tight = 0
    for sizes in itertools.product((0, 3, 4, 5), repeat=len(weeks)):  # every whole-class plan
        hires = np.zeros(problem.T)
        hires[weeks] = sizes
        hired = np.zeros(problem.T)
        for t in range(problem.T):
            hired[t] = (r * hired[t - 1] if t else 0.0) + hires[t]
        if (hired > room + 1e-9).any():
            continue  # breaks the contract max: not a plan
        feasible += 1
        for row in rows:
            activity = sum(row.GetCoefficient(m.hired[0, t]) * hired[t] for t in range(problem.T))
            activity += sum(row.GetCoefficient(m.classes[0, t]) * (1.0 if hires[t] > 0 else 0.0) for t in weeks)
            assert activity <= row.ub() + 1e-7, (row.name(), sizes)
            tight += abs(activity - row.ub()) < 1e-7
    assert feasible > 100 and tight > 0  # the rows touch real plans: as strong as they can be there

    plain = build(problem, integer=False)
    assert plain.solver.Solve() == 0 and m.solver.Solve() == 0
    lp, cut_lp = plain.solver.Objective().Value(), m.solver.Objective().Value()
    mip = build(problem, cut_weeks=0)  # the MIP without the cuts, solved to optimality
    mip.solver.SetTimeLimit(20000)
    params = __import__("ortools.linear_solver.pywraplp", fromlist=["x"]).MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    assert mip.solver.Solve(params) == 0
    best = mip.solver.Objective().Value()
    assert lp < cut_lp - 1.0  # the cuts remove fractional refilling ...
    assert cut_lp <= best + 1e-6 * abs(best)  # ... and stay below the best whole-class plan


def test_reported_bound_is_proven(growing):
    """The reported bound sits between the plain LP relaxation and the plan; so does the LP
    with every room cut."""
    from planning.capacity import build

    op, frame, plan = growing
    tol = 1e-6 * abs(plan.objective)
    plain = build(plan.problem, integer=False)
    relaxed = build(plan.problem, integer=False, cut_weeks=None)
    assert plain.solver.Solve() == 0 and relaxed.solver.Solve() == 0
    lp, cut_lp = plain.solver.Objective().Value(), relaxed.solver.Objective().Value()  # incl. today's staff
    assert lp - tol <= cut_lp <= plan.objective + tol
    assert lp - tol <= plan.bound <= plan.objective + tol
