"""Levers on teams within sites (``planning.teams``): a team's cap, and which queue x market
pairs a team is certified for.

A certification row without a team certifies every team of its site; removing one team's
certification from such a row keeps it for the site's other teams (the row becomes one
row per remaining team).
"""
from __future__ import annotations

import dataclasses
from typing import Literal

from pydantic import Field

from planning.domain import ALL, Certification, Operation, Team
from planning.scenarios.lever_base import LeverError, _Lever, _need_market, _need_queue, _need_site, _scope


def _team(op: Operation, site: str, team: str) -> Team:
    _need_site(op, site, wildcard=False)
    teams = [t for t in op.teams if t.site == site]
    for t in teams:
        if t.team == team:
            return t
    if not teams:
        raise LeverError(f"site '{site}' has no teams (no rows in the teams table): use a site lever "
                         f"(site_cap, add_certification) instead")
    raise LeverError(f"site '{site}' has no team '{team}' (its teams: {', '.join(sorted(t.team for t in teams))})")


def _team_certified(op: Operation, site: str, team: str, queue: str, market: str) -> bool:
    return any(c.site == site and c.queue == queue and c.market == market and c.team in (None, team)
               for c in op.certifications)


class TeamCap(_Lever):
    """A team's headcount cap (``max_headcount``) changes; the site's cap still bounds its teams' sum."""

    kind: Literal["team_cap"] = "team_cap"
    site: str
    team: str = Field(min_length=1)
    max_headcount: int = Field(ge=0, description="the team's new cap [agents]")

    def describe(self) -> str:
        return f"Team {self.team} at site {self.site} capped at {self.max_headcount:,} agents"

    def apply_operation(self, op):
        team = _team(op, self.site, self.team)
        if self.max_headcount < team.min_headcount:
            raise LeverError(f"team {self.team} at {self.site} has a contract minimum of {team.min_headcount:,} "
                             f"agents: a cap of {self.max_headcount:,} is below it (lower the minimum in the "
                             f"teams table, or cap at {team.min_headcount:,} or more)")
        new = Team.model_validate({**team.model_dump(), "max_headcount": self.max_headcount})
        return dataclasses.replace(op, teams=[new if t is team else t for t in op.teams])


class AddTeamCertification(_Lever):
    """A team becomes certified for a queue x market pair (its agents may take that work)."""

    kind: Literal["add_team_certification"] = "add_team_certification"
    site: str
    team: str = Field(min_length=1)
    queue: str
    market: str

    def describe(self) -> str:
        return f"Certify team {self.team} at site {self.site} for queue {self.queue}, market {self.market}"

    def apply_operation(self, op):
        _team(op, self.site, self.team)
        _need_queue(op, self.queue, wildcard=False)
        if self.market == ALL:
            raise LeverError("add_team_certification needs one market, not *")
        _need_market(op, self.market)
        if _team_certified(op, self.site, self.team, self.queue, self.market):
            return op
        cert = Certification(site=self.site, queue=self.queue, market=self.market, team=self.team)
        return dataclasses.replace(op, certifications=[*op.certifications, cert])


class RemoveTeamCertification(_Lever):
    """A team loses its certification for a queue (and market; ``*`` = all markets)."""

    kind: Literal["remove_team_certification"] = "remove_team_certification"
    site: str
    team: str = Field(min_length=1)
    queue: str
    market: str = ALL

    def describe(self) -> str:
        return f"Remove certification of team {self.team} at site {self.site} for {_scope(self.queue, self.market)}"

    def apply_operation(self, op):
        _team(op, self.site, self.team)
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        others = [t.team for t in op.teams if t.site == self.site and t.team != self.team]
        out = []
        for c in op.certifications:
            hit = (c.site == self.site and self.queue in (ALL, c.queue) and self.market in (ALL, c.market))
            if not hit or c.team not in (None, self.team):
                out.append(c)
            elif c.team is None:  # a site-wide row: keep it for the other teams
                out.extend(Certification(site=c.site, queue=c.queue, market=c.market, team=t) for t in others)
        return dataclasses.replace(op, certifications=out)
