"""On-disk cache of per-series results, keyed by a hash of everything that shapes them.

Location: ``$PLANNER_CACHE_DIR/forecasts`` if set, else ``var/cache/forecasts`` under the
repository.  Entries are pickles of :class:`forecasts.series.SeriesResult`; a stale or
unreadable entry is simply recomputed; beyond ``MAX_ENTRIES`` the oldest are deleted.
Bump ``CACHE_VERSION`` when model code changes what a given input produces.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import numpy as np

CACHE_VERSION = "forecasts-2"
# Oldest entries beyond this many are deleted when a new one is stored.
MAX_ENTRIES = 1000
CACHE_ENV = "PLANNER_CACHE_DIR"


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV)
    root = Path(base) if base else Path(__file__).resolve().parents[1] / "var" / "cache"
    return root / "forecasts"


def task_key(task) -> str:
    """A content hash of a SeriesTask (arrays by bytes, the rest by repr)."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for value in (task.queue, task.market, str(task.start), task.freq_minutes, task.horizon,
                  repr(task.config), repr(task.selection)):
        h.update(str(value).encode())
        h.update(b"\x00")
    for array in (task.values, task.event_multiplier, task.holiday):
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:32]


def load(key: str, directory: Path | None = None):
    path = (directory or cache_dir()) / f"{key}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, ValueError):
        return None


def store(key: str, value, directory: Path | None = None) -> None:
    directory = directory or cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Write then rename: concurrent readers never see half a file.
        with tempfile.NamedTemporaryFile("wb", dir=directory, delete=False, suffix=".tmp") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, directory / f"{key}.pkl")
        prune(directory)
    except OSError:
        pass  # a read-only disk only costs speed


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Delete the least recently written entries beyond ``keep``."""
    entries = list(directory.glob("*.pkl"))
    if len(entries) <= keep:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for path in entries[: len(entries) - keep]:
        path.unlink(missing_ok=True)
