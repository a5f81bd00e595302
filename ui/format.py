"""Text and number formatting for the pages: Markdown-safe plain text, numbers with units,
shares, money in the operation's currency, durations and timestamps (UTC or a site's zone).

User text (file names, ids, messages that quote cell values) is never rendered as HTML:
``plain()`` escapes Markdown before it reaches ``st.markdown``/``st.error``.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd



# --- plain text -------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: Any) -> str:
    """Escape Markdown (and so any HTML) in user-provided text before st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


# --- numbers with units -----------------------------------------------------------

def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def fmt_number(x, unit: str = "", digits: int = 0) -> str:
    """``fmt_number(1234.5, "items") -> '1,235 items'``; '–' for missing values."""
    if _bad(x):
        return "–"
    text = f"{x:,.{digits}f}"
    return f"{text} {unit}".strip()


def fmt_share(x, digits: int = 1) -> str:
    """A 0-1 share as a percentage: ``0.875 -> '87.5%'``."""
    return "–" if _bad(x) else f"{100 * x:.{digits}f}%"


def fmt_money(x, currency: str = "USD", digits: int = 0) -> str:
    return "–" if _bad(x) else f"{currency} {x:,.{digits}f}"


def fmt_duration(seconds) -> str:
    """Seconds in the unit a planner reads: '45 s', '12 min', '2.5 h', '3.0 days'."""
    if _bad(seconds):
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 72 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def fmt_utc(ts) -> str:
    """A timestamp labelled as UTC: '2026-01-05 08:30 UTC'."""
    if ts is None or pd.isna(ts):
        return "–"
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def fmt_local(ts, tz: str) -> str:
    """A timestamp in a local zone, labelled with the zone and its offset."""
    if ts is None or pd.isna(ts):
        return "–"
    local = pd.Timestamp(ts).tz_convert(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {tz} (UTC{offset[:3]}:{offset[3:]})"


def fmt_delta(x, unit: str = "", digits: int = 0, currency: str | None = None) -> str:
    """A signed change: '+1,250 h', '−USD 3,400', '±0' for a change that rounds to zero (never
    '-0.0')."""
    if _bad(x):
        return "–"
    if round(abs(x), digits) == 0:
        return f"±0 {unit}".strip() if not currency else f"±{currency} 0"
    sign = "+" if x > 0 else "−"
    text = f"{abs(x):,.{digits}f}"
    return f"{sign}{currency} {text}" if currency else f"{sign}{text} {unit}".strip()


def fmt_clock(ts, tz: str | None = None) -> str:
    """A time of day on the 24-hour clock with its zone: '13:00 UTC', '21:30 Asia/Manila'."""
    if ts is None or pd.isna(ts):
        return "–"
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        return f"{stamp:%H:%M}"
    return f"{stamp.tz_convert(tz):%H:%M} {tz}" if tz else f"{stamp.tz_convert('UTC'):%H:%M} UTC"


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a table shows it: time zone-aware timestamps as 'YYYY-MM-DD HH:MM UTC' (or
    the column's zone) instead of raw '+00:00' values.  Numbers keep their values (the table
    formats them with thousands separators and at most 3 decimals, ``ui.widgets.show_table``)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            zone = str(values.dt.tz)
            label = "UTC" if zone in ("UTC", "UTC+00:00", "+00:00") else zone
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M " + label.replace("%", "%%"))
    return out
