"""HiGHS branch and cut in a child process (planning/shiftplan/highsmip.py): the same optimum as
SCIP on a small MIP, the best plan left behind when the child is killed, and the
large-model path (rounding + HiGHS beside it) giving plans the independent checker
accepts."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest
from ortools.linear_solver import linear_solver_pb2, pywraplp

import planning.shiftplan.planner as shiftplan
from planning.shiftplan import MipRun, proto_arrays
from planning.shiftplan import check_plan
from planning.shiftplan import PlanOptions, solve_plan
from tests.shiftplan.test_check import _end_to_end_case


def _knapsack_cover(n: int = 30, seed: int = 3):
    """min c.x  s.t.  rows of random covers, x integer in [0, 5], plus one continuous slack."""
    rng = np.random.default_rng(seed)
    solver = pywraplp.Solver.CreateSolver("SCIP")
    xs = [solver.IntVar(0, 5, f"x{i}") for i in range(n)]
    slack = solver.NumVar(0, solver.infinity(), "slack")
    for r in range(12):
        a = rng.integers(0, 4, n)
        solver.Add(solver.Sum([int(a[i]) * xs[i] for i in range(n)]) + slack >= float(rng.uniform(8, 20)))
    cost = rng.uniform(1, 3, n)
    solver.Minimize(solver.Sum([float(cost[i]) * xs[i] for i in range(n)]) + 50 * slack + 7.0)
    return solver


def _proto(solver):
    proto = linear_solver_pb2.MPModelProto()
    solver.ExportModelToProto(proto)
    return proto


def test_arrays_keep_every_coefficient():
    solver = _knapsack_cover()
    proto = _proto(solver)
    a = proto_arrays(proto)
    assert len(a["col_cost"]) == solver.NumVariables() and len(a["row_lower"]) == solver.NumConstraints()
    assert a["a_start"][-1] == len(a["a_index"]) == sum(len(r.var_index) for r in proto.constraint)
    assert a["integrality"].sum() == 30 and a["offset"][0] == 7.0


def test_same_optimum_as_scip():
    solver = _knapsack_cover()
    proto = _proto(solver)
    assert solver.Solve() == pywraplp.Solver.OPTIMAL
    scip = solver.Objective().Value()
    result = MipRun.start(proto, time_limit=30, gap=0.0, seed=1).wait()
    assert result is not None and result.status == "optimal"
    assert result.objective == pytest.approx(scip, rel=1e-6)
    assert result.bound == pytest.approx(scip, rel=1e-6)
    x = result.values
    assert np.allclose(x[:30], np.round(x[:30]), atol=1e-6)  # integral
    # the solution really has that objective: recompute it from the proto
    c = np.array([v.objective_coefficient for v in proto.variable])
    assert float(c @ x + proto.objective_offset) == pytest.approx(scip, rel=1e-6)


def test_killed_child_answers_none_or_its_best():
    run = MipRun.start(_proto(_knapsack_cover(n=400, seed=5)), time_limit=60, gap=0.0, seed=1)
    time.sleep(1.0)
    run.cancel()
    result = run.wait()
    assert result is None or (result.status == "feasible" and math.isfinite(result.objective))
    assert run.proc.returncode is not None


def test_large_model_path_runs_highs_branch_and_cut(monkeypatch):
    """With every model treated as large, "auto" runs the HiGHS children (diving and
    branch and cut): the kept plan is never worse than the in-process rounding alone,
    never below the bound, and passes the independent checker."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    messages: list[str] = []
    both = solve_plan(op, req, PlanOptions(time_limit_seconds=30, gap_target=0.0), progress=messages.append)
    rounding = solve_plan(op, req, PlanOptions(time_limit_seconds=30, gap_target=0.0, method="lp-round"))
    assert any("HiGHS" in m for m in messages)
    assert both.ok and check_plan(op, req, both) == []
    assert both.objective <= rounding.objective + 1e-6 * abs(rounding.objective)
    assert both.bound <= both.objective + 1e-6 * abs(both.objective)
    assert both.bound >= both.lp_bound - 1e-6 * abs(both.lp_bound)
    # on this small case HiGHS branch and cut proves optimality: gap ~0
    assert both.backend.startswith("HiGHS/") and both.status == "optimal" and both.gap <= 1e-6


def test_interrupted_solve_leaves_no_highs_child(monkeypatch):
    """A progress callback that raises (Streamlit stopping the script for a Stop button)
    ends the solve and kills the HiGHS child at once."""
    op, req = _end_to_end_case()
    monkeypatch.setattr(shiftplan, "DIRECT_MIP_MAX_VARIABLES", 0)
    started = []
    real_start = MipRun.start

    def recording_start(*args, **kwargs):
        run = real_start(*args, **kwargs)
        started.append(run)
        return run

    monkeypatch.setattr(MipRun, "start", recording_start)

    class Stop(Exception):
        pass

    def progress(message):
        if message.startswith("Solving with HiGHS"):
            raise Stop

    with pytest.raises(Stop):
        solve_plan(op, req, PlanOptions(time_limit_seconds=60, gap_target=0.0), progress=progress)
    assert len(started) == 2  # the dive and branch and cut
    for run in started:
        assert run.proc.returncode is not None and not run.dir.exists()


def test_folders_of_dead_owners_are_swept(tmp_path):
    """A solve killed with SIGKILL leaves its run folder (with a copy of the model) behind;
    the next run removes folders whose owner process is gone and keeps live ones."""
    import subprocess
    import sys

    from planning.shiftplan import highsmip

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / (highsmip.FOLDER_PREFIX + "stale")
    stale.mkdir()
    (stale / "owner").write_text(str(dead.pid))
    (stale / "model.npz").write_bytes(b"x" * 100)
    live = tmp_path / (highsmip.FOLDER_PREFIX + "live")
    live.mkdir()
    (live / "owner").write_text(str(__import__("os").getpid()))
    foreign = tmp_path / (highsmip.FOLDER_PREFIX + "foreign")  # no owner file: left alone
    foreign.mkdir()
    assert highsmip.sweep_stale_folders(tmp_path) == 1
    assert not stale.exists() and live.exists() and foreign.exists()
