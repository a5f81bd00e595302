"""The plan of record: the one current plan of an operation that every page shows.

Until someone publishes, the plan of record of an operation is its baseline (the stored
no-lever plan, ``planning.pipeline.baseline``).  A planner makes a solved plan (Shift plan
page) or a scenario's plan (Scenarios page) the plan of record with ``publish``; the
Overview, Export, Monitor and Scenarios pages then read it with ``current``.

Where: the ``plan_records`` table of the scenario store (``planning.scenarios.store``,
schema version 4; SQLite or PostgreSQL, ``WFM_DB``).  One row per publication; the latest
row of an operation is its plan of record, so the history of who published what stays.
Operations are keyed by a content digest of their inputs (``operation_key``, the digest
the app keys uploads by); the key is a bound parameter and never touches the disk.

What is kept: who published and when, the plan cost and the pipeline's KPIs, and enough to
rebuild exactly what was published (``PlanResult``'s numbers and frames: shifts with their
headcounts, allocation, coverage, cost by site, attainment; the requirements horizon; the
agent-level check; the forecast; the levers of a scenario) as JSON: nothing from the
database is ever unpickled.

Roles (``planning.access``): publishing is the mutating action ``publish`` (planners only:
a viewer or a vendor manager is refused here, ``Forbidden``).  Reading needs ``view``; a
vendor manager gets only his vendor's rows of every frame, and the cost and headcounts of
those rows (``PlanRecord.vendor_scope`` says so).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import insert, select

from planning.access import Principal, require, restrict_frame, scope_for, vendor_scope
from planning.domain import Operation
from planning.pipeline import PipelineResult

KINDS = {"solved": "solved plan", "scenario": "scenario's plan", "baseline": "the baseline"}
PLAN_FRAMES = ("shifts", "allocation", "coverage", "cost_by_site", "queues", "simulated_intervals")
PLAN_NUMBERS = ("status", "objective", "cost", "bound", "lp_bound", "gap", "seconds", "backend",
                "unmet_agent_hours")
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
PAYLOAD_FORMAT = 1


class PlanRecordError(ValueError):
    """A plan that cannot be published or a stored record that cannot be read (says why)."""


@dataclass(frozen=True)
class PlanRecord:
    """The plan of record of one operation, as one principal may see it.

    kind: ``baseline`` (nothing published yet), ``solved`` or ``scenario``; ``result`` is the
    plan rebuilt as a ``PipelineResult`` (``None`` for the baseline: the caller has it).
    ``cost`` [currency] over ``weeks`` weeks of plan horizon (a vendor manager: his rows only).
    """

    operation_key: str
    kind: str
    label: str
    published_by: str | None
    published_at: dt.datetime | None
    cost: float | None
    weeks: float
    currency: str
    result: PipelineResult | None
    record_id: int | None = None
    vendor_scope: str | None = None

    @property
    def is_baseline(self) -> bool:
        return self.kind == "baseline"

    @property
    def cost_per_week(self) -> float | None:
        if self.cost is None or not self.weeks:
            return None
        return self.cost / self.weeks

    def caption(self) -> str:
        """'Plan of record: solved plan published by ana at 2026-12-04 07:10 UTC, USD 403,120 / week'."""
        money = "" if self.cost_per_week is None else f", {self.currency} {self.cost_per_week:,.0f} / week"
        weeks = "" if abs(self.weeks - 1) < 1e-9 or not self.weeks else f" ({self.weeks:.3g} weeks planned)"
        scope = f"; {self.vendor_scope}'s sites only" if self.vendor_scope else ""
        if self.is_baseline:
            return f"Plan of record: the baseline (nothing published yet{money}{weeks}){scope}"
        what = KINDS.get(self.kind, self.kind) + (f" '{self.label}'" if self.label else "")
        when = self.published_at.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        return f"Plan of record: {what} published by {self.published_by} at {when}{money}{weeks}{scope}"


def horizon_weeks(result: PipelineResult) -> float:
    """Weeks of plan horizon: the requirements' (else the coverage's) intervals x length / 7 days."""
    frame = result.requirements if result.requirements is not None and len(result.requirements) else \
        result.plan.coverage
    if frame is None or not len(frame):
        return 0.0
    stamps = frame["timestamp"].drop_duplicates()
    minutes = result.operation.settings.interval_minutes
    return len(stamps) * minutes / (7 * 24 * 60)


# ------------------------------------------------------------------ JSON codec
def _plain(value):
    """JSON default: numpy scalars, timestamps, tuples, dataclasses."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot store {type(value).__name__} in a plan record")


def _finite(x):
    return None if isinstance(x, float) and not math.isfinite(x) else x


def frame_to_json(frame: pd.DataFrame | None) -> dict | None:
    """A frame as columns, dtypes and values; timestamps as UTC nanoseconds (exact)."""
    if frame is None:
        return None
    data, kinds = {}, {}
    for col in frame.columns:
        s = frame[col]
        kind = str(s.dtype)
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(s.dtype):
            values = [None if pd.isna(v) else int(pd.Timestamp(v).as_unit("ns").value) for v in s]
        elif s.dtype == object and len(s) and all(isinstance(v, dt.date) for v in s.dropna()):
            kind, values = "date", [None if v is None else v.isoformat() for v in s]
        elif pd.api.types.is_float_dtype(s.dtype):
            values = [_finite(float(v)) for v in s]
        else:
            values = [None if (not isinstance(v, (list, dict)) and pd.isna(v)) else v for v in s.astype(object)]
        data[str(col)], kinds[str(col)] = values, kind
    return {"columns": [str(c) for c in frame.columns], "dtypes": kinds, "data": data}


def frame_from_json(payload: dict | None) -> pd.DataFrame | None:
    if payload is None:
        return None
    out = {}
    for col in payload["columns"]:
        kind, values = payload["dtypes"][col], payload["data"][col]
        if kind.startswith("datetime64"):
            utc = "UTC" in kind
            s = pd.Series([pd.NaT if v is None else pd.Timestamp(int(v), unit="ns", tz="UTC" if utc else None)
                           for v in values], dtype="datetime64[ns, UTC]" if utc else "datetime64[ns]")
            out[col] = s.dt.as_unit(re.search(r"\[(\w+)", kind).group(1))
        elif kind == "date":
            out[col] = pd.Series([None if v is None else dt.date.fromisoformat(v) for v in values], dtype=object)
        elif kind == "object":
            out[col] = pd.Series(values, dtype=object)
        else:
            s = pd.Series([np.nan if v is None else v for v in values], dtype=object)
            out[col] = s.astype(kind)
    return pd.DataFrame(out, columns=payload["columns"])


def _dump(obj) -> str:
    return json.dumps(obj, default=_plain, allow_nan=False, separators=(",", ":"))


def _clean(obj):
    """NaN/inf -> None, recursively (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k) if isinstance(k, tuple) else k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    return _finite(obj) if isinstance(obj, float) else obj


def encode(result: PipelineResult) -> str:
    """``result`` (its plan, requirements, check and forecast) as the JSON kept in the store."""
    plan = result.plan
    frames = {name: frame_to_json(getattr(plan, name, None)) for name in PLAN_FRAMES}
    numbers = {name: _clean(getattr(plan, name)) for name in PLAN_NUMBERS}
    levers = []
    for lever in result.levers or []:
        from planning.scenarios import lever_to_dict

        levers.append(lever_to_dict(lever))
    return _dump({
        "format": PAYLOAD_FORMAT, "numbers": numbers, "frames": frames,
        "plan_kpis": _clean(plan.kpis), "model_size": _clean(plan.model_size), "messages": list(plan.messages),
        "options": dataclasses.asdict(plan.options), "check": _clean(plan.simulation),
        "requirements": frame_to_json(result.requirements), "simulation": frame_to_json(result.simulation),
        "forecast": frame_to_json(result.forecast), "kpis": _clean(result.kpis), "levers": levers})


def decode(text: str, op: Operation) -> PipelineResult:
    """The ``PipelineResult`` stored by ``encode``, on operation ``op``."""
    from planning.shiftplan import PlanOptions
    from planning.shiftplan.planner import PlanResult

    data = json.loads(text)
    if data.get("format") != PAYLOAD_FORMAT:
        raise PlanRecordError(f"the stored plan has format {data.get('format')}; this program reads "
                              f"{PAYLOAD_FORMAT}: publish the plan again")
    numbers = {k: (math.nan if v is None and k != "status" else v) for k, v in data["numbers"].items()}
    frames = {name: frame_from_json(data["frames"].get(name)) for name in PLAN_FRAMES}
    plan = PlanResult(**numbers, **frames, kpis=data["plan_kpis"] or {}, model_size=data["model_size"] or {},
                      messages=list(data["messages"]), options=PlanOptions(**data["options"]),
                      simulation=data["check"] or {})
    levers = []
    if data.get("levers"):
        from planning.scenarios import parse_lever

        levers = [parse_lever(spec) for spec in data["levers"]]
    return PipelineResult(op, frame_from_json(data["forecast"]), frame_from_json(data["requirements"]), plan,
                          frame_from_json(data["simulation"]), data["kpis"] or {}, levers=levers)


# ------------------------------------------------------------------ restriction
def restrict_result(result: PipelineResult, op: Operation, who: Principal) -> PipelineResult:
    """The result with only the rows ``who`` may see; cost and headcounts of those rows."""
    scope = scope_for(op, who)
    if scope.unrestricted:
        return result
    plan = result.plan
    frames = {name: restrict_frame(getattr(plan, name), scope) for name in PLAN_FRAMES}
    cost = float(frames["cost_by_site"]["cost"].sum()) if frames["cost_by_site"] is not None else math.nan
    shown = dataclasses.replace(plan, **frames, cost=cost, objective=math.nan, bound=math.nan, lp_bound=math.nan,
                                decision_values={}, cut_shortfall={})
    kpis = dict(result.kpis or {})
    kpis["cost"] = cost
    if frames["cost_by_site"] is not None:
        kpis["paid_hours"] = float(frames["cost_by_site"]["paid_hours"].sum())
    kpis["headcount_by_site"] = {s: n for s, n in (kpis.get("headcount_by_site") or {}).items() if s in scope.sites}
    kpis["headcount_by_vendor"] = {v: n for v, n in (kpis.get("headcount_by_vendor") or {}).items()
                                   if v in scope.vendors}
    kpis["attainment"] = [row for row in kpis.get("attainment") or [] if (row["queue"], row["market"]) in scope.pairs]
    return dataclasses.replace(result, plan=shown, kpis=kpis, operation=op,
                               requirements=restrict_frame(result.requirements, scope),
                               simulation=restrict_frame(result.simulation, scope),
                               forecast=restrict_frame(result.forecast, scope))


# ------------------------------------------------------------------ store
def _check_key(operation_key: str) -> str:
    if not isinstance(operation_key, str) or not _KEY.match(operation_key):
        raise PlanRecordError("the operation key must be 1-64 letters, digits or ._:- (a content digest)")
    return operation_key


def _store(store=None):
    from planning.scenarios import Store

    return store if store is not None else Store()


def publish(operation_key: str, result: PipelineResult, *, who: Principal, kind: str = "solved",
            label: str = "", store=None, now: dt.datetime | None = None) -> PlanRecord:
    """Make ``result`` the plan of record of the operation (planners only: ``Forbidden``).

    ``result.operation`` must be the whole operation: a plan restricted to one vendor is not
    the operation's plan."""
    from planning.scenarios.store import plan_records

    require(who, "publish")
    _check_key(operation_key)
    if kind not in ("solved", "scenario"):
        raise PlanRecordError(f"kind must be 'solved' or 'scenario', not '{kind}'")
    plan = getattr(result, "plan", None)
    if plan is None or not plan.ok:
        status = getattr(plan, "status", "no plan")
        raise PlanRecordError(f"only a solved plan can be published (this one is {status}); solve again")
    if vendor_scope(who) is not None:  # unreachable while only planners publish; kept as a guard
        raise PlanRecordError("a plan seen through one vendor's scope cannot become the operation's plan")
    when = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    payload = encode(result)
    row = dict(operation_key=operation_key, kind=kind, label=str(label)[:200], published_at=when,
               published_by=who.name, cost=float(plan.cost), kpis=_dump(_clean(result.kpis or {})), payload=payload)
    store = _store(store)
    with store._write() as conn:
        record_id = conn.execute(insert(plan_records).values(**row)).inserted_primary_key[0]
    return PlanRecord(operation_key, kind, row["label"], who.name, when, float(plan.cost), horizon_weeks(result),
                      result.operation.settings.currency, result, record_id)


def current(operation_key: str, op: Operation, *, who: Principal, store=None) -> PlanRecord | None:
    """The published plan of record of the operation as ``who`` may see it, or ``None`` (then
    the plan of record is the baseline: ``baseline_record``)."""
    from planning.scenarios.store import plan_records

    require(who, "view")
    _check_key(operation_key)
    store = _store(store)
    with store._read() as conn:
        row = conn.execute(select(plan_records).where(plan_records.c.operation_key == operation_key)
                           .order_by(plan_records.c.id.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    published_at = row["published_at"]
    if published_at.tzinfo is None:  # SQLite returns naive datetimes; they were written in UTC
        published_at = published_at.replace(tzinfo=dt.timezone.utc)
    result = restrict_result(decode(row["payload"], op), op, who)
    return PlanRecord(operation_key, row["kind"], row["label"], row["published_by"], published_at,
                      float(result.plan.cost), horizon_weeks(result), op.settings.currency, result, int(row["id"]),
                      vendor_scope(who))


def baseline_record(operation_key: str, baseline: PipelineResult | None, op: Operation,
                    who: Principal) -> PlanRecord:
    """The plan of record before anyone publishes: the baseline.  ``baseline`` is the baseline
    of ``op`` as ``who`` sees it (``planning.pipeline.baseline`` of the restricted operation),
    so it holds only ``who``'s rows already."""
    require(who, "view")
    cost = None if baseline is None else float(baseline.plan.cost)
    weeks = horizon_weeks(baseline) if baseline is not None else 0.0
    return PlanRecord(operation_key, "baseline", "", None, None, cost, weeks, op.settings.currency, baseline,
                      None, vendor_scope(who))


def latest_id(operation_key: str, *, who: Principal, store=None) -> int | None:
    """The id of the operation's latest publication (cheap; ``None`` = the baseline)."""
    from sqlalchemy import func

    from planning.scenarios.store import plan_records

    require(who, "view")
    _check_key(operation_key)
    store = _store(store)
    with store._read() as conn:
        return conn.execute(select(func.max(plan_records.c.id))
                            .where(plan_records.c.operation_key == operation_key)).scalar()


def solved_result(op: Operation, requirements: pd.DataFrame, plan, simulation: pd.DataFrame | None = None,
                  forecast: pd.DataFrame | None = None) -> PipelineResult:
    """A solve (Shift plan page, ``planning.jobs.SolveJob``) as the ``PipelineResult`` pages read."""
    from planning.pipeline import summarise

    if simulation is None:
        simulation = getattr(plan, "simulated_intervals", None)
    return PipelineResult(op, forecast, requirements, plan, simulation, summarise(op, plan, simulation))
