"""Where computed results are kept between runs: the baseline plans, error models, plan
backtests and scenario references (``WFM_CACHE_DIR``, a server setting; default var/cache)."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where computed results are kept between runs (``WFM_CACHE_DIR``, default var/cache)."""
    return Path(os.environ.get("WFM_CACHE_DIR", Path(__file__).resolve().parents[1] / "var" / "cache"))
