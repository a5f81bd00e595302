"""Run solves and other long jobs in a separate process that can be cancelled, may crash,
and never outlives the app.

Streamlit cannot interrupt running Python code, and a native solver crash would take the
server down with it.  ``SolveJob`` starts ``python -m planning.jobs DIR`` with the
inputs pickled into a private temporary directory; the child prints progress lines and
pickles the ``PlanResult`` back.  Cancel = terminate (then kill) the child's process
group; a crash (non-zero exit, signal) becomes a ``failed`` state with the exit code and
the last lines of stderr.

    job = SolveJob(op, requirements, PlanOptions(time_limit_seconds=30), who=principal).start()
    while job.running:
        for message in job.poll(): print(message)
        time.sleep(0.5)
    job.result  # PlanResult, or job.error

Lifetime (nothing is left behind, issue 17):
- the child dies with the process that started it (``PR_SET_PDEATHSIG`` = SIGKILL).  The
  signal follows the *thread* that forked, and Streamlit runs each script run on a new
  thread, so children are forked from one long-lived launcher thread here;
- the child leads its own process group, and a small watchdog process it forks first (in a
  group of its own) kills that whole group once the child is gone, so grandchildren die
  too, whatever started them;
- a job nobody polls for ``IDLE_SECONDS`` (a closed tab, a session that went away) is
  stopped by the watchdog, which also removes its folder;
- each folder records its owner's pid (``DIR/owner``) and the job's (``DIR/job``);
  ``sweep_stale_folders`` (called on every start and when the app starts) removes the
  folders of owners that are gone, and kills what is left of their jobs' process groups
  (only processes that carry the folder in ``WFM_JOB_FOLDER``).
"""
from __future__ import annotations

import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from planning.access import require
from planning.job_process import FOLDER_PREFIX, IDLE_SECONDS, _ABANDONED, _FOLDER_ENV, _HEARTBEAT, _kill_group, _launch, _start_watchdog, sweep_stale_folders


_ROOT = Path(__file__).resolve().parents[1]
_PREFIX = "PROGRESS "

class SolveJob:
    """One solve in a child process.  States: new, running, done, failed, cancelled.

    ``who`` (a ``planning.access.Principal``) must be allowed to ``solve``.
    ``idle_seconds``: the job stops itself when ``poll``/``running`` is not called for
    that long (default ``IDLE_SECONDS``)."""

    action: str | None = "solve"

    def __init__(self, op, requirements, options=None, simulate: bool = True, *, who,
                 idle_seconds: float | None = None, forecast=None, sla_confidence: float | None = None):
        if self.action is not None:
            require(who, self.action)
        # forecast given: the child staffs it at sla_confidence (planning.confidence.plan_at_confidence:
        # the error model, the quantile workload, the probability of meeting target) and
        # ``requirements`` is ignored
        self._payload = ("plan", op, requirements, options, simulate, forecast, sla_confidence)
        self.idle_seconds = IDLE_SECONDS if idle_seconds is None else float(idle_seconds)
        self.state = "new"
        self.result = None
        self.simulation = None
        self.error: str | None = None
        self.exception: BaseException | None = None
        self.messages: list[str] = []
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._proc: subprocess.Popen | None = None
        self._dir: Path | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._seen = 0
        self._beat = 0.0

    @property
    def pid(self) -> int | None:
        """The child's pid (also its process group), once started."""
        return None if self._proc is None else self._proc.pid

    @property
    def folder(self) -> Path | None:
        return self._dir

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "SolveJob":
        sweep_stale_folders()
        self._dir = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (self._dir / "owner").write_text(str(os.getpid()))
        (self._dir / "idle").write_text(repr(self.idle_seconds))
        (self._dir / _HEARTBEAT).touch()
        with open(self._dir / "input.pkl", "wb") as fh:
            pickle.dump(self._payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        env[_FOLDER_ENV] = str(self._dir)
        with open(self._dir / "stderr.txt", "wb") as stderr:
            self._proc = _launch([sys.executable, "-m", "planning.jobs", str(self._dir)], cwd=str(_ROOT), env=env,
                                 stdout=subprocess.PIPE, stderr=stderr, text=True, bufsize=1)
        (self._dir / "job").write_text(str(self._proc.pid))
        threading.Thread(target=self._read, daemon=True).start()
        self.state, self.started_at = "running", time.time()
        return self

    def _read(self) -> None:
        for line in self._proc.stdout:
            if line.startswith(_PREFIX):
                with self._lock:
                    self._lines.append(line[len(_PREFIX):].rstrip("\n"))

    @property
    def running(self) -> bool:
        self._update()
        return self.state == "running"

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return (self.finished_at or time.time()) - self.started_at

    def poll(self) -> list[str]:
        """New progress messages since the last poll (also updates the state and tells the
        child someone is still following it)."""
        self._update()
        with self._lock:
            new = self._lines[self._seen:]
            self._seen = len(self._lines)
        self.messages.extend(new)
        return new

    def wait(self, timeout: float | None = None) -> "SolveJob":
        if self._proc is not None:
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.poll()
        return self

    def cancel(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            _kill_group(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(3)
            except subprocess.TimeoutExpired:
                _kill_group(self._proc.pid)
                self._proc.wait()
            self.state, self.error, self.finished_at = "cancelled", "cancelled by the user", time.time()
            self._cleanup()

    def _heartbeat(self) -> None:
        now = time.time()
        if now - self._beat >= 1.0 and self._dir is not None:
            try:
                os.utime(self._dir / _HEARTBEAT)
                self._beat = now
            except OSError:  # the watchdog removed the folder: the state says why below
                pass

    def _update(self) -> None:
        if self.state != "running" or self._proc is None:
            return
        if self._proc.poll() is None:
            self._heartbeat()
            return
        time.sleep(0.05)  # let the reader thread take the last lines
        code = self._proc.returncode
        output = self._dir / "result.pkl"
        abandoned = self._dir / _ABANDONED
        if code == 0 and output.exists():
            with open(output, "rb") as fh:
                kind, payload = pickle.load(fh)
            if kind == "ok":
                self.result, self.simulation = payload
                self.state = "done"
            elif kind == "raise":  # an exception of the task itself, to re-raise in the caller
                self.state, self.exception, self.error = "failed", payload, f"{type(payload).__name__}: {payload}"
            else:
                self.state, self.error = "failed", payload
        elif abandoned.exists() or not self._dir.exists():
            self.state = "abandoned"
            self.error = f"stopped itself: nobody followed it for {self.idle_seconds:.0f} s"
        else:
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            try:
                tail = (self._dir / "stderr.txt").read_text(errors="replace").strip().splitlines()[-3:]
            except OSError:
                tail = []
            self.state = "failed"
            self.error = f"the solver process crashed ({how})" + (": " + " | ".join(tail) if tail else "")
        self.finished_at = time.time()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


class ScenarioJob(SolveJob):
    """A whole scenario run (``planning.scenarios.scenario.run_scenario``) in a child process."""

    action = "run"

    def __init__(self, scenario, operation=None, *, who, idle_seconds: float | None = None):
        super().__init__(None, None, who=who, idle_seconds=idle_seconds)
        self._payload = ("scenario", scenario, operation, who)


class TaskJob(SolveJob):
    """One of the named long tasks (``TASKS``: the baseline plan, a plan for export, the
    capacity plan) in a child process; ``kwargs`` are the task's arguments.  The tasks store
    nothing shared under a role (the baseline is a cache of the operation's own plan), so any
    signed-in person may start one: ``who`` is recorded, not checked."""

    action = None

    def __init__(self, task: str, *, who=None, idle_seconds: float | None = None, **kwargs):
        if task not in TASKS:
            raise ValueError(f"unknown job task {task!r}; known: {', '.join(sorted(TASKS))}")
        super().__init__(None, None, who=who, idle_seconds=idle_seconds)
        self._payload = ("task", task, kwargs)


class PlanBacktestJob(TaskJob):
    """A plan backtest (``planning.plan_backtest_runs.backtest_origins`` over the ``origins``
    latest usable weekly origins) in a child process; ``who`` must be allowed to ``solve``
    (it plans, with the operation's settings, at every origin)."""

    action = "solve"

    def __init__(self, op, *, who, origins: int, weeks: int = 1, naive: bool = False,
                 time_limit: float | None = None, idle_seconds: float | None = None):
        super().__init__("plan_backtest", who=who, idle_seconds=idle_seconds, op=op, origins=origins,
                         weeks=weeks, naive=naive, time_limit=time_limit)


def follow(job: SolveJob, progress=None, poll_seconds: float = 0.25):
    """Wait for a started job, passing its progress on as ``progress(message, fraction)``, and
    return its result: an exception raised by the task is raised here again; a crash of the
    child raises ``SolverCrashed``.  If the caller is interrupted (``progress`` raises, e.g.
    Streamlit stopping the script for a Stop button or a closed tab), the child is killed
    before the exception goes on.  Without news for a second, ``progress`` is called again
    with the elapsed time, so a caller can always be interrupted within about a second."""
    last, said = ("Starting", 0.0), time.monotonic()
    try:
        while True:
            running = job.running
            for line in job.poll():
                fraction, _, message = line.partition("|")
                last, said = (message, float(fraction)), time.monotonic()
                if progress is not None:
                    progress(*last)
            if not running:
                break
            if progress is not None and time.monotonic() - said >= 1.0:  # a heartbeat with the time
                progress(f"{last[0]} ({job.elapsed:.0f} s)", last[1])  # (and a point to be stopped at)
                said = time.monotonic()
            time.sleep(poll_seconds)
    finally:
        if job.state == "running":
            job.cancel()
    if job.state == "done":
        return job.result
    if job.exception is not None:
        raise job.exception
    raise SolverCrashed(job.error or "the job's process ended without a result")


def run_scenario_isolated(scenario, *, who, operation=None, progress=None, poll_seconds: float = 0.25):
    """``planning.scenarios.scenario.run_scenario`` in a child process, with the same arguments and
    result (see ``follow`` for progress, errors and interruption).  ``who`` must be allowed to
    ``run`` (``planning.access.Forbidden`` before any process starts)."""
    require(who, "run")
    return follow(ScenarioJob(scenario, operation, who=who).start(), progress, poll_seconds)


def run_isolated(task: str, *, progress=None, poll_seconds: float = 0.25, **kwargs):
    """The named task (``TASKS``) in a child process; see ``follow``."""
    return follow(TaskJob(task, **kwargs).start(), progress, poll_seconds)


class SolverCrashed(RuntimeError):
    """The child process died (a native crash, out of memory, a kill)."""


def _say(message: str, fraction: float) -> None:
    print(f"{_PREFIX}{float(fraction):.3f}|{message}".replace("\n", " "), flush=True)


def _guarded(call) -> tuple:
    """("ok", (result, None)); an exception of the task is sent back to be raised again when
    it pickles, else as its text."""
    try:
        return ("ok", (call(), None))
    except Exception as exc:
        try:
            pickle.dumps(exc)
            return ("raise", exc)
        except Exception:
            return ("error", f"{type(exc).__name__}: {exc}")


def _scenario_child(path: Path, scenario, operation, who) -> tuple:
    from planning.scenarios import run_scenario

    return _guarded(lambda: run_scenario(scenario, who=who, operation=operation, progress=_say))


def _baseline_task(op, weeks: int, time_limit: float | None = None):
    from planning.pipeline import baseline

    return baseline(op, weeks=weeks, time_limit=time_limit, progress=_say)


def _quick_plan_task(op, weeks: int, source: str, sla_confidence: float | None = None):
    from planning.pipeline import quick_plan, run_pipeline

    if source == "models":
        return run_pipeline(op, weeks=weeks, progress=_say, sla_confidence=sla_confidence)
    return quick_plan(op, weeks, progress=_say, sla_confidence=sla_confidence)


def _capacity_task(op, months: int, source: str, **options):
    from planning.capacity import fallback_weekly_volume, horizon_weeks, long_range_weekly_volume
    from planning.capacity.plan import plan_capacity

    _say("Forecasting long-range demand", 0.05)
    if source == "history":
        weekly, label = fallback_weekly_volume(op, horizon_weeks(months)), "history fallback"
    else:
        weekly, label = long_range_weekly_volume(op, months)
    from planning.pipeline import peek_baseline

    week = peek_baseline(op, weeks=1)  # the week plan, checked agent by agent, if computed
    if week is not None and week.plan.ok and "efficiency" not in options:
        options = {**options, "requirements": week.requirements, "plan_shifts": week.plan.shifts,
                   "plan_kpis": week.plan.kpis}
    _say("Choosing training classes (OR-Tools)", 0.5)
    return plan_capacity(op, weekly, demand_source=label, **options)


def _plan_backtest_task(op, origins: int, weeks: int = 1, naive: bool = False, time_limit: float | None = None):
    from planning.plan_backtest import MIN_HISTORY_WEEKS, usable_origins
    from planning.plan_backtest_runs import backtest_origins

    chosen = usable_origins(op, origins, weeks)
    if not chosen:
        raise ValueError(f"the history is too short to plan at a past origin: {MIN_HISTORY_WEEKS} weeks before "
                         f"it and {weeks} week(s) after are needed")
    return backtest_origins(op, chosen, weeks=weeks, naive=naive, time_limit=time_limit, progress=_say)


def _cross_training_task(op, requirements, options=None, n: int = 5):
    from planning.scenarios.cross_training import value_of_cross_training

    return value_of_cross_training(op, requirements, options, n=n, progress=_say)


TASKS = {"baseline": _baseline_task, "quick_plan": _quick_plan_task, "capacity": _capacity_task,
         "plan_backtest": _plan_backtest_task, "cross_training": _cross_training_task}
"""Long tasks a ``TaskJob`` runs: name -> function(**kwargs), with progress on stdout."""


def _child(folder: str) -> int:
    path = Path(folder)
    _start_watchdog(path)
    with open(path / "input.pkl", "rb") as fh:
        task, *args = pickle.load(fh)
    if task == "scenario":
        outcome = _scenario_child(path, *args)
    elif task == "task":
        name, kwargs = args
        outcome = _guarded(lambda: TASKS[name](**kwargs))
    else:
        outcome = _plan_child(*args)
    tmp = path / "result.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path / "result.pkl")
    return 0


def _plan_child(op, requirements, options, simulate, forecast=None, sla_confidence=None) -> tuple:
    from planning.shiftplan import plan_and_check, solve_plan

    def say(message: str) -> None:
        print(_PREFIX + message.replace("\n", " "), flush=True)

    try:
        if forecast is not None:  # risk-aware: requirements at the confidence's quantile workload
            from planning.confidence import plan_at_confidence

            _req, plan, _risk = plan_at_confidence(op, forecast, sla_confidence=sla_confidence, options=options,
                                                   simulate=simulate, progress=lambda m, f: say(m))
        elif simulate:  # solve, judge agent by agent, tighten and re-solve (planning.shiftplan.loop)
            plan = plan_and_check(op, requirements, options, progress=say)
        else:
            plan = solve_plan(op, requirements, options, progress=say)
        return ("ok", (plan, plan.simulated_intervals))
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    # The solver libraries may print to fd 1; keep our protocol on a private copy of it.
    sys.exit(_child(sys.argv[1]))
