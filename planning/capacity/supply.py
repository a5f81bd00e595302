"""Supply arithmetic for the long-range capacity plan: attrition, lead time, ramp-up.

Pure functions over numbers; no solver here.  The optimiser (``capacity_model``) and the
independent checker (``capacity_check``) both describe the same physics, each in its own
way: the model as linear coefficients, the checker as a week-by-week cohort simulation.

Timeline of one training class (weeks counted from the plan's first week, t = 0):

    requisition at week w - L  (L = recruiting_lead_weeks)
    class starts training at week w: the new agents are employed (paid, counted in
        headcount) but not productive for ``training_weeks`` weeks
    nesting: ``nesting_weeks`` weeks at a productivity rising linearly from
        ``nesting_productivity`` towards 1 (week k of nesting: p + (1 - p) * k / N)
    fully productive afterwards.

Attrition: a monthly rate m compounds weekly, weekly retention r = (1 - m) ** (12 / 52)
(a month is 52/12 weeks), so after 52/12 weeks exactly (1 - m) of a cohort remains.
Every cohort (current staff and each class from its first training week) leaves at the
same rate.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

WEEKS_PER_MONTH = 52.0 / 12.0
PAID_HOURS_PER_FTE_WEEK = 40.0
"""Paid hours of one full-time agent per week [h]; the FTE definition (assumption)."""


class SiteSupply(BaseModel):
    """Supply parameters of one site (one row of the ``hiring`` table)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    site: str
    current_headcount: float = Field(ge=0)
    monthly_attrition: float = Field(ge=0, lt=1)
    recruiting_lead_weeks: int = Field(ge=0)
    training_weeks: int = Field(ge=0)
    nesting_weeks: int = Field(ge=0)
    nesting_productivity: float = Field(ge=0, le=1)
    class_min: int = Field(ge=1)
    class_max: int = Field(ge=1)
    max_hires_per_week: int = Field(ge=0)
    hire_cost: float = Field(ge=0)
    training_cost_per_week: float = Field(ge=0)

    @model_validator(mode="after")
    def _class_range(self) -> "SiteSupply":
        if self.class_min > self.class_max:
            raise ValueError(
                f"site {self.site}: class_min {self.class_min} is above class_max {self.class_max}"
            )
        return self


DEFAULT_SUPPLY = dict(
    monthly_attrition=0.04, recruiting_lead_weeks=4, training_weeks=3, nesting_weeks=4,
    nesting_productivity=0.6, class_min=8, class_max=25, max_hires_per_week=40,
    hire_cost=1500.0, training_cost_per_week=300.0,
)
"""Used for a site missing from the ``hiring`` table (its current headcount defaults to the
site's contract minimum); the plan reports which sites used these assumptions."""


def weekly_retention(monthly_attrition: float) -> float:
    """Share of a cohort still employed one week later: (1 - m) ** (12/52)."""
    return float((1.0 - monthly_attrition) ** (1.0 / WEEKS_PER_MONTH))


def productivity_curve(s: SiteSupply) -> np.ndarray:
    """Productivity of a class member by week since the class started, until fully productive.

    Returns an array of length training + nesting weeks; index a = weeks since start.
    Weeks past the end of the array are fully productive (1.0).
    """
    curve = [0.0] * s.training_weeks
    n = s.nesting_weeks
    curve += [s.nesting_productivity + (1.0 - s.nesting_productivity) * k / n for k in range(n)]
    return np.asarray(curve, dtype=float)


def productivity_at(s: SiteSupply, age_weeks: int) -> float:
    """Productivity (0-1) of an agent ``age_weeks`` after the class start (0 before it)."""
    if age_weeks < 0:
        return 0.0
    curve = productivity_curve(s)
    return float(curve[age_weeks]) if age_weeks < len(curve) else 1.0


@dataclass(frozen=True)
class SupplyLevers:
    """Plain parameters scenario levers can drive.

    attrition_multiplier : scales every site's monthly attrition (capped at 0.95)
    freeze_weeks : no requisitions in the first N weeks, so no class starts before
        N + recruiting lead weeks
    site_exit : site -> first week index the site no longer operates (no headcount,
        no supply, no cost from that week; no class starts at or after it)
    """

    attrition_multiplier: float = 1.0
    freeze_weeks: int = 0
    site_exit: dict[str, int] | None = None


def apply_supply_levers(s: SiteSupply, levers: SupplyLevers) -> SiteSupply:
    attrition = min(0.95, s.monthly_attrition * levers.attrition_multiplier)
    return replace_supply(s, monthly_attrition=attrition)


def replace_supply(s: SiteSupply, **changes) -> SiteSupply:
    return s.model_copy(update=changes)


def first_class_week(s: SiteSupply, levers: SupplyLevers) -> int:
    """The earliest week a class can start: requisitions open after the freeze, plus lead time."""
    return int(levers.freeze_weeks) + int(s.recruiting_lead_weeks)


def supply_from_table(hiring: pd.DataFrame | None, sites: dict) -> tuple[dict[str, SiteSupply], list[str]]:
    """SiteSupply per site from the ``hiring`` table; missing sites get ``DEFAULT_SUPPLY``.

    Returns (supply by site, sites that used defaults).
    """
    found: dict[str, SiteSupply] = {}
    if hiring is not None and len(hiring):
        for row in hiring.to_dict("records"):
            clean = {k: v for k, v in row.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}
            if str(clean.get("site")) in sites:
                found[str(clean["site"])] = SiteSupply(**clean)
    defaulted = []
    for name, site in sites.items():
        if name not in found:
            defaulted.append(name)
            found[name] = SiteSupply(site=name, current_headcount=site.min_headcount, **DEFAULT_SUPPLY)
    return dict(sorted(found.items())), sorted(defaulted)


__all__ = [
    "SiteSupply", "SupplyLevers", "DEFAULT_SUPPLY", "PAID_HOURS_PER_FTE_WEEK", "WEEKS_PER_MONTH",
    "weekly_retention", "productivity_curve", "productivity_at", "apply_supply_levers",
    "first_class_week", "supply_from_table", "replace",
]
