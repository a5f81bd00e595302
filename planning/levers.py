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

import dataclasses
import datetime as dt
from typing import Annotated, Literal, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from planning.domain import ALL, Certification, Operation, Queue, ShiftTemplate, Site, SlaKind

# Assumptions, in one place.
MAX_SHRINKAGE = 0.95  # a lever never pushes shrinkage above this share
DEFAULT_PAID_HOURS_PER_WEEK = 40.0  # paid hours of one agent in a week [h]
VOLUME_COLUMNS = ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "volume")
ADJUSTMENT_COLUMNS = ("site", "start", "end", "max_headcount", "shrinkage")


class LeverError(ValueError):
    """A lever refers to something the operation does not have (a planner-readable message)."""


def _utc(value):
    if value is None or value == "":
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _scope(queue: str = ALL, market: str = ALL) -> str:
    q = "all queues" if queue == ALL else f"queue {queue}"
    m = "all markets" if market == ALL else f"market {market}"
    return f"{q}, {m}"


def _when(start: dt.datetime | None, end: dt.datetime | None) -> str:
    fmt = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if (d.hour or d.minute) else d.strftime("%Y-%m-%d")  # noqa: E731
    if start is None and end is None:
        return "over the whole horizon"
    if end is None:
        return f"from {fmt(start)}"
    if start is None:
        return f"until {fmt(end)}"
    return f"from {fmt(start)} to {fmt(end)} (end exclusive)"


class _Lever(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def apply_operation(self, op: Operation) -> Operation:
        return op

    def apply_forecast(self, frame: pd.DataFrame, op: Operation) -> pd.DataFrame:
        return frame

    @property
    def touches_forecast(self) -> bool:
        return type(self).apply_forecast is not _Lever.apply_forecast


class _Dated(_Lever):
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    _dates = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _utc(v)))

    @model_validator(mode="after")
    def _ordered(self):
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


def _row_mask(frame: pd.DataFrame, queue=ALL, market=ALL, start=None, end=None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    if queue != ALL:
        mask &= frame["queue"] == queue
    if market != ALL:
        mask &= frame["market"] == market
    if start is not None:
        mask &= frame["timestamp"] >= pd.Timestamp(start)
    if end is not None:
        mask &= frame["timestamp"] < pd.Timestamp(end)
    return mask


def _scale_volume(frame: pd.DataFrame, mask: pd.Series, factor) -> pd.DataFrame:
    out = frame.copy()
    for col in VOLUME_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[mask, col] = out.loc[mask, col] * (factor[mask] if isinstance(factor, pd.Series) else factor)
    return out


def _need_queue(op: Operation, queue: str, wildcard: bool = True) -> None:
    if queue == ALL and wildcard:
        return
    if queue not in op.queues:
        raise LeverError(f"queue '{queue}' is not in this operation (known: {', '.join(sorted(op.queues))})")


def _need_market(op: Operation, market: str) -> None:
    if market != ALL and market not in op.markets:
        raise LeverError(f"market '{market}' is not in this operation (known: {', '.join(sorted(op.markets))})")


def _need_site(op: Operation, site: str, wildcard: bool = True) -> None:
    if site == ALL and wildcard:
        return
    if site not in op.sites:
        raise LeverError(f"site '{site}' is not in this operation (known: {', '.join(sorted(op.sites))})")


def _sites_in_scope(op: Operation, site: str = ALL, vendor: str = ALL) -> list[str]:
    _need_site(op, site)
    if vendor != ALL and vendor not in op.vendors:
        raise LeverError(f"vendor '{vendor}' is not in this operation (known: {', '.join(op.vendors)})")
    return sorted(s for s, obj in op.sites.items()
                  if (site == ALL or s == site) and (vendor == ALL or obj.vendor == vendor))


def _with_sites(op: Operation, changes: dict[str, dict]) -> Operation:
    sites = dict(op.sites)
    for name, update in changes.items():
        # model_validate, not model_copy: the changed site must pass the Site checks.
        sites[name] = Site.model_validate({**sites[name].model_dump(), **update})
    return dataclasses.replace(op, sites=sites)


def _add_adjustments(op: Operation, rows: list[dict]) -> Operation:
    new = pd.DataFrame(rows, columns=list(ADJUSTMENT_COLUMNS))
    new["start"] = pd.to_datetime(new["start"], utc=True)
    new["end"] = pd.to_datetime(new["end"], utc=True)
    # float with NaN = "no cap" (whole numbers otherwise): every consumer reads NaN as missing,
    # while pandas' <NA> (Int64) breaks plain float()/comparison code.
    new["max_headcount"] = pd.to_numeric(new["max_headcount"], errors="coerce").astype(float)
    new["shrinkage"] = new["shrinkage"].astype(float)
    old = op.site_adjustments
    frame = new if old is None or old.empty else pd.concat([old, new], ignore_index=True)
    return dataclasses.replace(op, site_adjustments=frame.reset_index(drop=True))


# ---------------------------------------------------------------- forecast levers
class VolumeChange(_Dated):
    """Volume up or down by ``percent`` for a queue/market and date range."""

    kind: Literal["volume_change"] = "volume_change"
    queue: str = ALL
    market: str = ALL
    percent: float = Field(gt=-100, le=1000, description="change in volume [%], e.g. 20 = +20 %")

    def describe(self) -> str:
        return f"Volume {self.percent:+g}% for {_scope(self.queue, self.market)} {_when(self.start, self.end)}"

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, 1 + self.percent / 100)


class Surge(_Dated):
    """A named surge event: volume x ``multiplier`` for a bounded period."""

    kind: Literal["surge"] = "surge"
    event: str = Field(min_length=1, description="what happens, e.g. 'Brazil general election'")
    queue: str = ALL
    market: str = ALL
    start: dt.datetime
    end: dt.datetime
    multiplier: float = Field(gt=0, le=50, description="volume vs normal, 3 = triples")

    def describe(self) -> str:
        return (f"Surge '{self.event}': volume x{self.multiplier:g} for {_scope(self.queue, self.market)} "
                f"{_when(self.start, self.end)}")

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, self.multiplier)


class AutomationChange(_Dated):
    """Automation catches a different share of incoming items.

    Human volume = incoming x (1 - rate), so human volume scales by
    (1 - new_rate) / (1 - current_rate).
    """

    kind: Literal["automation_change"] = "automation_change"
    queue: str = ALL
    market: str = ALL
    current_rate: float = Field(ge=0, lt=1, description="share of incoming automated today (0-1)")
    new_rate: float = Field(ge=0, lt=1, description="share of incoming automated in the scenario (0-1)")

    @property
    def factor(self) -> float:
        return (1 - self.new_rate) / (1 - self.current_rate)

    def describe(self) -> str:
        return (f"Automation rate {self.current_rate:.0%} -> {self.new_rate:.0%} for "
                f"{_scope(self.queue, self.market)} {_when(self.start, self.end)} "
                f"(human volume x{self.factor:.3g})")

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, self.factor)


class AhtChange(_Lever):
    """AHT changes by ``percent`` from ``start`` (a new policy); the extra decays linearly
    to ``lasting_percent`` over ``learning_weeks`` (0 = no learning, the change stays)."""

    kind: Literal["aht_change"] = "aht_change"
    queue: str = ALL
    market: str = ALL
    start: dt.datetime
    percent: float = Field(gt=-90, le=500, description="AHT change at start [%]")
    learning_weeks: float = Field(default=0, ge=0, le=104, description="weeks for the change to decay [weeks]")
    lasting_percent: float = Field(default=0, gt=-90, le=500, description="AHT change left after learning [%]")

    _start = field_validator("start", mode="before")(classmethod(lambda cls, v: _utc(v)))

    def describe(self) -> str:
        text = f"AHT {self.percent:+g}% for {_scope(self.queue, self.market)} from {self.start:%Y-%m-%d}"
        if self.learning_weeks:
            text += f", easing to {self.lasting_percent:+g}% over {self.learning_weeks:g} weeks"
        return text

    def multiplier(self, timestamps: pd.Series) -> pd.Series:
        """AHT multiplier per timestamp (1 before start)."""
        weeks = (timestamps - pd.Timestamp(self.start)).dt.total_seconds() / (7 * 86400)
        if self.learning_weeks:
            left = np.clip(1 - weeks / self.learning_weeks, 0, 1)
            pct = self.lasting_percent + (self.percent - self.lasting_percent) * left
        else:
            pct = pd.Series(self.percent, index=timestamps.index)
        return pd.Series(np.where(weeks >= 0, 1 + pct / 100, 1.0), index=timestamps.index)

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        out = frame.copy()
        if "aht_seconds" not in out.columns:
            base = {q: obj.aht_seconds for q, obj in op.queues.items()}
            out["aht_seconds"] = out["queue"].map(base).astype(float)
        mask = _row_mask(out, self.queue, self.market, self.start)
        out.loc[mask, "aht_seconds"] = out.loc[mask, "aht_seconds"] * self.multiplier(out.loc[mask, "timestamp"])
        return out


# ---------------------------------------------------------------- operation levers
class SlaChange(_Lever):
    """A new SLA target and/or deadline for one queue (e.g. a legal deadline)."""

    kind: Literal["sla_change"] = "sla_change"
    queue: str
    sla_target: float | None = Field(default=None, gt=0, lt=1)
    sla_within_seconds: float | None = Field(default=None, gt=0)
    sla_within_hours: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _something(self):
        if self.sla_target is None and self.sla_within_seconds is None and self.sla_within_hours is None:
            raise ValueError("give a new sla_target, sla_within_seconds or sla_within_hours")
        return self

    def describe(self) -> str:
        parts = []
        if self.sla_target is not None:
            parts.append(f"target {self.sla_target:.1%}")
        if self.sla_within_seconds is not None:
            parts.append(f"within {self.sla_within_seconds:g} s")
        if self.sla_within_hours is not None:
            parts.append(f"within {self.sla_within_hours:g} h")
        return f"SLA of queue {self.queue}: " + ", ".join(parts)

    def apply_operation(self, op):
        _need_queue(op, self.queue, wildcard=False)
        queue = op.queues[self.queue]
        update = {k: v for k, v in self.model_dump(include={"sla_target", "sla_within_seconds",
                                                            "sla_within_hours"}).items() if v is not None}
        if queue.sla_kind is SlaKind.live and "sla_within_hours" in update:
            raise LeverError(f"queue '{self.queue}' is live: give sla_within_seconds, not hours")
        if queue.sla_kind is SlaKind.deferred and "sla_within_seconds" in update:
            raise LeverError(f"queue '{self.queue}' is deferred: give sla_within_hours, not seconds")
        try:
            new = Queue.model_validate({**queue.model_dump(), **update})
        except ValueError as exc:
            raise LeverError(f"SLA change for queue '{self.queue}': {exc}") from None
        return dataclasses.replace(op, queues={**op.queues, self.queue: new})


class SiteOutage(_Dated):
    """A site cannot work (power, network, weather) between two timestamps."""

    kind: Literal["site_outage"] = "site_outage"
    site: str
    start: dt.datetime
    end: dt.datetime

    def describe(self) -> str:
        return f"Site {self.site} out of service {_when(self.start, self.end)}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        return _add_adjustments(op, [dict(site=self.site, start=self.start, end=self.end,
                                          max_headcount=0, shrinkage=None)])


class SiteCap(_Dated):
    """A site can staff at most ``max_headcount`` agents between two timestamps."""

    kind: Literal["site_cap"] = "site_cap"
    site: str
    start: dt.datetime
    end: dt.datetime
    max_headcount: int = Field(ge=0)

    def describe(self) -> str:
        return f"Site {self.site} capped at {self.max_headcount} agents {_when(self.start, self.end)}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        return _add_adjustments(op, [dict(site=self.site, start=self.start, end=self.end,
                                          max_headcount=self.max_headcount, shrinkage=None)])


class Training(_Lever):
    """Training hours per agent in a launch week: shrinkage rises for that week by
    hours_per_agent / paid_hours_per_week (capped at MAX_SHRINKAGE)."""

    kind: Literal["training"] = "training"
    site: str = ALL
    week_start: dt.datetime
    hours_per_agent: float = Field(gt=0, le=60, description="training hours per agent that week [h]")
    paid_hours_per_week: float = Field(default=DEFAULT_PAID_HOURS_PER_WEEK, gt=0, le=80)

    _start = field_validator("week_start", mode="before")(classmethod(lambda cls, v: _utc(v)))

    def describe(self) -> str:
        where = "every site" if self.site == ALL else f"site {self.site}"
        return (f"Training: {self.hours_per_agent:g} h per agent at {where} in the week of "
                f"{self.week_start:%Y-%m-%d} (shrinkage +{self.hours_per_agent / self.paid_hours_per_week:.1%})")

    def apply_operation(self, op):
        extra = self.hours_per_agent / self.paid_hours_per_week
        end = self.week_start + dt.timedelta(days=7)
        rows = [dict(site=s, start=self.week_start, end=end, max_headcount=None,
                     shrinkage=min(MAX_SHRINKAGE, op.sites[s].shrinkage + extra))
                for s in _sites_in_scope(op, self.site)]
        return _add_adjustments(op, rows)


class ShrinkageChange(_Lever):
    """Shrinkage moves by ``change`` (a share, +0.05 = five points) at a site, a vendor or everywhere."""

    kind: Literal["shrinkage_change"] = "shrinkage_change"
    site: str = ALL
    vendor: str = ALL
    change: float = Field(ge=-0.5, le=0.5, description="change in shrinkage share, e.g. 0.05")

    def describe(self) -> str:
        return f"Shrinkage {self.change * 100:+g} points at {_site_scope(self.site, self.vendor)}"

    def apply_operation(self, op):
        sites = _sites_in_scope(op, self.site, self.vendor)
        return _with_sites(op, {s: {"shrinkage": float(np.clip(op.sites[s].shrinkage + self.change,
                                                                0, MAX_SHRINKAGE))} for s in sites})


class CostChange(_Lever):
    """Hourly cost changes by ``percent`` at a site, a vendor or everywhere (a new contract rate)."""

    kind: Literal["cost_change"] = "cost_change"
    site: str = ALL
    vendor: str = ALL
    percent: float = Field(gt=-100, le=500, description="change in hourly cost [%]")

    def describe(self) -> str:
        return f"Hourly cost {self.percent:+g}% at {_site_scope(self.site, self.vendor)}"

    def apply_operation(self, op):
        sites = _sites_in_scope(op, self.site, self.vendor)
        return _with_sites(op, {s: {"hourly_cost": op.sites[s].hourly_cost * (1 + self.percent / 100)}
                                for s in sites})


def _site_scope(site: str, vendor: str) -> str:
    if site != ALL:
        return f"site {site}"
    return "every site" if vendor == ALL else f"every site of vendor {vendor}"


class CertificationSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    queue: str
    market: str


class ShiftSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    shift: str = Field(min_length=1)
    start: dt.time
    paid_hours: float = Field(gt=0, le=16)


class AddSite(_Lever):
    """A new site (possibly of a new vendor) with its certifications and shift templates."""

    kind: Literal["add_site"] = "add_site"
    site: Site
    certifications: list[CertificationSpec] = Field(min_length=1)
    shifts: list[ShiftSpec] = Field(min_length=1)

    def describe(self) -> str:
        s = self.site
        return (f"Add site {s.site} ({s.vendor}, {s.timezone}) with up to {s.max_headcount} agents at "
                f"{s.hourly_cost:g}/h, certified for {len(self.certifications)} queue x market pairs")

    def apply_operation(self, op):
        if self.site.site in op.sites:
            raise LeverError(f"site '{self.site.site}' already exists; pick a new site id")
        for c in self.certifications:
            _need_queue(op, c.queue, wildcard=False)
            _need_market(op, c.market)
        certs = [Certification(site=self.site.site, queue=c.queue, market=c.market) for c in self.certifications]
        shifts = [ShiftTemplate(site=self.site.site, shift=s.shift, start=s.start, paid_hours=s.paid_hours)
                  for s in self.shifts]
        return dataclasses.replace(op, sites={**op.sites, self.site.site: self.site},
                                   certifications=[*op.certifications, *certs], shifts=[*op.shifts, *shifts])


def _drop_sites(op: Operation, gone: set[str]) -> Operation:
    adj = op.site_adjustments
    if adj is not None:
        adj = adj[~adj["site"].isin(gone)].reset_index(drop=True)
    return dataclasses.replace(
        op, sites={k: v for k, v in op.sites.items() if k not in gone},
        certifications=[c for c in op.certifications if c.site not in gone],
        shifts=[s for s in op.shifts if s.site not in gone], site_adjustments=adj)


class RemoveSite(_Lever):
    """A site leaves the operation (contract ends): its certifications and shifts go too."""

    kind: Literal["remove_site"] = "remove_site"
    site: str

    def describe(self) -> str:
        return f"Remove site {self.site}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        return _drop_sites(op, {self.site})


class RemoveVendor(_Lever):
    """A vendor leaves: every site of the vendor goes."""

    kind: Literal["remove_vendor"] = "remove_vendor"
    vendor: str = Field(min_length=1)

    def describe(self) -> str:
        return f"Remove vendor {self.vendor} (all its sites)"

    def apply_operation(self, op):
        return _drop_sites(op, set(_sites_in_scope(op, ALL, self.vendor)))


class AddCertification(_Lever):
    """A site becomes certified for a queue x market pair."""

    kind: Literal["add_certification"] = "add_certification"
    site: str
    queue: str
    market: str

    def describe(self) -> str:
        return f"Certify site {self.site} for queue {self.queue}, market {self.market}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        _need_queue(op, self.queue, wildcard=False)
        _need_market(op, self.market)
        if self.market == ALL:
            raise LeverError("add_certification needs one market, not *")
        if self.site in op.certified_sites(self.queue, self.market):
            return op
        cert = Certification(site=self.site, queue=self.queue, market=self.market)
        return dataclasses.replace(op, certifications=[*op.certifications, cert])


class RemoveCertification(_Lever):
    """A site loses its certification for a queue (and market; ``*`` = all markets)."""

    kind: Literal["remove_certification"] = "remove_certification"
    site: str
    queue: str
    market: str = ALL

    def describe(self) -> str:
        return f"Remove certification of site {self.site} for {_scope(self.queue, self.market)}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        keep = [c for c in op.certifications if not (
            c.site == self.site and self.queue in (ALL, c.queue) and self.market in (ALL, c.market))]
        return dataclasses.replace(op, certifications=keep)


LEVER_TYPES = (VolumeChange, Surge, AhtChange, AutomationChange, Training, SlaChange, SiteOutage,
               SiteCap, ShrinkageChange, CostChange, AddSite, RemoveSite, RemoveVendor,
               AddCertification, RemoveCertification)
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
