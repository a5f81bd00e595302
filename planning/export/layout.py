"""Laying frames out on worksheets: titles, formatted Excel tables, widths, printing.

Every value goes through ``planning.export.safe.put`` (no formula from user text).  A
"block" is an optional heading row, a header row and the data rows, registered as an
Excel table (filters, banded rows) with one number format per column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

from planning.export.safe import clean_text, put

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
            current = ws.column_dimensions[letter].width or 0
            ws.column_dimensions[letter].width = max(current, c.width)
        if frame is None or not len(frame):
            put(ws.cell(row=row + 1, column=col0), empty_note).font = NOTE_FONT
            return row + 3
        formats = [self.formats[c.fmt] for c in cols]
        columns = [frame[c.key].tolist() if c.key in frame else [None] * len(frame) for c in cols]
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
        header = [Col("item", "Item", "text", 34), Col("value", "Value", "general", 26)]
        frame = pd.DataFrame([{"item": k, "value": v} for k, v, _ in items])
        end = self.block(ws, row, frame, header, name)
        for i, (_, _, fmt) in enumerate(items):
            ws.cell(row=row + 1 + i, column=2).number_format = self.formats[fmt]
        return end


def finish_sheet(ws, freeze: str | None, title_rows: str | None = None) -> None:
    """Frozen panes and print settings: landscape, fit to one page wide."""
    if freeze:
        ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "Page &P of &N"


def sheet_text(value) -> str:
    """Text for a header or title that quotes user input."""
    return clean_text(str(value))
