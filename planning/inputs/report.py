"""The validation report: a ``Problem`` names the file (and sheet, for a workbook), the row as a
spreadsheet user sees it (header = row 1, first data row = 2), the column, what is wrong and how
to fix it.  Checks never stop at the first problem.  A problem that repeats on many rows of one
column is itemised for the first ``MAX_ITEMISED`` rows and then summarised in one more problem
with the count, so a broken million-row file still gives a readable report.

``RawTable`` is one table as text cells with the row numbers a user sees.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from planning.inputs.schema import Table

MAX_ITEMISED = 20  # rows itemised per (file, column, kind of problem) before a summary
EXCERPT_CHARS = 80  # at most this much of a user's value is quoted in a message
MAX_MESSAGE_CHARS = 1000  # a message longer than this is cut (a backstop: quote with ``excerpt``)
MAX_MATCH_CHARS = 100  # longer words get no "did you mean" (difflib is quadratic in length)

_MISSING_WORDS = {"n/a", "na", "nan", "null", "none", "-", "--", "#n/a", "missing", "?"}


def excerpt(value, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters of a user's value for a message, with line breaks and
    control characters made visible, and the full length when it was cut.

    Every message that quotes user input (cells, headers, file and sheet names, keys)
    goes through here, so a 50-million-character cell gives a one-line message.
    """
    text = value if isinstance(value, str) else str(value)
    cut = len(text) > limit
    head = text[:limit]
    if not head.isprintable():
        head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in head)[:limit]
    return f"{head}... ({len(text):,} characters)" if cut else head


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the inputs. ``row`` is 1-based with the header as row 1."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    message: str
    severity: str = "error"  # 'error' blocks loading; 'warning' is worth a look

    @property
    def location(self) -> str:
        parts = [self.file or "inputs"]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.location}: {prefix}{self.message}"


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)

    def add(self, file: str, sheet: str | None, row: int | None, column: str | None,
            message: str, severity: str = "error") -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "... (message cut)"
        self.problems.append(Problem(excerpt(file or ""), None if sheet is None else excerpt(sheet),
                                     None if row is None else int(row),
                                     None if column is None else excerpt(column), message, severity))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]

    def to_frame(self) -> pd.DataFrame:
        columns = ["severity", "file", "sheet", "row", "column", "message"]
        frame = pd.DataFrame([asdict(p) for p in self.problems], columns=list(asdict(
            Problem("", None, None, None, "")).keys()))
        frame["row"] = frame["row"].astype("Int64")
        return frame[columns]

    def to_dict(self) -> dict:
        return {"valid": self.valid, "problems": [asdict(p) for p in self.problems]}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)


@dataclass
class RawTable:
    """One table as read: every cell a string ('' when blank), headers stripped.

    rows : spreadsheet row number of each frame row (header = 1)
    """

    table: Table
    file: str
    sheet: str | None
    frame: pd.DataFrame
    rows: np.ndarray

    def flag(self, report: ValidationReport, column: str | None, mask: np.ndarray,
             message: str | Callable[[int], str], severity: str = "error") -> None:
        """Report the rows where ``mask`` is true; ``message(i)`` gets the frame position."""
        positions = np.flatnonzero(mask)
        for i in positions[:MAX_ITEMISED]:
            text = message(int(i)) if callable(message) else message
            report.add(self.file, self.sheet, self.rows[i], column, text, severity)
        rest = positions[MAX_ITEMISED:]
        if len(rest):
            report.add(self.file, self.sheet, self.rows[rest[0]], column,
                       f"... and {len(rest):,} more rows with the same problem "
                       f"(rows {self.rows[rest[0]]:,} to {self.rows[rest[-1]]:,})", severity)

    def flag_values(self, report: ValidationReport, column: str, codes: np.ndarray,
                    messages: dict[int, str]) -> None:
        """Report rows whose value code has a message: the first ``MAX_ITEMISED`` rows one by
        one, the rest in one summary (a column of garbage must not drown the report)."""
        if not messages:
            return
        flagged = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
        flagged[[k for k in messages if k < len(flagged)]] = True
        positions = np.flatnonzero(flagged[codes]) if len(codes) else np.array([], dtype=int)
        for i in positions[:MAX_ITEMISED]:
            report.add(self.file, self.sheet, self.rows[i], column, messages[int(codes[i])])
        rest = positions[MAX_ITEMISED:]
        if len(rest):
            report.add(self.file, self.sheet, self.rows[rest[0]], column,
                       f"... and {len(rest):,} more rows with bad values in this column "
                       f"(rows {self.rows[rest[0]]:,} to {self.rows[rest[-1]]:,})")

    def cell(self, column: str, i: int) -> str:
        return str(self.frame[column].iat[i])


def close_matches(word: str, candidates, n: int = 3) -> list[str]:
    if len(str(word)) > MAX_MATCH_CHARS:
        return []
    lowered = {str(c).lower(): str(c) for c in candidates}
    hits = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates) -> str:
    hits = close_matches(word, candidates)
    return f"; did you mean {' or '.join(repr(excerpt(h)) for h in hits)}?" if hits else ""
