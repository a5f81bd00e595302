"""LP diving and neighbourhood search in the HiGHS child (planning/shiftplan/highsdive.py) and the
large-model path of solve_plan that runs it (planning/shiftplan/highs.py)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from ortools.linear_solver import pywraplp

import planning.shiftplan.planner as shiftplan
from planning.shiftplan import highsmip
from planning.shiftplan import highs as shiftplan_highs
from planning.shiftplan import MipRun, proto_arrays
from planning.shiftplan import check_plan
from planning.shiftplan import PlanOptions, solve_plan
from tests.shiftplan.test_highsmip import _knapsack_cover, _proto
from tests.shiftplan.test_check import _end_to_end_case


def _lp_value(proto) -> float:
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lp.LoadModelFromProto(proto)
    for v in lp.variables():
        v.SetInteger(False)
    assert lp.Solve() == pywraplp.Solver.OPTIMAL
    return lp.Objective().Value()


def test_dive_gives_an_integral_plan_between_the_bounds():
    """The dive child's plan is integral, satisfies every row, costs what its objective
    says, and lies between the LP bound (GLOP) and the MIP optimum (SCIP) from above."""
    solver = _knapsack_cover(n=40, seed=11)
    proto = _proto(solver)
    lp = _lp_value(proto)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    optimum = solver.Objective().Value()
    n = 40
    labels = {"int_site": np.arange(n, dtype=np.int32) % 4, "int_day": np.arange(n, dtype=np.int32) // 10}
    result = MipRun.start(proto, time_limit=20, gap=0.0, seed=1, mode="dive", labels=labels).wait()
    assert result is not None and result.values is not None
    x = result.values
    assert np.allclose(x[:n], np.round(x[:n]), atol=1e-6)
    a = proto_arrays(proto)
    rows = [np.dot(a["a_value"][a["a_start"][r]:a["a_start"][r + 1]], x[a["a_index"][a["a_start"][r]:a["a_start"][r + 1]]])
            for r in range(len(a["row_lower"]))]
    assert all(lo - 1e-6 <= v <= hi + 1e-6 for v, lo, hi in zip(rows, a["row_lower"], a["row_upper"]))
    assert float(a["col_cost"] @ x + a["offset"][0]) == pytest.approx(result.objective, rel=1e-9)
    assert result.bound == pytest.approx(lp, rel=1e-7)
    assert lp - 1e-6 <= optimum <= result.objective + 1e-6
    assert result.objective <= 1.25 * optimum  # a real search, not a round-up of everything


def test_neighbourhood_search_only_ever_improves():
    """Improving plans are reported in strictly decreasing order and the final plan is the
    last one reported."""
    proto = _proto(_knapsack_cover(n=60, seed=5))
    labels = {"int_site": np.arange(60, dtype=np.int32) % 6, "int_day": np.arange(60, dtype=np.int32) // 12}
    run = MipRun.start(proto, time_limit=20, gap=0.0, seed=2, mode="dive", labels=labels)
    result = run.wait()
    events = [json.loads(m) for m in run.messages if m.startswith("{")]  # (HiGHS prints a banner)
    plans = [e["objective"] for e in events if "objective" in e]
    assert plans and all(b < a for a, b in zip(plans, plans[1:]))
    assert result.objective == pytest.approx(plans[-1])
    assert any("lp_bound" in e for e in events)


def test_large_model_path_passes_checker_and_respects_the_bound(monkeypatch):
    """With every model treated as large, "auto" solves with the HiGHS children: the plan
    passes the independent checker, is no dearer than the in-process rounding, and its
    bound lies between the LP bound and the objective."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    messages: list[str] = []
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=25, gap_target=0.0), progress=messages.append)
    rounding = solve_plan(op, req, PlanOptions(time_limit_seconds=25, gap_target=0.0, method="lp-round"))
    assert plan.backend.startswith("HiGHS/") and plan.ok
    assert any(m.startswith("LP bound") for m in messages)
    assert check_plan(op, req, plan) == []
    assert plan.objective <= rounding.objective + 1e-6 * abs(rounding.objective)
    assert plan.lp_bound == pytest.approx(rounding.lp_bound, rel=1e-6)
    assert plan.lp_bound - 1e-6 <= plan.bound <= plan.objective + 1e-6


def _failing_run(*args, **kwargs) -> MipRun:
    folder = Path(tempfile.mkdtemp(prefix="plan-highs-test-"))
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"], stdout=subprocess.PIPE, text=True)
    return MipRun(proc, folder, time.perf_counter(), 5.0)


def test_children_without_a_plan_fall_back_to_the_rounding(monkeypatch):
    """If the HiGHS children crash, the in-process LP rounding still answers."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    monkeypatch.setattr(MipRun, "start", classmethod(lambda cls, *a, **k: _failing_run()))
    messages: list[str] = []
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=10, gap_target=0.0), progress=messages.append)
    assert plan.ok and plan.backend == "SCIP/lp-round"
    assert any("no plan" in m for m in messages)
    assert check_plan(op, req, plan) == []


def test_gap_target_stops_the_search_early(monkeypatch):
    """With a loose gap target the search stops as soon as a plan meets it."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    t0 = time.perf_counter()
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=60, gap_target=0.5))
    assert plan.ok and plan.gap <= 0.5 and plan.backend.startswith("HiGHS/")  # not the fallback
    assert time.perf_counter() - t0 < 30


def test_labels_name_site_and_day_of_each_headcount():
    op, req = _end_to_end_case()
    from planning.shiftplan import build_model

    model = build_model(pywraplp.Solver.CreateSolver("SCIP"), op, req)
    lab = shiftplan_highs.labels(model)
    assert len(lab["int_site"]) == len(lab["int_day"]) == len(model.decisions)
    sites = sorted({d.site for d in model.decisions})
    for d, s, k in zip(model.decisions, lab["int_site"], lab["int_day"]):
        assert sites[s] == d.site
    # same day label <=> same first local date
    dates = [model.instances[d.instances[0]].date_local for d in model.decisions]
    assert len(set(zip(dates, lab["int_day"]))) == len(set(dates)) == len(set(lab["int_day"]))


def test_same_inputs_same_plan(monkeypatch):
    """Seeded and deterministic: when the search ends by itself (here branch and cut proves
    optimality) two runs give the same objective and the same shifts."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    runs = [solve_plan(op, req, PlanOptions(time_limit_seconds=25, gap_target=0.0, seed=3)) for _ in range(2)]
    assert all(r.ok for r in runs)
    assert runs[0].objective == pytest.approx(runs[1].objective, rel=1e-9)
    cols = ["site", "shift", "date_local", "headcount"]
    a, b = (r.shifts[cols].sort_values(cols[:3]).reset_index(drop=True) for r in runs)
    assert a.equals(b)
