"""Checks on teams within sites (the optional ``teams`` table and the ``team`` columns of
``certifications``, ``shifts`` and ``hiring``), each problem with where it is and how to fix it.

The rules they protect are in :mod:`planning.teams`: a blank team means every team of
the site; a named team must be one of the site's rows in ``teams``; the site's cap and
minimum bound the sum of its teams.
"""
from __future__ import annotations

import numpy as np

from planning.inputs.report import RawTable, ValidationReport, did_you_mean, excerpt


def _team_names(tables: dict[str, RawTable]) -> dict[str, list[str]]:
    """Site -> team names as written in the teams table (also rows with other problems,
    so one bad cell does not turn every reference to the team into a second error)."""
    raw = tables.get("teams")
    if raw is None or not {"site", "team"} <= set(raw.frame.columns):
        return {}
    out: dict[str, list[str]] = {}
    for site, team in zip(raw.frame["site"].str.strip(), raw.frame["team"].str.strip()):
        if site and team and team not in out.setdefault(site, []):
            out[site].append(team)
    return out


def _check_team_column(raw: RawTable, names: dict[str, list[str]], report: ValidationReport) -> None:
    """Every non-blank ``team`` cell names a team of its row's site (one problem per
    unknown site / team, at its first row)."""
    if "team" not in raw.frame.columns or "site" not in raw.frame.columns:
        return
    seen = set()
    for i, (site, team) in enumerate(zip(raw.frame["site"].str.strip(), raw.frame["team"].str.strip())):
        if not team or not site or team in names.get(site, []) or (site, team) in seen:
            continue
        seen.add((site, team))
        if site not in names:
            message = (f"team '{excerpt(team)}': site {excerpt(site)} has no teams in the teams table; leave "
                       f"team blank (the whole site) or add the team to teams")
        else:
            message = (f"team '{excerpt(team)}' is not a team of site {excerpt(site)} in the teams table"
                       f"{did_you_mean(team, names[site]) or ';'} its teams: "
                       f"{excerpt(', '.join(names[site]), 200)}")
        report.add(raw.file, raw.sheet, raw.rows[i], "team", message)


def check_teams(tables: dict[str, RawTable], objects: dict, report: ValidationReport) -> None:
    """References to teams, teams nobody certified or gave a shift, and site totals the
    teams cannot meet (their minimums above the site's cap, their caps below its minimum)."""
    names = _team_names(tables)
    for table in ("certifications", "shifts", "hiring"):
        if table in tables:
            _check_team_column(tables[table], names, report)
    if "hiring" in tables:
        check_hiring_units(tables["hiring"], names, report)
    teams = objects.get("teams") or []
    raw = tables.get("teams")
    if not teams or raw is None:
        return

    def row_of(site: str, team: str | None = None):
        mask = raw.frame["site"].str.strip() == site
        if team is not None:
            mask &= raw.frame["team"].str.strip() == team
        hits = np.flatnonzero(mask.to_numpy())
        return raw.rows[hits[0]] if len(hits) else None

    certified = {(c.site, c.team) for c in objects.get("certifications", [])}
    shifted = {(s.site, s.team) for s in objects.get("shifts", [])}
    for t in teams:
        if (t.site, t.team) not in certified and (t.site, None) not in certified:
            report.add(raw.file, raw.sheet, row_of(t.site, t.team), "team",
                       f"team {excerpt(t.team)} of site {excerpt(t.site)} has no certifications (none with its "
                       "name, none for the whole site), so the planner cannot give it work", "warning")
        if (t.site, t.team) not in shifted and (t.site, None) not in shifted:
            report.add(raw.file, raw.sheet, row_of(t.site, t.team), "team",
                       f"team {excerpt(t.team)} of site {excerpt(t.site)} has no shifts (none with its name, none "
                       "for the whole site), so the planner cannot staff it", "warning")
    sites = {s.site: s for s in objects.get("sites", [])}
    by_site: dict[str, list] = {}
    for t in teams:
        by_site.setdefault(t.site, []).append(t)
    for site_id, members in by_site.items():
        site = sites.get(site_id)
        if site is None:
            continue
        minimum = sum(t.min_headcount for t in members)
        if minimum > site.max_headcount:
            report.add(raw.file, raw.sheet, row_of(site_id), "min_headcount",
                       f"the minimums of site {excerpt(site_id)}'s teams add up to {minimum}, above the site's "
                       f"max_headcount {site.max_headcount}; lower a team's min_headcount or raise the site's cap")
        cap = sum(t.max_headcount for t in members)
        if cap < site.min_headcount:
            report.add(raw.file, raw.sheet, row_of(site_id), "max_headcount",
                       f"the caps of site {excerpt(site_id)}'s teams add up to {cap}, below the site's "
                       f"min_headcount {site.min_headcount}; raise a team's max_headcount or lower the site's minimum")


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(map(str, rows[:5]))
    return f"rows {shown}" + (f" and {len(rows) - 5} more" if len(rows) > 5 else "") if len(rows) > 1 else f"row {shown}"


def check_hiring_units(raw: RawTable, names: dict[str, list[str]], report: ValidationReport) -> None:
    """The ``hiring`` table is per site or per team (``planning.capacity.supply``): each site
    or site / team once (one problem per repeated key), never a site-level row beside team
    rows of the same site, and a warning for a team of a site hired by team that has no row.
    Unknown teams are reported by ``_check_team_column``."""
    if "site" not in raw.frame.columns:
        return
    sites = raw.frame["site"].str.strip().tolist()
    teams = raw.frame["team"].str.strip().tolist() if "team" in raw.frame.columns else [""] * len(sites)
    rows_of: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(sites, teams)):
        if key[0]:
            rows_of.setdefault(key, []).append(int(raw.rows[i]))
    for (site, team), rows in rows_of.items():
        if len(rows) < 2:
            continue
        what = f"site {excerpt(site)} team {excerpt(team)}" if team else f"site {excerpt(site)}"
        report.add(raw.file, raw.sheet, rows[1], "team" if team else "site",
                   f"{what} has {len(rows)} hiring rows ({_rows_text(rows)}); keep one row per "
                   f"{'team' if team else 'site'} (delete the copies or merge their values)")
    by_site: dict[str, dict[str, list[int]]] = {}
    for (site, team), rows in rows_of.items():
        by_site.setdefault(site, {})[team] = rows
    for site, per_team in by_site.items():
        team_rows = {t: r for t, r in per_team.items() if t}
        if not team_rows:
            continue
        if "" in per_team:
            listed = sorted(r for rows in team_rows.values() for r in rows)
            report.add(raw.file, raw.sheet, per_team[""][0], "team",
                       f"site {excerpt(site)} has a site-level hiring row (team blank) and team rows "
                       f"({_rows_text(listed)}: {excerpt(', '.join(team_rows), 200)}); the capacity plan hires "
                       "either by site or by team: give this row a team, or delete it and keep the team rows")
        known = names.get(site, [])
        missing = [t for t in known if t not in team_rows]
        if missing and any(t in known for t in team_rows):
            first = min(r for rows in team_rows.values() for r in rows)
            report.add(raw.file, raw.sheet, first, "team",
                       f"site {excerpt(site)} is hired by team but team(s) {excerpt(', '.join(missing), 200)} have "
                       "no hiring row: the capacity plan assumes their current headcount = their min_headcount "
                       "and default supply parameters; add a hiring row for each", "warning")
