"""Levers on how the operation runs: SLA targets, site outages and caps, training time,
shrinkage and cost.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from planning.domain import ALL, Queue, SlaKind
from planning.scenarios.lever_base import DEFAULT_PAID_HOURS_PER_WEEK, LeverError, MAX_SHRINKAGE, _Dated, _Lever, _add_adjustments, _need_queue, _need_site, _sites_in_scope, _utc, _when, _with_sites
from planning.scenarios.site_levers import _site_scope


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
    """Training hours per agent in a launch week: shrinkage rises for that week by the training
    hours over the paid hours per agent (never above 95% shrinkage).

    In code: + hours_per_agent / paid_hours_per_week, capped at ``MAX_SHRINKAGE``."""

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
