"""Reading and validating the ``actuals`` table (schema in :mod:`planning.inputs.schema`).

Three kinds of row: **pair rows** (site blank) for a queue x market as a whole; **site
rows** (site set, team blank) for the whole site; **team rows** (site and team set) for one
team of the site (``planning.teams``: a site without rows in ``teams`` is one team named
after the site, so a team cell equal to such a site's id means the whole site).  Every
problem names the file, row and column and says how to fix it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.inputs import TABLES
from planning.inputs import RawTable, ValidationReport
from planning.inputs import check_references, check_unique, parse_column

NUMBER_COLUMNS = ["total_incoming", "manual_incoming", "total_solved", "manual_solved", "aht_seconds",
                  "backlog_items", "within_sla_share", "staffed_agents"]
PAIR_REQUIRED = ["manual_incoming", "manual_solved"]  # a pair row without these says nothing
SITE_REQUIRED = ["manual_solved"]


def read_actuals_table(path, report: ValidationReport, limits=None) -> RawTable | None:
    """The ``actuals`` CSV (or .csv.gz) as a RawTable, or None with problems in ``report``.

    ``path``: a file, a folder holding ``actuals.csv(.gz)``, or an upload ``(name, bytes)``.
    Every way in goes through :func:`planning.inputs.inflate_upload`: size, inflated size
    and ratio capped (``limits``, default ``Limits()``), gzip told by the bytes.
    """
    from planning.inputs import Limits, excerpt, inflate_upload, read_csv_bytes

    limits = limits or Limits()
    if isinstance(path, tuple):
        name, data = path
        name = excerpt(Path(str(name).replace("\\", "/")).name or "actuals.csv")
    else:
        path = Path(path)
        if path.is_dir():
            options = [path / n for n in ("actuals.csv", "actuals.csv.gz") if (path / n).exists()]
            if not options:
                report.add("actuals.csv", None, None, None, f"no actuals.csv or actuals.csv.gz in {path.name}")
                return None
            path = options[0]
        name = path.name
        try:
            if path.stat().st_size > limits.max_file_mb * 1024 * 1024:
                report.add(name, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
                return None
            data = path.read_bytes()
        except OSError as exc:
            report.add(name, None, None, None, f"cannot be read ({exc.strerror or exc})")
            return None
    data = inflate_upload(name, data, limits, report)
    if data is None:
        return None
    return read_csv_bytes(data, TABLES["actuals"], name, report, limits)


def validate_actuals(raw: RawTable, op: Operation, report: ValidationReport) -> pd.DataFrame | None:
    """Typed actuals (site '' on pair rows, team '' on pair and whole-site rows), or None
    when there are errors in ``report``."""
    table = TABLES["actuals"]
    out = {}
    bad = np.zeros(len(raw.frame), dtype=bool)
    for col in table.columns:
        values, flagged = parse_column(raw, col, report)
        out[col.name] = values
        bad |= flagged
    frame = pd.DataFrame({"timestamp": out["timestamp"]}, index=raw.frame.index)
    for name in ("queue", "market", "site", "team"):
        frame[name] = pd.Series(out[name], index=raw.frame.index).fillna("").astype(str).str.strip()
    for name in NUMBER_COLUMNS:
        frame[name] = np.asarray(out[name], dtype=float)
        negative = frame[name].to_numpy() < 0
        raw.flag(report, name, negative, f"{name} must be at least 0")
    for column, target, known in (("queue", "queues", op.queues), ("market", "markets", op.markets),
                                  ("site", "sites", op.sites)):
        values = frame[column].to_numpy(dtype=object)
        check_references(raw, column, values, values != "", known, target, report)
    keys = ["timestamp", "queue", "market", "site"] + (["team"] if "team" in raw.frame.columns else [])
    check_unique(raw, keys, report, " / ".join(keys))
    frame["team"] = _checked_teams(raw, frame, op, report)
    pair = frame["site"].eq("").to_numpy()
    for name in PAIR_REQUIRED:
        raw.flag(report, name, pair & np.isnan(frame[name].to_numpy()) & ~bad,
                 f"{name} is needed on queue x market rows (site blank)")
    for name in SITE_REQUIRED:
        raw.flag(report, name, ~pair & np.isnan(frame[name].to_numpy()) & ~bad,
                 f"{name} is needed on site rows")
    if not pair.any():
        report.add(raw.file, None, None, "site", "no queue x market rows (site blank): the monitor needs "
                   "the incoming and solved items per queue x market")
    if not report.valid:
        return None
    return frame.reset_index(drop=True)


def _checked_teams(raw: RawTable, frame: pd.DataFrame, op: Operation, report: ValidationReport) -> pd.Series:
    """The ``team`` column checked (a team on a pair row, a team its site does not have,
    whole-site and team rows for the same interval x pair x site) and normalised: a site
    without teams is one team named after it, so that name means the whole site ('')."""
    from planning.inputs import did_you_mean, excerpt

    team, site = frame["team"].to_numpy(dtype=object), frame["site"].to_numpy(dtype=object)
    named = team != ""
    raw.flag(report, "team", named & (site == ""), lambda i: (
        f"team '{excerpt(team[i])}' is on a queue x market row (site blank); a team belongs to a site: "
        "put its site in site, or clear team"))
    names: dict[str, list[str]] = {}
    for t in op.teams:
        names.setdefault(t.site, []).append(t.team)
    implicit = named & np.array([s in op.sites and s not in names and t == s for s, t in zip(site, team)], dtype=bool)
    known = np.array([t in names.get(s, ()) for s, t in zip(site, team)], dtype=bool)
    unknown = named & (site != "") & np.isin(site, list(op.sites)) & ~known & ~implicit
    for (s, t), rows in pd.Series(np.flatnonzero(unknown)).groupby(
            [site[unknown], team[unknown]], sort=False):
        count = f" ({len(rows):,} rows, first here)" if len(rows) > 1 else ""
        if s not in names:
            message = (f"team '{excerpt(t)}': site {excerpt(s)} has no teams in the teams table{count}; leave "
                       "team blank (the whole site) or add the team to teams")
        else:
            message = (f"team '{excerpt(t)}' is not a team of site {excerpt(s)} in the teams table{count}"
                       f"{did_you_mean(t, names[s]) or ';'} its teams: {excerpt(', '.join(names[s]), 200)}")
        report.add(raw.file, raw.sheet, raw.rows[rows.iloc[0]], "team", message)
    _check_mixed(raw, frame, named, report)
    return frame["team"].where(~implicit, "")


def _check_mixed(raw: RawTable, frame: pd.DataFrame, named: np.ndarray, report: ValidationReport) -> None:
    """A site reports an interval x pair either as a whole or by team, never both (the
    whole-site row would count the teams' agents twice)."""
    from planning.inputs import excerpt

    on_site = frame["site"].ne("").to_numpy()
    if not (on_site & named).any():
        return
    keys = ["timestamp", "queue", "market", "site"]
    grouped = frame[keys].assign(named=named, whole=~named).groupby(keys, dropna=False, sort=False)
    mixed = (grouped["named"].transform("any") & grouped["whole"].transform("any")).to_numpy() & on_site
    if not mixed.any():
        return
    columns = [frame[k].to_numpy(dtype=object) for k in keys]
    first_team_row = {}
    for i in np.flatnonzero(mixed & named):
        first_team_row.setdefault(tuple(c[i] for c in columns), raw.rows[i])

    def message(i: int) -> str:
        ts, queue, market, s = (c[i] for c in columns)
        when = ts.strftime("%Y-%m-%dT%H:%MZ") if pd.notna(ts) else "this interval"
        return (f"site {excerpt(s)} reports {excerpt(queue)} x {excerpt(market)} at {when} both for the whole site "
                f"(this row, team blank) and by team (row {first_team_row[(ts, queue, market, s)]}); keep either "
                "the team rows or the one whole-site row")

    raw.flag(report, "team", mixed & ~named, message)


def load_actuals(path: str | Path, op: Operation, limits=None) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Read and validate actuals (a CSV/.csv.gz file or a folder holding one)."""
    report = ValidationReport()
    raw = read_actuals_table(path, report, limits)
    return (validate_actuals(raw, op, report) if raw is not None else None), report


def load_actuals_upload(name: str, data: bytes, op: Operation, principal,
                        limits=None) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Uploaded actuals, read from memory (the name never becomes a path).

    ``principal`` must be allowed to "upload" (``planning.access.require`` raises
    ``Forbidden``); ``limits`` default to ``Limits.for_upload(op.settings.max_upload_mb)``.
    """
    from planning.access import require
    from planning.inputs import Limits

    require(principal, "upload")
    limits = limits or Limits.for_upload(op.settings.max_upload_mb)
    report = ValidationReport()
    raw = read_actuals_table((name, data), report, limits)
    return (validate_actuals(raw, op, report) if raw is not None else None), report
