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


# --- process lifetime and leftovers (issue 17) ----------------------------------------

def _spawn_and_sleep(pid_file: str) -> None:
    """In the job child: start a grandchild that would outlive it (no death signal of its
    own), note its pid, then work for long."""
    import subprocess
    import sys

    grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    with open(pid_file + ".tmp", "w") as fh:
        fh.write(str(grandchild.pid))
    os.replace(pid_file + ".tmp", pid_file)
    time.sleep(120)


class _SpawnThenSleep:  # unpickling it in the child starts a grandchild, then sleeps
    def __init__(self, pid_file):
        self.pid_file = str(pid_file)

    def __reduce__(self):
        return (_spawn_and_sleep, (self.pid_file,))


def _gone(pid: int) -> bool:
    """Not running: no such process, or a zombie nobody reaped (PID 1 in a container may not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in "ZX"
    except FileNotFoundError:
        return True


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return found


def _until(condition, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


_PARENT = """
import sys, time
from planning.access import LOCAL_USER
from planning.jobs import SolveJob
from tests.test_jobs import _SpawnThenSleep, _case
op, req = _case()
job = SolveJob(op, req, _SpawnThenSleep(sys.argv[1]), who=LOCAL_USER).start()
print(job.pid, job.folder, flush=True)
time.sleep(600)
"""


def _parent_with_a_job(tmp_path):
    """A separate parent process that starts a job (its child) and then idles: (parent,
    job pid, job folder, grandchild pid)."""
    import subprocess
    import sys
    from pathlib import Path

    pid_file = tmp_path / "grandchild.pid"
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(pid_file)], cwd=str(Path(__file__).parents[1]),
                              stdout=subprocess.PIPE, text=True)
    job_pid, folder = parent.stdout.readline().split()
    assert _until(pid_file.exists, 60), "the job child never started its grandchild"
    return parent, int(job_pid), Path(folder), int(pid_file.read_text())


@pytest.mark.parametrize("watchdog_killed_too", [False, True], ids=["parent killed", "parent and watchdog killed"])
def test_a_killed_parent_takes_the_job_and_its_grandchildren_with_it(tmp_path, watchdog_killed_too):
    """kill -9 of the process that owns a job: the job child and the grandchild it started
    are gone within seconds.  The folder (a pickle of the whole operation) is removed by the
    watchdog, or, when the watchdog was killed too, by the next job's start."""
    import signal

    parent, job_pid, folder, grandchild = _parent_with_a_job(tmp_path)
    try:
        assert not _gone(job_pid) and not _gone(grandchild) and (folder / "input.pkl").exists()
        if watchdog_killed_too:
            watchdogs = [pid for pid in _children_of(job_pid) if pid != grandchild]
            assert len(watchdogs) == 1, watchdogs
            os.kill(watchdogs[0], signal.SIGKILL)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert _until(lambda: _gone(job_pid), 5), "the job child outlived its parent"
        if not watchdog_killed_too:
            assert _until(lambda: _gone(grandchild), 5), "the job's grandchild outlived the job"
            assert _until(lambda: not folder.exists(), 5), "the watchdog left the folder behind"
            return
        time.sleep(1.0)
        assert folder.exists() and not _gone(grandchild)  # nobody was left to clean up ...
        op, req = _case()
        nxt = SolveJob(op, req, PlanOptions(time_limit_seconds=20), who=LOCAL_USER).start()  # ... until the next start
        assert not folder.exists(), "the next start did not sweep the dead owner's folder"
        assert _until(lambda: _gone(grandchild), 5), "the next start left the dead job's grandchild running"
        assert nxt.wait(120).state == "done", nxt.error
    finally:
        for pid in (parent.pid, job_pid, grandchild):
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)


def test_sweep_removes_only_folders_of_dead_owners(tmp_path):
    import subprocess
    import sys

    from planning.job_process import FOLDER_PREFIX, sweep_stale_folders

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale, live, foreign = (tmp_path / f"{FOLDER_PREFIX}{n}" for n in ("stale", "live", "new"))
    for folder, owner in ((stale, dead.pid), (live, os.getpid()), (foreign, None)):
        folder.mkdir()
        (folder / "input.pkl").write_bytes(b"x" * 1000)
        if owner is not None:
            (folder / "owner").write_text(str(owner))
    assert sweep_stale_folders(tmp_path) == 1
    assert not stale.exists() and live.exists() and foreign.exists()  # a fresh folder without owner: kept
    old = time.time() - 7 * 3600
    os.utime(foreign, (old, old))  # ... unless it is older than any job
    assert sweep_stale_folders(tmp_path) == 1 and not foreign.exists() and live.exists()


def test_a_job_nobody_polls_stops_itself_and_removes_its_folder(tmp_path):
    op, req = _case()
    pid_file = tmp_path / "grandchild.pid"
    job = SolveJob(op, req, _SpawnThenSleep(pid_file), idle_seconds=2, who=LOCAL_USER).start()
    folder = job.folder
    assert _until(lambda: job.poll() is not None and pid_file.exists(), 60)  # followed while it starts
    grandchild = int(pid_file.read_text())
    stopped = time.time()  # from here on nobody polls (a closed tab)
    assert _until(lambda: job._proc.poll() is not None, 10), "an unpolled job kept running"
    assert time.time() - stopped >= 0.75  # not before the idle limit (less the 1 s heartbeat throttle)
    assert _until(lambda: _gone(grandchild), 5)
    assert _until(lambda: not folder.exists(), 5)
    job.poll()
    assert job.state == "abandoned" and "nobody followed it" in job.error


def test_a_polled_job_keeps_running_past_the_idle_limit(tmp_path):
    """The control: the same job, polled, is still running after twice the idle limit."""
    op, req = _case()
    job = SolveJob(op, req, _Sleep(), idle_seconds=2, who=LOCAL_USER).start()
    try:
        deadline = time.time() + 5
        while time.time() < deadline:
            assert job.running, job.error
            job.poll()
            time.sleep(0.5)
    finally:
        job.cancel()
    assert job.state == "cancelled" and not job.folder.exists()


def test_a_job_started_from_a_short_lived_thread_survives_the_thread():
    """Streamlit runs each script run on a new thread; the death signal follows the thread
    that forked, so a job must not die when the run that started it ends."""
    import threading

    op, req = _case()
    box = []
    thread = threading.Thread(target=lambda: box.append(SolveJob(op, req, PlanOptions(time_limit_seconds=20), who=LOCAL_USER).start()))
    thread.start()
    thread.join()
    job = box[0].wait(120)
    assert job.state == "done", job.error


def test_a_task_job_runs_a_named_task_and_raises_its_errors():
    from planning.jobs import TaskJob, run_isolated

    with pytest.raises(ValueError, match="unknown job task"):
        TaskJob("rm -rf")
    op, _ = _case()
    with pytest.raises(Exception) as info:  # a 1-row volume cannot be forecast: raised here again
        run_isolated("capacity", op=op, months=6, source="history", time_limit_s=5)
    assert not isinstance(info.value, __import__("planning.jobs", fromlist=["SolverCrashed"]).SolverCrashed)


def test_the_export_task_plans_in_a_child_with_progress():
    from planning.jobs import run_isolated
    from tests.test_pipeline import small_operation

    seen = []
    result = run_isolated("quick_plan", op=small_operation(weeks_of_history=2), weeks=1, source="naive",
                          progress=lambda message, fraction: seen.append((message, fraction)))
    assert result.plan.ok and result.kpis["cost"] > 0
    assert any(m.startswith("Planning") for m, _ in seen)
    assert seen[-1][0].startswith("Done") and seen[-1][1] == 1.0  # "Done (18 s)": the run's wall time
