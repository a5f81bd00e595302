"""Many plan backtest origins (``planning.plan_backtest``): side by side, resumable, summed up.

``backtest_origins`` runs the origins on the forecast backend (``forecasts.parallel``:
worker processes by default, a Dask cluster when the server configures one, or in this
process), one origin per worker. Each worker runs its origin on one core (the
simulation's threads, BLAS, the solver's second child: ``single_core``), so 2 workers on
2 cores do not fight over them; a single origin, or ``backend="serial"``, runs here with
all the cores for its solve and simulation and finer progress.

Resumable, by content, on disk (``forecasts.cachefile``, signed):

- the **decision** at an origin (forecast, requirements, checked plan) is keyed by the
  operation as it was known there (``operation_as_of``) and the options, so volume that
  arrives later, or a later correction of it, never re-forecasts or re-plans it;
- the **judgement** (the plan on the volume that arrived, the hindsight plan) is keyed by
  the operation up to the end of the planned weeks, so a change there re-judges only.

A worker keeps what it finished as it goes, so a run stopped half way resumes from there.
"""
from __future__ import annotations

import contextlib
import functools
import math
import os
from typing import Callable

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.plan_backtest import (OriginResult, PlannedOrigin, _utc, backtest_origin, operation_as_of,
                                    plan_at)

PLAN_BACKTEST_FORMAT = 3  # bump when OriginResult or the judgement changes (old files are ignored; 3: staffed at sla_confidence)

Progress = Callable[[str, float], None]
"""progress(message, fraction done)"""


def _key(origin: pd.Timestamp, weeks: int, naive: bool, time_limit, replications) -> str:
    return f"{origin:%Y%m%d}-{weeks}w-{'naive' if naive else 'models'}-{time_limit or 'default'}-{replications or 'd'}"


def plan_cache_path(op: Operation, origin, weeks: int, naive: bool, time_limit, replications):
    """Where the decision at ``origin`` is kept: by what was known there."""
    from planning.cachedir import cache_dir
    from planning.pipeline import fingerprint

    origin = _utc(origin)
    return cache_dir() / (f"plan-backtest-plan-v{PLAN_BACKTEST_FORMAT}-{fingerprint(operation_as_of(op, origin))}-"
                          f"{_key(origin, weeks, naive, time_limit, replications)}.pkl")


def result_cache_path(op: Operation, origin, weeks: int, naive: bool, time_limit, replications, hindsight: bool):
    """Where the judged origin is kept: by everything up to the end of the planned weeks."""
    from planning.cachedir import cache_dir
    from planning.pipeline import fingerprint

    origin = _utc(origin)
    seen = operation_as_of(op, origin + pd.Timedelta(weeks=weeks))
    return cache_dir() / (f"plan-backtest-v{PLAN_BACKTEST_FORMAT}-{fingerprint(seen)}-"
                          f"{_key(origin, weeks, naive, time_limit, replications)}-{'h' if hindsight else 'noh'}.pkl")


def _read(path, kind):
    from forecasts import cachefile

    try:
        found = cachefile.load(path)
    except cachefile.CacheRefused:  # missing, outdated or tampered: recompute
        return None
    return found if isinstance(found, kind) else None


def _keep(obj, path, notes: list | None = None) -> None:
    from forecasts import cachefile

    try:
        cachefile.dump(obj, path)
    except (OSError, cachefile.CacheRefused) as exc:  # a read-only disk only costs the resume
        if notes is not None:
            notes.append(f"not kept on disk for a resume: {type(exc).__name__}")


@contextlib.contextmanager
def single_core():
    """Inside: the agent simulation on one thread, BLAS/OpenMP on one thread, and the HiGHS
    dive alone on one thread (no branch-and-cut child beside it), for a worker that shares
    the machine with other workers."""
    from threadpoolctl import threadpool_limits

    import planning.simulation.agents as agents
    from planning.shiftplan import highs

    saved = (agents.SIM_THREADS, highs.DIVE_THREADS_ALONE, highs.HIGHS_MIN_SECONDS)
    env = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    agents.SIM_THREADS, highs.DIVE_THREADS_ALONE, highs.HIGHS_MIN_SECONDS = 1, 1, math.inf
    os.environ.update({k: "1" for k in env})  # the solver's child processes inherit it
    try:
        with threadpool_limits(1):
            yield
    finally:
        agents.SIM_THREADS, highs.DIVE_THREADS_ALONE, highs.HIGHS_MIN_SECONDS = saved
        for k, v in env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_origin(origin, *, op: Operation, weeks: int = 1, time_limit: float | None = None,
               replications: int | None = None, naive: bool = False, hindsight: bool = True,
               use_cache: bool = True, forecast_backend: str | None = None, one_core: bool = False,
               progress: Callable[[str], None] | None = None) -> OriginResult:
    """One origin, resumed from the disk where possible, kept on disk when done."""
    origin = _utc(origin)
    options = dict(weeks=weeks, naive=naive, time_limit=time_limit, replications=replications)
    with single_core() if one_core else contextlib.nullcontext():
        plan_path = plan_cache_path(op, origin, **options)
        planned = _read(plan_path, PlannedOrigin) if use_cache else None
        notes: list[str] = []
        from_disk = planned is not None
        if planned is None:
            planned = plan_at(operation_as_of(op, origin), origin, weeks=weeks, time_limit=time_limit,
                              replications=replications, naive=naive, forecast_backend=forecast_backend,
                              progress=progress)
            _keep(planned, plan_path, notes)
        elif progress is not None:
            progress(f"{origin:%Y-%m-%d}: the plan made at the origin read from the cache")
        result = backtest_origin(op, origin, weeks=weeks, time_limit=time_limit, replications=replications,
                                 naive=naive, hindsight=hindsight, planned=planned, progress=progress)
    result.notes.extend(notes)
    result.plan_from_cache = from_disk
    _keep(result, result_cache_path(op, origin, **options, hindsight=hindsight), result.notes)
    return result


def default_workers(backend: str, todo: int) -> int:
    """One origin per core (the machine's cores, at most the origins to run)."""
    return max(1, min(os.cpu_count() or 1, todo)) if backend != "serial" else 1


def backtest_origins(op: Operation, origins: list, *, weeks: int = 1, time_limit: float | None = None,
                     replications: int | None = None, naive: bool = False, hindsight: bool = True,
                     use_cache: bool = True, backend: str | None = None, workers: int | None = None,
                     progress: Progress | None = None) -> list[OriginResult]:
    """``backtest_origin`` for every origin (newest last, in the order given), finished ones
    read back from the disk, the others on the forecast backend (see the module doc).

    backend : "process", "dask" or "serial" (default: the server's forecast backend,
    ``planning.forecasting``); workers : origins at a time (default: the cores)."""
    from forecasts.parallel import fan_out
    from planning.forecasting import _backend

    say = progress or (lambda message, fraction: None)
    origins = [_utc(o) for o in origins]
    total = max(len(origins), 1)
    options = dict(weeks=weeks, naive=naive, time_limit=time_limit, replications=replications)
    out: list[OriginResult | None] = [None] * len(origins)
    for k, origin in enumerate(origins):
        if use_cache:
            out[k] = _read(result_cache_path(op, origin, **options, hindsight=hindsight), OriginResult)
            if out[k] is not None:
                say(f"{origin:%Y-%m-%d}: read from the cache", sum(r is not None for r in out) / total)
    todo = [k for k, r in enumerate(out) if r is None]
    chosen, address = _backend(op, backend)
    workers = max(1, int(workers)) if workers else default_workers(chosen, len(todo))
    job = functools.partial(run_origin, op=op, hindsight=hindsight, use_cache=use_cache, **options)
    if chosen == "serial" or workers == 1 or len(todo) <= 1:
        for k in todo:
            base = sum(r is not None for r in out)
            out[k] = job(origins[k], progress=lambda m, b=base: say(m, (b + 0.5) / total))
            say(f"{origins[k]:%Y-%m-%d}: done", sum(r is not None for r in out) / total)
        return out  # type: ignore[return-value]
    cached = len(origins) - len(todo)
    say(f"{len(todo)} origin(s) on {min(workers, len(todo))} {chosen} worker(s), one core each",
        cached / total)
    finished = [0]

    def said(n, m, label):
        finished[0] = n
        say(f"{n} of {m} origin(s) planned and judged", (cached + n) / total)

    with _relay(chosen, lambda m: say(m, (cached + finished[0] + 0.5) / total)) as relay:
        done = fan_out(functools.partial(job, forecast_backend="serial", one_core=True, progress=relay),
                       [origins[k] for k in todo], backend=chosen, workers=workers, dask_address=address,
                       progress=said)
    for k, result in zip(todo, done):
        out[k] = result
    return out  # type: ignore[return-value]


class _Messages:
    """A worker's progress callback: its messages go to a queue the caller reads."""

    def __init__(self, queue):
        self.queue = queue

    def __call__(self, message: str) -> None:
        self.queue.put(str(message))


@contextlib.contextmanager
def _relay(backend: str, say: Callable[[str], None]):
    """Worker processes' progress messages passed on to ``say`` in this process (a thread
    reads a manager's queue); None (no messages until an origin is done) on Dask."""
    if backend != "process":
        yield None
        return
    import multiprocessing
    import queue as queues
    import threading

    from forecasts.parallel import _context, quiet_main

    with quiet_main():  # the manager's process must not re-run the caller's __main__
        manager = (_context() or multiprocessing.get_context("spawn")).Manager()
    messages = manager.Queue()
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            try:
                say(messages.get(timeout=0.3))
            except queues.Empty:
                continue
            except (EOFError, OSError, BrokenPipeError):  # the manager went away: no more news
                return

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        yield _Messages(messages)
    finally:
        stop.set()
        reader.join(2)
        manager.shutdown()


# ------------------------------------------------------------------ summaries
def results_frame(results: list[OriginResult]) -> pd.DataFrame:
    """One row per origin x pair: the pair's figures and its origin's (``origin``, ``cost``,
    ``hindsight_cost``); ``reached`` = the real-volume attainment reaches the target."""
    if not results:
        return pd.DataFrame()
    frames = [r.pairs.assign(origin=r.origin, plan_cost=r.cost, plan_hindsight_cost=r.hindsight_cost)
              for r in results]
    frame = pd.concat(frames, ignore_index=True)
    frame["reached"] = frame["actual"].notna() & (frame["actual"] >= frame["target"] - 1e-9)
    return frame


def origins_frame(results: list[OriginResult]) -> pd.DataFrame:
    """One row per origin: cost, hindsight cost, their ratio, pairs judged and reaching target."""
    return pd.DataFrame([{
        "origin": r.origin, "cost": r.cost, "hindsight_cost": r.hindsight_cost, "cost_ratio": r.cost_ratio,
        "pairs": len(r.pairs), "reached": r.reached_on_actual, "not_significantly_below": r.met_on_actual,
        "paid_hours": r.paid_hours, "hindsight_paid_hours": r.hindsight_paid_hours, "seconds": r.seconds,
        "plan_from_cache": r.plan_from_cache} for r in results])


def summarise(results: list[OriginResult], sla_confidence: float, weeks: int = 1) -> dict:
    """The backtest in a few figures.

    share : pair-weeks whose attainment on the volume that arrived reaches the target
    (the point estimate), of those judged; calibration_points : share - sla_confidence
    (the promise: the probability a pair's week meets target) in points; cost_ratio :
    the plans' cost over the hindsight plans' (origins with both)."""
    frame = results_frame(results)
    judged = frame[frame["actual"].notna()] if len(frame) else frame
    n = len(judged)
    reached = int(judged["reached"].sum()) if n else 0
    share = reached / n if n else math.nan
    both = [r for r in results if np.isfinite(r.cost) and np.isfinite(r.hindsight_cost) and r.hindsight_cost > 0]
    cost = float(sum(r.cost for r in both)) if both else math.nan
    hindsight = float(sum(r.hindsight_cost for r in both)) if both else math.nan
    pairs = int(frame[["queue", "market"]].drop_duplicates().shape[0]) if len(frame) else 0
    span = "weekly origins" if weeks == 1 else f"weekly origins ({weeks}-week plans)"
    return {
        "origins": len(results), "pairs": pairs, "pair_weeks": n, "reached": reached, "share": share,
        "not_significantly_below": int(_not_below(judged)) if n else 0,
        "promised": float(sla_confidence),
        "calibration_points": (share - sla_confidence) * 100 if n else math.nan,
        "cost": cost, "hindsight_cost": hindsight,
        "cost_ratio": cost / hindsight if both else math.nan,
        "population": f"{pairs} pairs x {len(results)} {span}, judged on the volume that arrived",
    }


def _not_below(frame: pd.DataFrame) -> int:
    upper = frame["actual_hi"].fillna(frame["actual"])
    return int((upper >= frame["target"] - 1e-9).sum())
