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
    """Supply parameters of one supply unit: a site, or a team of it (one row of the
    ``hiring`` table; ``team`` None = the whole site)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    site: str
    team: str | None = None
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
            unit = f"site {self.site}" + (f" team {self.team}" if self.team else "")
            raise ValueError(f"{unit}: class_min {self.class_min} is above class_max {self.class_max}")
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


def _hiring_rows(hiring: pd.DataFrame | None) -> list[dict]:
    """The hiring table's rows without blank cells (a blank ``team`` = the whole site)."""
    if hiring is None or not len(hiring):
        return []
    rows = []
    for row in hiring.to_dict("records"):
        clean = {k: v for k, v in row.items() if v is not None and not pd.isna(v)}
        if isinstance(clean.get("team"), str) and not clean["team"].strip():
            clean.pop("team")
        rows.append(clean)
    return rows


def supply_from_table(hiring: pd.DataFrame | None, sites: dict) -> tuple[dict[str, SiteSupply], list[str]]:
    """SiteSupply per site from the site-level rows of the ``hiring`` table; missing sites
    get ``DEFAULT_SUPPLY``.

    Returns (supply by site, sites that used defaults).  ``supply_units`` is the same with teams.
    """
    found: dict[str, SiteSupply] = {}
    for clean in _hiring_rows(hiring):
        if str(clean.get("site")) in sites and "team" not in clean:
            found[str(clean["site"])] = SiteSupply(**clean)
    defaulted = []
    for name, site in sites.items():
        if name not in found:
            defaulted.append(name)
            found[name] = SiteSupply(site=name, current_headcount=site.min_headcount, **DEFAULT_SUPPLY)
    return dict(sorted(found.items())), sorted(defaulted)


def supply_units(hiring: pd.DataFrame | None, sites: dict, teams: list | None = None
                 ) -> tuple[dict[tuple[str, str], SiteSupply], list[str]]:
    """SiteSupply per supply unit ``(site, team)``: "by team where hiring data exists, else
    by site".

    A site whose hiring rows name teams is planned as its teams (every team of the
    ``teams`` table; a team without a row gets ``DEFAULT_SUPPLY`` with headcount = its
    minimum); any other site is one unit ``(site, "")`` as before.  ``teams``: the
    operation's ``Team`` objects.  Raises ValueError for what validation reports (a team
    that is not one of its site's, a site with both a site-level row and team rows).
    Returns (supply by unit in site then team order, units that used defaults as
    ``site`` or ``site/team``).
    """
    rows = [r for r in _hiring_rows(hiring) if str(r.get("site")) in sites]
    team_rows = {(str(r["site"]), str(r["team"])): r for r in rows if "team" in r}
    teams_of: dict[str, list] = {}
    for t in teams or []:
        teams_of.setdefault(t.site, []).append(t)
    for site, team in team_rows:
        if team not in {t.team for t in teams_of.get(site, [])}:
            raise ValueError(f"hiring: team {team} is not a team of site {site} in the teams table")
        if any(str(r["site"]) == site and "team" not in r for r in rows):
            raise ValueError(f"hiring: site {site} has both a site-level row and team rows; keep one kind")
    by_team = {site for site, _ in team_rows}
    site_rows = {name: site for name, site in sites.items() if name not in by_team}
    site_supply, defaulted = supply_from_table(
        pd.DataFrame([r for r in rows if "team" not in r]) if rows else None, site_rows)
    found = {(name, ""): sup for name, sup in site_supply.items()}
    for site in sorted(by_team):
        for t in sorted(teams_of[site], key=lambda t: t.team):
            row = team_rows.get((site, t.team))
            if row is None:
                defaulted.append(f"{site}/{t.team}")
                found[site, t.team] = SiteSupply(site=site, team=t.team, current_headcount=t.min_headcount,
                                                 **DEFAULT_SUPPLY)
            else:
                found[site, t.team] = SiteSupply(**row)
    return dict(sorted(found.items())), sorted(defaulted)


__all__ = [
    "SiteSupply", "SupplyLevers", "DEFAULT_SUPPLY", "PAID_HOURS_PER_FTE_WEEK", "WEEKS_PER_MONTH",
    "weekly_retention", "productivity_curve", "productivity_at", "apply_supply_levers",
    "first_class_week", "supply_from_table", "supply_units", "replace",
]
