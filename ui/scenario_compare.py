"""The Scenarios page's results: KPI tiles of a run against its baseline, the saved list and
the side-by-side comparison with its charts.
"""
from __future__ import annotations


import altair as alt
import pandas as pd
import streamlit as st

from planning.scenarios.scenario import (compare, compare_wide,
                                labels, what_changed)
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.scenario.run_scenario).
from planning.access import Forbidden, can
from planning.scenarios import Store, StoreError
from ui import widgets
from ui import format as fmt
from ui.scenario_state import CONFIRM, FLASH, _open
from ui.scenario_run import _run


_KPIS = [("Cost", "cost", "money"), ("Paid hours", "paid_hours", "h"),
         ("Unmet workload", "unmet_agent_hours", "agent-h")]


def _fmt_kpi(value, unit: str, currency: str, signed: bool = False) -> str:
    if unit == "money":
        text = fmt.fmt_money(abs(value) if signed else value, currency)
    else:
        text = fmt.fmt_number(abs(value) if signed else value, unit, 1 if unit == "agent-h" else 0)
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
    solver = (f"Solver: {kpis.get('status', '?')}, {fmt.fmt_number(kpis.get('solve_seconds'), 's', 1)} "
              f"(limit {fmt.fmt_number(last.get('limit'), 's', 0)})")
    if kpis.get("gap") is not None:
        solver += f", gap to the bound {fmt.fmt_share(kpis['gap'], 2)}"
    if base:
        noise = ""
        gaps = [g for g in (kpis.get("gap"), base.get("gap")) if g is not None]
        if gaps and kpis.get("cost") is not None:  # each plan is within its gap of its own optimum
            noise = (f" Cost changes smaller than about {_fmt_kpi(sum(gaps) * kpis['cost'], 'money', currency)} "
                     "(the two gaps) can come from the solver alone; a longer time limit narrows them.")
        st.caption(f"{solver}. Baseline = the stored plan of the same inputs without levers (the Overview's "
                   f"plan, {base.get('status', '?')}, gap {fmt.fmt_share(base.get('gap'), 2)}).{noise}")
    else:
        st.caption(f"{solver}. No comparable baseline plan is stored: open **Overview** once to compute it "
                   "(only for the default first day), or compare with a saved no-lever scenario in **Compare**.")
    att = pd.DataFrame(kpis.get("attainment") or [])
    if len(att):
        widgets.show_table(att, key="scn_att", file_name="scenario_attainment.csv", column_config={
            c: st.column_config.NumberColumn(f"{c} [share]", format="percent")
            for c in ("target", "predicted", "simulated") if c in att})


# ---------------------------------------------------------------- saved / compare
def _say(exc: Exception) -> str:
    """A refusal or a store problem in words (both messages say what to do)."""
    return f"Not allowed: {exc}." if isinstance(exc, Forbidden) else str(exc)


def _saved_tab(store: Store, who) -> None:
    rows = store.list(who=who)
    if not rows:
        widgets.empty_state("No saved scenarios" + ("" if can(who, "save") else " you may see"),
                            "Build one in **Build & run** and press **Save as new**." if can(who, "save")
                            else "A planner saves scenarios; vendor managers see those made for their vendor.")
        return
    table = pd.DataFrame(rows)[["id", "name", "levers", "runs", "created_by", "created_at", "parent_id", "notes"]]
    widgets.show_table(table, key="scn_saved", file_name="scenarios.csv")
    options = {r["id"]: f"#{r['id']} {r['name']}" for r in rows}
    sid = st.selectbox("Scenario", list(options), format_func=options.get, key="scn_pick")
    c1, c2, c3 = st.columns(3)
    try:
        if c1.button("Open", icon=":material/folder_open:", key="scn_open"):
            _open(store.get(sid, who=who))
            st.session_state[FLASH] = f"Opened scenario #{sid} in Build & run."
            st.rerun()  # re-render the form with the opened scenario
        if can(who, "duplicate") and c2.button("Duplicate", icon=":material/content_copy:", key="scn_dup"):
            new = store.duplicate(sid, who=who)
            st.session_state[FLASH] = f"Saved a copy of #{sid} as #{new}."
            st.rerun()
    except (Forbidden, StoreError) as exc:
        widgets.error_box(_say(exc))
    if can(who, "delete") and c3.button("Delete...", icon=":material/delete:", key="scn_del"):
        st.session_state[CONFIRM] = sid
    if st.session_state.get(CONFIRM) == sid:
        st.warning(f"Delete {fmt.plain(options[sid])} and its results? This cannot be undone.",
                   icon=":material/warning:")
        d1, d2 = st.columns(2)
        if d1.button("Yes, delete", type="primary", key="scn_del_yes"):
            try:
                store.delete(sid, who=who)
            except (Forbidden, StoreError) as exc:
                widgets.error_box(_say(exc))
                return
            st.session_state.pop(CONFIRM, None)
            st.rerun()
        if d2.button("Cancel", key="scn_del_no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def _compare_tab(store: Store, who) -> None:
    rows = store.list(who=who)
    options = {r["id"]: f"#{r['id']} {r['name']}" + ("" if r["runs"] else " (not run)") for r in rows}
    chosen = st.multiselect("Scenarios to compare (2-4; the first is the reference)", list(options),
                            format_func=options.get, max_selections=4, key="scn_cmp")
    if len(chosen) < 2:
        widgets.empty_state("Pick two to four scenarios", "Scenarios that were never run are run first.")
        return
    if not st.button("Compare", icon=":material/compare_arrows:", type="primary", key="scn_cmp_go"):
        return
    try:
        scenarios, kpis = [store.get(i, who=who) for i in chosen], []
        for s in scenarios:
            last = store.latest_result(s.id, who=who)
            if last is None:
                if not can(who, "run"):
                    widgets.empty_state(f"#{s.id} {fmt.plain(s.name)} was never run",
                                        "A planner runs it; then it can be compared here.")
                    return
                outcome = _run(s, who, key=f"scn_cmp_stop_{s.id}")
                if outcome is None:
                    return
                store.save_result(s.id, outcome["kpis"], outcome["seconds"], who=who)
                last = outcome
            kpis.append(last["kpis"])
    except (Forbidden, StoreError) as exc:
        widgets.error_box(_say(exc))
        return
    table = compare(scenarios, kpis)
    st.markdown("**What changed**")
    changed = what_changed(scenarios)
    if len(changed):
        st.dataframe(changed, hide_index=True, width="stretch", key="scn_changed")
    else:
        st.caption("Same levers and settings.")
    _compare_charts(table, labels(scenarios))
    st.markdown("**KPI deltas against the first scenario**")
    widgets.show_table(compare_wide(table), key="scn_deltas", file_name="scenario_comparison.csv")


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
            widgets.show_chart(chart, key=f"scn_chart_{metric}")
    vendors = table[table["metric"] == "headcount_vendor"]
    if len(vendors):
        chart = alt.Chart(vendors, title="Headcount by vendor [agents]").mark_bar().encode(
            x=alt.X("scope:N", title="Vendor"), xOffset=alt.XOffset("scenario:N", sort=names),
            y=alt.Y("value:Q", title="Headcount [agents]"), color=alt.Color("scenario:N", scale=order),
            tooltip=["scenario", "scope", alt.Tooltip("value:Q", format=",.0f")])
        widgets.show_chart(chart, key="scn_chart_vendor")
    att = table[table["metric"].isin(["attainment_predicted", "attainment_simulated"])]
    if len(att):
        chart = alt.Chart(att, title="SLA attainment by queue / market [share]").mark_point(filled=True, size=70).encode(
            y=alt.Y("scope:N", title="Queue / market"), x=alt.X("value:Q", title="Attainment [share]",
                                                               axis=alt.Axis(format="%")),
            color=alt.Color("scenario:N", scale=order), shape=alt.Shape("metric:N", title="Kind"),
            tooltip=["scenario", "scope", "metric", alt.Tooltip("value:Q", format=".1%")])
        widgets.show_chart(chart, key="scn_chart_att")
