"""Checks of the volume table: interval grid, gaps, duplicates and negative counts, vectorised
(the sample has about a million volume rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.inputs.report import MAX_ITEMISED, RawTable, ValidationReport, excerpt
from planning.inputs.validation import check_references, ns_to_index, parse_column, parse_number, parse_timestamps

MAX_GAPS_ITEMISED = 50  # gap spans itemised per volume file
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
        f"'{excerpt(raw.cell('timestamp', i))}' ({_iso(ns[i])}) is not on the {interval_minutes}-minute "
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
