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
from ui.scenario_headline import readable_compare, render_headline


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
    for text in kpis.get("lever_warnings") or []:
        st.warning(fmt.plain(text), icon=":material/event_busy:")
    if base:
        import json

        from planning.scenarios import parse_levers

        levers = parse_levers(json.loads(last["signature"])["levers"]) if last.get("signature") else []
        render_headline(base, kpis, op=op, levers=levers)
    from planning.scenarios.headline import headline

    moves = headline(base, kpis) if base else {}
    for col, (label, key, unit) in zip(st.columns(len(_KPIS)), _KPIS):
        value = kpis.get(key)
        ref = (base or {}).get(key)
        delta, color = None, "inverse"
        move = moves.get(key) or {}
        if value is not None and ref is not None:
            change = value - ref
            if _fmt_kpi(abs(change), unit, currency) == _fmt_kpi(0.0, unit, currency):  # rounds to nothing
                delta, color = f"no change vs baseline {_fmt_kpi(ref, unit, currency)}", "off"
            elif move.get("within_gap"):  # the same rule as the headline: the solver alone can do this
                delta, color = (f"within the solver's gap (±{_fmt_kpi(move['noise'], unit, currency)}) vs baseline "
                                f"{_fmt_kpi(ref, unit, currency)}"), "off"
            else:
                delta = f"{_fmt_kpi(change, unit, currency, signed=True)} vs baseline {_fmt_kpi(ref, unit, currency)}"
        col.metric(label, "–" if value is None else _fmt_kpi(value, unit, currency), delta=delta,
                   delta_color=color)
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
        st.caption(f"{solver}. Baseline = the same inputs, horizon, first day, time limit and settings without "
                   f"levers (computed on demand and kept; {base.get('status', '?')}, gap "
                   f"{fmt.fmt_share(base.get('gap'), 2)}).{noise}")
    else:
        st.caption(f"{solver}. No baseline could be computed for these settings.")
    if kpis.get("interval_minutes") and op is not None and kpis["interval_minutes"] != op.settings.interval_minutes:
        st.caption(f"Planned at {kpis['interval_minutes']}-minute intervals (a coarser pass that fits the "
                   f"time limit; the data has {op.settings.interval_minutes}-minute intervals).")
    wall, limit = kpis.get("wall_seconds"), kpis.get("time_limit_seconds")
    if wall is not None and limit and wall > 1.2 * limit:
        st.caption(f"The run took {fmt.fmt_number(wall, 's', 0)} against its {fmt.fmt_number(limit, 's', 0)} "
                   "limit: the LP relaxation of a large horizon needs the time it needs (the machine's load "
                   "adds to it); a shorter horizon or a longer limit is more predictable.")
    att = pd.DataFrame(kpis.get("attainment") or [])
    _probability_caption(kpis, att)
    att = att.dropna(axis=1, how="all")  # columns a run did not measure (no interval, no probability)
    if "risk_note" in att and not att["risk_note"].astype(bool).any():
        att = att.drop(columns="risk_note")
    if len(att):
        widgets.show_table(att, key="scn_att", file_name="scenario_attainment.csv", column_config={
            c: st.column_config.NumberColumn(f"{c} [share]", format="percent")
            for c in ("target", "predicted", "simulated", "simulated_lo", "simulated_hi", "p_target", "p_target_lo",
                      "p_target_hi") if c in att})


def _probability_caption(kpis: dict, att: pd.DataFrame) -> None:
    """The probability of meeting target over volume paths (planning.risk), or why it is missing."""
    confidence = kpis.get("sla_confidence")
    if "p_target" in att and att["p_target"].notna().any() and confidence:
        reach = int((att["p_target_hi"] >= confidence - 1e-9).sum())
        st.caption(f"Probability of meeting target over {kpis.get('target_paths') or '?'} volume paths "
                   f"(agent-level, one replication each): {reach} of {int(att['p_target'].notna().sum())} "
                   f"queue x markets reach the {fmt.fmt_share(confidence, 0)} confidence (the 95% interval's upper "
                   "end); columns p_target, p_target_lo and p_target_hi.")
    elif kpis.get("probability_note"):
        st.caption(fmt.plain(kpis["probability_note"][0].upper() + kpis["probability_note"][1:]) + ".")


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
    with_ref = st.toggle("Compare against the no-lever baseline of the first scenario's settings", value=True,
                         key="scn_cmp_ref", help="Same base, horizon, first day and time limit without levers; "
                         "computed on demand and kept, so a comparison always has a reference.")
    chosen = st.multiselect("Scenarios to compare" + (" (1-3; the baseline is the reference)" if with_ref
                                                      else " (2-4; the first is the reference)"), list(options),
                            format_func=options.get, max_selections=3 if with_ref else 4, key="scn_cmp")
    if len(chosen) < (1 if with_ref else 2):
        widgets.empty_state("Pick scenarios to compare", "Scenarios that were never run are run first.")
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
    if with_ref:
        from planning.scenarios.reference import reference_kpis, reference_scenario
        from ui.scenario_state import base_operation

        try:
            op = base_operation(scenarios[0].base)
            ref = reference_kpis(scenarios[0], who=who, operation=op,
                                 run=lambda s, **kw: _run_result(s, who))
        except Exception as exc:  # the reference is a help, never a blocker: say why it is missing
            widgets.error_box(f"the no-lever baseline could not be computed: {exc}")
        else:
            if ref is not None:
                scenarios = [reference_scenario(scenarios[0]), *scenarios][:4]
                kpis = [ref, *kpis][:4]
    names = labels(scenarios)
    for s, k, name in zip(scenarios[1:], kpis[1:], names[1:]):
        render_headline(kpis[0], k, levers=s.levers, label=name)
    table = compare(scenarios, kpis)
    st.markdown("**What changed**")
    changed = what_changed(scenarios)
    if len(changed):
        st.dataframe(changed, hide_index=True, width="stretch", key="scn_changed")
    else:
        st.caption("Same levers and settings.")
    _compare_charts(table, names, kpis)
    st.markdown(f"**KPI deltas against {fmt.plain(names[0])}** (cost in {fmt.plain(kpis[0].get('currency') or '')}; "
                "headcount = agents on the busiest day; a delta smaller than the two plans' solver gaps is "
                "shown as 'within solver gap')")
    st.dataframe(readable_compare(table, kpis, names), hide_index=True, width="stretch", key="scn_deltas")
    st.download_button("Download the comparison (CSV, raw numbers)", _csv(compare_wide(table)),
                       file_name="scenario_comparison.csv", key="scn_deltas_csv")


def _csv(frame: pd.DataFrame) -> bytes:
    from planning.export.safe import safe_csv_bytes

    return safe_csv_bytes(frame, index=False)


def _run_result(scenario, who):
    """Run ``scenario`` with the page's progress; an object with ``kpis`` (for the reference)."""
    outcome = _run(scenario, who, key="scn_ref_stop")
    if outcome is None:
        raise RuntimeError("the baseline run did not finish")
    return type("Outcome", (), {"kpis": outcome["kpis"]})()


def _compare_charts(table: pd.DataFrame, names: list[str], kpis: list[dict]) -> None:
    from planning.scenarios.headline import UNMET_NOISE_AGENT_HOURS

    order = alt.Scale(domain=names)
    totals = table[table["metric"].isin(["cost", "paid_hours", "unmet_agent_hours"])]
    currency = next((k.get("currency") for k in kpis if k.get("currency")), "")
    titles = {"cost": fmt.money_header("Cost", currency), "paid_hours": "Paid hours [h]"}
    unmet = totals[totals["metric"] == "unmet_agent_hours"]["value"]
    if len(unmet) and float(unmet.max()) >= UNMET_NOISE_AGENT_HOURS:  # rounding noise is not a chart
        titles["unmet_agent_hours"] = "Unmet workload [agent-h]"
    else:
        st.caption(f"Unmet workload: none in any scenario (below {UNMET_NOISE_AGENT_HOURS:g} agent-h).")
    cols = st.columns(len(titles))
    for col, (metric, title) in zip(cols, titles.items()):
        part = totals[totals["metric"] == metric]
        chart = alt.Chart(part, title=title).mark_bar().encode(
            x=alt.X("scenario:N", sort=names, title=None), y=alt.Y("value:Q", title=title),
            color=alt.Color("scenario:N", scale=order, legend=None),
            tooltip=["scenario", alt.Tooltip("value:Q", format=",.0f", title=title),
                     alt.Tooltip("delta:Q", format="+,.0f", title="change")])
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
