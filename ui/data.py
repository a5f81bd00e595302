"""Data page: which inputs the app uses, upload, validation report, previews, template."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from planning.access import can
from planning.domain import Operation
from planning.inputs import TABLES
from ui import common
from ui import widgets
from ui import uploads
from ui import format as fmt

PAGE = {"title": "Data", "icon": ":material/database:", "section": "Data", "order": 10}

UPLOAD_TYPES = ["zip", "xlsx", "xlsm", "xls", "csv"]  # wide on purpose: the content check explains
PREVIEW_ROWS = 1000


def input_tables(op: Operation) -> dict[str, pd.DataFrame]:
    """The loaded typed objects back as tables (columns as in the input format)."""
    def frame(items, table):
        cols = TABLES[table].column_names
        rows = [item.model_dump(mode="json") for item in items]
        return pd.DataFrame(rows, columns=cols) if rows else pd.DataFrame(columns=cols)

    tables = {
        "queues": frame(op.queues.values(), "queues"),
        "markets": frame(op.markets.values(), "markets"),
        "sites": frame(op.sites.values(), "sites"),
        "certifications": frame(op.certifications, "certifications"),
        "shifts": frame(op.shifts, "shifts"),
        "volume": op.volume,
        "events": frame(op.events, "events"),
        "settings": pd.DataFrame(
            [{"key": k, "value": str(v)} for k, v in op.settings.model_dump(mode="json").items()]),
    }
    for extra in ("hiring", "actuals"):
        value = getattr(op, extra, None)
        if isinstance(value, pd.DataFrame):
            tables[extra] = value
    return tables


@st.cache_data(show_spinner=False)
def template_bytes(kind: str) -> bytes:
    """The blank template as .xlsx bytes or as a .zip of the CSV folder."""
    from planning.inputs import write_template

    with tempfile.TemporaryDirectory(prefix="planner-template-") as tmp:
        tmp = Path(tmp)
        if kind == "xlsx":
            out = tmp / "planner-template.xlsx"
            write_template(out)
            return out.read_bytes()
        out = tmp / "planner-template"
        write_template(out)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    zf.write(path, f"planner-template/{path.relative_to(out)}")
        return buffer.getvalue()


def _on_upload(who, max_mb: float) -> None:
    uploaded = st.session_state.get("data_uploader")
    if uploaded is not None:
        common.remember_upload(uploaded.name, uploaded.getvalue(), who, max_mb)


def _status(loaded: common.Loaded) -> None:
    report = loaded.report
    problems = list(getattr(report, "problems", []))
    errors = sum(1 for p in problems if getattr(p, "severity", "error") == "error")
    warnings = len(problems) - errors
    if loaded.operation is not None and report.valid:
        op = loaded.operation
        st.success(
            f"Using {fmt.plain(loaded.label)}: valid. {len(op.queues)} queues, {len(op.markets)} markets, "
            f"{len(op.sites)} sites from {len(op.vendors)} vendors, "
            f"{fmt.fmt_number(len(op.volume), 'volume rows')} up to {fmt.fmt_utc(op.history_end)}"
            + (f"; {warnings} warnings below." if warnings else "."),
            icon=":material/check_circle:")
    else:
        st.error(f"{fmt.plain(loaded.label)} cannot be used: {errors} errors, {warnings} warnings. "
                 "Fix the cells listed in the report below and upload again, or go back to the sample.",
                 icon=":material/error:")
        for problem in [p for p in problems if getattr(p, "severity", "error") == "error"][:3]:
            widgets.error_box(problem)


def _report(loaded: common.Loaded) -> None:
    frame = loaded.report.to_frame()
    st.subheader("Validation report")
    if frame.empty:
        st.caption("No problems found.")
        return
    shown = st.segmented_control("Show", ["error", "warning"], default=["error", "warning"],
                                 selection_mode="multi", key="data_severity")
    if "severity" in frame.columns:
        frame = frame[frame["severity"].isin(shown or [])]
    st.caption(f"{len(frame)} problems shown. Rows are numbered as in a spreadsheet (header = row 1).")
    widgets.show_table(frame, key="data_report", file_name="validation-report.csv")


def _volume_preview(volume: pd.DataFrame, op: Operation) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Rows", fmt.fmt_number(len(volume)))
    c2.metric("Queue x market pairs", fmt.fmt_number(len(op.pairs)))
    c3.metric("First interval", fmt.fmt_utc(volume["timestamp"].min()))
    c4.metric("Last interval", fmt.fmt_utc(volume["timestamp"].max()))
    daily = (volume.assign(day=volume["timestamp"].dt.floor("D"))
             .groupby(["day", "market"], as_index=False)["volume"].sum())
    chart = alt.Chart(daily).mark_line().encode(
        x=alt.X("day:T", title="Day (UTC)"),
        y=alt.Y("volume:Q", title="Volume (items/day)"),
        color=alt.Color("market:N", title="Market"),
        tooltip=[alt.Tooltip("day:T", title="Day (UTC)"), "market:N",
                 alt.Tooltip("volume:Q", title="Items/day", format=",.0f")],
    ).properties(height=260, title="Daily volume reaching human review, by market")
    widgets.show_chart(chart, key="data_volume_chart")
    st.caption(f"First {PREVIEW_ROWS:,} rows; timestamps are interval starts in UTC.")


def render() -> None:
    st.title("Data")
    who = common.principal()
    loaded = common.load_inputs()

    _status(loaded)
    if loaded.source == "upload":
        st.button("Go back to the built-in sample", key="data_use_sample", on_click=common.forget_upload,
                  icon=":material/undo:")

    if can(who, "upload"):
        limit = uploads.upload_limit_mb(loaded.operation.settings if loaded.operation else None)
        with st.expander("Upload your own operation", expanded=loaded.source == "upload"):
            st.markdown(
                "Upload the inputs folder as a **.zip** of CSV files (`queues.csv`, `markets.csv`, `sites.csv`, "
                "`certifications.csv`, `shifts.csv`, `volume.csv` or `volume.csv.gz`, optional `events.csv`, "
                "`settings.csv`, `hiring.csv`) or one **.xlsx** workbook with the same sheets. Files are checked "
                f"by content; the limit is {limit:g} MB (setting max_upload_mb). Nothing in a workbook is executed.")
            st.file_uploader("Inputs (.zip or .xlsx)", type=UPLOAD_TYPES, key="data_uploader",
                             on_change=_on_upload, args=(who, limit), max_upload_size=max(1, int(limit)))
        _report(loaded)
    else:
        st.caption("Your role can view the inputs but not replace them.")

    op = common.current_operation(who)
    if op is not None:
        st.subheader("Inputs")
        st.caption(common.data_caption(op, loaded.label))
        tables = input_tables(op)
        name = st.selectbox("Table", list(tables), key="data_preview_table",
                            format_func=lambda t: f"{t} ({len(tables[t]):,} rows)")
        frame = tables[name]
        if name in TABLES:
            st.caption(fmt.plain(TABLES[name].description))
        if name == "volume":
            _volume_preview(frame, op)
            frame = frame.head(PREVIEW_ROWS)
        if frame.empty:
            st.caption("This table is empty (optional tables may be left out).")
        else:
            widgets.show_table(frame, key=f"data_preview_{name}", file_name=f"{name}.csv")

    st.subheader("Blank template")
    st.caption("Every table with its columns and an Instructions sheet describing each column.")
    c1, c2 = st.columns(2)
    try:
        c1.download_button("Template workbook (.xlsx)", template_bytes("xlsx"), file_name="planner-template.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="data_template_xlsx", icon=":material/table_view:")
        c2.download_button("Template CSV folder (.zip)", template_bytes("zip"), file_name="planner-template.zip",
                           mime="application/zip", key="data_template_zip", icon=":material/folder_zip:")
    except ImportError:
        widgets.empty_state("Template not available", "The template writer (planning.inputs.template) is not installed.")
