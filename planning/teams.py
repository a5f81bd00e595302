"""Teams within sites: who may take what, and the planning units built from them.

A vendor site staffs, bills and trains by team (a line of business): a Japanese team, an
English general team, a severe-content team.  An agent takes only the work his team is
certified for.  The optional ``teams`` table (``planning.domain.Team``) lists them; a
site without rows there is **one implicit team named after the site**, so an operation
without teams means exactly what it meant before.

The rules, in one place:

* a certification row with a team certifies that team; without one, every team of the
  site (``team_pairs``);
* a shift template with a team is that team's; without one, every team of the site works it;
* a team's cap, minimum, hourly cost and shrinkage are its own (cost and shrinkage default
  to the site's); the site's cap and minimum still bound the sum of its teams.

The shift planner plans **units**: one per team, with the id ``<site>/<team>`` for a team
of the table and the site id itself for an implicit team (``unit_operation`` turns an
operation into one whose "sites" are its units; without teams it is the operation
itself, so models and names are unchanged).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from planning.domain import Certification, Operation, Site

UNIT_SEPARATOR = "/"


@dataclass(frozen=True)
class TeamUnit:
    """One team as the planner sees it.  ``implicit``: the site has no teams table rows."""

    unit: str
    site: str
    team: str
    implicit: bool


@dataclass(frozen=True)
class TeamIndex:
    units: dict  # unit id -> TeamUnit, in site then team order
    by_site: dict  # site -> [unit ids]

    def unit_of(self, site: str, team: str | None = None) -> str | None:
        """The unit id of ``team`` at ``site`` (None: unknown).  A site without teams is one
        team whatever the row's team says (a plan frame edited by hand may move a row to
        another site and keep the old site's name as its team)."""
        units = self.by_site.get(site, [])
        if len(units) == 1 and self.units[units[0]].implicit:
            return units[0]
        unit = unit_id(site, team)
        return unit if unit in self.units else None

    def site_of(self, unit: str) -> str:
        return self.units[unit].site if unit in self.units else unit

    def team_of(self, unit: str) -> str:
        return self.units[unit].team if unit in self.units else unit

    def has_teams(self, site: str) -> bool:
        units = self.by_site.get(site, [])
        return bool(units) and not self.units[units[0]].implicit

    def label(self, unit: str) -> str:
        """How people name it: 'MNL-A JA team', or the site for an implicit team."""
        u = self.units.get(unit)
        return unit if u is None or u.implicit else f"{u.site} {u.team} team"


def unit_id(site: str, team: str) -> str:
    return f"{site}{UNIT_SEPARATOR}{team}"


def team_index(op: Operation) -> TeamIndex:
    explicit: dict[str, list[str]] = {}
    for t in getattr(op, "teams", None) or []:
        if t.site in op.sites:
            explicit.setdefault(t.site, []).append(t.team)
    units, by_site = {}, {}
    for site in op.sites:
        if site in explicit:
            ids = [unit_id(site, team) for team in explicit[site]]
            for team, u in zip(explicit[site], ids):
                units[u] = TeamUnit(u, site, team, False)
        else:
            ids = [site]
            units[site] = TeamUnit(site, site, site, True)
        by_site[site] = ids
    return TeamIndex(units, by_site)


def team_pairs(op: Operation, index: TeamIndex | None = None) -> dict[str, list[tuple[str, str]]]:
    """Unit id -> the queue x market pairs its agents may work (a certification without a
    team covers every team of its site)."""
    index = index or team_index(op)
    out: dict[str, list[tuple[str, str]]] = {u: [] for u in index.units}
    for c in op.certifications:
        if c.team:
            targets = [index.unit_of(c.site, c.team)]
        else:
            targets = index.by_site.get(c.site, [])
        for u in targets:
            if u is not None and (c.queue, c.market) not in out[u]:
                out[u].append((c.queue, c.market))
    return out


def unit_operation(op: Operation) -> tuple[Operation, TeamIndex]:
    """The operation with one "site" per team (``planning.teams`` docstring), and its index.

    Without a teams table the operation itself is returned.  A unit's ``Site`` carries
    the team's cap, minimum, cost and shrinkage and the site's zone, vendor and night
    window; certifications and shift templates are expanded per unit; scenario site
    adjustments apply to every team of their site (shrinkage and outages; a cap above 0
    bounds the site's teams together, which ``planning.shiftplan.constraints`` adds)."""
    index = team_index(op)
    if not getattr(op, "teams", None):
        return op, index
    teams = {(t.site, t.team): t for t in op.teams}
    sites: dict[str, Site] = {}
    for u in index.units.values():
        base = op.sites[u.site]
        if u.implicit:
            sites[u.unit] = base
            continue
        t = teams[(u.site, u.team)]
        sites[u.unit] = base.model_copy(update={
            "site": u.unit, "max_headcount": t.max_headcount, "min_headcount": t.min_headcount,
            "hourly_cost": base.hourly_cost if t.hourly_cost is None else t.hourly_cost,
            "shrinkage": base.shrinkage if t.shrinkage is None else t.shrinkage})
    certifications = [Certification(site=u, queue=q, market=m)
                      for u, pairs in team_pairs(op, index).items() for q, m in pairs]
    shifts = []
    for s in op.shifts:
        targets = [index.unit_of(s.site, s.team)] if s.team else index.by_site.get(s.site, [])
        shifts.extend(s.model_copy(update={"site": u, "team": None}) for u in targets if u is not None)
    return dataclasses.replace(op, sites=sites, certifications=certifications, shifts=shifts,
                               site_adjustments=_unit_adjustments(op.site_adjustments, index),
                               teams=[]), index


def _unit_adjustments(adj: pd.DataFrame | None, index: TeamIndex) -> pd.DataFrame | None:
    """Site adjustments per unit: shrinkage and outages (cap 0) for each team of the site;
    a cap above 0 is left to the site-total rule (it bounds the teams' sum)."""
    if adj is None or not len(adj) or "site" not in adj:
        return adj
    rows = []
    for row in adj.to_dict("records"):
        units = index.by_site.get(row["site"], [row["site"]])
        teamed = index.has_teams(row["site"])
        for u in units:
            new = dict(row, site=u)
            cap = row.get("max_headcount")
            if teamed and cap is not None and not pd.isna(cap) and float(cap) > 0:
                new["max_headcount"] = pd.NA
            rows.append(new)
    return pd.DataFrame(rows, columns=adj.columns)


def with_team_column(frame: pd.DataFrame, index: TeamIndex | None = None) -> pd.DataFrame:
    """A plan frame with a ``team`` column (plans made before teams: the site's implicit
    team, named after the site)."""
    if frame is None or "team" in frame or "site" not in frame:
        return frame
    out = frame.copy()
    out.insert(list(out.columns).index("site") + 1, "team", out["site"].astype(str))
    return out


def unit_column(frame: pd.DataFrame, index: TeamIndex) -> pd.Series:
    """The unit id of each row of a plan frame with ``site`` (and optionally ``team``)."""
    if not len(frame):
        return pd.Series([], dtype=object, index=frame.index)
    teams = frame["team"] if "team" in frame else pd.Series([None] * len(frame), index=frame.index)
    return pd.Series([index.unit_of(s, t) or unit_id(s, t) for s, t in zip(frame["site"], teams)],
                     index=frame.index, dtype=object)


def team_view(op: Operation, shifts: pd.DataFrame, allocation: pd.DataFrame | None = None):
    """For a simulation of the people: (the operation per unit, the shifts and the
    allocation with ``site`` = each row's unit, the index).  An agent's group is then his
    team, with his team's certifications and shrinkage."""
    units, index = unit_operation(op)

    def per_unit(frame):
        if frame is None or not len(frame) or "site" not in frame:
            return frame
        return with_team_column(frame).assign(site=unit_column(frame, index))

    return units, per_unit(shifts), per_unit(allocation), index


def team_agents(agents: pd.DataFrame, index: TeamIndex) -> pd.DataFrame:
    """A per-agent frame of a ``team_view`` simulation back in sites: ``site`` the
    site, ``team`` the team (``group`` keeps the unit id, unique across sites)."""
    if agents is None or "site" not in agents:
        return agents
    units = agents["site"].astype(str)
    out = agents.assign(site=units.map(index.site_of))
    out.insert(list(out.columns).index("site") + 1, "team", units.map(index.team_of))
    return out
