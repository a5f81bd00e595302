"""Shared widgets: the chart theme and chart helper, problem and empty-state boxes, tables
with a CSV download.
"""
from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planning.export.safe import safe_csv_bytes
from ui.format import display_frame, plain


# --- charts -----------------------------------------------------------------------

PALETTE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#0ea5e9",
           "#eab308", "#64748b", "#ec4899", "#14b8a6", "#8b5cf6", "#84cc16"]


# Vega's multi-format for time axes, with 24-hour hours and minutes (Vega's default is '%I %p')
TIME_AXIS_FORMAT = {"year": "%Y", "quarter": "%b %Y", "month": "%b %Y", "week": "%b %d", "date": "%a %d",
                    "hours": "%H:%M", "minutes": "%H:%M", "seconds": ":%S", "milliseconds": ".%L"}


@alt.theme.register("planner", enable=True)
def planner_theme() -> alt.theme.ThemeConfig:
    """One visual language for every chart (matches .streamlit/config.toml)."""
    font = "Source Sans Pro, sans-serif"
    return {
        "config": {
            "font": font,
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal",
                     "gridColor": "#e5e7eb", "domainColor": "#9ca3af"},
            # time axes on the 24-hour clock ('13:00', never '01 PM'); tooltips and text with the time
            "axisTemporal": {"format": TIME_AXIS_FORMAT},
            "timeFormat": "%Y-%m-%d %H:%M",
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "columns": 3,
                       "labelLimit": 180},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "normal"},
            "view": {"stroke": None},
            "bar": {"cornerRadiusEnd": 2},
            "line": {"strokeWidth": 2},
        }
    }


def show_chart(chart: alt.Chart, key: str | None = None) -> None:
    """Render an Altair chart with the planner theme (not Streamlit's)."""
    st.altair_chart(chart, theme=None, width="stretch", key=key)


# --- messages ---------------------------------------------------------------------

def location(problem: Any) -> str:
    """'volume.csv, row 12, column volume' from a problem's file/sheet/row/column."""
    parts = []
    for attr, label in (("file", ""), ("sheet", "sheet "), ("row", "row "), ("column", "column ")):
        value = getattr(problem, attr, None)
        if value not in (None, "") and not (isinstance(value, float) and math.isnan(value)):
            parts.append(f"{label}{value}")
    return ", ".join(parts)


def error_box(problem: Any, fix: str | None = None) -> None:
    """Show a problem as a message with what to do (never a traceback).

    ``problem`` is a string, an exception, or a validation problem (an object with
    ``message`` and optionally ``file``, ``sheet``, ``row``, ``column``, ``severity``).
    """
    if isinstance(problem, BaseException):
        text = f"Something went wrong: {type(problem).__name__}: {problem}"
        fix = fix or "This is a bug in the planner; please report it with what you clicked."
        severity = "error"
    elif isinstance(problem, str):
        text, severity = problem, "error"
    else:
        where = location(problem)
        text = f"{where}: {problem.message}" if where else str(problem.message)
        severity = getattr(problem, "severity", "error")
    body = plain(text) + (f"  \n{plain(fix)}" if fix else "")
    if severity == "warning":
        st.warning(body, icon=":material/warning:")
    else:
        st.error(body, icon=":material/error:")


def empty_state(what: str, todo: str, icon: str = ":material/info:") -> None:
    """Say what is missing and what to do about it (text is ours, so Markdown is allowed)."""
    st.info(f"**{what}**  \n{todo}", icon=icon)


def show_table(frame: pd.DataFrame, key: str, file_name: str, height: int | str = "auto",
               column_config: dict | None = None) -> None:
    """A sortable table (timestamps with their zone, ``ui.format.display_frame``; numbers with
    thousands separators and at most 3 decimals, "localized") with a CSV download of the same
    rows at full precision."""
    shown = display_frame(frame)
    config = dict(column_config or {})
    for column in shown.columns:  # thousands separators on every plain number column
        if column not in config and pd.api.types.is_numeric_dtype(shown[column].dtype) \
                and not pd.api.types.is_bool_dtype(shown[column].dtype):
            config[column] = st.column_config.NumberColumn(format="localized")
    st.dataframe(shown, hide_index=True, width="stretch", height=height,
                 column_config=config, key=f"{key}_table")
    st.download_button("Download CSV", safe_csv_bytes(frame), file_name=file_name,
                       mime="text/csv", key=f"{key}_download", icon=":material/download:")
