"""Run a shift-plan solve in a separate process that can be cancelled and may crash.

Streamlit cannot interrupt running Python code, and a native solver crash would take the
server down with it.  ``SolveJob`` starts ``python -m planning.jobs DIR`` with the
inputs pickled into a private temporary directory; the child prints progress lines and
pickles the ``PlanResult`` back.  Cancel = terminate (then kill); a crash (non-zero exit,
signal) becomes a ``failed`` state with the exit code and the last lines of stderr.

    job = SolveJob(op, requirements, PlanOptions(time_limit_seconds=30)).start()
    while job.running:
        for message in job.poll(): print(message)
        time.sleep(0.5)
    job.result  # PlanResult, or job.error
"""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from planning.access import require

_ROOT = Path(__file__).resolve().parents[1]
_PREFIX = "PROGRESS "


class SolveJob:
    """One solve in a child process.  States: new, running, done, failed, cancelled.

    ``who`` (a ``planning.access.Principal``) must be allowed to ``solve``."""

    action = "solve"

    def __init__(self, op, requirements, options=None, simulate: bool = True, *, who):
        require(who, self.action)
        self._payload = ("plan", op, requirements, options, simulate)
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

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "SolveJob":
        self._dir = Path(tempfile.mkdtemp(prefix="plan-solve-"))
        with open(self._dir / "input.pkl", "wb") as fh:
            pickle.dump(self._payload, fh, protocol=pickle.HIGHEST_PROTOCOL)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "planning.jobs", str(self._dir)], cwd=str(_ROOT), env=env,
            stdout=subprocess.PIPE, stderr=open(self._dir / "stderr.txt", "wb"), text=True, bufsize=1)
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
        """New progress messages since the last poll (also updates the state)."""
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
            self._proc.terminate()
            try:
                self._proc.wait(3)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self.state, self.error, self.finished_at = "cancelled", "cancelled by the user", time.time()
            self._cleanup()

    def _update(self) -> None:
        if self.state != "running" or self._proc is None or self._proc.poll() is None:
            return
        time.sleep(0.05)  # let the reader thread take the last lines
        code = self._proc.returncode
        output = self._dir / "result.pkl"
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
        else:
            how = f"signal {-code}" if code < 0 else f"exit code {code}"
            tail = (self._dir / "stderr.txt").read_text(errors="replace").strip().splitlines()[-3:]
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

    def __init__(self, scenario, operation=None, *, who):
        super().__init__(None, None, who=who)
        self._payload = ("scenario", scenario, operation, who)


def run_scenario_isolated(scenario, *, who, operation=None, progress=None, poll_seconds: float = 0.25):
    """``planning.scenarios.scenario.run_scenario`` in a child process, with the same arguments and
    result: progress arrives as ``progress(message, fraction)``; an exception raised by the
    run (bad inputs, a bad lever) is raised here again; a crash of the child raises
    ``SolverCrashed``.  If the caller is interrupted (``progress`` raises, e.g. Streamlit
    stopping the script for a Stop button), the child is killed before the exception
    goes on.  Without news for a second, ``progress`` is called again with the elapsed
    time, so a caller can always be interrupted within about a second.  ``who`` must be
    allowed to ``run`` (``planning.access.Forbidden`` before any process starts)."""
    require(who, "run")
    job = ScenarioJob(scenario, operation, who=who).start()
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
    raise SolverCrashed(job.error or "the scenario process ended without a result")


class SolverCrashed(RuntimeError):
    """The child process died (a native crash, out of memory, a kill)."""


def _scenario_child(path: Path, scenario, operation, who) -> tuple:
    from planning.scenarios import run_scenario

    def say(message: str, fraction: float) -> None:
        print(f"{_PREFIX}{float(fraction):.3f}|{message}".replace("\n", " "), flush=True)

    try:
        return ("ok", (run_scenario(scenario, who=who, operation=operation, progress=say), None))
    except Exception as exc:  # re-raised in the caller when it pickles, else its text
        try:
            pickle.dumps(exc)
            return ("raise", exc)
        except Exception:
            return ("error", f"{type(exc).__name__}: {exc}")


def _child(folder: str) -> int:
    path = Path(folder)
    with open(path / "input.pkl", "rb") as fh:
        task, *args = pickle.load(fh)
    outcome = _scenario_child(path, *args) if task == "scenario" else _plan_child(*args)
    tmp = path / "result.tmp"
    with open(tmp, "wb") as fh:
        pickle.dump(outcome, fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path / "result.pkl")
    return 0


def _plan_child(op, requirements, options, simulate) -> tuple:
    from planning.shiftplan import simulate_plan, solve_plan

    def say(message: str) -> None:
        print(_PREFIX + message.replace("\n", " "), flush=True)

    try:
        plan = solve_plan(op, requirements, options, progress=say)
        simulation = None
        if simulate and plan.ok:
            say("Simulating the plan")
            try:
                simulation = simulate_plan(op, requirements, plan)
            except Exception as exc:  # the plan stands without a simulation
                plan.messages.append(f"simulation failed: {type(exc).__name__}: {exc}")
        return ("ok", (plan, simulation))
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    # The solver libraries may print to fd 1; keep our protocol on a private copy of it.
    sys.exit(_child(sys.argv[1]))
