"""The one neutralising helper for text that goes into an exported workbook or CSV file.

Anything a user typed (queue, market, site, vendor and scenario names, notes, lever
descriptions) may start with a character that a spreadsheet treats as the start of a
formula (``=``, ``+``, ``-``, ``@``) or that hides it (tab, CR, NUL) - the classic
"CSV/formula injection".  openpyxl turns any string starting with ``=`` into a formula
cell, so ``=HYPERLINK("http://x","y")`` typed as a queue name would become a live link.

``put(cell, value)`` is the only way ``planning.export.workbook`` writes a value:

* numbers, booleans, dates and times stay what they are (a number stays a number);
* every string is stored as a *text* cell (``data_type = "s"``, never ``"f"``) and, when it
  starts with a risky character, also gets Excel's quote prefix, so editing the cell in
  Excel or LibreOffice keeps it text;
* control characters that XML cannot hold (NUL and friends) become U+FFFD, the
  replacement character, so the workbook always opens; CR becomes LF.

The text itself is never changed otherwise (no added apostrophe), so reading the
workbook back gives exactly the name the user typed.

CSV has no cell types, so CSV writers (``safe_csv_bytes``, ``write_csv``, and
``neutralise_frame`` under both) prefix a risky text cell with an apostrophe instead.
Frames dumped to a plain workbook go through ``write_sheets``, which uses ``put``.
Every writer in ``planning/`` and ``ui/`` uses one of these; ``tests/export/test_safe_writers.py``
checks each command's output.
"""
from __future__ import annotations

import datetime as dt
import math
import numbers
import re

import numpy as np
import pandas as pd

RISKY_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")
# Characters XML 1.0 cannot carry (openpyxl refuses them): C0 controls except tab, LF, CR.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """``text`` with characters a workbook cannot store replaced by U+FFFD, and CR
    line ends as LF (XML readers turn a stored CR into LF anyway)."""
    return _ILLEGAL.sub(REPLACEMENT, text.replace("\r\n", "\n").replace("\r", "\n"))


def is_risky(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as (or hide) a formula."""
    return bool(text) and text.startswith(RISKY_FIRST)


def plain_value(value):
    """The value as a workbook should store it: Python numbers, dates or text.

    numpy / pandas scalars become Python ones; tz-aware timestamps become naive UTC
    (Excel stores no zones - headers say which zone a column is in); NaN / NaT / None
    become None (an empty cell).
    """
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        if value.tzinfo is not None:
            value = value.tz_convert("UTC").tz_localize(None)
        return value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value
    if isinstance(value, (dt.date, dt.time)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if value is pd.NaT:
        return None
    return str(value)


def put(cell, value):
    """Write ``value`` into an openpyxl cell (normal or write-only) safely; returns the cell."""
    kind = type(value)
    if kind is float:  # the common case, fast: finite floats as they are, NaN/inf empty
        cell.value = value if math.isfinite(value) else None
        return cell
    if kind is int:
        cell.value = value
        return cell
    value = plain_value(value)
    if isinstance(value, str):
        text = clean_text(value)
        cell.value = text
        cell.data_type = "s"  # never "f": no formula from user text
        if is_risky(value) or is_risky(text):
            cell.quotePrefix = True
        return cell
    cell.value = value
    return cell


def header_text(value, limit: int = 80) -> str:
    """User text for a printed page header or footer: cleaned, one line, ``&`` doubled (a
    single ``&`` starts a header code such as ``&P``), cut to ``limit`` characters."""
    text = clean_text(str(value)).replace("\n", " ")[:limit]
    return text.replace("&", "&&")


def safe_sheet_title(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique worksheet title from user text (<= 31 chars, none of ``[]:*?/\\``,
    no leading/trailing apostrophe); ``taken`` (lower-cased titles) is updated."""
    title = re.sub(r"[\[\]:*?/\\]", "_", clean_text(str(name))).strip().strip("'") or "Sheet"
    title = title[:31]
    taken = taken if taken is not None else set()
    base, k = title, 2
    while title.lower() in taken:
        suffix = f" ({k})"
        title = base[: 31 - len(suffix)] + suffix
        k += 1
    taken.add(title.lower())
    return title


# ---------------------------------------------------------------------------------------
# CSV and plain-frame sheets.  A CSV cell has no "text" type and no quote prefix, so the
# only defence is in the text: OWASP's advice, a leading apostrophe on any cell that a
# spreadsheet would evaluate.  Plain numbers (``-3.5``, ``+1e3``) stay numbers.

_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
CSV_QUOTE = "'"


def neutralise_text(text: str) -> str:
    """``text`` for a CSV cell: prefixed with an apostrophe when a spreadsheet could read
    it as a formula (starts with ``= + - @``, tab, CR, LF or NUL), unless it is a plain number."""
    if is_risky(text) and not _PLAIN_NUMBER.fullmatch(text):
        return CSV_QUOTE + text
    return text


def _neutral(value):
    return neutralise_text(value) if isinstance(value, str) else value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are safe to open in a spreadsheet.

    Numeric, boolean and date columns are left as they are (a negative number is data, not a
    formula); every text cell of an object, string or category column goes through
    :func:`neutralise_text`.
    """
    out = frame.copy()
    out.columns = [_neutral(c) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if column.dtype == object or isinstance(column.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            out.isetitem(i, column.astype(object).map(_neutral))
    return out


def safe_csv_bytes(frame: pd.DataFrame, **to_csv) -> bytes:
    """``frame`` as UTF-8 CSV bytes (no index unless asked), every text cell neutralised."""
    to_csv.setdefault("index", False)
    return neutralise_frame(frame).to_csv(**to_csv).encode("utf-8")


def write_csv(frame: pd.DataFrame, target, **to_csv) -> None:
    """Write ``frame`` as CSV to a path or an open text stream, every text cell neutralised."""
    to_csv.setdefault("index", False)
    neutralise_frame(frame).to_csv(target, **to_csv)


def write_sheets(path, sheets: dict[str, pd.DataFrame]) -> None:
    """A plain workbook, one sheet per frame (header row, then the rows), every cell via :func:`put`.

    For commands that dump frames (``plan``, ``capacity``): pandas' ``to_excel`` would let
    openpyxl turn any text starting with ``=`` into a formula.  Time-zone-aware timestamps
    are written as naive UTC (see :func:`plain_value`).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    taken: set[str] = set()
    for name, frame in sheets.items():
        sheet = book.create_sheet(safe_sheet_title(name, taken))
        sheet.append([put(WriteOnlyCell(sheet), str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([put(WriteOnlyCell(sheet), v) for v in row])
    book.save(path)
