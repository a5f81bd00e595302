"""Scenario levers: typed, validated what-if changes to an operation and its forecast.

A lever is a frozen pydantic model with a ``kind`` (the discriminator of the ``Lever``
union), a ``describe()`` sentence a planner can read, and two pure hooks that the
pipeline calls in lever order (``planning.pipeline.apply_levers``)::

    op = lever.apply_operation(op)              # queues, sites, certifications, site_adjustments
    forecast = lever.apply_forecast(forecast, op)  # volume columns, per-row ``aht_seconds``

Neither hook mutates its inputs: the operation is copied with ``dataclasses.replace``
and its frozen objects with validated copies; frames are copied before editing.

Conventions
-----------
* ``queue`` / ``market`` / ``site`` accept ``*`` (``planning.domain.ALL``) for "every".
* Date ranges are UTC, ``start`` inclusive and ``end`` exclusive; a bare date means
  midnight UTC; ``None`` means open-ended.
* Percent fields are percent (``20`` = +20 %); share fields are fractions 0-1.
* Volume levers scale the point forecast and its prediction interval alike.
* Automation: the volume table holds *human* (manual) volume = incoming x (1 - rate).
  A change of automation rate from ``current_rate`` to ``new_rate`` therefore scales
  human volume by ``(1 - new_rate) / (1 - current_rate)``: incoming volume is unchanged,
  only the share that reaches a human moves.
"""
from __future__ import annotations

from typing import Annotated, Union

import pandas as pd
from pydantic import Field, TypeAdapter

from planning.domain import Operation
from planning.scenarios.forecast_levers import AhtChange, AutomationChange, Surge, VolumeChange
from planning.scenarios.lever_base import MAX_SHRINKAGE, LeverError, _Lever  # noqa: F401 (public here)
from planning.scenarios.operation_levers import CostChange, ShrinkageChange, SiteCap, SiteOutage, SlaChange, Training
from planning.scenarios.site_levers import AddCertification, AddSite, RemoveCertification, RemoveSite, RemoveVendor
from planning.scenarios.team_levers import AddTeamCertification, RemoveTeamCertification, TeamCap


LEVER_TYPES = (VolumeChange, Surge, AhtChange, AutomationChange, Training, SlaChange, SiteOutage,
               SiteCap, ShrinkageChange, CostChange, AddSite, RemoveSite, RemoveVendor,
               AddCertification, RemoveCertification, TeamCap, AddTeamCertification, RemoveTeamCertification)
LEVER_KINDS: dict[str, type[_Lever]] = {t.model_fields["kind"].default: t for t in LEVER_TYPES}
Lever = Annotated[Union[LEVER_TYPES], Field(discriminator="kind")]  # type: ignore[valid-type]
_ADAPTER = TypeAdapter(Lever)
_LIST_ADAPTER = TypeAdapter(list[Lever])


def parse_lever(data: dict | str) -> _Lever:
    """A lever from a dict or a JSON text; raises pydantic.ValidationError with readable messages."""
    return _ADAPTER.validate_json(data) if isinstance(data, (str, bytes)) else _ADAPTER.validate_python(data)


def parse_levers(data: list | str) -> list[_Lever]:
    return (_LIST_ADAPTER.validate_json(data) if isinstance(data, (str, bytes))
            else _LIST_ADAPTER.validate_python(data))


def lever_to_dict(lever: _Lever) -> dict:
    """A JSON-ready dict that ``parse_lever`` turns back into an equal lever."""
    return lever.model_dump(mode="json")


def apply_levers(op: Operation, forecast: pd.DataFrame, levers) -> tuple[Operation, pd.DataFrame]:
    """Apply levers in order (the same order the pipeline uses)."""
    for lever in levers:
        op = lever.apply_operation(op)
        forecast = lever.apply_forecast(forecast, op)
    return op, forecast


def explain(exc: Exception) -> str:
    """One line per problem of a lever ValidationError, in words (no pydantic jargon)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    lines = []
    for err in errors():
        where = [str(p) for p in err.get("loc", ()) if not str(p).startswith("function-")]
        msg = err.get("msg", "").removeprefix("Value error, ")
        lines.append(f"{'.'.join(where) or 'lever'}: {msg}")
    return "; ".join(lines)
