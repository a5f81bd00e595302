"""Load an operation from a folder of CSV files or one .xlsx workbook.

``load_operation(path)`` returns ``(Operation | None, ValidationReport)``: the typed
objects and tidy frames (UTC, tz-aware) when nothing is wrong, else ``None``; the
report lists every problem found either way.  ``planning.schema`` names the tables and
columns; a table is ``<table>.csv`` or ``<table>.csv.gz`` in a folder (a .zip of such a
folder works too), or a sheet named like the table in a workbook.

Hostile files are checked before they are parsed: a workbook's zip directory gives the
uncompressed size and compression ratio of every part (zip bombs are refused without
inflating anything), .csv.gz files are inflated with a cap, macros (vbaProject.bin,
.xlsm) are never run, formula cells are counted and their cached values used.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import ValidationError

from planning.domain import Certification, Event, Market, Operation, Queue, Settings, ShiftTemplate, Site
from planning.schema import TABLES, Table
from planning.validation import (
    MAX_ITEMISED,
    RawTable,
    ValidationReport,
    check_columns,
    check_references,
    check_unique,
    check_volume,
    close_matches,
    did_you_mean,
    parse_column,
    pydantic_problems,
)

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Size limits checked before parsing (configurable per call)."""

    max_file_mb: float = 200.0  # one file / workbook / zip as stored
    max_uncompressed_mb: float = 600.0  # a workbook's or zip's parts, or a .csv.gz, inflated
    max_compression_ratio: float = 200.0  # inflated / stored, per part (zip bombs reach 1000+)
    ratio_check_above_mb: float = 5.0  # small parts may compress well legitimately


OBJECT_TABLES = {"queues": Queue, "markets": Market, "sites": Site, "certifications": Certification,
                 "shifts": ShiftTemplate, "events": Event}
IDS = {"queues": ["queue"], "markets": ["market"], "sites": ["site"], "shifts": ["site", "shift"],
       "hiring": ["site"], "settings": ["key"]}


# ----------------------------------------------------------------------------- bytes -> table
def _sniff_binary(data: bytes) -> str | None:
    """What a file that should be CSV text actually is, or None if it looks like text."""
    if data[:4] == b"PK\x03\x04":
        return "an Excel workbook or zip archive, not CSV text; export the sheet as CSV UTF-8"
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "a legacy Excel (.xls) file, not CSV text; export the sheet as CSV UTF-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 3 and (
            data[1:2] == data[3:4] == b"\x00" or data[0:1] == data[2:3] == b"\x00")):
        return "UTF-16 text; save it as CSV UTF-8 (Excel: Save As > CSV UTF-8)"
    if b"\x00" in data[:8192]:
        return "binary data, not CSV text; export the table as CSV UTF-8"
    return None


def _inflate_gzip(data: bytes, file: str, limits: Limits, report: ValidationReport) -> bytes | None:
    cap = int(limits.max_uncompressed_mb * MB)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out, total, chunk = [], 0, 1 * MB
    try:
        pending = data
        while pending or not inflater.eof:
            piece = inflater.decompress(pending, chunk)
            total += len(piece)
            if total > cap:
                report.add(file, None, None, None, f"inflates to more than {limits.max_uncompressed_mb:g} MB "
                           "(the limit); split it or raise the limit")
                return None
            out.append(piece)
            pending = inflater.unconsumed_tail
            if inflater.eof or (not piece and not pending):
                break
        if not inflater.eof:
            raise EOFError("truncated")
    except (zlib.error, EOFError):
        report.add(file, None, None, None, "is not a complete gzip file (damaged or truncated); "
                   "compress the CSV again or provide it uncompressed")
        return None
    if total > limits.ratio_check_above_mb * MB and total / max(len(data), 1) > limits.max_compression_ratio:
        report.add(file, None, None, None, f"inflates {total / max(len(data), 1):,.0f} times its size "
                   "(a zip bomb?); refused")
        return None
    return b"".join(out)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_csv_bytes(data: bytes, table: Table, file: str, report: ValidationReport) -> RawTable | None:
    """CSV bytes -> RawTable of strings, reporting encoding and layout problems."""
    if not data.strip():
        report.add(file, None, None, None, f"file is empty; it needs a header row "
                   f"({','.join(table.column_names)}) and its rows ({table.description})")
        return None
    what = _sniff_binary(data)
    if what:
        report.add(file, None, None, None, f"file is {what}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        byte = data[exc.start:exc.start + 1].hex().upper()
        report.add(file, None, _line_of(data, exc.start), None,
                   f"byte 0x{byte} is not UTF-8; the file looks like Latin-1 / Windows-1252 "
                   "(Excel 'CSV' instead of 'CSV UTF-8'); save it as CSV UTF-8")
        return None
    first_line = text.split("\n", 1)[0].rstrip("\r")
    header = [h.strip() for h in next(csv.reader([first_line]), [])]
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in first_line:
            report.add(file, None, 1, None, f"the columns are separated by {name}; save the file as CSV with "
                       f"commas (expected header: {','.join(table.column_names)})")
            return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=False, on_bad_lines="warn", engine="c")
        except pd.errors.EmptyDataError:
            report.add(file, None, None, None, "file has no header row; the first line must be "
                       f"{','.join(table.column_names)}")
            return None
        except (pd.errors.ParserError, ValueError) as exc:
            line = re.search(r"row (\d+)|line (\d+)", str(exc))
            row = int(next(g for g in line.groups() if g)) if line else None
            report.add(file, None, row, None, "the CSV cannot be read from here (an unclosed quote or a "
                       f"truncated file: {str(exc).strip()}); check quotes and that the file is complete")
            return None
    skipped = []
    for w in caught:
        for line_no, expected, saw in re.findall(r"line (\d+): expected (\d+) fields, saw (\d+)", str(w.message)):
            skipped.append(int(line_no))
            if len(skipped) <= MAX_ITEMISED:
                report.add(file, None, int(line_no), None, f"row has {saw} values but the header has "
                           f"{expected} columns (a stray comma or an unquoted comma in text?); fix or quote it")
    if len(skipped) > MAX_ITEMISED:
        report.add(file, None, skipped[MAX_ITEMISED], None, f"... and {len(skipped) - MAX_ITEMISED:,} more rows "
                   "with more values than the header has columns")
    frame.columns = [str(c).strip() for c in frame.columns]
    rows = np.arange(len(frame)) + 2
    if skipped:
        kept = np.setdiff1d(np.arange(2, len(frame) + len(skipped) + 2), skipped)
        rows = kept[:len(frame)]
    return _finish(RawTable(table, file, None, frame, rows), report, header)


def _finish(raw: RawTable, report: ValidationReport, header: list[str]) -> RawTable:
    """Drop fully blank rows, check the columns, report a table without rows."""
    if len(raw.frame.columns):
        blank = (raw.frame == "").all(axis=1).to_numpy()
        if blank.any():
            raw.frame, raw.rows = raw.frame[~blank].reset_index(drop=True), raw.rows[~blank]
    check_columns(raw, report, header)
    if raw.frame.empty and raw.table.required:
        report.add(raw.file, raw.sheet, 2, None, f"the {raw.table.name} table has a header but no rows; "
                   f"add at least one row ({raw.table.description})")
    return raw


# ----------------------------------------------------------------------------- sources
def _zip_directory_ok(zf: zipfile.ZipFile, file: str, limits: Limits, report: ValidationReport) -> bool:
    """Sizes from the zip directory, before inflating anything."""
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    ok = True
    if total > limits.max_uncompressed_mb * MB:
        report.add(file, None, None, None, f"inflates to {total / MB:,.0f} MB, above the "
                   f"{limits.max_uncompressed_mb:g} MB limit; split the data or raise the limit")
        ok = False
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_check_above_mb * MB and ratio > limits.max_compression_ratio:
            report.add(file, None, None, None, f"part '{info.filename}' inflates {ratio:,.0f} times "
                       f"(limit {limits.max_compression_ratio:g}): a zip bomb? refused without opening it")
            ok = False
    return ok


def _folder_tables(folder: Path, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    names = {p.name: p for p in folder.iterdir() if p.is_file()}
    return _named_tables(names, lambda p: p.read_bytes(), lambda p: p.stat().st_size, folder.name,
                         limits, report)


def _zip_tables(path: Path, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    file = path.name
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        report.add(file, None, None, None, "is not a valid zip file (damaged or truncated)")
        return {}
    with zf:
        if not _zip_directory_ok(zf, file, limits, report):
            return {}
        members = {Path(i.filename).name: i for i in zf.infolist()
                   if not i.is_dir() and not i.filename.startswith("__MACOSX")}
        return _named_tables(members, zf.read, lambda i: i.file_size, file, limits, report)


def _named_tables(names: dict, read, size, container: str, limits: Limits,
                  report: ValidationReport) -> dict[str, RawTable]:
    tables: dict[str, RawTable] = {}
    used = set()
    for table in TABLES.values():
        options = [n for n in (f"{table.name}.csv", f"{table.name}.csv.gz") if n in names]
        if not options:
            if table.required:
                near = [n for n in names if n.lower().split(".")[0] in (table.name, table.name.rstrip("s"),
                                                                          table.name + "s")]
                taken = {f"{t}.csv" for t in TABLES} | {f"{t}.csv.gz" for t in TABLES}
                near += [n for n in close_matches(f"{table.name}.csv", set(names) - taken) if n not in near]
                hint = (f"; found {', '.join(near)} - rename it to {table.name}.csv (or .csv.gz, UTF-8)"
                        if near else "")
                report.add(f"{table.name}.csv", None, None, None, f"required file {table.name}.csv is "
                           f"missing from {container} ({table.description}){hint}")
            continue
        if len(options) > 1:
            report.add(options[0], None, None, None, f"both {options[0]} and {options[1]} exist; "
                       f"{options[0]} is used - delete the other", "warning")
        name = options[0]
        used.add(name)
        if size(names[name]) > limits.max_file_mb * MB:
            report.add(name, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
            continue
        data = read(names[name])
        if name.endswith(".gz"):
            data = _inflate_gzip(data, name, limits, report)
            if data is None:
                continue
        raw = read_csv_bytes(data, table, name, report)
        if raw is not None:
            tables[table.name] = raw
    for name in sorted(set(names) - used):
        if name.startswith(".") or name.lower().startswith("readme"):
            continue
        hint = " (legacy .xls: save as .xlsx)" if name.lower().endswith(".xls") else ""
        if name.lower().endswith((".xlsx", ".xlsm")):
            hint = " (to load a workbook, pass the .xlsx itself instead of the folder)"
        report.add(name, None, None, None, f"file is not one of the input tables and is ignored{hint}",
                   "warning")
    return tables


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if hasattr(value, "isoformat"):
        if hasattr(value, "hour") and not hasattr(value, "year"):  # a time of day
            return value.strftime("%H:%M") if not value.second else value.strftime("%H:%M:%S")
        return value.isoformat()
    return str(value)


def _workbook_tables(path: Path, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    import openpyxl

    file = path.name
    head = path.open("rb").read(8)
    if head[:4] == b"\xd0\xcf\x11\xe0":
        report.add(file, None, None, None, "is a legacy Excel .xls file (or a password-protected "
                   "workbook); open it in Excel and save it as .xlsx without a password")
        return {}
    if head[:4] != b"PK\x03\x04":
        sample = path.open("rb").read(4096)
        looks_csv = _sniff_binary(sample) is None and (b"," in sample or b";" in sample)
        report.add(file, None, None, None, "is a CSV text file renamed .xlsx; give it back its .csv "
                   "name and put the tables in one folder" if looks_csv else
                   "is not an .xlsx workbook; save it from Excel as .xlsx")
        return {}
    if path.stat().st_size > limits.max_file_mb * MB:
        report.add(file, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
        return {}
    try:
        with zipfile.ZipFile(path) as zf:
            if not _zip_directory_ok(zf, file, limits, report):
                return {}
            parts = set(zf.namelist())
    except zipfile.BadZipFile:
        report.add(file, None, None, None, "is a damaged or truncated workbook; save it again from Excel")
        return {}
    if "xl/workbook.xml" not in parts:
        report.add(file, None, None, None, "is a zip file but not an Excel workbook (no xl/workbook.xml)")
        return {}
    if any(p.lower().endswith("vbaproject.bin") for p in parts) or path.suffix.lower() == ".xlsm":
        report.add(file, None, None, None, "contains macros (vbaProject.bin); they are never run - only "
                   "the stored cell values are read", "warning")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types on malformed parts
        report.add(file, None, None, None, f"cannot be opened as a workbook ({type(exc).__name__}); "
                   "save it again from Excel as .xlsx")
        return {}
    tables: dict[str, RawTable] = {}
    try:
        by_name = {name.strip().lower(): name for name in book.sheetnames}
        used = set()
        for table in TABLES.values():
            sheet = by_name.get(table.name)
            if sheet is None:
                if table.required:
                    hint = did_you_mean(table.name, book.sheetnames)
                    report.add(file, table.name, None, None, f"required sheet '{table.name}' is missing "
                               f"(sheets found: {', '.join(book.sheetnames)}){hint or ';'} name the sheet "
                               f"'{table.name}' ({table.description})")
                continue
            used.add(sheet)
            raw = _sheet_table(path, book, sheet, table, report)
            if raw is not None:
                tables[table.name] = raw
        for sheet in book.sheetnames:
            if sheet not in used and sheet.strip().lower() not in ("instructions", "readme"):
                report.add(file, sheet, None, None, f"sheet '{sheet}' is not one of the input tables and "
                           "is ignored", "warning")
    except Exception as exc:  # malformed sheet XML surfaces while iterating
        report.add(file, None, None, None, f"a sheet cannot be read ({type(exc).__name__}); save the "
                   "workbook again from Excel as .xlsx")
    finally:
        book.close()
    return tables


def _sheet_table(path: Path, book, sheet: str, table: Table, report: ValidationReport) -> RawTable | None:
    file = path.name
    rows, numbers, formulas = [], [], []
    for cells in book[sheet].iter_rows():
        values = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                formulas.append((len(rows), len(values)))
            values.append(getattr(cell, "value", None))
        if any(v is not None and v != "" for v in values):
            rows.append(values)
            numbers.append(cells[0].row if cells and hasattr(cells[0], "row") else len(rows))
    if formulas:
        cached = _cached_values(path, sheet)
        missing = 0
        for r, c in formulas:
            value = cached.get((numbers[r], c + 1))
            missing += value is None
            rows[r][c] = value
        report.add(file, sheet, None, None, f"{len(formulas):,} formula cells: their values as last "
                   "calculated by Excel are used" + (f"; {missing:,} have no stored value (open and save "
                                                     "the workbook in Excel, or paste values)" if missing else ""),
                   "warning")
    if not rows:
        report.add(file, sheet, None, None, f"sheet is empty; it needs a header row "
                   f"({', '.join(table.column_names)}) and the data below it")
        return None
    header = [_cell_text(v).strip() for v in rows[0]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [[_cell_text(v) for v in (r + [None] * width)[:width]] for r in rows[1:]]
    names = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
    frame = pd.DataFrame(body, columns=pd.Index(names, dtype=object), dtype=object)
    frame = frame.loc[:, ~pd.Index(names).duplicated()]
    if numbers[0] != 1:
        report.add(file, sheet, numbers[0], None, "the header is not on row 1; row numbers below refer to "
                   "the sheet as it is", "warning")
    return _finish(RawTable(table, file, sheet, frame, np.array(numbers[1:], dtype=int)), report, header)


def _cached_values(path: Path, sheet: str) -> dict[tuple[int, int], object]:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {(cell.row, cell.column): cell.value for cells in book[sheet].iter_rows()
                for cell in cells if getattr(cell, "value", None) is not None and hasattr(cell, "row")}
    finally:
        book.close()


def read_tables(path: str | Path, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    path = Path(path)
    if not path.exists():
        report.add(str(path), None, None, None, "does not exist; pass a folder of CSV files or an .xlsx workbook")
        return {}
    if path.is_dir():
        return _folder_tables(path, limits, report)
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _workbook_tables(path, limits, report)
    if suffix == ".xls":
        report.add(path.name, None, None, None, "legacy .xls workbooks are not read; open it in Excel "
                   "and save it as .xlsx")
        return {}
    if suffix == ".zip":
        if path.stat().st_size > limits.max_file_mb * MB:
            report.add(path.name, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
            return {}
        return _zip_tables(path, limits, report)
    if suffix in (".csv", ".csv.gz"):
        report.add(path.name, None, None, None, "is a single table; pass the folder that holds all the "
                   "CSV files (queues, markets, sites, certifications, shifts, volume ...)")
        return {}
    report.add(path.name, None, None, None, "is not a folder, .xlsx workbook or .zip of CSV files")
    return {}


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
        check_unique(raw, ["site", "queue", "market"], report, "certification", "warning")
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
        if key not in fields:
            report.add(raw.file, raw.sheet, raw.rows[i], "key", f"unknown setting '{key}'"
                       f"{did_you_mean(key, fields) or ';'} known settings: {', '.join(fields)}", "warning")
            continue
        if value == "":
            report.add(raw.file, raw.sheet, raw.rows[i], "value", f"setting {key} has no value; the "
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
                           f"setting {key} = {values.get(key)!r}: {msg}")
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
    if not report.valid or any(t not in tables for t in ("queues", "markets", "sites", "certifications",
                                                          "shifts", "volume")):
        return None
    operation = Operation(
        queues={q.queue: q for q in objects["queues"]}, markets={m.market: m for m in objects["markets"]},
        sites={s.site: s for s in objects["sites"]}, certifications=objects["certifications"],
        shifts=objects["shifts"], volume=volume, events=objects.get("events", []), settings=settings,
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
