"""On-disk cache of per-series results, keyed by a hash of everything that shapes them.

Location: ``$PLANNER_CACHE_DIR/forecasts`` if set, else ``var/cache/forecasts`` under the
repository.  Entries are pickles of :class:`forecasts.series.SeriesResult`, signed with this
installation's key (:mod:`forecasts.cachefile`) and unpickled only when the signature checks
out; a stale, unreadable or unsigned entry is simply recomputed; beyond ``MAX_ENTRIES`` the
oldest are deleted.
Bump ``CACHE_VERSION`` when model code changes what a given input produces.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from forecasts import cachefile

CACHE_VERSION = "forecasts-3"  # 3: signed entries (forecasts.cachefile)
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
        return cachefile.load(path)
    except cachefile.CacheRefused:  # missing, unsigned, tampered or outdated: recompute
        return None


def store(key: str, value, directory: Path | None = None) -> None:
    directory = directory or cache_dir()
    try:
        cachefile.dump(value, directory / f"{key}.pkl")  # written then renamed: never half a file
        prune(directory)
    except (OSError, cachefile.CacheRefused):  # a read-only disk or an unsafe key only costs speed
        return


def prune(directory: Path, keep: int = MAX_ENTRIES) -> None:
    """Delete the least recently written entries beyond ``keep``."""
    entries = list(directory.glob("*.pkl"))
    if len(entries) <= keep:
        return
    entries.sort(key=lambda p: p.stat().st_mtime)
    for path in entries[: len(entries) - keep]:
        path.unlink(missing_ok=True)
