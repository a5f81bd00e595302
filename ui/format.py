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
    """``fmt_money(38300, "EUR") -> 'EUR 38,300'``: the operation's currency code first."""
    if _bad(x):
        return "–"
    return f"-{currency} {abs(x):,.{digits}f}" if round(x, digits) < 0 else f"{currency} {abs(x):,.{digits}f}"


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
    stamp = pd.Timestamp(ts)  # naive timestamps are UTC in this planner (planning/inputs)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


def fmt_local(ts, tz: str) -> str:
    """A timestamp in a local zone on the 24-hour clock with the zone's abbreviation and offset:
    '2026-11-16 21:00 PST (Asia/Manila, UTC+08:00)'."""
    if ts is None or pd.isna(ts):
        return "–"
    stamp = pd.Timestamp(ts)
    local = (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).tz_convert(tz)
    offset = local.strftime("%z")
    abbrev = local.strftime("%Z")
    abbrev = "" if abbrev.startswith(("+", "-")) else f"{abbrev} "  # zones without a name: offset only
    return f"{local:%Y-%m-%d %H:%M} {abbrev}({tz}, UTC{offset[:3]}:{offset[3:]})"


def fmt_delta(x, unit: str = "", digits: int = 0, currency: str | None = None) -> str:
    """A signed change: '+1,250 h', '-USD 3,400'; a change that rounds to zero reads '0 h' (never
    '-0' or '+0').  The minus is ASCII '-' because ``st.metric`` colours a delta by it."""
    if _bad(x):
        return "–"
    if round(abs(x), digits) == 0:
        zero = f"{0:.{digits}f}"
        return f"{currency} {zero}" if currency else f"{zero} {unit}".strip()
    sign = "+" if x > 0 else "-"
    text = f"{abs(x):,.{digits}f}"
    return f"{sign}{currency} {text}" if currency else f"{sign}{text} {unit}".strip()


def fmt_pp(share_change, digits: int = 1) -> str:
    """A change of a share in percentage points: ``0.012 -> '+1.2 pp'``, ``-0.0004 -> '0.0 pp'``."""
    return "–" if _bad(share_change) else fmt_delta(100 * share_change, "pp", digits)


def delta_color(x, digits: int = 0, scale: float = 1.0, higher_is_better: bool = True) -> str:
    """``st.metric``'s delta_color for a change ``x`` (shown as ``x * scale`` with ``digits``):
    'off' (grey, no arrow colour) when it rounds to zero or is missing, else normal/inverse."""
    if _bad(x) or round(abs(x * scale), digits) == 0:
        return "off"
    return "normal" if higher_is_better else "inverse"


def below_target(value, target, tolerance: float = 1e-9) -> bool:
    """True when ``value`` misses ``target``, compared unrounded: 0.7987 vs 0.80 is below even
    though both read '80%' at no decimals.  ``tolerance`` only absorbs float noise."""
    if _bad(value) or _bad(target):
        return False
    return value < target - tolerance


_COMPACT = [(1e9, "B"), (1e6, "M"), (1e3, "k")]


def fmt_compact(x, unit: str = "", digits: int = 1) -> str:
    """A short number for a metric tile: ``187234 -> '187.2k'``, ``2.5e6 -> '2.5M'``, ``950 -> '950'``
    (put the exact figure in the tile's help)."""
    if _bad(x):
        return "–"
    for scale, suffix in _COMPACT:
        if round(abs(x) / scale, digits) >= 1:
            value = round(x / scale, digits)
            if abs(value) >= 1000 and suffix != "B":  # 999.96k reads 1.0M, not 1000.0k
                continue
            return f"{value:,.{digits}f}{suffix} {unit}".strip()
    return f"{x:,.0f} {unit}".strip()


def fmt_money_compact(x, currency: str = "USD", digits: int = 1) -> str:
    """Money for a metric tile: ``187234 -> 'USD 187.2k'``; exact amount: ``fmt_money``."""
    return "–" if _bad(x) else f"{currency} {fmt_compact(x, '', digits)}"


def fmt_hours(x, digits: int = 0) -> str:
    """Hours: ``1234.4 -> '1,234 h'``."""
    return fmt_number(x, "h", digits)


def money_header(name: str, currency: str) -> str:
    """A column or axis title with the operation's currency: ``'Cost', 'USD' -> 'Cost (USD)'``."""
    return f"{name} ({currency})" if currency else name


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


# --- scenario comparison (ui/scenario_compare.py) ---------------------------------
# Kept apart from the helpers above (another change extends those).

def fmt_money_compact(x, currency: str = "USD", signed: bool = False) -> str:
    """Money in a headline: 'USD 915.6k', '+USD 38.3k', '−USD 1.25M', 'USD 640' (below 10k: whole
    units with separators)."""
    if _bad(x):
        return "–"
    sign = ("+" if x > 0 else "−" if x < 0 else "±") if signed else ("−" if x < 0 else "")
    v = abs(float(x))
    if v >= 1e6:
        text = f"{v / 1e6:,.2f}M"
    elif v >= 1e4:
        text = f"{v / 1e3:,.1f}k"
    else:
        text = f"{v:,.0f}"
    return f"{sign}{currency} {text}"


def fmt_pct_change(x, digits: int = 1) -> str:
    """A percentage change (already in percent): '+4.4%', '−0.3%', '–' when unknown."""
    if _bad(x):
        return "–"
    if round(abs(x), digits) == 0:
        return "±0%"
    return f"{'+' if x > 0 else '−'}{abs(x):.{digits}f}%"
