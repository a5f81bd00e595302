"""The separate solve process: completes, can be cancelled, survives a crash."""
from __future__ import annotations

import os
import time

import pytest

from planning.shiftplan import PlanOptions, solve_plan
from planning.solverproc import SolveJob
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
    job = SolveJob(op, req, PlanOptions(time_limit_seconds=20)).start()
    job.wait(120)
    assert job.state == "done", job.error
    assert job.result.cost == pytest.approx(solve_plan(op, req).cost)
    assert any("LP bound" in m for m in job.messages)


def test_cancel_terminates_the_child():
    op, req = _case()
    job = SolveJob(op, req, _Sleep()).start()
    time.sleep(0.5)
    assert job.running
    t0 = time.time()
    job.cancel()
    assert job.state == "cancelled" and time.time() - t0 < 5
    assert not job.running


def test_crash_becomes_a_failed_state():
    op, req = _case()
    job = SolveJob(op, req, _Abort()).start().wait(60)
    assert job.state == "failed"
    assert "crashed (signal 6)" in job.error
