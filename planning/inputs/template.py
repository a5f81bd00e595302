"""The blank input template and the format tables, generated from ``planning.inputs.schema``.

``write_template(out)`` writes a folder of header-only CSV files, or (``out`` ending in
.xlsx) a workbook with one sheet per table plus an Instructions sheet describing every
column.  ``format_markdown()`` renders the same information as the markdown tables in
docs/input-format.md, so the documentation never drifts from the loader.
"""
from __future__ import annotations

import csv
from pathlib import Path

from planning.inputs.schema import TABLES, Column, Table

KIND_TEXT = {
    "str": "text",
    "float": "number",
    "int": "whole number",
    "bool": "true / false",
    "share": "share 0-1",
    "time": "local time HH:MM",
    "timestamp": "ISO-8601 time with offset or Z",
    "zone": "IANA time zone",
}


def kind_text(column: Column) -> str:
    if column.kind.startswith("choice:"):
        return " or ".join(column.kind.split(":", 1)[1].split("|"))
    return KIND_TEXT.get(column.kind, column.kind)


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|")


def table_markdown(table: Table) -> str:
    lines = [f"### `{table.name}.csv` / sheet `{table.name}` ({'required' if table.required else 'optional'})",
             "", table.description, "",
             "| column | required | type | description | example |", "|---|---|---|---|---|"]
    for col in table.columns:
        example = f"`{_escape(col.example)}`" if col.example else ""
        lines.append(f"| `{col.name}` | {'yes' if col.required else 'no'} | {_escape(kind_text(col))} | "
                     f"{_escape(col.description)} | {example} |")
    lines += ["", "Example:", "", "```csv", ",".join(table.column_names),
              ",".join(_csv_cell(c.example) for c in table.columns), "```", ""]
    return "\n".join(lines)


def _csv_cell(text: str) -> str:
    return f'"{text}"' if any(ch in text for ch in ',"\n') else text


def format_markdown() -> str:
    """One markdown table per input table, generated from the schema."""
    return "\n".join(table_markdown(t) for t in TABLES.values())


def write_template(out: str | Path) -> list[Path]:
    """Write the blank template; returns the files written."""
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_workbook(out)
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES.values():
        path = out / f"{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerow(table.column_names)
        written.append(path)
    return written


def _write_workbook(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    info = book.active
    info.title = "Instructions"
    info.append(["How to fill this workbook"])
    info["A1"].font = Font(bold=True, size=14)
    for line in (
        "One sheet per table; keep the sheet names and the header row (row 1) exactly as they are.",
        "Required sheets: " + ", ".join(t.name for t in TABLES.values() if t.required)
        + ". Optional: " + ", ".join(t.name for t in TABLES.values() if not t.required) + ".",
        "Timestamps are text in ISO-8601 with an offset or Z, e.g. 2026-01-05T08:30:00Z "
        "(the timestamp columns are formatted as text so Excel keeps them).",
        "Shares are fractions 0-1 (0.3, not 30%). Times of day are HH:MM in the site's local time.",
        "Formulas are read as their last calculated values; macros are never run.",
    ):
        info.append([line])
    info.append([])
    info.append(["table", "column", "required", "type", "description", "example"])
    for cell in info[info.max_row]:
        cell.font = Font(bold=True)
    for table in TABLES.values():
        for col in table.columns:
            info.append([table.name, col.name, "yes" if col.required else "no", kind_text(col),
                         col.description, col.example])
    for letter, width in zip("ABCDEF", (16, 24, 10, 28, 70, 28)):
        info.column_dimensions[letter].width = width
    for table in TABLES.values():
        sheet = book.create_sheet(table.name)
        sheet.append(table.column_names)
        for index, col in enumerate(table.columns, start=1):
            header = sheet.cell(row=1, column=index)
            header.font = Font(bold=True)
            letter = header.column_letter
            sheet.column_dimensions[letter].width = max(12, len(col.name) + 4)
            if col.kind in ("timestamp", "time"):  # keep ISO text and HH:MM as typed
                for row in range(2, 1001):
                    sheet.cell(row=row, column=index).number_format = "@"
        sheet.freeze_panes = "A2"
    book.save(path)
