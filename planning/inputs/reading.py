"""Bytes to a table of text cells: CSV text, gzip inflated under a cap, binary look-alikes
(workbooks, UTF-16, images) refused with a message saying what the file really is.

``Limits`` are the size limits checked before anything is parsed.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planning.inputs.schema import Table
from planning.inputs.report import MAX_ITEMISED, RawTable, ValidationReport
from planning.inputs.validation import check_columns


MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Size limits checked before parsing (configurable per call)."""

    max_file_mb: float = 200.0  # one file / workbook / zip as stored
    max_uncompressed_mb: float = 600.0  # a workbook's or zip's parts, or a .csv.gz, inflated
    max_compression_ratio: float = 200.0  # inflated / stored, per part (zip bombs reach 1000+)
    ratio_check_above_mb: float = 5.0  # small parts may compress well legitimately


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
