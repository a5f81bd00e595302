"""Load an operation from a folder of CSV files or one .xlsx workbook.

``load_operation(path)`` returns ``(Operation | None, ValidationReport)``: the typed
objects and tidy frames (UTC, tz-aware) when nothing is wrong, else ``None``; the
report lists every problem found either way.  ``planning.inputs.schema`` names the tables and
columns; a table is ``<table>.csv`` or ``<table>.csv.gz`` in a folder (a .zip of such a
folder works too), or a sheet named like the table in a workbook.

Hostile files are checked before they are parsed: a workbook's zip directory gives the
uncompressed size and compression ratio of every part (zip bombs are refused without
inflating anything), .csv.gz files are inflated with a cap, macros (vbaProject.bin,
.xlsm) are never run, formula cells are counted and their cached values used.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from planning.domain import (SERVER_SETTINGS, Certification, Event, Market, Operation, Queue, Settings,
                             ShiftTemplate, Site, Team, server_setting_ignored)
from planning.inputs.schema import TABLES
from planning.inputs.report import RawTable, ValidationReport, did_you_mean, excerpt
from planning.inputs.validation import check_references, check_unique, parse_column, pydantic_problems
from planning.inputs.volume_checks import check_volume
from planning.inputs.team_checks import check_teams
from planning.inputs.reading import Limits
from planning.inputs.sources import read_tables, read_upload


OBJECT_TABLES = {"queues": Queue, "markets": Market, "sites": Site, "teams": Team, "certifications": Certification,
                 "shifts": ShiftTemplate, "events": Event}
IDS = {"queues": ["queue"], "markets": ["market"], "sites": ["site"], "teams": ["site", "team"], "shifts": ["site", "shift"],
       "settings": ["key"]}  # hiring rows are per site or per team: team_checks.check_hiring_units


# ----------------------------------------------------------------------------- assembly
def _objects(raw: RawTable, report: ValidationReport) -> tuple[list, pd.DataFrame]:
    """Typed objects (one per row without cell problems) and the parsed frame."""
    model = OBJECT_TABLES.get(raw.table.name)
    parsed, bad = {}, np.zeros(len(raw.frame), dtype=bool)
    for col in raw.table.columns:
        values, col_bad = parse_column(raw, col, report)
        parsed[col.name] = values
        bad |= col_bad
    if raw.table.name in IDS:
        check_unique(raw, IDS[raw.table.name], report, " / ".join(IDS[raw.table.name]))
    if raw.table.name == "certifications":
        keys = ["site", "team", "queue", "market"] if "team" in raw.frame.columns else ["site", "queue", "market"]
        check_unique(raw, keys, report, "certification", "warning")
    frame = pd.DataFrame({k: v.reset_index(drop=True) if isinstance(v, pd.Series) else list(v)
                          for k, v in parsed.items()})
    for col in raw.table.columns:  # ints were checked whole; NaN only where blank or bad
        if col.kind == "int":
            frame[col.name] = frame[col.name].astype(float).astype("Int64")
    objects = []
    if model is None:
        return objects, frame[~bad].reset_index(drop=True)
    ints = {c.name for c in raw.table.columns if c.kind == "int"}
    columns = {}
    for name, values in parsed.items():
        if isinstance(values, pd.Series):  # timestamps
            values = [None if pd.isna(v) else v.to_pydatetime() for v in values]
        elif isinstance(values, np.ndarray) and values.dtype.kind == "f":
            values = [None if np.isnan(v) else (int(v) if name in ints else float(v)) for v in values]
        columns[name] = list(values)
    for i in np.flatnonzero(~bad):
        values = {name: column[i] for name, column in columns.items() if column[i] is not None}
        try:
            objects.append(model(**values))
        except ValidationError as exc:
            pydantic_problems(exc, raw, int(i), report)
    return objects, frame


def _settings(raw: RawTable | None, report: ValidationReport) -> tuple[Settings, bool]:
    """Settings from key,value rows; returns (settings, interval given explicitly)."""
    if raw is None or not {"key", "value"} <= set(raw.frame.columns):
        return Settings(), False
    check_unique(raw, ["key"], report, "setting")
    fields = Settings.model_fields
    values, row_of = {}, {}
    for i, (key, value) in enumerate(zip(raw.frame["key"].str.strip(), raw.frame["value"].str.strip())):
        if key in SERVER_SETTINGS:  # infrastructure: from the server only (issue 17)
            report.add(raw.file, raw.sheet, raw.rows[i], "key", server_setting_ignored(key), "warning")
            continue
        if key not in fields:
            report.add(raw.file, raw.sheet, raw.rows[i], "key", f"unknown setting '{excerpt(key)}'"
                       f"{did_you_mean(key, fields) or ';'} known settings: {', '.join(fields)}", "warning")
            continue
        if value == "":
            report.add(raw.file, raw.sheet, raw.rows[i], "value", f"setting {excerpt(key)} has no value; the "
                       f"default {fields[key].default!r} is used", "warning")
            continue
        values[key], row_of[key] = value, raw.rows[i]
    for _ in range(len(fields) + 1):  # drop the bad keys and retry, so one bad value hides no other
        try:
            return Settings(**values), "interval_minutes" in values
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err.get("loc") else None
                msg = str(err["msg"]).removeprefix("Value error, ")
                report.add(raw.file, raw.sheet, row_of.get(key), "value",
                           f"setting {key} = {excerpt(repr(values.get(key)))}: {excerpt(msg, 300)}")
                values.pop(key, None)
    return Settings(), False


REFERENCES = {"queue": "queues", "market": "markets", "site": "sites"}  # column -> the table of ids


def validate_tables(tables: dict[str, RawTable], report: ValidationReport) -> Operation | None:
    """All checks on the read tables; the Operation when there are no errors.

    Tables other than volume and settings are parsed by their schema kinds; those with a
    domain type become objects, the others (hiring, and any table added to the schema
    later) tidy frames, attached to the ``Operation`` field of the same name if it has one.
    Columns named queue / market / site must reference known ids (``*`` allowed in events).
    """
    settings, explicit = _settings(tables.get("settings"), report)
    objects, frames = {}, {}
    for name in TABLES:
        if name in tables and name not in ("volume", "settings"):
            objects[name], frames[name] = _objects(tables[name], report)

    def ids(table: str, column: str) -> set[str]:
        raw = tables.get(table)
        return set(raw.frame[column].str.strip()) if raw is not None and column in raw.frame else set()

    known = {column: ids(table, column) for column, table in REFERENCES.items()}
    for name, raw in tables.items():
        if name in ("volume", "settings") or REFERENCES.get(raw.table.columns[0].name) == name:
            continue
        for column, target in REFERENCES.items():
            if column in raw.frame.columns and target in tables:
                values = raw.frame[column].str.strip().to_numpy(dtype=object)
                check_references(raw, column, values, values != "", known[column], target, report,
                                 allow_all=name == "events")
    volume, interval = None, settings.interval_minutes
    if "volume" in tables:
        volume, interval = check_volume(tables["volume"], report, settings.interval_minutes if explicit else None,
                                        known["queue"], known["market"])
        if not explicit and interval != settings.interval_minutes:
            settings = settings.model_copy(update={"interval_minutes": interval})
    _coverage_warnings(tables, objects, volume, report)
    check_teams(tables, objects, report)
    if not report.valid or any(t not in tables for t in ("queues", "markets", "sites", "certifications",
                                                          "shifts", "volume")):
        return None
    operation = Operation(
        queues={q.queue: q for q in objects["queues"]}, markets={m.market: m for m in objects["markets"]},
        sites={s.site: s for s in objects["sites"]}, certifications=objects["certifications"],
        shifts=objects["shifts"], volume=volume, events=objects.get("events", []), settings=settings,
        teams=objects.get("teams", []),
    )
    fields = {f.name for f in dataclasses.fields(Operation)}
    for name, frame in frames.items():
        if name not in OBJECT_TABLES and name in fields:
            setattr(operation, name, frame)
    return operation


def _coverage_warnings(tables, objects, volume, report: ValidationReport) -> None:
    """Things that load but cannot be planned: sites without shifts, pairs nobody may work."""
    sites = tables.get("sites")
    if sites is not None and "shifts" in objects:
        with_shifts = {s.site for s in objects["shifts"]}
        for site in objects.get("sites", []):
            if site.site not in with_shifts:
                row = sites.rows[np.flatnonzero(sites.frame["site"].str.strip() == site.site)[0]]
                report.add(sites.file, sites.sheet, row, "site", f"site '{site.site}' has no shifts in the "
                           "shifts table, so the planner cannot staff it", "warning")
    if volume is not None and len(volume) and "certifications" in objects:
        certified = {(c.queue, c.market) for c in objects["certifications"]}
        pairs = volume[["queue", "market"]].drop_duplicates()
        raw = tables["volume"]
        for queue, market in pairs.itertuples(index=False):
            if (queue, market) not in certified:
                report.add(raw.file, raw.sheet, None, "queue", f"{queue} x {market} has volume but no site is "
                           "certified for it; add a certification or the work stays uncovered", "warning")


def load_operation(path: str | Path, limits: Limits | None = None) -> tuple[Operation | None, ValidationReport]:
    """Read and validate a folder of CSVs, a .zip of them, or an .xlsx workbook."""
    report = ValidationReport()
    tables = read_tables(path, limits or Limits(), report)
    operation = validate_tables(tables, report)
    if operation is not None:
        operation.source = str(path)
    return operation, report


def load_upload(name: str, data: bytes, principal, limits: Limits | None = None
                ) -> tuple[Operation | None, ValidationReport]:
    """Check, read and validate an uploaded .zip or .xlsx, entirely in memory.

    ``principal`` must be allowed to "upload" (``planning.access.require`` raises
    ``Forbidden`` otherwise).  ``limits``: ``Limits.for_upload(settings.max_upload_mb)``;
    the upload's size, its members' and .csv.gz files' inflated size in total, and their
    ratios are capped.  ``name`` is only quoted in messages; it never becomes a path.
    """
    from planning.access import require

    require(principal, "upload")
    report = ValidationReport()
    tables = read_upload(name, data, limits or Limits.for_upload(Settings().max_upload_mb), report)
    operation = validate_tables(tables, report) if tables else None
    if operation is not None:
        operation.source = "upload"
    return operation, report
