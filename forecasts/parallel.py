"""Fan a function out over series: serially, over worker processes, or on a Dask cluster.

backend "process" (default) uses ``concurrent.futures.ProcessPoolExecutor``; "dask" uses
``dask.distributed`` (an existing scheduler address, or a LocalCluster when none is
given); "serial" runs in this process (tests, tiny inputs).  ``progress(done, total,
message)`` is called after each finished item, in the calling process.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import types
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Sequence

Progress = Callable[[int, int, str], None]
BACKENDS = ("process", "dask", "serial")
DEFAULT_WORKERS = 2


def _label(item: Any) -> str:
    return " x ".join(str(getattr(item, a)) for a in ("queue", "market") if hasattr(item, a))


def fan_out(fn: Callable, items: Sequence, backend: str = "process", workers: int | None = None,
            progress: Progress | None = None, dask_address: str | None = None) -> list:
    """``[fn(item) for item in items]`` in input order, computed on the chosen backend."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}'; use one of {', '.join(BACKENDS)}")
    total = len(items)
    progress = progress or (lambda done, total, message: None)
    workers = max(1, workers or DEFAULT_WORKERS)
    if backend == "serial" or total <= 1 or (backend == "process" and workers == 1):
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            progress(i + 1, total, _label(item))
        return out
    if backend == "dask":
        return _fan_out_dask(fn, items, workers, progress, dask_address)
    results: list = [None] * total
    with ProcessPoolExecutor(max_workers=min(workers, total), mp_context=_context()) as pool:
        with quiet_main():  # the workers start during the submits
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        for done, future in enumerate(as_completed(futures), start=1):
            i = futures[future]
            results[i] = future.result()
            progress(done, total, _label(items[i]))
    return results


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_main():
    """Start worker processes with a blank ``__main__``.

    A new process (spawn or forkserver) re-runs the parent's ``__main__`` file before it
    works. Under Streamlit that is the last page script run (Streamlit installs each page as
    ``__main__``), under AppTest a script that cannot run on its own: the worker would run a
    page, or die. What the workers run is always importable by name, so they need none of it.
    """
    with _MAIN_LOCK:
        blank = types.ModuleType("__main__")
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = blank
        try:
            yield
        finally:
            if sys.modules.get("__main__") is blank and real is not None:
                sys.modules["__main__"] = real


def _context():
    """Workers fork from a clean forkserver that has the models imported once.

    Forking the caller directly is unsafe when it runs threads (the Streamlit server
    does), and spawning re-imports statsmodels in every worker on every run.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None  # Windows / macOS defaults
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["forecasts.series"])
    return context


def _fan_out_dask(fn, items, workers, progress, address):
    from dask.distributed import Client, LocalCluster, as_completed as dask_completed

    address = address or os.environ.get("PLANNER_DASK_SCHEDULER") or None
    cluster = None
    if address:
        client = Client(address)
    else:
        with quiet_main():
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(fn, list(items), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(items)
        for done, future in enumerate(dask_completed(futures), start=1):
            i = index[future.key]
            results[i] = future.result()
            progress(done, len(items), _label(items[i]))
        return results
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
