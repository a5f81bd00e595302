"""The Overview baseline, Export "Plan now" and the Capacity solve run through the job
runner (``planning.jobs.run_isolated``, a child process), show its progress on the page,
and show a crashed child as a message, never a traceback (AppTest)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from planning.jobs import SolverCrashed

TIMEOUT = 300


@pytest.fixture
def crashing_runner(monkeypatch):
    """A stand-in for the child process: reports progress, then dies like a killed solver."""
    calls = []

    def run_isolated(task, *, progress=None, **kwargs):
        calls.append((task, sorted(kwargs)))
        progress("Planning: solving", 0.5)
        raise SolverCrashed("the solver process crashed (signal 9)")

    monkeypatch.setattr("planning.jobs.run_isolated", run_isolated)
    return calls


def _page(module: str) -> AppTest:
    return AppTest.from_string(f"from ui.{module} import render\nrender()\n", default_timeout=TIMEOUT)


def _errors(at) -> str:
    assert not at.exception, [e.value for e in at.exception]
    return " ".join(e.value for e in at.error)


def test_overview_baseline_runs_as_a_job(crashing_runner, monkeypatch):
    monkeypatch.setattr("planning.pipeline.peek_baseline", lambda op, weeks=1: None)
    at = _page("overview").run()
    assert crashing_runner and crashing_runner[0][0] == "baseline"
    assert "signal 9" in _errors(at)


def test_export_plan_now_runs_as_a_job(crashing_runner):
    at = _page("export").run()
    at.button(key="export_plan").click().run()
    assert [task for task, _ in crashing_runner] == ["quick_plan"]
    assert crashing_runner[0][1] == ["op", "source", "weeks"]
    assert "signal 9" in _errors(at)


def test_capacity_solve_runs_as_a_job(crashing_runner):
    at = _page("capacity").run()
    assert crashing_runner == []  # nothing runs until asked
    at.toggle(key="capacity_run").set_value(True).run()
    assert [task for task, _ in crashing_runner] == ["capacity"]
    assert "signal 9" in _errors(at)
