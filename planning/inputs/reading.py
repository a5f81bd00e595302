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
from planning.inputs.report import MAX_ITEMISED, RawTable, ValidationReport, excerpt
from planning.inputs.validation import check_columns


MB = 1024 * 1024
MAX_HEADER_CHARS = 16_384  # a header line longer than this is not one of our tables


@dataclass(frozen=True)
class Limits:
    """Size limits checked before parsing (configurable per call).

    ``max_uncompressed_mb`` is the budget of ONE load or upload in total: every zip member,
    workbook part and inflated .csv.gz is charged to it, so a zip of many well-compressed
    tables cannot add up to more (pandas holds ~10x the CSV text in memory).
    """

    max_file_mb: float = 200.0  # one file / workbook / zip as stored (an upload: max_upload_mb)
    max_uncompressed_mb: float = 200.0  # all parts and .csv.gz of one load, inflated, in total
    max_compression_ratio: float = 200.0  # inflated / stored, per part (zip bombs reach 1000+)
    ratio_check_above_mb: float = 5.0  # small parts may compress well legitimately
    max_members: int = 64  # files in one zip
    max_columns: int = 500  # header width; the widest table has ~20 columns

    @classmethod
    def for_upload(cls, max_upload_mb: float, **changes) -> "Limits":
        """Limits for a browser upload of at most ``max_upload_mb`` (the setting)."""
        return cls(max_file_mb=float(max_upload_mb), **changes)


class Budget:
    """Decompressed bytes one load may still produce (``Limits.max_uncompressed_mb`` in total)."""

    def __init__(self, limits: Limits):
        self.limit = int(limits.max_uncompressed_mb * MB)
        self.used = 0

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def charge(self, n: int) -> bool:
        """Count ``n`` more bytes; False (and nothing counted) when they do not fit."""
        if n > self.remaining:
            return False
        self.used += n
        return True

    def over_message(self, limits: Limits) -> str:
        return (f"inflates to more than the {limits.max_uncompressed_mb:g} MB limit for all files of one "
                "upload together (already used: " f"{self.used / MB:,.1f} MB); upload fewer weeks of history "
                "or split the data")


# ----------------------------------------------------------------------------- bytes -> table
def _sniff_binary(data: bytes) -> str | None:
    """What a file that should be CSV text actually is, or None if it looks like text."""
    if data[:4] == b"PK\x03\x04":
        return "an Excel workbook or zip archive, not CSV text; export the sheet as CSV UTF-8"
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return "a legacy Excel (.xls) file, not CSV text; export the sheet as CSV UTF-8"
    if data[:2] == b"\x1f\x8b":
        return "gzip-compressed data inside another gzip (or a .gz renamed .csv); compress the CSV once"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 3 and (
            data[1:2] == data[3:4] == b"\x00" or data[0:1] == data[2:3] == b"\x00")):
        return "UTF-16 text; save it as CSV UTF-8 (Excel: Save As > CSV UTF-8)"
    if b"\x00" in data[:8192]:
        return "binary data, not CSV text; export the table as CSV UTF-8"
    return None


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def _inflate_gzip(data: bytes, file: str, limits: Limits, report: ValidationReport,
                  budget: Budget | None = None) -> bytes | None:
    """Inflate gzip ``data`` (every member) under the total ``budget`` and the ratio limit.

    Streams 1 MiB at a time and stops as soon as a cap is passed, so a bomb never costs
    more than about the cap in memory.
    """
    budget = budget or Budget(limits)
    cap = budget.remaining
    ratio_from = limits.ratio_check_above_mb * MB
    out, total, chunk = [], 0, 1 * MB
    pending = data
    consumed_before = 0  # input bytes of the members already finished
    try:
        while pending:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            member = pending
            while True:
                piece = inflater.decompress(member, chunk)
                total += len(piece)
                if total > cap:
                    report.add(file, None, None, None, budget.over_message(limits))
                    return None
                consumed = consumed_before + len(pending) - len(inflater.unconsumed_tail)
                if total > ratio_from and total / max(consumed, 1) > limits.max_compression_ratio:
                    report.add(file, None, None, None, f"inflates more than {limits.max_compression_ratio:g} "
                               "times its size (a zip bomb?); refused without inflating the rest")
                    return None
                out.append(piece)
                member = inflater.unconsumed_tail
                if inflater.eof or (not piece and not member):
                    break
            if not inflater.eof:
                raise EOFError("truncated")
            consumed_before += len(pending) - len(inflater.unused_data)
            pending = inflater.unused_data
            if pending and not is_gzip(pending):
                if pending.strip(b"\x00"):
                    raise EOFError("trailing garbage")
                break
    except (zlib.error, EOFError):
        report.add(file, None, None, None, "is not a complete gzip file (damaged or truncated); "
                   "compress the CSV again or provide it uncompressed")
        return None
    budget.charge(total)
    return b"".join(out)


def upload_too_large(data: bytes, file: str, limits: Limits, report: ValidationReport) -> bool:
    """Report an upload above ``limits.max_file_mb`` (the ``max_upload_mb`` setting)."""
    if len(data) <= limits.max_file_mb * MB:
        return False
    report.add(file, None, None, None, f"the file is {len(data) / MB:.1f} MB, above the {limits.max_file_mb:g} MB "
               "upload limit (setting max_upload_mb); upload fewer weeks of volume (compress volume.csv as "
               "volume.csv.gz inside the zip)")
    return True


def inflate_upload(name: str, data: bytes, limits: Limits, report: ValidationReport) -> bytes | None:
    """One uploaded CSV (gzip-compressed or not, told by its bytes) as CSV bytes, or None.

    The upload's size is capped by ``limits.max_file_mb`` (the ``max_upload_mb`` setting),
    its inflated size by ``limits.max_uncompressed_mb`` and its ratio as for a zip member.
    """
    if upload_too_large(data, name, limits, report):
        return None
    if is_gzip(data):
        return _inflate_gzip(data, name, limits, report, Budget(limits))
    if not Budget(limits).charge(len(data)):
        report.add(name, None, None, None, Budget(limits).over_message(limits))
        return None
    return data


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def read_csv_bytes(data: bytes, table: Table, file: str, report: ValidationReport,
                   limits: Limits | None = None) -> RawTable | None:
    """CSV bytes -> RawTable of strings, reporting encoding and layout problems."""
    limits = limits or Limits()
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
    newline = text.find("\n")
    first_line = (text if newline < 0 else text[:newline]).rstrip("\r")
    width = first_line.count(",") + 1
    if width > limits.max_columns:
        report.add(file, None, 1, None, f"the header has {width:,} columns, far more than the "
                   f"{table.name} table's {len(table.columns)} (limit {limits.max_columns}); the first line must be "
                   f"{','.join(table.column_names)}")
        return None
    if len(first_line) > MAX_HEADER_CHARS:
        report.add(file, None, 1, None, f"the header line is {len(first_line):,} characters long (limit "
                   f"{MAX_HEADER_CHARS:,}); the first line must be {','.join(table.column_names)}")
        return None
    try:
        header = [h.strip() for h in next(csv.reader([first_line]), [])]
    except csv.Error as exc:
        report.add(file, None, 1, None, f"the header line cannot be read ({excerpt(str(exc))}); the first "
                   f"line must be {','.join(table.column_names)}")
        return None
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
                       f"truncated file: {excerpt(str(exc).strip(), 200)}); check quotes and that the file is complete")
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
