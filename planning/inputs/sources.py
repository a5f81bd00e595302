"""Where tables come from: a folder of ``<table>.csv``/``.csv.gz`` files, a .zip of such a
folder, or one .xlsx workbook with a sheet per table.

Hostile files are checked before they are parsed: a workbook's or zip's directory gives the
uncompressed size and compression ratio of every part (zip bombs are refused without
inflating anything), macros (vbaProject.bin, .xlsm) are never run, formula cells are counted
and their cached values used.
"""
from __future__ import annotations

import io
import warnings
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from planning.inputs.schema import TABLES, Table
from planning.inputs.report import RawTable, ValidationReport, close_matches, did_you_mean, excerpt
from planning.inputs.reading import (
    MB,
    Budget,
    Limits,
    _finish,
    _inflate_gzip,
    _sniff_binary,
    is_gzip,
    read_csv_bytes,
    upload_too_large,
)


# ----------------------------------------------------------------------------- sources
def _zip_directory_ok(zf: zipfile.ZipFile, file: str, limits: Limits, report: ValidationReport,
                      budget: Budget | None = None) -> bool:
    """Sizes from the zip directory, before inflating anything; charges ``budget``."""
    budget = budget or Budget(limits)
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        report.add(file, None, None, None, f"holds {len(infos):,} files (limit {limits.max_members}); zip only "
                   "the inputs folder")
        return False
    total = sum(i.file_size for i in infos)
    ok = True
    if not budget.charge(total):
        report.add(file, None, None, None, f"inflates to {total / MB:,.0f} MB, above the "
                   f"{limits.max_uncompressed_mb:g} MB limit for one upload; split the data or raise the limit")
        ok = False
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.ratio_check_above_mb * MB and ratio > limits.max_compression_ratio:
            report.add(file, None, None, None, f"part '{excerpt(info.filename)}' inflates {ratio:,.0f} times "
                       f"(limit {limits.max_compression_ratio:g}): a zip bomb? refused without opening it")
            ok = False
    return ok


def _folder_tables(folder: Path, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    names = {p.name: p for p in folder.iterdir() if p.is_file()}
    return _named_tables(names, lambda p: p.read_bytes(), lambda p: p.stat().st_size, folder.name,
                         limits, report, Budget(limits))


def _zip_tables(source, file: str, limits: Limits, report: ValidationReport,
                budget: Budget | None = None) -> dict[str, RawTable]:
    """Tables from a zip (a path or a binary file object), read in memory: member names are
    only looked up, never used as paths."""
    budget = budget or Budget(limits)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        report.add(file, None, None, None, "is not a valid zip file (damaged or truncated)")
        return {}
    with zf:
        if not _zip_directory_ok(zf, file, limits, report, budget):
            return {}
        members: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or not path.parts or path.parts[0] == "__MACOSX" or path.name.startswith("."):
                continue
            if path.name in members:
                report.add(file, None, None, None, f"holds two files named {excerpt(path.name)} "
                           f"('{excerpt(members[path.name].filename)}' and '{excerpt(info.filename)}'); "
                           "zip one inputs folder")
                return {}
            members[path.name] = info
        try:
            return _named_tables(members, zf.read, lambda i: i.file_size, file, limits, report, budget,
                                 charged=True)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            report.add(file, None, None, None, f"a file in the zip cannot be unpacked ({type(exc).__name__}: "
                       f"{excerpt(str(exc))}); re-create the zip without a password")
            return {}


def _named_tables(names: dict, read, size, container: str, limits: Limits,
                  report: ValidationReport, budget: Budget, charged: bool = False) -> dict[str, RawTable]:
    """``charged``: the members' sizes were already charged to ``budget`` (a zip directory)."""
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
                hint = (f"; found {', '.join(map(excerpt, near[:5]))} - rename it to {table.name}.csv (or .csv.gz, UTF-8)"
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
            data = _inflate_gzip(data, name, limits, report, budget)
            if data is None:
                continue
        elif not charged and not budget.charge(len(data)):
            report.add(name, None, None, None, budget.over_message(limits))
            continue
        raw = read_csv_bytes(data, table, name, report, limits)
        if raw is not None:
            tables[table.name] = raw
    for name in sorted(set(names) - used):
        if name.startswith(".") or name.lower().startswith("readme"):
            continue
        hint = " (legacy .xls: save as .xlsx)" if name.lower().endswith(".xls") else ""
        if name.lower().endswith((".xlsx", ".xlsm")):
            hint = " (to load a workbook, pass the .xlsx itself instead of the folder)"
        report.add(excerpt(name), None, None, None, f"file is not one of the input tables and is ignored{hint}",
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


def _workbook_tables(data: bytes, file: str, limits: Limits, report: ValidationReport,
                     budget: Budget | None = None, macro_name: bool = False) -> dict[str, RawTable]:
    """Tables from the bytes of an .xlsx workbook (read in memory, never run)."""
    import openpyxl

    head = data[:8]
    if head[:4] == b"\xd0\xcf\x11\xe0":
        report.add(file, None, None, None, "is a legacy Excel .xls file (or a password-protected "
                   "workbook); open it in Excel and save it as .xlsx without a password")
        return {}
    if head[:4] != b"PK\x03\x04":
        sample = data[:4096]
        looks_csv = _sniff_binary(sample) is None and (b"," in sample or b";" in sample)
        report.add(file, None, None, None, "is a CSV text file renamed .xlsx; give it back its .csv "
                   "name and put the tables in one folder" if looks_csv else
                   "is not an .xlsx workbook; save it from Excel as .xlsx")
        return {}
    if len(data) > limits.max_file_mb * MB:
        report.add(file, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
        return {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            if not _zip_directory_ok(zf, file, limits, report, budget):
                return {}
            parts = set(zf.namelist())
    except zipfile.BadZipFile:
        report.add(file, None, None, None, "is a damaged or truncated workbook; save it again from Excel")
        return {}
    if "xl/workbook.xml" not in parts:
        report.add(file, None, None, None, "is a zip file but not an Excel workbook (no xl/workbook.xml)")
        return {}
    if any(p.lower().endswith("vbaproject.bin") for p in parts) or macro_name:
        report.add(file, None, None, None, "contains macros (vbaProject.bin); they are never run - only "
                   "the stored cell values are read", "warning")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
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
                               f"(sheets found: {excerpt(', '.join(book.sheetnames), 200)}){hint or ';'} name the sheet "
                               f"'{table.name}' ({table.description})")
                continue
            used.add(sheet)
            raw = _sheet_table(data, file, book, sheet, table, report)
            if raw is not None:
                tables[table.name] = raw
        for sheet in book.sheetnames:
            if sheet not in used and sheet.strip().lower() not in ("instructions", "readme"):
                report.add(file, sheet, None, None, f"sheet '{excerpt(sheet)}' is not one of the input tables and "
                           "is ignored", "warning")
    except Exception as exc:  # malformed sheet XML surfaces while iterating
        report.add(file, None, None, None, f"a sheet cannot be read ({type(exc).__name__}); save the "
                   "workbook again from Excel as .xlsx")
    finally:
        book.close()
    return tables


def _sheet_table(data: bytes, file: str, book, sheet: str, table: Table,
                 report: ValidationReport) -> RawTable | None:
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
        cached = _cached_values(data, sheet)
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


def _cached_values(data: bytes, sheet: str) -> dict[tuple[int, int], object]:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
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
        if path.stat().st_size > limits.max_file_mb * MB:
            report.add(path.name, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
            return {}
        return _workbook_tables(path.read_bytes(), path.name, limits, report, Budget(limits),
                                macro_name=suffix == ".xlsm")
    if suffix == ".xls":
        report.add(path.name, None, None, None, "legacy .xls workbooks are not read; open it in Excel "
                   "and save it as .xlsx")
        return {}
    if suffix == ".zip":
        if path.stat().st_size > limits.max_file_mb * MB:
            report.add(path.name, None, None, None, f"is larger than {limits.max_file_mb:g} MB (the limit)")
            return {}
        return _zip_tables(path, path.name, limits, report)
    if suffix in (".csv", ".csv.gz"):
        report.add(path.name, None, None, None, "is a single table; pass the folder that holds all the "
                   "CSV files (queues, markets, sites, certifications, shifts, volume ...)")
        return {}
    report.add(path.name, None, None, None, "is not a folder, .xlsx workbook or .zip of CSV files")
    return {}


# ----------------------------------------------------------------------------- uploads
def sniff(data: bytes) -> str:
    """What the bytes are, by content: 'xlsx', 'zip', 'xls', 'gzip', 'empty', 'text' or 'binary'."""
    if not data:
        return "empty"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError):
            return "binary"
        return "xlsx" if "xl/workbook.xml" in names or "[Content_Types].xml" in names else "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if is_gzip(data):
        return "gzip"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_upload(name: str, data: bytes, limits: Limits, report: ValidationReport) -> dict[str, RawTable]:
    """The input tables of an uploaded .zip or .xlsx, parsed from memory.

    ``name`` is the browser's file name: it is only quoted in messages (shortened), never
    used as a path, and never decides the type - the bytes do.
    """
    file = excerpt(PurePosixPath(str(name).replace("\\", "/")).name or "upload")
    if upload_too_large(data, file, limits, report):
        return {}
    kind = sniff(data)
    budget = Budget(limits)
    if kind == "xlsx":
        return _workbook_tables(data, file, limits, report, budget, macro_name=file.lower().endswith(".xlsm"))
    if kind == "zip":
        return _zip_tables(io.BytesIO(data), file, limits, report, budget)
    suffix = file.lower().rsplit(".", 1)[-1] if "." in file else ""
    message = {
        "empty": "the file is empty; upload the inputs folder as a .zip or an .xlsx workbook",
        "xls": "this is a legacy Excel 97-2003 (.xls) file; open it in Excel and save it as .xlsx (Excel "
               "Workbook), then upload that",
        "gzip": "this is one gzip-compressed file; zip the whole inputs folder (volume.csv.gz may be inside "
                "the zip) or upload an .xlsx workbook",
        "text": f"this file contains {'CSV text' if b',' in data[:4096] else 'plain text'}, not an Excel "
                f"workbook or a zip, whatever its name (.{excerpt(suffix, 10)}); upload the whole inputs folder "
                "as a .zip, or an .xlsx workbook",
    }.get(kind, "this is not a zip or an .xlsx workbook (unrecognised content); upload the inputs folder as a "
                "zip or an .xlsx workbook")
    report.add(file, None, None, None, message)
    return {}


def check_workbook_bytes(data: bytes, file: str, limits: Limits, report: ValidationReport) -> bool:
    """Before openpyxl opens an uploaded workbook: its size, that it is a zip, and its parts'
    inflated size (in total) and ratios from the zip directory. False with problems reported."""
    if upload_too_large(data, file, limits, report):
        return False
    if sniff(data) != "xlsx":
        report.add(file, None, None, None, "is not an .xlsx workbook (by its content); send back the "
                   "workbook as saved by Excel")
        return False
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return _zip_directory_ok(zf, file, limits, report)
