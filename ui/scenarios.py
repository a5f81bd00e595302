"""Scenarios (program managers): build levers, run, save, reopen, duplicate, delete, compare.

Thin page: levers and scenarios are ``planning.scenarios.levers`` / ``planning.scenarios.scenario`` objects,
storage is ``planning.scenarios.store.Store`` (one engine per process via ``st.cache_resource``;
every store call checks out its own connection, so Streamlit's threads never share one),
runs go through ``planning.scenarios.scenario.run_scenario`` (the pipeline caches the base forecast).
"""
from __future__ import annotations

import datetime as dt

import streamlit as st
from pydantic import ValidationError

from planning.access import Forbidden, can, restrict_operation
from planning.scenarios import explain
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.scenario.run_scenario).
from planning.scenarios import Store, StoreError
from ui import common
from ui import format as fmt
from ui import record
from ui import widgets
from ui.scenario_compare import _compare_tab, _kpi_metrics, _saved_tab
from ui.scenario_levers import _lever_builder, _lever_list
from ui.scenario_state import (DRAFT, FLASH, LAST_RUN, STOPPED, _draft, _empty_draft, _store, base_datasets,
                               base_operation)
from ui.scenario_run import _run, _scenario_from_draft, _signature


PAGE = {"title": "Scenarios", "icon": ":material/compare_arrows:", "section": "Planning", "order": 30}

# ---------------------------------------------------------------- run / save
def _settings_inputs(draft: dict) -> None:
    c1, c2, c3 = st.columns(3)
    s = draft["settings"]
    s["weeks"] = int(c1.number_input("Planning horizon [weeks]", 1, 8, int(s.get("weeks") or 1),
                                     key="scn_f_weeks"))
    start = c2.date_input("First planned day (UTC)", value=dt.date.fromisoformat(s["start"]) if s.get("start")
                          else None, key="scn_f_start", help="Empty = the day after the history ends.")
    s["start"] = start.isoformat() if start else None
    limit = c3.number_input("Solver time limit [s]", min_value=1.0, max_value=3600.0,
                            value=float(s["time_limit_seconds"]) if s.get("time_limit_seconds") else None,
                            key="scn_f_limit",
                            help="Empty = the quick what-if limit (setting scenario_time_limit_seconds, "
                                 "10 s by default); the gap to the bound is shown with the result.")
    s["time_limit_seconds"] = limit
    s["simulate"] = st.toggle("Simulate the plan", value=bool(s.get("simulate", True)), key="scn_f_simulate",
                              help="Adds simulated SLA attainment; off = faster what-if runs (predicted only).")


def _build_tab(store: Store, who, op) -> None:
    draft = _draft()
    title = f"Editing scenario #{draft['id']}" if draft["id"] else "New scenario"
    st.subheader(title)
    c1, c2 = st.columns([2, 3])
    draft["name"] = c1.text_input("Name", value=draft["name"], key="scn_f_name", max_chars=200)
    bases = list(base_datasets())
    if draft["base"] not in bases:  # e.g. a scenario saved from the command line: shown, never loaded
        bases.append(draft["base"])
    draft["base"] = c2.selectbox("Base dataset (configured on the server)", bases, index=bases.index(draft["base"]),
                                 key="scn_f_base", help="The built-in sample and the datasets listed in the server's "
                                 "configuration ([scenarios] base_datasets or WFM_BASE_DATASETS).")
    draft["notes"] = st.text_area("Notes", value=draft["notes"], key="scn_f_notes", height=68)
    _settings_inputs(draft)
    st.markdown("**Levers** (applied in this order)")
    _lever_list(op)
    _lever_builder(op)

    b1, b2, b3, b4 = st.columns(4)
    # Controls follow the role; the store and the runner refuse on their own (planning.access.require).
    run = can(who, "run") and b1.button("Run", icon=":material/play_arrow:", type="primary", key="scn_run")
    save_new = can(who, "save") and b2.button("Save as new", icon=":material/save:", key="scn_save_new")
    save = can(who, "save") and b3.button("Save changes", icon=":material/save_as:", key="scn_save",
                                          disabled=draft["id"] is None)
    if not can(who, "run"):
        st.info(f"Read-only for {fmt.plain(who.label)}: you may try levers here and see saved scenarios, "
                "but only planners run and save them.", icon=":material/visibility:")
    if b4.button("New (clear)", icon=":material/note_add:", key="scn_clear"):
        st.session_state[DRAFT] = _empty_draft()
        st.session_state.pop(LAST_RUN, None)
        for key in [k for k in st.session_state if k.startswith("scn_f_")]:
            del st.session_state[key]
        st.rerun()
    try:
        scenario = _scenario_from_draft(run_only=not (save or save_new)) if (run or save or save_new) else None
    except ValidationError as exc:
        widgets.error_box(explain(exc))
        return
    if run:
        outcome = _run(scenario, who)
        if outcome:
            st.session_state[LAST_RUN] = outcome
    if save or save_new:
        last = st.session_state.get(LAST_RUN)
        try:
            if save:
                store.update(scenario, who=who)
                sid = scenario.id
            else:
                sid = store.save(scenario, who=who)
                draft["id"] = sid
            fresh = bool(last) and last.get("signature") == _signature(scenario)
            if fresh:  # only the KPIs of exactly these levers and settings
                store.save_result(sid, last["kpis"], last["seconds"], who=who)
        except Forbidden as exc:
            widgets.error_box(f"Not allowed: {exc}.")
        except StoreError as exc:
            widgets.error_box(str(exc))
        else:
            st.session_state[FLASH] = f"Saved scenario #{sid}" + (" with its KPIs." if fresh else ".")
            st.rerun()  # the title and "Save changes" now refer to the saved scenario
    last = st.session_state.get(LAST_RUN)
    if last:
        st.markdown(f"**Result** (run took {last['seconds']:.1f} s)")
        try:
            current = _signature(_scenario_from_draft(run_only=True))
        except ValidationError:
            current = None
        if last.get("signature") and current != last["signature"]:
            st.caption("The settings above changed since this run; press **Run** to refresh "
                       "(saving now stores the scenario without these KPIs).")
        _kpi_metrics(last, op)


# (label, KPI key, unit) of the headline KPIs; for all three less is better
def render() -> None:
    who = common.principal()
    st.title("Scenarios")
    st.caption("What-if levers over a base dataset: run, save, reopen, duplicate, delete and compare. "
               "Saved in the scenario store shared with `python -m planning scenario`.")
    try:
        store = _store()
    except StoreError as exc:  # says what is wrong (disk full, read-only, unreachable) and what to do
        widgets.error_box(str(exc))
        return
    except Exception as exc:
        widgets.error_box(f"the scenario store cannot be opened: {exc}",
                         "Check the WFM_DB setting (a file path or a postgresql:// URL).")
        return
    if st.session_state.pop(STOPPED, False):  # the Stop button interrupted a run (this is the rerun)
        st.info("Run stopped; nothing was changed.", icon=":material/stop_circle:")
    if st.session_state.get(FLASH):
        st.success(st.session_state.pop(FLASH), icon=":material/check:")
    draft = _draft()
    try:
        op = restrict_operation(base_operation(draft["base"]), who)
    except Exception as exc:
        op = None
        widgets.error_box(f"base dataset {draft['base']}: {exc}".splitlines()[0],
                         "Lever fields are typed in free text until a valid base dataset is set.")
    current = common.current_operation(who)
    if current is not None:
        record.caption(record.plan_of_record(current, who, compute=False))
    build, saved, comp = st.tabs(["Build & run", "Saved", "Compare"])
    with build:
        _build_tab(store, who, op)
    for tab, show in ((saved, _saved_tab), (comp, _compare_tab)):
        with tab:
            try:
                show(store, who)
            except StoreError as exc:  # says what is wrong with the database and what to do
                widgets.error_box(str(exc))
