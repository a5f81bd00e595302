"""The separate solve process: completes, can be cancelled, survives a crash."""
from __future__ import annotations

import os
import time

import pytest

from planning.shiftplan import PlanOptions, solve_plan
from planning.access import LOCAL_USER
from planning.jobs import SolveJob
from tests.plan_cases import day_profile, operation, queue, requirements, site


def _case():
    op = operation([queue()], [site(shrinkage=0.5)], [("S1", "spam")], [("S1", "day", "08:00", 8)])
    return op, requirements(op, {"spam": day_profile({(8, 16): 5})})


class _Sleep:  # unpickling it in the child sleeps: a stand-in for a long solve
    def __reduce__(self):
        return (time.sleep, (60,))


class _Abort:  # unpickling it in the child aborts the process: a native crash
    def __reduce__(self):
        return (os.abort, ())


def test_job_returns_the_same_plan_as_a_direct_solve():
    op, req = _case()
    job = SolveJob(op, req, PlanOptions(time_limit_seconds=20), who=LOCAL_USER).start()
    job.wait(120)
    assert job.state == "done", job.error
    assert job.result.cost == pytest.approx(solve_plan(op, req).cost)
    assert any("LP bound" in m for m in job.messages)


def test_cancel_terminates_the_child():
    op, req = _case()
    job = SolveJob(op, req, _Sleep(), who=LOCAL_USER).start()
    time.sleep(0.5)
    assert job.running
    t0 = time.time()
    job.cancel()
    assert job.state == "cancelled" and time.time() - t0 < 5
    assert not job.running


def test_crash_becomes_a_failed_state():
    op, req = _case()
    job = SolveJob(op, req, _Abort(), who=LOCAL_USER).start().wait(60)
    assert job.state == "failed"
    assert "crashed (signal 6)" in job.error


# --- whole scenario runs in a child (the Scenarios page) ------------------------------

def test_scenario_errors_are_raised_again_in_the_caller():
    from planning.scenarios import Scenario, ScenarioInputError
    from planning.jobs import run_scenario_isolated

    missing = Scenario(name="x", base="/nonexistent/inputs")
    with pytest.raises(ScenarioInputError, match="nonexistent"):
        run_scenario_isolated(missing, who=LOCAL_USER)


def test_scenario_crash_raises_solver_crashed():
    from planning.scenarios import Scenario
    from planning.jobs import SolverCrashed, run_scenario_isolated

    with pytest.raises(SolverCrashed, match="signal 6"):
        run_scenario_isolated(Scenario(name="x", base="data/sample"), operation=_Abort(), who=LOCAL_USER)


def test_interrupted_caller_kills_the_scenario_child():
    """progress raising (Streamlit stopping the script) kills the child before it goes on."""
    from planning import jobs as solverproc
    from planning.scenarios import Scenario

    jobs = []
    real = solverproc.ScenarioJob.start

    def recording(self):
        jobs.append(self)
        return real(self)

    class Stop(Exception):
        pass

    def progress(message, fraction):
        raise Stop

    solverproc.ScenarioJob.start = recording
    try:
        with pytest.raises(Stop):
            # the child prints progress at once (loading), then works for long
            solverproc.run_scenario_isolated(Scenario(name="x", base="data/sample", settings={"weeks": 8}),
                                             progress=progress, poll_seconds=0.05, who=LOCAL_USER)
    finally:
        solverproc.ScenarioJob.start = real
    assert jobs and jobs[0].state == "cancelled" and jobs[0]._proc.poll() is not None
