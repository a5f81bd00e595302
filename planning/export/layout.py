"""Laying frames out on worksheets: titles, formatted Excel tables, widths, printing.

Every value goes through ``planning.export.safe.put`` (no formula from user text).  A
"block" is an optional heading row, a header row and the data rows, registered as an
Excel table (filters, banded rows) with one number format per column.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from planning.export.safe import clean_text, header_text, put

HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
NOTE_FONT = Font(italic=True, color="555555")
TABLE_STYLE = "TableStyleMedium2"

# Number formats (one place). "money" is filled in per workbook with the currency code.
FORMATS = {
    "text": "@",
    "int": "#,##0",
    "num1": "#,##0.0",
    "num2": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
    "day": "ddd dd mmm",
    "time": "hh:mm",
    "datetime": "yyyy-mm-dd hh:mm",
    "general": "General",
}


def money_format(currency: str) -> str:
    """``"USD "#,##0.00`` - the code only keeps letters (it sits inside a number format)."""
    code = re.sub(r"[^A-Za-z]", "", currency or "")[:5]
    return f'"{code} "#,##0.00' if code else "#,##0.00"


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    fmt: str = "text"  # a FORMATS key or "money"
    width: float = 14


class Layout:
    """Per-workbook state: unique table names and the money format."""

    def __init__(self, currency: str = "USD"):
        self.currency = currency
        self.formats = dict(FORMATS, money=money_format(currency))
        self._tables = 0

    def table_name(self, hint: str) -> str:
        self._tables += 1
        slug = re.sub(r"[^A-Za-z0-9_]", "_", hint)[:40] or "t"
        return f"T{self._tables}_{slug}"

    # --------------------------------------------------------------------- rows
    def title(self, ws, row: int, text: str, note: str | None = None) -> int:
        """Title (and an optional note) from ``row``; returns the next free row."""
        put(ws.cell(row=row, column=1), text).font = TITLE_FONT
        if note:
            put(ws.cell(row=row + 1, column=1), note).font = NOTE_FONT
            return row + 2
        return row + 1

    def heading(self, ws, row: int, text: str) -> int:
        put(ws.cell(row=row, column=1), text).font = HEADING_FONT
        return row + 1

    def block(self, ws, row: int, frame: pd.DataFrame, cols: list[Col], name: str,
              col0: int = 1, empty_note: str = "(none)") -> int:
        """Header + data rows of ``frame`` as an Excel table; returns the row after it.
        An empty frame writes the header and ``empty_note`` (no table: Excel needs rows)."""
        for j, c in enumerate(cols):
            cell = put(ws.cell(row=row, column=col0 + j), c.header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            letter = get_column_letter(col0 + j)
            dim = ws.column_dimensions.get(letter)  # [] would create one 13 wide
            current = (dim.width or 0) if dim is not None else 0
            ws.column_dimensions[letter].width = max(current, c.width)
        lines = max(wrapped_lines(c.header, c.width, bold=True) for c in cols)
        if lines > 1:  # wrapped headers get the height they need (no reader computes it)
            ws.row_dimensions[row].height = max(ws.row_dimensions[row].height or 0, 15.0 * lines)
        if frame is None or not len(frame):
            put(ws.cell(row=row + 1, column=col0), empty_note).font = NOTE_FONT
            return row + 3
        formats = [self.formats[c.fmt] for c in cols]
        columns = [frame[c.key].tolist() if c.key in frame else [None] * len(frame) for c in cols]
        for j, f in enumerate(formats):  # General shows every digit: no float beyond 6 decimals
            if f == "General":
                columns[j] = [round(v, 6) if type(v) is float else v for v in columns[j]]
        for i in range(len(frame)):
            r = row + 1 + i
            for j, values in enumerate(columns):
                cell = ws.cell(row=r, column=col0 + j)
                put(cell, values[i])
                cell.number_format = formats[j]
        last = row + len(frame)
        ref = f"{get_column_letter(col0)}{row}:{get_column_letter(col0 + len(cols) - 1)}{last}"
        table = Table(displayName=self.table_name(name), ref=ref)
        table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
        ws.add_table(table)
        return last + 2

    def key_values(self, ws, row: int, items: list[tuple[str, object, str]], name: str) -> int:
        """A two-column table ``Item | Value`` with a number format per row
        (``items`` = (label, value, format key))."""
        header = [Col("item", "Item", "text", 42), Col("value", "Value", "general", 22)]
        frame = pd.DataFrame([{"item": k, "value": v} for k, v, _ in items])
        end = self.block(ws, row, frame, header, name)
        for i, (_, _, fmt) in enumerate(items):
            ws.cell(row=row + 1 + i, column=2).number_format = self.formats[fmt]
        return end


def wrapped_lines(text, width: float, bold: bool = False) -> int:
    """Lines ``text`` takes wrapped at word breaks in a column ``width`` wide (an estimate:
    an average character is ~0.9 width units, bold ~1.05)."""
    per = max(1, int((width - 1) / (1.05 if bold else 0.9)))
    lines, used = 1, 0
    for word in str(text or "").split():
        n = len(word)
        if used and used + 1 + n > per:
            lines, used = lines + 1 + (n - 1) // per, (n - 1) % per + 1
        else:
            used = used + n + (1 if used else 0)
            if used > per:
                lines, used = lines + (used - 1) // per, (used - 1) % per + 1
    return lines


def finish_sheet(ws, freeze: str | None, title_rows: str | None = None) -> None:
    """Frozen panes and print settings: landscape A4, fit to one page wide (more pages
    wide, with column A repeated, only when one would print below ``MIN_PRINT_PT``), the
    header rows repeated, the used range as print area, long notes wrapped inside it.
    ``page_headers`` adds the header and footer texts."""
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.3
    wide = pages_wide(ws)
    ws.page_setup.fitToWidth = wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    if wide > 1:
        ws.print_title_cols = "A:A"
    _wrap_notes(ws)
    ws.print_area = f"A1:{get_column_letter(max(ws.max_column, 1))}{max(ws.max_row, 1)}"
    ws.oddFooter.center.text = "Page &P of &N"


# Printing: A4 landscape (11.69 in) less the side margins, at 96 px per inch; Excel's
# default font (Calibri 11) is 7 px per width unit plus 5 px of padding per column.
MARGIN_IN = 0.4
PRINTABLE_PX = (11.69 - 2 * MARGIN_IN) * 96
BASE_PT = 11.0
MIN_PRINT_PT = 9.0
DEFAULT_WIDTH = 8.43


def column_widths(ws) -> list[float]:
    """Widths (Excel units) of columns A .. the last used one."""
    out = []
    for j in range(1, max(ws.max_column, 1) + 1):
        dim = ws.column_dimensions.get(get_column_letter(j))
        out.append(dim.width if dim is not None and dim.width else DEFAULT_WIDTH)
    return out


def sheet_px(ws) -> float:
    return sum(w * 7 + 5 for w in column_widths(ws))


def pages_wide(ws) -> int:
    """Pages across so that the fitted print is at least ``MIN_PRINT_PT``."""
    need = sheet_px(ws) / (PRINTABLE_PX * BASE_PT / MIN_PRINT_PT)  # scale >= 9/11 on each page
    return max(1, math.ceil(need - 1e-9))


def effective_print_pt(ws) -> float:
    """The body font size a fit-to-width print of ``ws`` comes out at (Calibri 11 scaled)."""
    wide = ws.page_setup.fitToWidth or 1
    return BASE_PT * min(1.0, wide * PRINTABLE_PX / sheet_px(ws))


def _wrap_notes(ws) -> None:
    """Long text alone in column A (titles, notes, headings) merged across the used columns
    and wrapped, so nothing runs past the print area."""
    last = max(ws.max_column, 1)
    widths = column_widths(ws)
    span = sum(widths)
    merged = {r.min_row for r in ws.merged_cells.ranges}
    for row in range(1, ws.max_row + 1):
        cell = ws.cell(row=row, column=1)
        if not isinstance(cell.value, str) or row in merged or last == 1:
            continue
        if any(ws.cell(row=row, column=j).value not in (None, "") for j in range(2, last + 1)):
            continue
        size = (cell.font.sz or BASE_PT) if cell.font else BASE_PT
        chars = len(cell.value) * size / BASE_PT
        if chars <= widths[0] * 1.1:
            continue
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = math.ceil(chars / max(span * 0.95, 1))
        ws.row_dimensions[row].height = max(15.0, lines * size * 1.35)


def page_headers(ws, left: str, center: str, right: str) -> None:
    """Page header (vendor, site(s), plan week) and footer (page n of N) of a printed sheet."""
    ws.oddHeader.left.text = header_text(left)
    ws.oddHeader.center.text = header_text(center)
    ws.oddHeader.right.text = header_text(right)
    ws.oddHeader.left.size = ws.oddHeader.center.size = ws.oddHeader.right.size = 9
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddFooter.right.text = header_text(ws.title)


def sheet_text(value) -> str:
    """Text for a header or title that quotes user input."""
    return clean_text(str(value))
