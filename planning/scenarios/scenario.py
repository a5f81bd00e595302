"""Scenarios: a named base dataset + ordered levers + planning settings, run and compared.

``Scenario`` is the typed object the store saves and the CLI and the page edit.
``run_scenario`` loads the base dataset and goes through ``planning.pipeline.run_pipeline``
(which reuses the cached base forecast).  ``compare`` turns two to four scenarios' KPI
dicts into a tidy table of deltas against the first one; ``what_changed`` lists the levers
and settings that differ.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Iterable

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from planning.access import Principal, require, restrict_operation
from planning.scenarios.levers import Lever, lever_to_dict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_BASE = "data/sample"  # the built-in sample, always a permitted base dataset
BASES_ENV = "WFM_BASE_DATASETS"  # more permitted base datasets: paths separated by os.pathsep

# Units of the KPI rows in the comparison table.
KPI_UNITS = {
    "cost": "currency", "paid_hours": "h", "unmet_agent_hours": "agent-h",
    "headcount_site": "agents", "headcount_vendor": "agents",
    "attainment_predicted": "share", "attainment_simulated": "share", "attainment_target": "share",
}


class PlanSettings(BaseModel):
    """How the scenario is planned: horizon, first day, solver time limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weeks: int = Field(default=1, ge=1, le=8, description="planning horizon [weeks]")
    start: dt.date | None = Field(default=None, description="first planned day (UTC); None = after history")
    time_limit_seconds: float | None = Field(
        default=None, gt=0, le=3600,
        description="solver limit [s]; None = the operation's scenario_time_limit_seconds (10 s)")
    simulate: bool = Field(default=True, description="also simulate the plan (slower; simulated attainment)")


class Scenario(BaseModel):
    """A what-if scenario. ``id``, ``created_by``, ``created_at`` and ``vendor_scope`` are filled by
    the store.

    name and notes are kept verbatim (no trimming); base is the dataset path (a CSV folder
    or an .xlsx workbook) the levers apply to.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    base: str = Field(min_length=1)
    levers: list[Lever] = Field(default_factory=list)
    settings: PlanSettings = Field(default_factory=PlanSettings)
    notes: str = ""
    parent_id: int | None = None
    id: int | None = None
    created_by: str = ""
    created_at: dt.datetime | None = None
    vendor_scope: str | None = None  # the vendor a restricted session made it under (store-filled)

    @field_validator("name")
    @classmethod
    def _named(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a scenario needs a name")
        return v

    def levers_json(self) -> list[dict]:
        return [lever_to_dict(lever) for lever in self.levers]

    def duplicate(self, name: str | None = None) -> "Scenario":
        """An unsaved copy whose parent is this scenario."""
        return Scenario(name=name or f"{self.name} (copy)", base=self.base, levers=list(self.levers),
                        settings=self.settings, notes=self.notes, parent_id=self.id)


def _json_default(value: Any):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def kpis_to_json(kpis: dict) -> str:
    """The KPI dict as JSON (numpy numbers become plain numbers, NaN becomes null)."""
    text = json.dumps(kpis, default=_json_default, allow_nan=True)
    return json.dumps(json.loads(text, parse_constant=lambda _: None), allow_nan=False)


class ScenarioInputError(ValueError):
    """The scenario's base dataset cannot be loaded; the message lists the problems."""


class BaseNotAllowed(ScenarioInputError):
    """A base dataset that is not in the server's configuration (typed or uploaded paths)."""


def _resolved(path: str | os.PathLike) -> Path:
    found = Path(path).expanduser()
    if not found.is_absolute():
        found = PROJECT_ROOT / found
    return found.resolve()  # symlinks and '..' resolved: a path is compared by what it opens


def allowed_bases(configured: Iterable[str] = ()) -> dict[str, Path]:
    """The base datasets this server may load, as ``{label: resolved path}``.

    The built-in sample, the paths in ``$WFM_BASE_DATASETS`` (separated by ``os.pathsep``)
    and ``configured`` (the UI passes ``[scenarios] base_datasets`` from its secrets).
    Only server configuration says where data may be read from; nobody using the app can
    add a path.
    """
    labels = [SAMPLE_BASE, *[p for p in os.environ.get(BASES_ENV, "").split(os.pathsep) if p.strip()],
              *[str(p) for p in configured if str(p).strip()]]
    return {label.strip(): _resolved(label.strip()) for label in labels}


def resolve_base(base: str, allowed: dict[str, Path]) -> Path:
    """The path of ``base`` if it is one of ``allowed`` (by label or by what it resolves to);
    otherwise ``BaseNotAllowed`` saying which ones are."""
    if base in allowed:
        return allowed[base]
    target = _resolved(base) if base.strip() else None
    if target is not None and target in set(allowed.values()):
        return target
    names = ", ".join(allowed) or "none"
    raise BaseNotAllowed(
        f"the base dataset '{base}' is not one of this server's configured datasets ({names}); pick one of "
        f"those. An administrator adds datasets in .streamlit/secrets.toml ([scenarios] base_datasets) or in "
        f"the {BASES_ENV} environment variable; typed or uploaded paths are never loaded")


def load_base(path: str):
    """The validated operation of a base dataset (raises ScenarioInputError with its problems)."""
    from planning.inputs import load_operation

    found = Path(path).expanduser()
    if not found.exists() and not found.is_absolute() and (PROJECT_ROOT / found).exists():
        found = PROJECT_ROOT / found  # e.g. "data/sample" saved from another working directory
    operation, report = load_operation(found)
    if operation is None:
        problems = "\n".join(str(p) for p in report.errors[:20]) or "no usable tables"
        raise ScenarioInputError(f"the base dataset {path} has problems:\n{problems}")
    return operation


def run_scenario(scenario: Scenario, *, who: Principal, progress: Callable[[str, float], None] | None = None,
                 operation=None):
    """Load the base dataset (unless ``operation`` is given) and run the pipeline with the levers.

    ``who`` must be allowed to ``run`` (``planning.access.Forbidden`` otherwise); the run
    sees only the operation as ``who`` may see it."""
    from planning.pipeline import run_pipeline

    require(who, "run")
    if operation is None:
        operation = load_base(scenario.base)
    operation = restrict_operation(operation, who)
    from planning.scenarios.reach import plan_horizon, reach_warnings

    s = scenario.settings
    warnings = (reach_warnings(scenario.levers, operation, plan_horizon(operation, s.weeks, s.start))
                if hasattr(operation, "history_end") else [])
    result = run_pipeline(operation, weeks=s.weeks, levers=scenario.levers, start=s.start,
                          time_limit=s.time_limit_seconds or operation.settings.scenario_time_limit_seconds,
                          progress=progress, simulate=s.simulate)
    result.kpis["lever_warnings"] = warnings  # a lever outside the horizon changed nothing: say so
    return result


# ---------------------------------------------------------------- compare
def kpi_rows(kpis: dict) -> list[dict]:
    """Flatten one KPI dict into rows ``metric, scope, unit, value``."""
    rows = []
    for metric in ("cost", "paid_hours", "unmet_agent_hours"):
        if kpis.get(metric) is not None:
            rows.append(dict(metric=metric, scope="total", value=float(kpis[metric])))
    for key, metric in (("headcount_by_site", "headcount_site"), ("headcount_by_vendor", "headcount_vendor")):
        for scope, value in sorted((kpis.get(key) or {}).items()):
            rows.append(dict(metric=metric, scope=str(scope), value=float(value)))
    for item in kpis.get("attainment") or []:
        scope = f"{item.get('queue')} / {item.get('market')}"
        for part in ("predicted", "simulated", "target"):
            value = item.get(part)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                rows.append(dict(metric=f"attainment_{part}", scope=scope, value=float(value)))
    for row in rows:
        row["unit"] = KPI_UNITS[row["metric"]]
    return rows


def labels(scenarios: list[Scenario]) -> list[str]:
    """Unique display labels: the name, with the id when names repeat."""
    names = [s.name for s in scenarios]
    return [f"{s.name} (#{s.id})" if names.count(s.name) > 1 else s.name for s in scenarios]


def compare(scenarios: list[Scenario], kpis: list[dict]) -> pd.DataFrame:
    """KPI deltas of 2-4 scenarios against the first (the baseline of the comparison).

    Returns a tidy frame ``metric, scope, unit, scenario, value, delta, delta_pct``;
    a KPI missing in a scenario (e.g. a removed site) counts as 0 for headcount and
    is left empty otherwise.
    """
    if not 2 <= len(scenarios) <= 4 or len(kpis) != len(scenarios):
        raise ValueError("compare two to four scenarios, each with its KPIs")
    names = labels(scenarios)
    frames = []
    for name, k in zip(names, kpis):
        frame = pd.DataFrame(kpi_rows(k), columns=["metric", "scope", "value", "unit"])
        frames.append(frame.assign(scenario=name))
    long = pd.concat(frames, ignore_index=True)
    wide = long.set_index(["metric", "scope", "unit", "scenario"])["value"].unstack("scenario")
    wide = wide.reindex(columns=names)
    headcount = wide.index.get_level_values("metric").str.startswith("headcount")
    wide.loc[headcount] = wide.loc[headcount].fillna(0.0)
    wide.columns = list(wide.columns)
    wide = wide.reset_index()
    out = wide.melt(id_vars=["metric", "scope", "unit"], value_vars=names, var_name="scenario",
                    value_name="value")
    out = out.merge(wide[["metric", "scope", "unit", names[0]]].rename(columns={names[0]: "base"}),
                    on=["metric", "scope", "unit"])
    out["delta"] = out["value"] - out["base"]
    out["delta_pct"] = (out["delta"] / out["base"].where(out["base"] != 0)) * 100
    order = {m: i for i, m in enumerate(KPI_UNITS)}
    out["_m"] = out["metric"].map(order)
    out["_s"] = out["scenario"].map({n: i for i, n in enumerate(names)})
    out = out.sort_values(["_m", "scope", "_s"]).drop(columns=["_m", "_s", "base"])
    return out.reset_index(drop=True)[["metric", "scope", "unit", "scenario", "value", "delta", "delta_pct"]]


def compare_wide(table: pd.DataFrame) -> pd.DataFrame:
    """The compare table with one value column and one delta column per scenario (for display)."""
    names = list(dict.fromkeys(table["scenario"]))
    keyed = table.set_index(["metric", "scope", "unit", "scenario"])
    values = keyed["value"].unstack("scenario")[names]
    deltas = keyed["delta"].unstack("scenario")[names[1:]]
    deltas.columns = [f"Δ {n}" for n in deltas.columns]
    wide = values.join(deltas).reset_index()
    wide.columns.name = None
    order = {m: i for i, m in enumerate(KPI_UNITS)}
    wide["_m"] = wide["metric"].map(order)
    return wide.sort_values(["_m", "scope"]).drop(columns="_m").reset_index(drop=True)


def what_changed(scenarios: list[Scenario]) -> pd.DataFrame:
    """Levers and settings that are not the same in every scenario.

    Returns ``change, <label per scenario>`` where each scenario column says whether that
    scenario has the lever (True/False) or, for settings and the base dataset, its value.
    """
    names = labels(scenarios)
    keyed = [{json.dumps(lever_to_dict(l), sort_keys=True): l for l in s.levers} for s in scenarios]
    rows = []
    seen: dict[str, Any] = {}
    for levers in keyed:
        for key, lever in levers.items():
            seen.setdefault(key, lever)
    for key, lever in seen.items():
        present = [key in levers for levers in keyed]
        if not all(present):
            rows.append({"change": lever.describe(), **dict(zip(names, present))})
    facts = {"base dataset": [s.base for s in scenarios]}
    for field in PlanSettings.model_fields:
        facts[f"setting {field}"] = [getattr(s.settings, field) for s in scenarios]
    for label, values in facts.items():
        if len({str(v) for v in values}) > 1:
            rows.append({"change": label, **{n: str(v) for n, v in zip(names, values)}})
    return pd.DataFrame(rows, columns=["change", *names])
