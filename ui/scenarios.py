"""Scenarios (program managers): build levers, run, save, reopen, duplicate, delete, compare.

Thin page: levers and scenarios are ``planning.levers`` / ``planning.scenarios`` objects,
storage is ``planning.store.Store`` (one engine per process via ``st.cache_resource``;
every store call checks out its own connection, so Streamlit's threads never share one),
runs go through ``planning.scenarios.run_scenario`` (the pipeline caches the base forecast).
"""
from __future__ import annotations

import datetime as dt
import json
import time
import typing
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st
from pydantic import ValidationError

from planning.access import restrict_operation
from planning.levers import LEVER_KINDS, LeverError, explain, parse_lever
from planning.scenarios import (PlanSettings, Scenario, ScenarioInputError, compare, compare_wide,
                                labels, load_base, what_changed)
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.run_scenario).
from planning.solverproc import SolverCrashed
from planning.solverproc import run_scenario_isolated as run_scenario
from planning.store import Store, StoreError
from ui import common

PAGE = {"title": "Scenarios", "icon": ":material/compare_arrows:", "section": "Planning", "order": 30}

DRAFT = "scn_draft"  # session_state: {"id", "name", "base", "notes", "levers" (dicts), "settings" (dict), "parent_id"}
LAST_RUN = "scn_last_run"  # session_state: {"kpis", "seconds", "baseline" (KPIs or None), "signature", "limit"}
CONFIRM = "scn_confirm_delete"  # session_state: id waiting for delete confirmation
STOPPED = "scn_stopped"  # session_state: True after the Stop button interrupted a run
FLASH = "scn_flash"  # session_state: a message to show once after a rerun
DEFAULT_BASE = "data/sample"
UNNAMED = "Unsaved scenario"  # the name of a run before the user names it
CHOICE_FIELDS = {"queue": "queues", "market": "markets", "site": "sites", "vendor": "vendors"}


@st.cache_resource(show_spinner=False)
def _store() -> Store:
    return Store()


@st.cache_resource(show_spinner="Loading the base dataset...", max_entries=4)
def _base_operation(path: str, stamp: tuple):
    return load_base(path)


def _stamp(path: str) -> tuple:
    p = Path(path) if Path(path).exists() else common.ROOT / path
    files = [p] if p.is_file() else sorted(q for q in p.glob("*") if q.is_file()) if p.is_dir() else []
    return tuple((q.name, q.stat().st_mtime_ns, q.stat().st_size) for q in files)


def _empty_draft() -> dict:
    return {"id": None, "name": "", "base": DEFAULT_BASE, "notes": "", "levers": [], "settings": {},
            "parent_id": None}


def _draft() -> dict:
    return st.session_state.setdefault(DRAFT, _empty_draft())


def _open(s: Scenario, as_copy: bool = False) -> None:
    st.session_state[DRAFT] = {
        "id": None if as_copy else s.id, "name": f"{s.name} (copy)" if as_copy else s.name, "base": s.base,
        "notes": s.notes, "levers": s.levers_json(), "settings": s.settings.model_dump(mode="json"),
        "parent_id": s.id if as_copy else s.parent_id}
    st.session_state.pop(LAST_RUN, None)
    for key in [k for k in st.session_state if k.startswith("scn_f_")]:
        del st.session_state[key]  # the form widgets show the opened scenario


# ---------------------------------------------------------------- lever form
def _choices(op, field: str, required: bool) -> list[str]:
    values = list(getattr(op, CHOICE_FIELDS[field])) if op is not None else []
    values = sorted(values)
    return values if required else ["*", *values]


def _field_widget(kind: str, name: str, info, op):
    key = f"scn_lv_{kind}_{name}"
    label = name.replace("_", " ") + (f" — {info.description}" if info.description else "")
    annotation = info.annotation
    args = set(typing.get_args(annotation)) or {annotation}
    optional = type(None) in args
    if name in CHOICE_FIELDS and str in args and op is not None:
        return st.selectbox(label, _choices(op, name, info.is_required()), key=key,
                            help="* = every one")
    if dt.datetime in args:
        day = st.date_input(label + " (UTC date)", value=None if optional else dt.date.today(), key=key)
        return None if day is None else day.isoformat()
    if float in args or int in args:
        default = info.default if isinstance(info.default, (int, float)) else 0
        step = 1 if int in args else 0.01 if "rate" in name or name == "change" else 1.0
        value = st.number_input(label, value=type(step)(default) if not optional else None, step=step, key=key)
        return value
    if str in args:
        return st.text_input(label, value=info.default if isinstance(info.default, str) else "", key=key)
    example = {"site": {"site": "NEW", "vendor": "Vendor Z", "timezone": "Europe/Lisbon", "max_headcount": 50,
                        "hourly_cost": 18.0, "shrinkage": 0.3},
               "certifications": [{"queue": "spam", "market": "EU-PT"}],
               "shifts": [{"shift": "day", "start": "08:00", "paid_hours": 8}]}.get(name, {})
    text = st.text_area(f"{label} (JSON)", value=json.dumps(example), key=key)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _lever_builder(op) -> None:
    kinds = list(LEVER_KINDS)
    kind = st.selectbox("Lever", kinds, key="scn_kind",
                        format_func=lambda k: f"{k.replace('_', ' ')} — "
                        f"{LEVER_KINDS[k].__doc__.split('.')[0].replace('``', '')}")
    with st.form(f"scn_form_{kind}", clear_on_submit=False, border=True):
        values = {"kind": kind}
        for name, info in LEVER_KINDS[kind].model_fields.items():
            if name != "kind":
                values[name] = _field_widget(kind, name, info, op)
        if st.form_submit_button("Add lever", icon=":material/add:"):
            values = {k: v for k, v in values.items() if v is not None and v != ""}
            try:
                lever = parse_lever(values)
                if op is not None:
                    lever.apply_operation(op)  # checks the names it refers to
            except ValidationError as exc:
                common.error_box(explain(exc), "Fix the fields above and add the lever again.")
            except LeverError as exc:
                common.error_box(str(exc))
            else:
                _draft()["levers"].append(json.loads(lever.model_dump_json()))
                st.session_state.pop(LAST_RUN, None)
                st.rerun()


def _lever_list() -> None:
    draft = _draft()
    if not draft["levers"]:
        st.caption("No levers yet: this scenario is the baseline.")
    for i, data in enumerate(list(draft["levers"])):
        c1, c2 = st.columns([8, 2], vertical_alignment="center")
        c1.markdown(f"{i + 1}\\. {common.plain(parse_lever(data).describe())}")
        if c2.button("Remove", icon=":material/delete:", key=f"scn_rm_{i}", help="remove this lever"):
            draft["levers"].pop(i)
            st.session_state.pop(LAST_RUN, None)
            st.rerun()


# ---------------------------------------------------------------- run / save
def _scenario_from_draft(run_only: bool = False) -> Scenario:
    """The draft as a Scenario; a run needs no name (only saving does)."""
    d = _draft()
    name = d["name"] if d["name"].strip() or not run_only else UNNAMED
    return Scenario(id=d["id"], name=name, base=d["base"], notes=d["notes"], levers=d["levers"],
                    settings=PlanSettings(**d["settings"]), parent_id=d["parent_id"])


def _signature(scenario: Scenario) -> str:
    """What a run's KPIs depend on (base, levers, settings): a saved result must match it."""
    return json.dumps({"base": scenario.base, "levers": scenario.levers_json(),
                       "settings": scenario.settings.model_dump(mode="json")}, sort_keys=True)


def _baseline_kpis(op, scenario: Scenario) -> dict | None:
    """KPIs of the stored baseline plan of ``op`` (no levers; the Overview's plan), if comparable.

    Comparable = same horizon and the default first day; None when no baseline is stored yet.
    """
    from planning.pipeline import peek_baseline

    if scenario.settings.start is not None:
        return None
    stored = peek_baseline(op, weeks=scenario.settings.weeks)
    return None if stored is None else stored.kpis


def _stop() -> None:
    st.session_state[STOPPED] = True


def _run(scenario: Scenario, who, key: str = "scn_stop") -> dict | None:
    """Run the scenario with progress; the outcome holds its KPIs and the baseline's."""
    with st.status("Running the scenario (forecast, levers, requirements, plan, simulation)...",
                   expanded=True) as status:
        st.button("Stop", icon=":material/stop_circle:", key=key,
                  on_click=_stop,
                  help="Stops the run within about a second (its process is ended); "
                       "the last result stays.")
        bar = st.progress(0.0, text="Starting...")
        try:
            op = restrict_operation(_base_operation(scenario.base, _stamp(scenario.base)), who)
            t0 = time.perf_counter()
            result = run_scenario(scenario, operation=op, progress=lambda message, f: bar.progress(
                min(max(float(f), 0.0), 1.0), text=common.plain(message)))
            seconds = time.perf_counter() - t0
            baseline = _baseline_kpis(op, scenario)
        except ScenarioInputError as exc:
            problem, fix = str(exc), "Fix the base dataset (see the Data page) or pick another path."
        except LeverError as exc:
            problem, fix = str(exc), "Edit or remove the lever that names it."
        except SolverCrashed as exc:
            problem = f"The planning process stopped unexpectedly ({exc})."
            fix = "Run it again; if it happens again, shorten the horizon or lower the time limit."
        except Exception as exc:  # never a traceback on the page
            problem, fix = exc, None
        else:
            status.update(label=f"Scenario run finished in {seconds:.1f} s", state="complete", expanded=False)
            return {"kpis": result.kpis, "seconds": seconds, "baseline": baseline,
                    "signature": _signature(scenario),
                    "limit": scenario.settings.time_limit_seconds or op.settings.scenario_time_limit_seconds}
        status.update(label="The scenario run failed", state="error", expanded=False)
    common.error_box(problem, fix)
    return None


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
    draft["base"] = c2.text_input("Base dataset (CSV folder, .zip or .xlsx on the server)", value=draft["base"],
                                  key="scn_f_base")
    draft["notes"] = st.text_area("Notes", value=draft["notes"], key="scn_f_notes", height=68)
    _settings_inputs(draft)
    st.markdown("**Levers** (applied in this order)")
    _lever_list()
    _lever_builder(op)

    b1, b2, b3, b4 = st.columns(4)
    run = b1.button("Run", icon=":material/play_arrow:", type="primary", key="scn_run")
    save_new = b2.button("Save as new", icon=":material/save:", key="scn_save_new")
    save = b3.button("Save changes", icon=":material/save_as:", key="scn_save", disabled=draft["id"] is None)
    if b4.button("New (clear)", icon=":material/note_add:", key="scn_clear"):
        st.session_state[DRAFT] = _empty_draft()
        st.session_state.pop(LAST_RUN, None)
        for key in [k for k in st.session_state if k.startswith("scn_f_")]:
            del st.session_state[key]
        st.rerun()
    try:
        scenario = _scenario_from_draft(run_only=not (save or save_new)) if (run or save or save_new) else None
    except ValidationError as exc:
        common.error_box(explain(exc))
        return
    if run:
        outcome = _run(scenario, who)
        if outcome:
            st.session_state[LAST_RUN] = outcome
    if save or save_new:
        last = st.session_state.get(LAST_RUN)
        try:
            if save:
                store.update(scenario)
                sid = scenario.id
            else:
                sid = store.save(scenario)
                draft["id"] = sid
            fresh = bool(last) and last.get("signature") == _signature(scenario)
            if fresh:  # only the KPIs of exactly these levers and settings
                store.save_result(sid, last["kpis"], last["seconds"])
        except StoreError as exc:
            common.error_box(str(exc))
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
_KPIS = [("Cost", "cost", "money"), ("Paid hours", "paid_hours", "h"),
         ("Unmet workload", "unmet_agent_hours", "agent-h")]


def _fmt_kpi(value, unit: str, currency: str, signed: bool = False) -> str:
    if unit == "money":
        text = common.fmt_money(abs(value) if signed else value, currency)
    else:
        text = common.fmt_number(abs(value) if signed else value, unit, 1 if unit == "agent-h" else 0)
    return (("-" if value < 0 else "+") + text) if signed else text


def _kpi_metrics(last: dict, op) -> None:
    """The run's cost, paid hours and unmet workload, with the change against the baseline plan."""
    kpis, base = last["kpis"], last.get("baseline")
    currency = kpis.get("currency") or (op.settings.currency if op is not None else "")
    for col, (label, key, unit) in zip(st.columns(len(_KPIS)), _KPIS):
        value = kpis.get(key)
        ref = (base or {}).get(key)
        delta = None
        if value is not None and ref is not None:
            delta = (f"{_fmt_kpi(value - ref, unit, currency, signed=True)} vs baseline "
                     f"{_fmt_kpi(ref, unit, currency)}")
        col.metric(label, "–" if value is None else _fmt_kpi(value, unit, currency), delta=delta,
                   delta_color="inverse")
    solver = (f"Solver: {kpis.get('status', '?')}, {common.fmt_number(kpis.get('solve_seconds'), 's', 1)} "
              f"(limit {common.fmt_number(last.get('limit'), 's', 0)})")
    if kpis.get("gap") is not None:
        solver += f", gap to the bound {common.fmt_share(kpis['gap'], 2)}"
    if base:
        noise = ""
        gaps = [g for g in (kpis.get("gap"), base.get("gap")) if g is not None]
        if gaps and kpis.get("cost") is not None:  # each plan is within its gap of its own optimum
            noise = (f" Cost changes smaller than about {_fmt_kpi(sum(gaps) * kpis['cost'], 'money', currency)} "
                     "(the two gaps) can come from the solver alone; a longer time limit narrows them.")
        st.caption(f"{solver}. Baseline = the stored plan of the same inputs without levers (the Overview's "
                   f"plan, {base.get('status', '?')}, gap {common.fmt_share(base.get('gap'), 2)}).{noise}")
    else:
        st.caption(f"{solver}. No comparable baseline plan is stored: open **Overview** once to compute it "
                   "(only for the default first day), or compare with a saved no-lever scenario in **Compare**.")
    att = pd.DataFrame(kpis.get("attainment") or [])
    if len(att):
        common.show_table(att, key="scn_att", file_name="scenario_attainment.csv", column_config={
            c: st.column_config.NumberColumn(f"{c} [share]", format="percent")
            for c in ("target", "predicted", "simulated") if c in att})


# ---------------------------------------------------------------- saved / compare
def _saved_tab(store: Store) -> None:
    rows = store.list()
    if not rows:
        common.empty_state("No saved scenarios", "Build one in **Build & run** and press **Save as new**.")
        return
    table = pd.DataFrame(rows)[["id", "name", "levers", "runs", "created_by", "created_at", "parent_id", "notes"]]
    common.show_table(table, key="scn_saved", file_name="scenarios.csv")
    options = {r["id"]: f"#{r['id']} {r['name']}" for r in rows}
    sid = st.selectbox("Scenario", list(options), format_func=options.get, key="scn_pick")
    c1, c2, c3 = st.columns(3)
    if c1.button("Open", icon=":material/folder_open:", key="scn_open"):
        _open(store.get(sid))
        st.session_state[FLASH] = f"Opened scenario #{sid} in Build & run."
        st.rerun()  # re-render the form with the opened scenario
    if c2.button("Duplicate", icon=":material/content_copy:", key="scn_dup"):
        new = store.save(store.get(sid).duplicate())
        st.session_state[FLASH] = f"Saved a copy of #{sid} as #{new}."
        st.rerun()
    if c3.button("Delete...", icon=":material/delete:", key="scn_del"):
        st.session_state[CONFIRM] = sid
    if st.session_state.get(CONFIRM) == sid:
        st.warning(f"Delete {common.plain(options[sid])} and its results? This cannot be undone.",
                   icon=":material/warning:")
        d1, d2 = st.columns(2)
        if d1.button("Yes, delete", type="primary", key="scn_del_yes"):
            store.delete(sid)
            st.session_state.pop(CONFIRM, None)
            st.rerun()
        if d2.button("Cancel", key="scn_del_no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def _compare_tab(store: Store, who) -> None:
    rows = store.list()
    options = {r["id"]: f"#{r['id']} {r['name']}" + ("" if r["runs"] else " (not run)") for r in rows}
    chosen = st.multiselect("Scenarios to compare (2-4; the first is the reference)", list(options),
                            format_func=options.get, max_selections=4, key="scn_cmp")
    if len(chosen) < 2:
        common.empty_state("Pick two to four scenarios", "Scenarios that were never run are run first.")
        return
    if not st.button("Compare", icon=":material/compare_arrows:", type="primary", key="scn_cmp_go"):
        return
    scenarios, kpis = [store.get(i) for i in chosen], []
    for s in scenarios:
        last = store.latest_result(s.id)
        if last is None:
            outcome = _run(s, who, key=f"scn_cmp_stop_{s.id}")
            if outcome is None:
                return
            store.save_result(s.id, outcome["kpis"], outcome["seconds"])
            last = outcome
        kpis.append(last["kpis"])
    table = compare(scenarios, kpis)
    st.markdown("**What changed**")
    changed = what_changed(scenarios)
    if len(changed):
        st.dataframe(changed, hide_index=True, width="stretch", key="scn_changed")
    else:
        st.caption("Same levers and settings.")
    _compare_charts(table, labels(scenarios))
    st.markdown("**KPI deltas against the first scenario**")
    common.show_table(compare_wide(table), key="scn_deltas", file_name="scenario_comparison.csv")


def _compare_charts(table: pd.DataFrame, names: list[str]) -> None:
    order = alt.Scale(domain=names)
    totals = table[table["metric"].isin(["cost", "paid_hours", "unmet_agent_hours"])]
    titles = {"cost": "Cost [currency]", "paid_hours": "Paid hours [h]", "unmet_agent_hours": "Unmet [agent-h]"}
    cols = st.columns(3)
    for col, (metric, title) in zip(cols, titles.items()):
        part = totals[totals["metric"] == metric]
        chart = alt.Chart(part, title=title).mark_bar().encode(
            x=alt.X("scenario:N", sort=names, title=None), y=alt.Y("value:Q", title=title),
            color=alt.Color("scenario:N", scale=order, legend=None),
            tooltip=["scenario", alt.Tooltip("value:Q", format=",.1f"), alt.Tooltip("delta:Q", format="+,.1f")])
        with col:
            common.show_chart(chart, key=f"scn_chart_{metric}")
    vendors = table[table["metric"] == "headcount_vendor"]
    if len(vendors):
        chart = alt.Chart(vendors, title="Headcount by vendor [agents]").mark_bar().encode(
            x=alt.X("scope:N", title="Vendor"), xOffset=alt.XOffset("scenario:N", sort=names),
            y=alt.Y("value:Q", title="Headcount [agents]"), color=alt.Color("scenario:N", scale=order),
            tooltip=["scenario", "scope", alt.Tooltip("value:Q", format=",.0f")])
        common.show_chart(chart, key="scn_chart_vendor")
    att = table[table["metric"].isin(["attainment_predicted", "attainment_simulated"])]
    if len(att):
        chart = alt.Chart(att, title="SLA attainment by queue / market [share]").mark_point(filled=True, size=70).encode(
            y=alt.Y("scope:N", title="Queue / market"), x=alt.X("value:Q", title="Attainment [share]",
                                                               axis=alt.Axis(format="%")),
            color=alt.Color("scenario:N", scale=order), shape=alt.Shape("metric:N", title="Kind"),
            tooltip=["scenario", "scope", "metric", alt.Tooltip("value:Q", format=".1%")])
        common.show_chart(chart, key="scn_chart_att")


def render() -> None:
    who = common.principal()
    st.title("Scenarios")
    st.caption("What-if levers over a base dataset: run, save, reopen, duplicate, delete and compare. "
               "Saved in the scenario store shared with `python -m planning scenario`.")
    try:
        store = _store()
    except Exception as exc:
        common.error_box(f"the scenario store cannot be opened: {exc}",
                         "Check the WFM_DB setting (a file path or a postgresql:// URL).")
        return
    if st.session_state.pop(STOPPED, False):  # the Stop button interrupted a run (this is the rerun)
        st.info("Run stopped; nothing was changed.", icon=":material/stop_circle:")
    if st.session_state.get(FLASH):
        st.success(st.session_state.pop(FLASH), icon=":material/check:")
    draft = _draft()
    try:
        op = restrict_operation(_base_operation(draft["base"], _stamp(draft["base"])), who)
    except Exception as exc:
        op = None
        common.error_box(f"base dataset {draft['base']}: {exc}".splitlines()[0],
                         "Lever fields are typed in free text until a valid base dataset is set.")
    build, saved, comp = st.tabs(["Build & run", "Saved", "Compare"])
    with build:
        _build_tab(store, who, op)
    with saved:
        _saved_tab(store)
    with comp:
        _compare_tab(store, who)
