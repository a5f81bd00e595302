"""Input validation that collects every problem, each with where it is and how to fix it.

A ``Problem`` names the file (and sheet, for a workbook), the row as a spreadsheet user
sees it (header = row 1, first data row = 2), the column, what is wrong and how to fix
it.  Checks never stop at the first problem.  A problem that repeats on many rows of one
column is itemised for the first ``MAX_ITEMISED`` rows and then summarised in one more
problem with the count, so a broken million-row file still gives a readable report.

This module holds the report types, the checks on one table's cells (types, ranges, ids,
typed domain objects), the references between tables and the volume checks (vectorised:
the sample has about a million volume rows).  Reading files and assembling the
``Operation`` are in ``planning.inputs``.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd
from pydantic import ValidationError

from planning.schema import Column, Table

MAX_ITEMISED = 20  # rows itemised per (file, column, kind of problem) before a summary
MAX_GAPS_ITEMISED = 50  # gap spans itemised per volume file

_MISSING_WORDS = {"n/a", "na", "nan", "null", "none", "-", "--", "#n/a", "missing", "?"}


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
        self.problems.append(Problem(file, sheet, None if row is None else int(row), column,
                                     message, severity))

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
    lowered = {str(c).lower(): str(c) for c in candidates}
    hits = difflib.get_close_matches(str(word).lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def did_you_mean(word: str, candidates) -> str:
    hits = close_matches(word, candidates)
    return f"; did you mean {' or '.join(repr(h) for h in hits)}?" if hits else ""


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


# ----------------------------------------------------------------------------- cells
def _factorize(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes and stripped unique strings; cheap on repetitive million-row columns."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, pd.Index([str(u).strip() for u in uniques], dtype=object)


def _number_problem(text: str, kind: str) -> str:
    low = text.lower()
    if text == "":
        return "missing value; enter a number"
    if text.endswith("%"):
        return f"'{text}' is a percentage; write the share as a fraction (e.g. 0.3 for 30%)"
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        return f"'{text}' has a thousands separator; write plain digits, e.g. {text.replace(',', '')}"
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        return f"'{text}' uses a decimal comma; write a decimal point, e.g. {text.replace(',', '.')}"
    if low in _MISSING_WORDS:
        return (f"'{text}' is not a number; enter the real value (a missing measurement must be "
                "fixed at the source, not written as text)")
    return f"'{text}' is not a number; enter a plain number such as 12.5"


def parse_number(raw: RawTable, col: Column, report: ValidationReport) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN when blank or bad) and a bad-row mask; ints must be whole, shares 0-1."""
    codes, uniques = _factorize(raw.frame[col.name])
    values = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)
    blank = np.asarray(uniques == "")
    messages: dict[int, str] = {}
    for k in np.flatnonzero(~np.isfinite(values) & ~blank):
        text = uniques[k]
        messages[k] = (f"'{text}' is infinite; enter a finite number" if np.isinf(values[k])
                       else _number_problem(text, col.kind))
    finite = np.isfinite(values)
    if col.kind == "int":
        for k in np.flatnonzero(finite & (np.mod(np.where(finite, values, 0), 1) != 0)):
            messages[k] = f"{uniques[k]} is not a whole number; enter an integer such as 12"
    if col.kind == "share":
        for k in np.flatnonzero(np.isfinite(values) & ((values < 0) | (values > 1))):
            messages[k] = (f"{uniques[k]} is outside 0-1; shares are fractions "
                           f"(write 0.3 for 30%)")
    if col.required:
        for k in np.flatnonzero(blank):
            messages[k] = f"missing value; {col.name} is required ({col.description})"
    bad_unique = np.zeros(len(uniques), dtype=bool)
    bad_unique[list(messages)] = True
    values[bad_unique] = np.nan
    bad = bad_unique[codes]
    raw.flag_values(report, col.name, codes, messages)
    return values[codes], bad


def _parse_each(raw: RawTable, col: Column, report: ValidationReport,
                convert: Callable[[str], object]) -> tuple[list, np.ndarray]:
    """Apply ``convert`` (raising ValueError(message)) to each unique cell."""
    codes, uniques = _factorize(raw.frame[col.name])
    parsed, messages = [], {}
    for k, text in enumerate(uniques):
        if text == "":
            parsed.append(None)
            if col.required:
                messages[k] = f"missing value; {col.name} is required ({col.description})"
            continue
        try:
            parsed.append(convert(text))
        except ValueError as exc:
            parsed.append(None)
            messages[k] = str(exc)
    raw.flag_values(report, col.name, codes, messages)
    bad_unique = np.zeros(len(uniques), dtype=bool)
    bad_unique[list(messages)] = True
    table = np.empty(len(parsed), dtype=object)
    table[:] = parsed
    return table[codes], bad_unique[codes]


def _time(text: str) -> dt.time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
        raise ValueError(f"'{text}' is not a time of day; write HH:MM between 00:00 and 23:59, e.g. 07:30")
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "y", "1", "t"):
        return True
    if low in ("false", "no", "n", "0", "f"):
        return False
    raise ValueError(f"'{text}' is not true/false; write true or false")


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        hint = did_you_mean(text, _zone_names())
        raise ValueError(f"'{text}' is not an IANA time zone" + (hint or "; use a name such as "
                         "'Europe/Dublin' or 'Asia/Kolkata' (abbreviations like IST are ambiguous)")) from None
    return text


def _choice(options: list[str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text.lower() in options:
            return text.lower()
        raise ValueError(f"'{text}' is not one of {', '.join(options)}")
    return convert


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|z|[+-]\d{2}:?\d{2})?$")


NAT = np.iinfo(np.int64).min  # int64 value of NaT


def parse_timestamps(raw: RawTable, col: Column, report: ValidationReport
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTC instants as int64 ns (``NAT`` when bad), a bad-row mask and each row's offset text.

    Parses each distinct string once: a volume file repeats each timestamp per series.
    """
    codes, uniques = _factorize(raw.frame[col.name])
    matches = [_ISO.match(u) for u in uniques]
    offsets = np.array([(m[1] or "") if m else "" for m in matches], dtype=object)
    offsets = np.array(["+00:00" if o in ("Z", "z") else (o if len(o) != 5 else o[:3] + ":" + o[3:])
                        for o in offsets], dtype=object)
    parseable = np.array([bool(m) and bool(m[1]) for m in matches], dtype=bool)
    texts = pd.Series(np.where(parseable, np.asarray(uniques, dtype=object), None), dtype=object)
    parsed = pd.DatetimeIndex(pd.to_datetime(texts, format="ISO8601", utc=True, errors="coerce"))
    parsed_ns = parsed.as_unit("ns").asi8.copy()
    parsed_ns[parsed.isna()] = NAT
    messages = {}
    example = col.example or "2026-01-05T08:30:00Z"
    for k, text in enumerate(uniques):
        if text == "":
            if col.required:
                messages[k] = f"missing value; {col.name} is required ({col.description})"
        elif matches[k] is None:
            messages[k] = f"'{text}' is not an ISO-8601 timestamp; write it like {example}"
        elif not matches[k][1]:
            messages[k] = (f"'{text}' has no UTC offset; add Z for UTC or the offset, e.g. "
                           f"{example} or 2026-01-05T09:30:00+01:00")
        elif parsed_ns[k] == NAT:
            messages[k] = f"'{text}' is not a real date and time; write it like {example}"
    raw.flag_values(report, col.name, codes, messages)
    bad_unique = np.zeros(len(uniques), dtype=bool)
    bad_unique[list(messages)] = True
    parsed_ns[bad_unique] = NAT
    return parsed_ns[codes], bad_unique[codes], offsets[codes]


def ns_to_index(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns (``NAT`` allowed) -> tz-aware UTC DatetimeIndex[ns]."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC")


def parse_column(raw: RawTable, col: Column, report: ValidationReport) -> tuple[object, np.ndarray]:
    """Parse one schema column: (values aligned to rows, bad-row mask)."""
    if col.name not in raw.frame.columns:
        return np.full(len(raw.frame), None, dtype=object), np.zeros(len(raw.frame), dtype=bool)
    if col.kind in ("float", "int", "share"):
        return parse_number(raw, col, report)
    if col.kind == "timestamp":
        values, bad, _ = parse_timestamps(raw, col, report)
        return pd.Series(ns_to_index(values), index=raw.frame.index), bad
    converters = {"time": _time, "bool": _bool, "zone": _zone, "str": lambda s: s}
    convert = _choice(col.kind.split(":", 1)[1].split("|")) if col.kind.startswith("choice:") \
        else converters[col.kind]
    return _parse_each(raw, col, report, convert)


def check_columns(raw: RawTable, report: ValidationReport, header: list[str]) -> None:
    """Missing, renamed, duplicated and unknown columns; renames by case/space are fixed."""
    table, where = raw.table, (raw.file, raw.sheet)
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen and name:
            report.add(*where, 1, name, f"column '{name}' appears twice (columns {seen[name]} and "
                       f"{position}); keep one")
        seen.setdefault(name, position)
    expected = table.column_names
    renames = {}
    for name in list(raw.frame.columns):
        if name in expected:
            continue
        canonical = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
        if canonical in expected and canonical not in raw.frame.columns and canonical not in renames.values():
            renames[name] = canonical
            report.add(*where, 1, str(name), f"column '{name}' read as '{canonical}'; name it "
                       f"'{canonical}' exactly", "warning")
    raw.frame = raw.frame.rename(columns=renames)
    found = [c for c in raw.frame.columns]
    unknown = [c for c in found if c not in expected]
    for name in table.required_columns:
        if name not in found:
            hints = close_matches(name, unknown)
            hint = (f"; found '{hints[0]}' - rename it to '{name}'" if hints
                    else f"; columns found: {', '.join(map(str, found)) or 'none'}")
            report.add(*where, 1, name, f"required column '{name}' is missing ({table.description} "
                       f"Expected columns: {', '.join(expected)}){hint}")
    for name in unknown:
        if str(name).startswith("Unnamed:") or str(name) == "":
            if (raw.frame[name] != "").any():
                report.add(*where, 1, None, "a column has values but no header; give it a name "
                           "from the format or delete it", "warning")
            continue
        if not any(name in close_matches(req, [name]) for req in table.required_columns if req not in found):
            report.add(*where, 1, str(name), f"column '{name}' is not part of the {table.name} table "
                       f"and is ignored{did_you_mean(name, expected)}", "warning")


def check_unique(raw: RawTable, keys: list[str], report: ValidationReport, what: str,
                 severity: str = "error") -> None:
    if not all(k in raw.frame.columns for k in keys):
        return
    key_frame = raw.frame[keys].apply(lambda s: s.str.strip())
    duplicated = key_frame.duplicated(keep="first").to_numpy()
    if not duplicated.any():
        return
    first_row = {}
    for i, key in enumerate(map(tuple, key_frame.to_numpy())):
        first_row.setdefault(key, raw.rows[i])
    raw.flag(report, keys[-1], duplicated, lambda i: (
        f"{what} {' / '.join(key_frame.iloc[i])} appears again (first on row "
        f"{first_row[tuple(key_frame.iloc[i])]}); keep one row per {what}"), severity)


_PYDANTIC_WORDS = {
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "string_too_short": "must not be empty",
    "string_too_long": "is too long (at most {max_length} characters)",
}


def pydantic_problems(exc: ValidationError, raw: RawTable, i: int, report: ValidationReport) -> None:
    """Turn a domain object's pydantic errors into planner-readable problems on row ``i``."""
    for err in exc.errors():
        name = str(err["loc"][0]) if err.get("loc") else None
        template = _PYDANTIC_WORDS.get(err["type"])
        if name and template:
            message = f"{name} {template.format(**err.get('ctx', {}))} (got {err.get('input')!r})"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            if name:
                message = f"{name}: {message}"
        if name is None:  # object-level rule: the column it names first (not the row's id)
            named = [(m.start(), c) for c in raw.table.column_names[1:]
                     for m in [re.search(rf"\b{c}\b", message)] if m]
            name = min(named)[1] if named else None
        report.add(raw.file, raw.sheet, raw.rows[i], name, message)


# ----------------------------------------------------------------------------- references
def check_references(raw: RawTable, column: str, values: np.ndarray, usable: np.ndarray,
                     known, target: str, report: ValidationReport, allow_all: bool = False) -> np.ndarray:
    """Flag ids missing from table ``target``: one problem per unknown id, at its first row.

    Returns the mask of rows whose id is unknown.
    """
    known = set(known) | ({"*"} if allow_all else set())
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    unknown_unique = np.array([u not in known for u in uniques], dtype=bool)
    unknown = np.zeros(len(values), dtype=bool)
    has = codes >= 0
    unknown[has] = unknown_unique[codes[has]]
    unknown &= usable
    for k in np.flatnonzero(unknown_unique):
        rows = np.flatnonzero(unknown & (codes == k))
        if not len(rows):
            continue
        value = uniques[k]
        count = f" ({len(rows):,} rows, first here)" if len(rows) > 1 else ""
        report.add(raw.file, raw.sheet, raw.rows[rows[0]], column,
                   f"{column} '{value}' is not in the {target} table{count}" +
                   (f"{hint} Otherwise add it to {target}" if (hint := did_you_mean(value, known))
                    else f"; add it to {target} or fix the id"))
    return unknown


# ----------------------------------------------------------------------------- volume
def _iso(ns: int) -> str:
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%dT%H:%MZ")


class _SeriesNames:
    """``names[code]`` -> 'queue x market' for a combined series code."""

    def __init__(self, queues, markets):
        self.queues, self.markets = list(queues), list(markets)

    def __getitem__(self, code) -> str:
        q, m = divmod(int(code), len(self.markets))
        return f"{self.queues[q]} x {self.markets[m]}"


def infer_interval_minutes(times_ns: np.ndarray, series: np.ndarray) -> int | None:
    """The most common step between consecutive rows of a series [min], or None."""
    order = np.lexsort((times_ns, series))
    t, s = times_ns[order], series[order]
    steps = np.diff(t)[(s[1:] == s[:-1])]
    steps = steps[steps > 0]
    if not len(steps):
        return None
    values, counts = np.unique(steps, return_counts=True)
    return int(values[np.argmax(counts)] // 60_000_000_000)


def check_volume(raw: RawTable, report: ValidationReport, interval_minutes: int | None,
                 queues, markets) -> tuple[pd.DataFrame, int]:
    """All volume checks; returns the tidy frame of good rows and the interval used [min].

    Checks: types, missing / mixed offsets, negative / NaN / infinite volume, unknown
    queue / market, timestamps off the interval grid, duplicate intervals, series on a
    different interval length, and gaps (reported as spans; never filled).
    """
    cols = {c.name: c for c in raw.table.columns}
    empty = pd.DataFrame({"timestamp": pd.Series(dtype="datetime64[ns, UTC]"), "queue": pd.Series(dtype=object),
                          "market": pd.Series(dtype=object), "volume": pd.Series(dtype=float)})
    if any(c not in raw.frame.columns for c in cols):
        return empty, interval_minutes or 30
    where = (raw.file, raw.sheet)
    ns, ts_bad, offsets = parse_timestamps(raw, cols["timestamp"], report)
    queue, q_bad = parse_column(raw, cols["queue"], report)
    market, m_bad = parse_column(raw, cols["market"], report)
    volume, v_bad = parse_number(raw, cols["volume"], report)
    negative = np.isfinite(volume) & (volume < 0)
    raw.flag(report, "volume", negative, lambda i: (
        f"negative volume {raw.cell('volume', i)}; volume counts items reaching review and "
        "cannot be below 0"))
    q_bad = q_bad | check_references(raw, "queue", queue, ~q_bad, queues, "queues", report)
    m_bad = m_bad | check_references(raw, "market", market, ~m_bad, markets, "markets", report)

    keyed = ~ts_bad & ~q_bad & ~m_bad
    good_offsets = offsets[keyed]
    if len(good_offsets):
        kinds, counts = np.unique(good_offsets.astype(str), return_counts=True)
        if len(kinds) > 1:
            listing = ", ".join(f"{k} on {c:,} rows" for k, c in zip(kinds, counts))
            minority = kinds[np.argmin(counts)]
            first = np.flatnonzero(keyed & (offsets == minority))[0]
            report.add(*where, raw.rows[first], "timestamp",
                       f"timestamps mix UTC offsets ({listing}); they are all converted to UTC, "
                       "which is right for a local-time export across DST but wrong if local and "
                       "UTC times were mixed; prefer one offset (Z) for the whole file", "warning")

    q_codes, q_names = pd.factorize(queue, use_na_sentinel=False)
    m_codes, m_names = pd.factorize(market, use_na_sentinel=False)
    series_codes = q_codes.astype(np.int64) * len(m_names) + m_codes
    series_keys = _SeriesNames(q_names, m_names)
    if interval_minutes is None:
        inferred = infer_interval_minutes(ns[keyed], series_codes[keyed])
        interval_minutes = inferred if inferred in (15, 30, 60) else 30
        if inferred is not None and inferred not in (15, 30, 60):
            report.add(*where, None, "timestamp", f"rows are {inferred} minutes apart; the interval "
                       "must be 15, 30 or 60 minutes (set interval_minutes in settings)")
    step = interval_minutes * 60_000_000_000

    off_grid = keyed & (np.mod(ns, step) != 0)
    raw.flag(report, "timestamp", off_grid, lambda i: (
        f"'{raw.cell('timestamp', i)}' ({_iso(ns[i])}) is not on the {interval_minutes}-minute "
        f"interval grid; timestamps are interval starts at multiples of {interval_minutes} minutes "
        "past the hour, UTC"))
    on_grid = keyed & ~off_grid

    frame = pd.DataFrame({"s": series_codes, "t": ns, "pos": np.arange(len(ns))})[on_grid]
    duplicated = frame.duplicated(["s", "t"], keep="first").to_numpy()
    if duplicated.any():
        first_pos = frame.groupby(["s", "t"]).pos.transform("first").to_numpy()
        dup_rows = np.zeros(len(ns), dtype=bool)
        dup_rows[frame.pos.to_numpy()[duplicated]] = True
        first_of = dict(zip(frame.pos.to_numpy()[duplicated], first_pos[duplicated]))
        raw.flag(report, "timestamp", dup_rows, lambda i: (
            f"duplicate interval {_iso(ns[i])} for {series_keys[series_codes[i]]} (first on row "
            f"{raw.rows[first_of[i]]}); keep one row per timestamp, queue and market"))
        frame = frame[~duplicated]
    else:
        dup_rows = np.zeros(len(ns), dtype=bool)

    frame = frame.sort_values(["s", "t"], kind="stable")
    s, t, pos = frame.s.to_numpy(), frame.t.to_numpy(), frame.pos.to_numpy()
    same = np.r_[False, s[1:] == s[:-1]][:len(s)]
    diff = np.r_[0, np.diff(t)][:len(t)]
    # A series whose usual step is not the interval (hourly rows in a 30-minute file)
    steps = pd.DataFrame({"s": s[same], "d": diff[same]})
    series_step = steps.groupby("s").d.agg(lambda d: d.mode().iat[0]) if len(steps) else pd.Series(dtype=float)
    wrong_step = series_step[series_step != step]
    for code, usual in wrong_step.items():
        first = pos[s == code][0]
        report.add(*where, raw.rows[first], "timestamp",
                   f"{series_keys[code]} has one row every {usual / 60e9:g} minutes but the interval is "
                   f"{interval_minutes} minutes (interval_minutes in settings); all series must use the "
                   "same interval length - resample it or change the setting")
    gap = same & (diff > step) & ~np.isin(s, wrong_step.index.to_numpy())
    gap_idx = np.flatnonzero(gap)
    for k in gap_idx[:MAX_GAPS_ITEMISED]:
        missing = int(diff[k] // step) - 1
        report.add(*where, raw.rows[pos[k]], "timestamp",
                   f"gap in {series_keys[s[k]]}: no rows from {_iso(t[k - 1] + step)} to {_iso(t[k])} "
                   f"({missing:,} interval{'s' if missing != 1 else ''} missing, end exclusive); add the "
                   "missing intervals with their real volume (0 only if nothing arrived) - gaps are "
                   "never filled automatically")
    if len(gap_idx) > MAX_GAPS_ITEMISED:
        rest = gap_idx[MAX_GAPS_ITEMISED:]
        missing = int(sum(diff[k] // step - 1 for k in rest))
        report.add(*where, raw.rows[pos[rest[0]]], "timestamp",
                   f"... and {len(rest):,} more gaps ({missing:,} intervals missing in all)")

    if len(t):  # a series that stops early leaves the forecast start without recent history
        last = np.r_[s[1:] != s[:-1], True]
        latest = t.max()
        for k in np.flatnonzero(last & (t < latest))[:MAX_ITEMISED]:
            missing = int((latest - t[k]) // step)
            report.add(*where, raw.rows[pos[k]], "timestamp",
                       f"{series_keys[s[k]]} ends at {_iso(t[k])}, {missing:,} interval{'s' * (missing != 1)} before the latest "
                       f"series ({_iso(latest)}); add its recent rows, or the forecast for it starts late",
                       "warning")

    good = on_grid & ~dup_rows & ~v_bad & ~negative
    tidy = pd.DataFrame({
        "timestamp": ns_to_index(ns[good]),
        "queue": pd.Categorical.from_codes(q_codes[good], [str(q) for q in q_names]).astype(str),
        "market": pd.Categorical.from_codes(m_codes[good], [str(m) for m in m_names]).astype(str),
        "volume": volume[good].astype(float),
    })
    tidy = tidy.sort_values(["timestamp", "queue", "market"], kind="stable").reset_index(drop=True)
    return tidy, interval_minutes
