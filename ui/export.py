"""Export (vendor managers): the staffing workbook and vendor pack, built on demand, a
preview of every sheet, and the round trip of a vendor's returned sheet.

Thin page: the plan is the plan of record (``ui.record``: the plan a planner published on the
Shift plan or Scenarios page, else the baseline), or one computed here on request; workbooks are ``planning.export.workbook``; the returned sheet is
read by ``planning.export.roundtrip``.  A vendor manager only ever gets their vendor's workbook.
"""
from __future__ import annotations

import dataclasses
import io
import uuid

import pandas as pd
import streamlit as st

from planning.access import Role, can
from planning.export import vendor_files_for, workbook_bytes, zip_files
from planning.export import vendors
from planning.export import RoundTripError, import_vendor_sheet, roundtrip_limits
from ui import common
from ui import record
from ui import uploads
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Export", "icon": ":material/download:", "section": "Vendor managers", "order": 60}

CAPACITY_KEY = "capacity_plan"  # set by the Capacity & hiring page (a planning.capacity.plan.CapacityPlan)
RESULT_KEY = "export_result"  # session_state: {"result", "token", "label"} computed on this page
FILES_KEY = "export_files"  # session_state: {(token, kind, scenario): bytes}
SOURCES = {"Last week of history repeated (fast)": "naive", "Forecast models (slower)": "models"}
PREVIEW_ROWS = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(show_spinner=False, max_entries=16)
def _sheet_preview(token: str, kind: str, scenario: str, sheet: str, _data: bytes) -> pd.DataFrame:
    frame = pd.read_excel(io.BytesIO(_data), sheet_name=sheet, header=None, nrows=PREVIEW_ROWS, dtype=str)
    frame.columns = [f"{chr(65 + i)}" if i < 26 else f"col {i + 1}" for i in range(frame.shape[1])]
    return frame.fillna("")


def _current_result(op, who):
    """(result, token, label) of the plan this page exports, or None: a plan made on this page,
    else the plan of record (published, or the baseline)."""
    mine = st.session_state.get(RESULT_KEY)
    if mine is not None:
        return mine["result"], mine["token"], mine["label"]
    found = record.plan_of_record(op, who)
    if found is None or found.result is None or not found.result.plan.ok:
        return None
    token = f"record:{found.operation_key}:{found.record_id or 'baseline'}:{who.label}"
    return found.result, token, found.caption()


def _plan_controls(op) -> None:
    c1, c2 = st.columns([2, 1])
    source = c1.radio("Forecast for the plan", list(SOURCES), key="export_source", horizontal=True)
    weeks = c2.number_input("Weeks to plan", 1, 8, value=op.settings.planning_weeks, key="export_weeks")
    st.caption(f"The plan will cover {weeks} week(s) after the history ({fmt.fmt_utc(op.history_end)}), "
               f"with {'the forecast models' if SOURCES[source] == 'models' else 'the last week of history repeated'}.")
    if st.button("Plan now", key="export_plan", icon=":material/play_arrow:", type="primary"):
        try:  # in a child process (planning.jobs): a crash or a closed tab never takes the server with it
            result = common.run_job("quick_plan", op=op, weeks=int(weeks), source=SOURCES[source])
        except Exception as exc:  # never a traceback
            widgets.error_box(f"Planning failed ({type(exc).__name__}: {exc})",
                             "Try the fast forecast or fewer weeks, or open the Shift plan page.")
            return
        if not result.plan.ok:
            widgets.error_box(f"The shift planner found no plan ({result.plan.status}).",
                             "Open the Shift plan page for a diagnosis.")
            return
        st.session_state[RESULT_KEY] = {"result": result, "token": str(uuid.uuid4()),
                                        "label": f"this page ({weeks} week(s))"}
        st.rerun()


def _size(data: bytes) -> str:
    return f"{len(data) / 1e6:.1f} MB" if len(data) >= 1e6 else f"{len(data) / 1e3:.0f} kB"


def _built(token: str, kind: str, scenario: str, make) -> bytes | None:
    files = st.session_state.setdefault(FILES_KEY, {})
    key = (token, kind, scenario)
    if key not in files and st.button(f"Build the {kind}", key=f"export_build_{kind}",
                                      icon=":material/construction:"):
        with st.spinner(f"Building the {kind}..."):
            files[key] = make()
    return files.get(key)


def _vendor_downloads(result, who, token: str, scenario: str) -> None:
    """One download per vendor the role may have (``vendor_files_for``: a vendor manager
    gets only his own), and for everyone else the zip of all."""
    restricted = who.role is Role.vendor_manager
    st.subheader("Vendor workbook" if restricted else "Vendor workbooks")
    st.caption("Only the vendor's sites and teams, ready to forward: its shifts of the plan week, a sheet per "
               "site with its teams, the workload in local time." if restricted else
               f"One workbook per vendor ({len(vendors(result))}), each with only that vendor's sites and teams; "
               "download one, or the zip of all.")
    files = _built(token, "vendor workbooks", scenario,
                   lambda: vendor_files_for(result, who, scenario=scenario))
    if not files:
        return
    for i, (name, (file_name, data)) in enumerate(files.items()):
        st.download_button(f"Download {name} ({_size(data)})", data, file_name=file_name, mime=XLSX,
                           key=f"export_download_vendor_{i}", icon=":material/download:")
    if not restricted:
        pack = zip_files(dict(files.values()))
        st.download_button(f"Download all as a zip ({_size(pack)})", pack, file_name="vendor_pack.zip",
                           mime="application/zip", key="export_download_pack", icon=":material/folder_zip:")


def _roundtrip(result, vendor: str | None) -> None:
    st.subheader("Returned vendor sheet")
    st.caption("Upload a workbook a vendor sent back with edited Headcount: the allocation is re-planned "
               "with those headcounts and the independent plan checker runs on it.")
    limit = uploads.upload_limit_mb(result.operation.settings)
    upload = st.file_uploader(f"Returned workbook (.xlsx, up to {limit:g} MB)", type=["xlsx"], key="export_returned",
                              max_upload_size=max(1, int(limit)))
    if upload is None:
        return
    names = [vendor] if vendor else vendors(result)
    chosen = st.selectbox("Vendor sheet to read", names, key="export_returned_vendor") if len(names) > 1 else names[0]
    try:
        with st.spinner("Re-planning with the returned headcounts..."):
            trip = import_vendor_sheet(upload.getvalue(), result, vendor=chosen,
                                       limits=roundtrip_limits(limit))
    except RoundTripError as exc:
        widgets.error_box(str(exc), "Send the vendor its sheet again and ask them to edit only Headcount.")
        return
    except Exception as exc:  # the reader promises not to raise; if it does, say so instead of a traceback
        widgets.error_box(exc)
        return
    for problem in trip.problems:
        widgets.error_box(problem)
    for warning in trip.warnings:
        st.warning(fmt.plain(warning), icon=":material/warning:")
    if not trip.ok:
        return
    currency = result.operation.settings.currency
    c = st.columns(3)
    c[0].metric("Changed rows", len(trip.changes))
    c[1].metric("Cost with returned headcounts", fmt.fmt_money(trip.cost_after, currency),
                delta=fmt.fmt_money(trip.cost_after - trip.cost_before, currency), delta_color="inverse")
    c[2].metric("Checker violations", len(trip.violations))
    widgets.show_table(trip.changes, key="export_changes", file_name="changes.csv")
    st.caption("Per queue x market, before and after (agent-hours; predicted = share within the SLA deadline)")
    widgets.show_table(trip.pairs, key="export_pairs", file_name="coverage_change.csv")
    if trip.violations:
        widgets.show_table(pd.DataFrame([{"constraint": v.constraint, "message": v.message}
                                        for v in trip.violations]), key="export_violations",
                          file_name="violations.csv")


def render() -> None:
    who = common.principal()
    st.title("Export")
    op = common.require_operation(who)
    st.caption(common.data_caption(op))
    if not can(who, "export"):
        widgets.empty_state("Export is not available for your role", "Ask a planner for the workbook.")
        return
    found = _current_result(op, who)
    if found is None:
        widgets.empty_state("No plan in this session yet",
                           "Plan here, or run a plan on the Shift plan page and come back.",
                           icon=":material/calendar_month:")
        _plan_controls(op)
        return
    result, token, label = found
    vendor = who.vendor if who.role is Role.vendor_manager else None
    capacity = st.session_state.get(CAPACITY_KEY)
    if vendor is None and capacity is not None and getattr(result, "capacity", None) is None:
        result = dataclasses.replace(result, capacity=capacity)
        token = f"{token}+hiring{id(capacity)}"
        st.caption("The hiring plan from the Capacity & hiring page is included (Hiring plan sheet).")
    if st.session_state.get(RESULT_KEY):
        st.caption(f"Exporting a plan made on {fmt.plain(label)}: not the plan of record.")
    else:
        st.caption(fmt.plain(label))
    st.markdown(f"**Exported plan:** status {result.plan.status}, cost "
                f"{fmt.fmt_money(result.plan.cost, result.operation.settings.currency)} over the plan horizon"
                + (f" ({fmt.plain(vendor)}'s sites only)" if vendor else ""))
    st.caption(record.headcount_line(result))
    if st.session_state.get(RESULT_KEY) and st.button("Discard this plan (back to the plan of record)",
                                                      key="export_discard"):
        del st.session_state[RESULT_KEY]
        st.rerun()
    elif not st.session_state.get(RESULT_KEY):
        with st.expander("Export another plan instead (not the plan of record)"):
            _plan_controls(op)
    scenario = st.text_input("Scenario name shown in the workbook", "Base plan", key="export_scenario",
                             max_chars=200)
    left, right = st.columns(2)
    with left:
        kind = f"{vendor} workbook" if vendor else "workbook"
        st.subheader("Staffing workbook")
        data = _built(token, kind, scenario, lambda: workbook_bytes(result, scenario=scenario, vendor=vendor))
        if data:
            st.download_button(f"Download the {kind} ({_size(data)})", data, file_name="staffing_plan.xlsx",
                               mime=XLSX, key="export_download_workbook", icon=":material/download:")
    with right:
        _vendor_downloads(result, who, token, scenario)
    if data:
        st.subheader("Preview")
        sheets = pd.ExcelFile(io.BytesIO(data)).sheet_names
        sheet = st.selectbox("Sheet", sheets, key="export_preview_sheet")
        st.dataframe(_sheet_preview(token, kind, scenario, sheet, data), hide_index=True,
                     key="export_preview_table")
        st.caption(f"First {PREVIEW_ROWS} rows as stored in the workbook (columns A, B, ...).")
    _roundtrip(result, vendor)
