"""The shift-plan MIP solved by HiGHS (``highspy``) in a child process.

OR-Tools 9.15 and ``highspy`` both bundle HiGHS and cannot be loaded in one process
(undefined-symbol errors whichever comes first), so the parent exports the model it built
with ``pywraplp`` as plain arrays, and ``python -m planning.shiftplan.highsmip DIR`` -- a process
that imports ``highspy`` and numpy only -- solves it and writes the answer back:

    run = MipRun.start(proto, time_limit=25, gap=0.005, seed=1)
    ... other work in the parent (the LP relaxation and rounding use the other core) ...
    result = run.wait()          # MipResult or None
    run.messages                 # progress lines (improving solutions, bound)

Every improving solution is written to ``DIR/best.npy`` as it is found, so a child that
is killed at the deadline (or crashes) still leaves its best plan behind.  The child
dies with its parent (``PR_SET_PDEATHSIG`` and a parent check in the interrupt callback),
so cancelling an app solve never leaves an orphan solver behind.
"""
from __future__ import annotations

import ctypes
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from planning.job_process import alive

_ROOT = Path(__file__).resolve().parents[2]
# Heuristic effort: the sub-MIP (RINS/RENS) heuristics find the near-optimal plans on
# this model; the default 0.05 reaches them much later (measured on the sample week:
# 0.45% at 30 s with 0.3 vs nothing in 30 s with the default).
HEURISTIC_EFFORT = 0.3


@dataclass
class MipResult:
    status: str            # optimal / feasible / not_solved
    objective: float
    bound: float           # HiGHS's proven dual bound (-inf when it has none)
    values: np.ndarray | None
    seconds: float


def proto_arrays(proto) -> dict[str, np.ndarray]:
    """A pywraplp ``MPModelProto`` (minimisation) as row-wise arrays for ``passModel``."""
    variables = proto.variable
    n = len(variables)
    lower = np.fromiter((v.lower_bound for v in variables), float, n)
    upper = np.fromiter((v.upper_bound for v in variables), float, n)
    cost = np.fromiter((v.objective_coefficient for v in variables), float, n)
    integer = np.fromiter((v.is_integer for v in variables), np.int32, n)
    starts, index, value = [0], [], []
    row_lower, row_upper = [], []
    for row in proto.constraint:
        index.extend(row.var_index)
        value.extend(row.coefficient)
        starts.append(len(index))
        row_lower.append(row.lower_bound)
        row_upper.append(row.upper_bound)
    sign = -1.0 if proto.maximize else 1.0
    return {"col_cost": sign * cost, "col_lower": lower, "col_upper": upper, "integrality": integer,
            "row_lower": np.asarray(row_lower, float), "row_upper": np.asarray(row_upper, float),
            "a_start": np.asarray(starts, np.int32), "a_index": np.asarray(index, np.int32),
            "a_value": np.asarray(value, float), "offset": np.array([sign * proto.objective_offset])}


FOLDER_PREFIX = "plan-highs-"


def sweep_stale_folders(root: Path | None = None) -> int:
    """Remove the folders of runs whose owning process is gone (a solve killed with
    SIGKILL cannot remove its own; each holds a copy of the model).  Returns how many."""
    removed = 0
    for folder in Path(root or tempfile.gettempdir()).glob(FOLDER_PREFIX + "*"):
        try:
            owner = int((folder / "owner").read_text())
        except (OSError, ValueError):
            continue  # not ours, or still being created
        if not alive(owner):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def available() -> bool:
    """True when ``highspy`` is installed (it is checked without importing it here)."""
    import importlib.util

    return importlib.util.find_spec("highspy") is not None


def _die_with_parent() -> None:  # runs in the child between fork and exec (Linux)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@dataclass
class MipRun:
    proc: subprocess.Popen
    dir: Path
    started: float
    time_limit: float
    messages: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _seen: int = 0

    @classmethod
    def start(cls, proto, *, time_limit: float, gap: float, seed: int, mode: str = "mip", threads: int = 1,
              start_values: np.ndarray | None = None, arrays: dict | None = None,
              labels: dict[str, np.ndarray] | None = None) -> "MipRun":
        """``mode="mip"``: HiGHS branch and cut on the MIP; ``"dive"``: the LP, then
        diving and neighbourhood search (``planning.shiftplan.highsdive``; ``labels`` such as
        ``int_site``/``int_day``, one per integer column, define the neighbourhoods).
        ``arrays`` are ``proto_arrays(proto)`` when the caller has them already."""
        sweep_stale_folders()
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (folder / "owner").write_text(str(os.getpid()))
        time_limit = max(1.0, float(time_limit))
        arrays = dict(proto_arrays(proto) if arrays is None else arrays)
        if start_values is not None:
            arrays["start"] = np.asarray(start_values, float)
        arrays.update(labels or {})
        np.savez(folder / "model.npz", **arrays)
        (folder / "options.json").write_text(json.dumps(
            {"time_limit": time_limit, "gap": float(gap), "seed": int(seed), "mode": mode,
             "threads": int(threads)}))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        proc = subprocess.Popen([sys.executable, "-m", "planning.shiftplan.highsmip", str(folder)], cwd=str(_ROOT),
                                env=env, stdout=subprocess.PIPE, stderr=open(folder / "stderr.txt", "wb"),
                                text=True, bufsize=1,
                                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        run = cls(proc, folder, time.perf_counter(), time_limit)
        threading.Thread(target=run._read, daemon=True).start()
        return run

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._lock:
                self.messages.append(line.rstrip("\n"))

    def poll(self) -> list[str]:
        with self._lock:
            new = self.messages[self._seen:]
            self._seen = len(self.messages)
        return new

    def wait(self, grace: float = 10.0) -> MipResult | None:
        """Wait for the child (its own time limit plus ``grace``), kill it if it hangs, and
        read its answer: the final result, else the last improving solution saved."""
        try:
            self.proc.wait(timeout=self.time_limit + grace)
        except subprocess.TimeoutExpired:
            self.cancel()
        try:
            return self._result()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self) -> None:
        """Kill the child (if running) and remove its folder; its answer is dropped."""
        self.cancel()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _result(self) -> MipResult | None:
        seconds = time.perf_counter() - self.started
        final = self.dir / "result.json"
        if final.exists() and (self.dir / "result.npy").exists():
            info = json.loads(final.read_text())
            if info["status"] != "not_solved":
                return MipResult(info["status"], info["objective"], info["bound"],
                                 np.load(self.dir / "result.npy"), seconds)
        best = self.dir / "best.npy"
        if best.exists():  # killed or crashed after an improving solution
            info = json.loads((self.dir / "best.json").read_text())
            return MipResult("feasible", info["objective"], info["bound"], np.load(best), seconds)
        return None


# ---------------------------------------------------------------------------- child
def _save(folder: Path, stem: str, values, info: dict) -> None:
    tmp = folder / f"{stem}.tmp.npy"
    np.save(tmp, np.asarray(values, float))
    os.replace(tmp, folder / f"{stem}.npy")
    (folder / f"{stem}.json.tmp").write_text(json.dumps(info))
    os.replace(folder / f"{stem}.json.tmp", folder / f"{stem}.json")


def _load(folder: Path, options: dict, integral: bool):
    import highspy

    data = dict(np.load(folder / "model.npz"))
    n, m = len(data["col_cost"]), len(data["row_lower"])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    threads = int(options.get("threads", 1))
    h.setOptionValue("threads", threads)
    if threads > 1:  # parallel dual simplex (PAMI): 12x60x2 LP 90 s on 2 threads vs ~150 s on 1
        h.setOptionValue("parallel", "on")
        h.setOptionValue("simplex_strategy", 2)
    h.setOptionValue("random_seed", int(options["seed"]))
    h.passModel(n, m, len(data["a_value"]), 2, 1, float(data["offset"][0]), data["col_cost"],
                data["col_lower"], data["col_upper"], data["row_lower"], data["row_upper"],
                data["a_start"][:m], data["a_index"], data["a_value"],
                data["integrality"] if integral else np.zeros(n, np.int32))
    return highspy, h, data


def _finish(folder: Path, result: dict, values) -> None:
    np.save(folder / "result.tmp.npy", np.asarray(values, float))
    os.replace(folder / "result.tmp.npy", folder / "result.npy")
    (folder / "result.json").write_text(json.dumps(result))
    print(json.dumps({"t": round(result["seconds"], 1), "final": result["objective"], "bound": result["bound"],
                      "status": result["status"]}), flush=True)


def child_dive(folder: Path, options: dict) -> int:
    """LP relaxation, round-up dive and neighbourhood search (planning.shiftplan.highsdive)."""
    from planning.shiftplan import highsdive

    t0 = time.perf_counter()
    _, h, data = _load(folder, options, integral=False)
    state = {"bound": -math.inf}

    def say(event: dict) -> None:
        if "lp_bound" in event:
            state["bound"] = event["lp_bound"]
        print(json.dumps(event), flush=True)

    def on_plan(objective: float, values) -> None:
        _save(folder, "best", values, {"objective": objective, "bound": state["bound"]})
        print(json.dumps({"t": round(time.perf_counter() - t0, 1), "objective": objective,
                          "bound": state["bound"]}), flush=True)

    out = highsdive.run(h, data, options, lambda: h.modelStatusToString(h.getModelStatus()), say, on_plan)
    has = out.values is not None
    _finish(folder, {"status": "feasible" if has else "not_solved",
                     "objective": out.objective if has else math.nan, "bound": out.lp_bound,
                     "model_status": out.lp_status, "lp_seconds": out.lp_seconds,
                     "neighbourhoods": out.neighbourhoods, "seconds": time.perf_counter() - t0},
            out.values if has else np.zeros(0))
    return 0


def child_main(folder: Path) -> int:
    options = json.loads((folder / "options.json").read_text())
    if options.get("mode") == "dive":
        return child_dive(folder, options)
    t0 = time.perf_counter()
    parent = os.getppid()
    highspy, h, data = _load(folder, options, integral=True)
    n = len(data["col_cost"])
    h.setOptionValue("time_limit", float(options["time_limit"]))
    h.setOptionValue("mip_rel_gap", max(float(options["gap"]), 1e-6))
    h.setOptionValue("mip_heuristic_effort", HEURISTIC_EFFORT)
    if "start" in data:
        h.setSolution(n, np.arange(n, dtype=np.int32), data["start"])

    def improving(event):
        out = event.data_out
        objective, bound = float(out.mip_primal_bound), float(out.mip_dual_bound)
        _save(folder, "best", out.mip_solution, {"objective": objective, "bound": bound})
        print(json.dumps({"t": round(time.perf_counter() - t0, 1), "objective": objective, "bound": bound}),
              flush=True)

    def interrupt(event):
        if os.getppid() != parent:  # the parent is gone: stop
            event.interrupt()

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(interrupt)
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    optimal = status == highspy.HighsModelStatus.kOptimal
    result = {"status": "optimal" if optimal and has_solution else ("feasible" if has_solution else "not_solved"),
              "objective": float(info.objective_function_value) if has_solution else math.nan,
              "bound": float(info.mip_dual_bound), "model_status": h.modelStatusToString(status),
              "seconds": time.perf_counter() - t0}
    _finish(folder, result, np.asarray(h.getSolution().col_value, float) if has_solution else np.zeros(0))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(Path(sys.argv[1])))
