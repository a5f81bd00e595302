"""Shift plan: solve (in a separate, cancellable process), coverage, shortfalls, shifts, cost."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.diagnosis import explain, precheck
from planning.domain import Operation
from planning.requirements import RequirementsError, compute_requirements, seasonal_naive_forecast
from planning.shiftplan import PlanOptions
from planning.solverproc import SolveJob
from ui import common

PAGE = {"title": "Shift plan", "icon": ":material/calendar_month:", "section": "Planning", "order": 40}

JOB_KEY = "plan_job"
OUTCOME_KEY = "plan_outcome"  # {"plan", "simulation", "requirements", "digest", "inputs"}
SOURCES = {"Last week repeated (fast)": "naive", "Forecast models (slower)": "models"}


@st.cache_data(show_spinner=False, max_entries=8)
def _requirements(digest: str, who: str, weeks: int, source: str, _op: Operation) -> pd.DataFrame:
    if source == "models":
        from planning.pipeline import base_forecast

        forecast = base_forecast(_op, weeks)
    else:
        forecast = seasonal_naive_forecast(_op, weeks)
    return compute_requirements(_op, forecast)


@st.cache_data(show_spinner=False, max_entries=8)
def _precheck(digest: str, who: str, weeks: int, source: str, _op: Operation, _req: pd.DataFrame):
    return precheck(_op, _req)


def _status_bar(plan, currency: str) -> None:
    c = st.columns(6)
    c[0].metric("Status", plan.status)
    c[1].metric("Cost", common.fmt_money(plan.cost, currency))
    c[2].metric("Gap to bound", common.fmt_share(plan.gap, 2),
                help=f"LP bound {common.fmt_money(plan.lp_bound, currency)}; method {plan.backend}")
    c[3].metric("Solve time", common.fmt_duration(plan.seconds))
    c[4].metric("Unmet demand", common.fmt_number(plan.unmet_agent_hours, "agent-h", 1))
    c[5].metric("Paid hours", common.fmt_number(plan.kpis.get("paid_hours"), "h"))


def _coverage_heatmaps(cov: pd.DataFrame, interval: int) -> alt.Chart:
    frame = cov.assign(day=cov["timestamp"].dt.strftime("%a %Y-%m-%d"),
                       time=cov["timestamp"].dt.strftime("%H:%M"))
    long = frame.melt(id_vars=["day", "time", "shortfall"], value_vars=["required", "planned"],
                      var_name="series", value_name="agents")
    long["series"] = long["series"].map({"required": "Required", "planned": "Planned"})
    return alt.Chart(long).mark_rect().encode(
        x=alt.X("time:O", title=f"Interval start (UTC, {interval} min)", axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("day:O", title="Day (UTC)", sort=sorted(frame["day"].unique(), key=lambda d: d[4:])),
        color=alt.Color("agents:Q", title="Productive agents", scale=alt.Scale(scheme="blues")),
        row=alt.Row("series:N", title=None),
        tooltip=[alt.Tooltip("day:O", title="Day"), alt.Tooltip("time:O", title="Interval (UTC)"),
                 alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("agents:Q", title="Agents", format=",.2f"),
                 alt.Tooltip("shortfall:Q", title="Shortfall (agents)", format=",.2f")],
    ).properties(height=max(140, 20 * frame["day"].nunique()))


def _timeline(shifts: pd.DataFrame, tz: str) -> alt.Chart:
    frame = shifts.assign(
        start=shifts["start_utc"].dt.tz_convert(tz).dt.tz_localize(None),
        end=shifts["end_utc"].dt.tz_convert(tz).dt.tz_localize(None),
        label=shifts["shift"] + " " + shifts["start_local"] + "-" + shifts["end_local"])
    return alt.Chart(frame).mark_bar(opacity=0.8).encode(
        x=alt.X("start:T", title=f"Local time ({tz})"), x2="end:T",
        y=alt.Y("label:N", title="Shift (local start-end)"),
        color=alt.Color("headcount:Q", title="Headcount (agents)", scale=alt.Scale(scheme="oranges")),
        tooltip=[alt.Tooltip("date_local:N", title="Local date"), alt.Tooltip("label:N", title="Shift"),
                 alt.Tooltip("headcount:Q", title="Agents"),
                 alt.Tooltip("paid_hours:Q", title="Paid hours per agent (h)")],
    ).properties(height=max(120, 28 * frame["label"].nunique()))


def _cost_chart(cost: pd.DataFrame, currency: str) -> alt.Chart:
    return alt.Chart(cost).mark_bar().encode(
        x=alt.X("sum(cost):Q", title=f"Cost ({currency})"),
        y=alt.Y("vendor:N", title="Vendor", sort="-x"),
        color=alt.Color("site:N", title="Site"),
        tooltip=[alt.Tooltip("vendor:N"), alt.Tooltip("site:N"),
                 alt.Tooltip("cost:Q", title=f"Cost ({currency})", format=",.0f"),
                 alt.Tooltip("paid_hours:Q", title="Paid hours (h)", format=",.0f"),
                 alt.Tooltip("peak_daily_headcount:Q", title="Peak daily headcount (agents)")],
    ).properties(height=40 + 30 * cost["vendor"].nunique())


def _start_job(op: Operation, req: pd.DataFrame, options: PlanOptions, inputs: dict) -> None:
    old = st.session_state.get(JOB_KEY)
    if old is not None and old["job"].running:
        old["job"].cancel()
    st.session_state[JOB_KEY] = {"job": SolveJob(op, req, options).start(), "inputs": inputs,
                                 "requirements": req}


@st.fragment(run_every=1.0)
def _progress_panel() -> None:
    entry = st.session_state.get(JOB_KEY)
    if entry is None:
        return
    job: SolveJob = entry["job"]
    job.poll()
    if job.state == "running":
        st.info(f"Solving… {common.fmt_duration(job.elapsed)} elapsed  \n"
                + "  \n".join(common.plain(m) for m in job.messages[-4:]), icon=":material/hourglass_top:")
        if st.button("Cancel", key="plan_cancel", icon=":material/stop_circle:"):
            job.cancel()
            st.rerun()
        return
    if job.state == "done":
        st.session_state[OUTCOME_KEY] = {"plan": job.result, "simulation": job.simulation,
                                         "requirements": entry["requirements"], "inputs": entry["inputs"]}
        del st.session_state[JOB_KEY]
        _publish(job.result, job.simulation, entry["requirements"])
        st.rerun(scope="app")
    else:
        common.error_box(f"The solve {job.state}: {job.error}",
                         "Try a longer time limit or fewer weeks." if job.state == "failed" else None)
        del st.session_state[JOB_KEY]


def _publish(plan, simulation, requirements) -> None:
    """Store the plan where the Overview looks (a PipelineResult)."""
    try:
        from planning.pipeline import PipelineResult, summarise

        op = common.current_operation()
        kpis = summarise(op, plan, simulation)
        st.session_state[common.PLAN_RESULT_KEY] = PipelineResult(op, None, requirements, plan, simulation, kpis)
    except Exception:  # the Overview simply keeps its empty state
        pass


def render() -> None:
    who = common.principal()
    st.title("Shift plan")
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op))
    c1, c2, c3, c4 = st.columns(4)
    weeks = int(c1.number_input("Weeks", min_value=1, max_value=4, value=op.settings.planning_weeks,
                                key="plan_weeks"))
    source = c2.radio("Forecast", list(SOURCES), key="plan_source")
    limit = c3.number_input("Time limit (s)", min_value=5, max_value=600,
                            value=int(op.settings.solver_time_limit_seconds), step=5, key="plan_time_limit")
    tours = c4.checkbox("Weekly tours (same start, 5 consecutive days)", key="plan_tours")
    try:
        with st.spinner("Computing requirements…"):
            req = _requirements(loaded.digest, who.label, weeks, SOURCES[source], op)
    except RequirementsError as exc:
        common.error_box(str(exc), "Check the queue's SLA settings on the Data page.")
        return
    pre = _precheck(loaded.digest, who.label, weeks, SOURCES[source], op, req)
    if len(pre):
        with st.expander(f"Pre-check: {len(pre)} capacity problems visible before solving", icon=":material/warning:"):
            for message in pre["message"].head(30):
                st.markdown(f"- {common.plain(message)}")
    inputs = {"digest": loaded.digest, "who": who.label, "weeks": weeks, "source": source,
              "limit": limit, "tours": tours}
    if st.button("Solve", type="primary", key="plan_solve", icon=":material/play_arrow:"):
        _start_job(op, req, PlanOptions(time_limit_seconds=float(limit), weekly_tours=tours), inputs)
    _progress_panel()

    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is None or outcome["inputs"]["digest"] != loaded.digest:
        baseline = common.plan_result(op) if st.session_state.get(JOB_KEY) is None else None
        if baseline is None or getattr(baseline, "plan", None) is None:
            common.empty_state("No plan yet", "Choose the weeks and press **Solve**. The solver runs in a "
                               "separate process; you can cancel it.", icon=":material/calendar_month:")
            return
        outcome = {"plan": baseline.plan, "requirements": baseline.requirements, "inputs": None}
        st.caption(f"Showing the baseline plan ({common.BASELINE_WEEKS} week, forecast, default solver "
                   "settings), computed at first open. Press **Solve** for other settings.")
    plan, req = outcome["plan"], outcome["requirements"]
    if outcome["inputs"] is not None and outcome["inputs"] != inputs:
        st.caption("Showing the last plan; the inputs above have changed since. Press Solve to refresh.")
    if not plan.ok:
        common.error_box(f"No plan: solver status {plan.status}", "Try a longer time limit.")
        return
    currency = op.settings.currency
    _status_bar(plan, currency)
    for note in plan.messages:
        st.caption(common.plain(note))

    tab_cov, tab_short, tab_shifts, tab_cost, tab_sla = st.tabs(
        ["Coverage", "Shortfalls", "Shifts", "Cost", "SLA attainment"])
    with tab_cov:
        pairs = sorted(map(tuple, plan.coverage[["queue", "market"]].drop_duplicates().itertuples(index=False)))
        label = st.selectbox("Queue × market", [f"{q} · {m}" for q, m in pairs], key="plan_pair")
        q, m = label.split(" · ")
        cov = plan.coverage[(plan.coverage["queue"] == q) & (plan.coverage["market"] == m)]
        common.show_chart(_coverage_heatmaps(cov, op.settings.interval_minutes), key="plan_heatmap")
    with tab_short:
        found = explain(op, req, plan)
        if not len(found):
            st.success("Every requirement is covered.", icon=":material/check_circle:")
        else:
            for message in found["message"]:
                st.markdown(f"- {common.plain(message)}")
            table = found.assign(start=found["start"].map(common.fmt_utc), end=found["end"].map(common.fmt_utc))
            common.show_table(table.rename(columns={"peak_agents": "peak short (agents)",
                                                    "agent_hours": "unmet (agent-h)"}),
                              key="plan_shortfalls", file_name="shortfalls.csv")
    with tab_shifts:
        sites = sorted(plan.shifts["site"].unique())
        if not sites:
            st.info("No shifts in this plan.")
        else:
            site = st.selectbox("Site", sites, key="plan_site")
            rows = plan.shifts[plan.shifts["site"] == site]
            tz = op.sites[site].timezone
            common.show_chart(_timeline(rows, tz), key="plan_timeline")
            table = rows.drop(columns=["start_utc", "end_utc"]).assign(
                start_utc=rows["start_utc"].map(common.fmt_utc), end_utc=rows["end_utc"].map(common.fmt_utc))
            common.show_table(table, key="plan_shifts", file_name=f"shifts_{site}.csv")
    with tab_cost:
        common.show_chart(_cost_chart(plan.cost_by_site, currency), key="plan_cost")
        common.show_table(plan.cost_by_site, key="plan_cost_table", file_name="cost_by_site.csv")
    with tab_sla:
        sla = plan.queues.copy()
        for col in ("target", "predicted", "simulated"):
            sla[col] = sla[col].map(common.fmt_share)
        st.caption("Predicted: the model's fluid FIFO / Erlang view of the plan. Simulated: the "
                   "discrete-event simulator running the planned agents (3 replications).")
        common.show_table(sla, key="plan_sla", file_name="attainment.csv")
