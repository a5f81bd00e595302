"""Checks on one table's cells (types, ranges, ids, typed domain objects) and the references
between tables, each problem with where it is and how to fix it (report types in
:mod:`planning.inputs.report`; the volume table's own checks in :mod:`planning.inputs.volume_checks`;
reading files and assembling the ``Operation`` in :mod:`planning.inputs.loading`).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pandas as pd
from pydantic import ValidationError

from planning.inputs.report import (
    _MISSING_WORDS,
    MAX_ITEMISED,
    RawTable,
    ValidationReport,
    close_matches,
    did_you_mean,
    excerpt,
)
from planning.inputs.schema import Column


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
    example = {"share": "0.25", "int": "12"}.get(kind, "12.5")  # the hint in the column's unit
    if len(text) > 40:  # no pattern below fits a long cell; quote only its start
        return f"'{excerpt(text)}' is not a number; enter a plain number such as {example}"
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
    return f"'{text}' is not a number; enter a plain number such as {example}"


def parse_number(raw: RawTable, col: Column, report: ValidationReport) -> tuple[np.ndarray, np.ndarray]:
    """Floats (NaN when blank or bad) and a bad-row mask; ints must be whole, shares 0-1."""
    codes, uniques = _factorize(raw.frame[col.name])
    values = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce").to_numpy(dtype=float, copy=True)
    blank = np.asarray(uniques == "")
    messages: dict[int, str] = {}
    for k in np.flatnonzero(~np.isfinite(values) & ~blank):
        text = uniques[k]
        messages[k] = (f"'{excerpt(text)}' is infinite; enter a finite number" if np.isinf(values[k])
                       else _number_problem(text, col.kind))
    finite = np.isfinite(values)
    if col.kind == "int":
        for k in np.flatnonzero(finite & (np.mod(np.where(finite, values, 0), 1) != 0)):
            messages[k] = f"{excerpt(uniques[k])} is not a whole number; enter an integer such as 12"
    if col.kind == "share":
        for k in np.flatnonzero(np.isfinite(values) & ((values < 0) | (values > 1))):
            messages[k] = (f"{excerpt(uniques[k])} is outside 0-1; shares are fractions "
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
        raise ValueError(f"'{excerpt(text)}' is not a time of day; write HH:MM between 00:00 and 23:59, e.g. 07:30")
    return dt.time(int(match[1]), int(match[2]), int(match[3] or 0))


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "y", "1", "t"):
        return True
    if low in ("false", "no", "n", "0", "f"):
        return False
    raise ValueError(f"'{excerpt(text)}' is not true/false; write true or false")


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        hint = did_you_mean(text, _zone_names())
        raise ValueError(f"'{excerpt(text)}' is not an IANA time zone" + (hint or "; use a name such as "
                         "'Europe/Dublin' or 'Asia/Kolkata' (abbreviations like IST are ambiguous)")) from None
    return text


def _choice(options: list[str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text.lower() in options:
            return text.lower()
        raise ValueError(f"'{excerpt(text)}' is not one of {', '.join(options)}")
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
            messages[k] = f"'{excerpt(text)}' is not an ISO-8601 timestamp; write it like {example}"
        elif not matches[k][1]:
            messages[k] = (f"'{excerpt(text)}' has no UTC offset; add Z for UTC or the offset, e.g. "
                           f"{example} or 2026-01-05T09:30:00+01:00")
        elif parsed_ns[k] == NAT:
            messages[k] = f"'{excerpt(text)}' is not a real date and time; write it like {example}"
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
    """Missing, renamed, duplicated and unknown columns; renames by case/space are fixed.

    Linear in the number of columns (a hostile header may have millions): sets for
    membership, and repeated problems itemised ``MAX_ITEMISED`` times, then counted.
    """
    table, where = raw.table, (raw.file, raw.sheet)
    seen: dict[str, int] = {}
    repeated = []
    for position, name in enumerate(header, start=1):
        if name in seen and name:
            repeated.append((name, seen[name], position))
        seen.setdefault(name, position)
    for name, first, position in repeated[:MAX_ITEMISED]:
        report.add(*where, 1, name, f"column '{excerpt(name)}' appears twice (columns {first} and "
                   f"{position}); keep one")
    if len(repeated) > MAX_ITEMISED:
        report.add(*where, 1, None, f"... and {len(repeated) - MAX_ITEMISED:,} more repeated column names")
    expected = table.column_names
    wanted = set(expected)
    present = set(map(str, raw.frame.columns))
    renames: dict = {}
    for name in list(raw.frame.columns):
        if name in wanted or len(str(name)) > 100:
            continue
        canonical = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
        if canonical in wanted and canonical not in present and canonical not in renames.values():
            renames[name] = canonical
            report.add(*where, 1, str(name), f"column '{excerpt(name)}' read as '{canonical}'; name it "
                       f"'{canonical}' exactly", "warning")
    if renames:
        raw.frame = raw.frame.rename(columns=renames)
    found = list(raw.frame.columns)
    found_set = set(found)
    unknown = [c for c in found if c not in wanted]
    unnamed = [c for c in unknown if str(c).startswith("Unnamed:") or str(c) == ""]
    named_unknown = [c for c in unknown if not (str(c).startswith("Unnamed:") or str(c) == "")]
    candidates = named_unknown[:1000]  # enough for a hint; difflib over millions is not
    missing = [name for name in table.required_columns if name not in found_set]
    for name in missing:
        hints = close_matches(name, candidates)
        listing = ", ".join(map(str, found[:30])) + (f", ... ({len(found):,} columns)" if len(found) > 30 else "")
        hint = (f"; found '{excerpt(hints[0])}' - rename it to '{name}'" if hints
                else f"; add a column named '{name}' (columns found: {excerpt(listing, 400) or 'none'})")
        report.add(*where, 1, name, f"required column '{name}' is missing ({table.description} "
                   f"Expected columns: {', '.join(expected)}){hint}")
    blank_with_values = unnamed[:MAX_ITEMISED + 1]
    if any((raw.frame[c] != "").any() for c in blank_with_values):
        report.add(*where, 1, None, "a column has values but no header; give it a name "
                   "from the format or delete it", "warning")
    hinted = {h for req in missing for h in close_matches(req, candidates)}
    ignored = [c for c in named_unknown if c not in hinted]
    for name in ignored[:MAX_ITEMISED]:
        report.add(*where, 1, str(name), f"column '{excerpt(name)}' is not part of the {table.name} table "
                   f"and is ignored{did_you_mean(name, expected)}", "warning")
    if len(ignored) > MAX_ITEMISED:
        report.add(*where, 1, None, f"... and {len(ignored) - MAX_ITEMISED:,} more columns that are not part "
                   f"of the {table.name} table (ignored); its columns are {', '.join(expected)}", "warning")


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
        f"{what} {' / '.join(excerpt(v) for v in key_frame.iloc[i])} appears again (first on row "
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
        if err["type"] == "missing" and name is not None and name not in raw.frame.columns:
            continue  # a missing column is reported once, by check_columns, not on every row
        template = _PYDANTIC_WORDS.get(err["type"])
        if name and template:
            message = f"{name} {template.format(**err.get('ctx', {}))} (got {excerpt(repr(err.get('input')))})"
        else:
            message = excerpt(str(err["msg"]).removeprefix("Value error, "), 300)
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
                   f"{column} '{excerpt(value)}' is not in the {target} table{count}" +
                   (f"{hint} Otherwise add it to {target}" if (hint := did_you_mean(value, known))
                    else f"; add it to {target} or fix the id"))
    return unknown
