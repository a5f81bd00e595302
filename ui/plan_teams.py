"""The Plan page's team sections: headcount by site then team, and the value of cross-training
(a background job).  No maths here: ``planning.shiftplan.team_headcount`` and
``planning.scenarios.cross_training`` compute, this module renders."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.access import can
from planning.jobs import TaskJob
from planning.shiftplan import PlanOptions, team_headcount
from ui import format as fmt
from ui import widgets

CT_JOB_KEY = "cross_training_job"
CT_RESULT_KEY = "cross_training_result"  # {"report", "inputs"}


# --- headcount by site -> team --------------------------------------------------------
def headcount_table(table: pd.DataFrame) -> pd.DataFrame:
    """The site rows, each followed by its teams (indented), with units in the headers."""
    name = [row.site if row.level == "site" else f"    {row.label}" for row in table.itertuples()]
    return pd.DataFrame({
        "site / team": name, "vendor": table["vendor"],
        "agent-days (shifts started)": table["agent_days"], "paid hours (h)": table["paid_hours"].round(1),
        "peak daily headcount (agents)": table["peak_daily_headcount"],
        "cap (agents)": table["max_headcount"], "contract minimum (agents)": table["min_headcount"],
        "utilisation of cap": table["utilisation"].map(fmt.fmt_share),
    })


def headcount_chart(table: pd.DataFrame) -> alt.Chart:
    teams = table[table["level"] == "team"].assign(
        name=lambda t: [label for label in t["label"]])
    order = list(teams["name"])
    base = alt.Chart(teams)
    bars = base.mark_bar().encode(
        x=alt.X("peak_daily_headcount:Q", title="Peak daily headcount (agents)"),
        y=alt.Y("name:N", sort=order, title="Team (by site)"),
        color=alt.Color("site:N", title="Site"),
        tooltip=[alt.Tooltip("site:N", title="Site"), alt.Tooltip("team:N", title="Team"),
                 alt.Tooltip("peak_daily_headcount:Q", title="Peak daily headcount (agents)", format=",.0f"),
                 alt.Tooltip("max_headcount:Q", title="Cap (agents)", format=",.0f"),
                 alt.Tooltip("utilisation:Q", title="Utilisation of cap", format=".0%"),
                 alt.Tooltip("agent_days:Q", title="Agent-days", format=",.0f")])
    caps = base.mark_tick(color="black", thickness=2).encode(
        x="max_headcount:Q", y=alt.Y("name:N", sort=order))
    return (bars + caps).properties(
        title=alt.Title("Peak daily headcount per team", subtitle="Black tick: the team's cap"),
        width="container", height=alt.Step(22), autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def render_headcount(op, plan) -> None:
    table = team_headcount(op, plan.shifts)
    teamed = int((table["level"] == "team").sum())
    st.caption(f"All {len(op.sites):,} sites and their {teamed:,} teams over the plan horizon (a site without a "
               "teams table is one team). A site's agent-days and paid hours are the sums of its teams'; its "
               "peak is the peak of their daily sum. Utilisation = peak daily headcount ÷ cap.")
    widgets.show_chart(headcount_chart(table), key="plan_headcount_chart")
    widgets.show_table(headcount_table(table), key="plan_headcount", file_name="headcount_by_team.csv")


# --- value of cross-training ----------------------------------------------------------
def _start(op, req, who, n: int, seconds: float, inputs: dict) -> None:
    old = st.session_state.get(CT_JOB_KEY)
    if old is not None and old["job"].running:
        old["job"].cancel()
    job = TaskJob("cross_training", who=who, op=op, requirements=req,
                  options=PlanOptions(time_limit_seconds=seconds), n=n).start()
    st.session_state[CT_JOB_KEY] = {"job": job, "inputs": inputs}


@st.fragment(run_every=1.0)
def _progress() -> None:
    entry = st.session_state.get(CT_JOB_KEY)
    if entry is None:
        return
    job = entry["job"]
    lines = job.poll()
    if job.state == "running":
        last = [line.partition("|")[2] for line in (lines or job.messages[-1:])]
        st.info(f"Re-planning… {fmt.fmt_duration(job.elapsed)} elapsed  \n"
                + "  \n".join(fmt.plain(m) for m in last[-2:]), icon=":material/hourglass_top:")
        if st.button("Stop", key="ct_cancel", icon=":material/stop_circle:"):
            job.cancel()
            st.rerun()
        return
    del st.session_state[CT_JOB_KEY]
    if job.state == "done":
        st.session_state[CT_RESULT_KEY] = {"report": job.result, "inputs": entry["inputs"]}
        st.rerun(scope="app")
    else:
        widgets.error_box(f"The cross-training run {job.state}: {job.error or job.exception}",
                          "Try a longer time limit per plan or fewer candidates.")


def report_table(report) -> pd.DataFrame:
    cur = report.currency
    rows = report.rows
    return pd.DataFrame({
        "team": rows["label"], "learns (queue × market)": rows["queue"] + " × " + rows["market"],
        f"saving ({cur}/week)": [fmt.fmt_money(v, cur) if pd.notna(v) else f"no plan ({s})"
                                 for v, s in zip(rows["value_per_week"], rows["status"])],
        f"of which cost ({cur}/week)": rows["cost_saving_per_week"].map(lambda v: fmt.fmt_delta(v, currency=cur)),
        "unmet agent-hours saved / week": rows["unmet_hours_saved_per_week"].map(lambda v: fmt.fmt_number(v, "h", 1)),
        "pair attainment (model) before → after": [f"{fmt.fmt_share(a)} → {fmt.fmt_share(b)}"
                                                   for a, b in zip(rows["attainment_before"], rows["attainment_after"])],
        "within solver gap": rows["within_gap"].map(lambda v: "yes" if (v is not None and not pd.isna(v) and bool(v)) else ""),
        "why tried": rows["why"],
    })


def render_cross_training(op, req, who, inputs: dict) -> None:
    st.subheader("Value of cross-training")
    st.caption("Which team should learn one more queue × market its site already works? Each candidate is "
               "measured by re-planning the week with the skill added, against the base plan solved the same "
               "way (same requirements, same time limit). Saving = cost + shortfall penalties avoided, per week.")
    if not can(who, "solve"):
        st.caption(f"Read-only for {fmt.plain(who.label)}: only planners start re-plans.")
    else:
        c1, c2 = st.columns(2)
        n = int(c1.number_input("Candidates", min_value=1, max_value=10, value=3, key="ct_candidates"))
        seconds = float(c2.number_input("Time limit per plan (s)", min_value=5, max_value=300, value=20, step=5,
                                        key="ct_time_limit"))
        if st.button("Measure cross-training", key="ct_run", icon=":material/school:"):
            _start(op, req, who, n, seconds, {**inputs, "n": n, "seconds": seconds})
            st.rerun()
    _progress()
    entry = st.session_state.get(CT_RESULT_KEY)
    if entry is None:
        return
    report = entry["report"]
    if entry["inputs"].get("digest") != inputs.get("digest"):
        st.caption("These results are for other inputs; run again to refresh.")
    cur = report.currency
    st.caption(f"Base plan ({fmt.plain(report.base_status)}): {fmt.fmt_money(report.base_cost / report.weeks, cur)} "
               f"a week, {fmt.fmt_number(report.base_unmet / report.weeks, 'agent-hours', 1)} unmet a week; "
               f"{len(report.rows):,} candidates re-planned.")
    for note in report.notes:
        st.caption(fmt.plain(note))
    if len(report.rows):
        widgets.show_table(report_table(report), key="plan_cross_training", file_name="cross_training.csv")
