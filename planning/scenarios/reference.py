"""The reference of a scenario: the same base, horizon, first day, time limit and settings,
without levers, computed on demand and kept by content.

A what-if is only readable against a plan made the same way: a 2-week, 10-second,
simulated scenario is compared with a 2-week, 10-second, simulated plan of the unchanged
operation (the Overview's stored baseline is a 1-week plan with the long limit).  The key
is the operation's content digest (``planning.pipeline.fingerprint``, of the operation as
the caller may see it) with the horizon, first day, effective time limit and settings, so
changed inputs never reuse an old reference.  KPIs are kept as JSON under
``<cache dir>/scenario-references/`` (plain data, nothing unpickled), and in memory.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from planning.scenarios.scenario import Scenario, kpis_to_json

REFERENCE_FORMAT = 2  # bump when the KPI dict or the pipeline's answer changes (2: a what-if limit is a wall: coarser intervals below 15 s a week, probability only when it fits)
REFERENCE_NAME = "Baseline (no levers)"
_MEMORY: dict[str, dict] = {}


def reference_scenario(scenario: Scenario) -> Scenario:
    """The no-lever scenario with ``scenario``'s base and settings."""
    return Scenario(name=REFERENCE_NAME, base=scenario.base, settings=scenario.settings,
                    notes=f"reference of {scenario.name}")


def reference_key(scenario: Scenario, op) -> str:
    """The content key: operation digest, horizon, first day, effective limit, settings."""
    from planning.pipeline import fingerprint

    s = scenario.settings
    limit = s.time_limit_seconds or op.settings.scenario_time_limit_seconds
    text = json.dumps({"format": REFERENCE_FORMAT, "op": fingerprint(op), "weeks": s.weeks,
                       "start": s.start.isoformat() if s.start else None, "limit": float(limit),
                       "simulate": bool(s.simulate)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _path(key: str) -> Path:
    from planning.cachedir import cache_dir

    return cache_dir() / "scenario-references" / f"{key}.json"


def cached_reference(scenario: Scenario, op) -> dict | None:
    """The reference KPIs if computed before (memory, then disk), else None (no work)."""
    key = reference_key(scenario, op)
    if key in _MEMORY:
        return _MEMORY[key]
    try:
        kpis = json.loads(_path(key).read_text())
    except (OSError, ValueError):  # not computed yet, or a damaged file: recomputed
        return None
    if not isinstance(kpis, dict):
        return None
    _MEMORY[key] = kpis
    return kpis


def remember_reference(scenario: Scenario, op, kpis: dict) -> None:
    """Keep the KPIs of a no-lever run of ``scenario``'s settings (e.g. a run of a scenario
    that has no levers: it is its own reference)."""
    key = reference_key(scenario, op)
    clean = json.loads(kpis_to_json(kpis))
    _MEMORY[key] = clean
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(clean))
        tmp.replace(path)
    except OSError:  # a read-only disk only costs the re-computation
        return


def reference_kpis(scenario: Scenario, *, who, operation, run: Callable | None = None,
                   progress: Callable[[str, float], None] | None = None) -> dict:
    """The reference KPIs of ``scenario``: cached, or run now (``run`` has
    ``run_scenario``'s signature; the app passes the child-process runner)."""
    from planning.access import restrict_operation

    op = restrict_operation(operation, who)
    found = cached_reference(scenario, op)
    if found is not None:
        return found
    if run is None:
        from planning.scenarios.scenario import run_scenario as run
    result = run(reference_scenario(scenario), who=who, operation=op, progress=progress)
    remember_reference(scenario, op, result.kpis)
    return cached_reference(scenario, op)
