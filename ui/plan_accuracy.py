"""Plan accuracy: plans made at past origins, judged agent by agent on the volume that arrived,
and their cost against the hindsight plan (planned on that volume). The backtest runs in a
separate, cancellable process (``planning.jobs.PlanBacktestJob``); finished origins are kept
on disk, so a second run, or a run with more origins, resumes."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.access import Forbidden, can
from planning.jobs import PlanBacktestJob
from planning.plan_backtest import MIN_HISTORY_WEEKS, usable_origins
from planning.plan_backtest_runs import origins_frame, results_frame, summarise
from ui import common, widgets
from ui import format as fmt

PAGE = {"title": "Plan accuracy", "icon": ":material/fact_check:", "section": "Planning", "order": 50}

JOB_KEY = "plan_accuracy_job"
OUTCOME_KEY = "plan_accuracy_outcome"  # {"results", "inputs"}
SOURCES = {"Forecast models (as planned)": "models", "Last week repeated (fast)": "naive"}


def heatmap_frame(results) -> pd.DataFrame:
    """Origin x pair: attainment on the volume that arrived and its margin over the target (pts)."""
    frame = results_frame(results)
    if not len(frame):
        return frame
    return pd.DataFrame({
        "origin": frame["origin"].dt.strftime("%Y-%m-%d"), "pair": frame["queue"] + " · " + frame["market"],
        "attainment": frame["actual"], "target": frame["target"],
        "margin_pts": (frame["actual"] - frame["target"]) * 100,
        "attainment_text": frame["actual"].map(fmt.fmt_share), "target_text": frame["target"].map(fmt.fmt_share),
        "days_below": frame["days_below_target"], "forecast_error_text": frame["forecast_error"].map(
            lambda x: fmt.fmt_delta(100 * x, "%", 1).replace(" %", "%"))})


def heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Attainment by origin x pair, coloured by its margin over the pair's own target: the
    target is the colour midpoint (white), red below it, blue above it."""
    pairs = frame["pair"].nunique()
    reach = float(max(frame["margin_pts"].abs().max(), 1.0)) if frame["margin_pts"].notna().any() else 1.0
    return alt.Chart(frame, title="Attainment on the volume that arrived, against target").mark_rect().encode(
        x=alt.X("origin:O", title="origin (Monday, UTC)"),
        y=alt.Y("pair:N", title="queue · market", sort="ascending"),
        color=alt.Color("margin_pts:Q", title="attainment − target (pts)",
                        scale=alt.Scale(scheme="redblue", domainMid=0, domain=[-reach, reach])),
        tooltip=[alt.Tooltip("pair:N", title="queue · market"), alt.Tooltip("origin:O"),
                 alt.Tooltip("attainment_text:N", title="attainment"), alt.Tooltip("target_text:N", title="target"),
                 alt.Tooltip("days_below:Q", title="days below target"),
                 alt.Tooltip("forecast_error_text:N", title="volume vs forecast")],
    ).properties(height=max(100, 16 * pairs))


def cost_frame(results) -> pd.DataFrame:
    frame = origins_frame(results).rename(columns={"cost": "plan_cost"})
    frame["origin"] = frame["origin"].dt.strftime("%Y-%m-%d")
    long = frame.melt(id_vars=["origin"], value_vars=["plan_cost", "hindsight_cost"], var_name="plan",
                      value_name="cost")
    long["plan"] = long["plan"].map({"plan_cost": "plan (forecast at the origin)",
                                     "hindsight_cost": "hindsight plan (the volume that arrived)"})
    return long.dropna(subset=["cost"])


def cost_chart(long: pd.DataFrame, currency: str) -> alt.Chart:
    return alt.Chart(long, title=f"Cost per origin against the hindsight plan ({currency})").mark_line(
        point=True).encode(
        x=alt.X("origin:O", title="origin (Monday, UTC)"),
        y=alt.Y("cost:Q", title=f"cost ({currency})", scale=alt.Scale(zero=False), axis=alt.Axis(format=",.0f")),
        color=alt.Color("plan:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("origin:O"), alt.Tooltip("plan:N"), alt.Tooltip("cost:Q", format=",.0f",
                                                                              title=f"cost ({currency})")],
    ).properties(height=260)


def table(results, currency: str) -> pd.DataFrame:
    """Per origin x pair, at full precision in the CSV; the table formats the numbers."""
    f = results_frame(results)
    return pd.DataFrame({
        "origin": f["origin"].dt.strftime("%Y-%m-%d"), "queue": f["queue"], "market": f["market"],
        "target (%)": 100 * f["target"], "claimed on the forecast (%)": 100 * f["claimed"],
        "on the volume that arrived (%)": 100 * f["actual"], "reaches target": f["reached"],
        "days below target (days)": f["days_below_target"],
        "forecast (items)": f["forecast_volume"], "arrived (items)": f["actual_volume"],
        "volume vs forecast (%)": 100 * f["forecast_error"],
        f"cost share ({currency})": f["cost_share"], f"hindsight cost share ({currency})": f["hindsight_cost_share"]})


def _start(op, inputs: dict, who) -> None:
    job = PlanBacktestJob(op, who=who, origins=inputs["origins"], weeks=inputs["weeks"],
                          naive=inputs["source"] == "naive")  # checks the role before anything starts
    old = st.session_state.get(JOB_KEY)
    if old is not None and old["job"].running:
        old["job"].cancel()
    st.session_state[JOB_KEY] = {"job": job.start(), "inputs": inputs}


@st.fragment(run_every=1.0)
def _progress_panel() -> None:
    entry = st.session_state.get(JOB_KEY)
    if entry is None:
        return
    job = entry["job"]
    job.poll()
    if job.state == "running":
        last = job.messages[-1] if job.messages else "0|Starting"
        fraction, _, message = last.partition("|")
        try:
            share = min(max(float(fraction), 0.0), 1.0)
        except ValueError:
            share, message = 0.0, last
        st.progress(share, text=f"{fmt.plain(message)} · {fmt.fmt_duration(job.elapsed)} elapsed")
        if st.button("Cancel", key="accuracy_cancel", icon=":material/stop_circle:"):
            job.cancel()
            st.rerun()
        return
    del st.session_state[JOB_KEY]
    if job.state == "done":
        st.session_state[OUTCOME_KEY] = {"results": job.result, "inputs": entry["inputs"]}
        st.rerun(scope="app")
    widgets.error_box(f"The backtest {job.state}: {job.error}",
                      "Try fewer origins or the fast forecast." if job.state == "failed" else None)


def render() -> None:
    who = common.principal()
    st.title("Plan accuracy")
    op = common.require_operation(who)
    st.caption(common.data_caption(op))
    st.markdown("At each past origin: forecast from the history before it (events known in advance stay, "
                "incidents after it are not known), plan and check with this operation's settings, then "
                "simulate the plan agent by agent against the volume that really arrived. The hindsight plan, "
                "planned the same way on that volume, is the cost a perfect forecast would have given.")
    c1, c2, c3 = st.columns(3)
    n = int(c1.number_input("Weekly origins", min_value=1, max_value=26, value=8, key="accuracy_origins"))
    weeks = int(c2.number_input("Weeks planned per origin", min_value=1, max_value=4, value=1, key="accuracy_weeks"))
    source = c3.radio("Forecast", list(SOURCES), key="accuracy_source")
    origins = usable_origins(op, n, weeks)
    if not origins:
        widgets.error_box(f"The history (to {fmt.fmt_utc(op.history_end)}) is too short for a plan backtest",
                          f"Each origin needs {MIN_HISTORY_WEEKS} weeks of history before it and {weeks} week(s) "
                          "after it; upload a longer volume history on the Data page.")
        return
    st.caption(f"{len(origins)} weekly origin(s), Mondays 00:00 UTC, {origins[0]:%Y-%m-%d} to {origins[-1]:%Y-%m-%d}"
               + (f" (only {len(origins)} have {MIN_HISTORY_WEEKS} weeks of history before them)"
                  if len(origins) < n else "") + "; finished origins are kept on disk and read back.")
    inputs = {"who": who.label, "origins": n, "weeks": weeks, "source": SOURCES[source],
              "data": (str(op.history_end), len(op.volume), float(op.volume["volume"].sum()))}
    if can(who, "solve") and st.button("Run backtest", type="primary", key="accuracy_run", icon=":material/play_arrow:"):
        try:
            _start(op, inputs, who)
        except Forbidden as exc:
            widgets.error_box(f"Not allowed: {exc}.")
    elif not can(who, "solve"):
        st.caption(f"Read-only for {fmt.plain(who.label)}: only planners run a plan backtest.")
    _progress_panel()
    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is None:
        widgets.empty_state("No backtest yet", "Choose the origins and press **Run backtest**. It runs in a "
                            "separate process, the origins side by side; you can cancel it.",
                            icon=":material/fact_check:")
        return
    if outcome["inputs"] != inputs:
        st.caption("Showing the last backtest; the inputs above have changed since. Press Run backtest to refresh.")
    show_results(outcome["results"], op.settings.currency, op.settings.sla_confidence, outcome["inputs"]["weeks"])


def show_results(results, currency: str, sla_confidence: float, weeks: int) -> None:
    s = summarise(results, sla_confidence, weeks)
    st.subheader(f"{s['population']}")
    m1, m2, m3 = st.columns(3)
    m1.metric("Pair-weeks reaching target", fmt.fmt_share(s["share"]),
              help=f"{s['reached']:,} of {s['pair_weeks']:,} pair-weeks: the agent-level attainment on the volume "
                   f"that arrived reaches the pair's target; {s['not_significantly_below']:,} are not significantly "
                   "below it (the 95% interval reaches the target)")
    m2.metric("Realised − promised (pts)", fmt.fmt_delta(s["calibration_points"], "pts", 1),
              help=f"Against sla_confidence {fmt.fmt_share(s['promised'], 0)}: the probability the plan promises "
                   "that a pair's week meets its target")
    m3.metric("Cost / hindsight cost", "–" if pd.isna(s["cost_ratio"]) else f"{s['cost_ratio']:.3f}×",
              help=f"{fmt.fmt_money(s['cost'], currency)} for the plans against {fmt.fmt_money(s['hindsight_cost'], currency)} "
                   "for the hindsight plans, over the origins with both")
    for r in results:
        for note in r.notes:
            st.caption(f"{r.origin:%Y-%m-%d}: {fmt.plain(note)}")
    frame = heatmap_frame(results)
    if len(frame):
        widgets.show_chart(heatmap(frame), key="accuracy_heatmap")
    costs = cost_frame(results)
    if len(costs):
        widgets.show_chart(cost_chart(costs, currency), key="accuracy_cost")
    st.caption("Cost share: each site's cost split over the pairs by the productive agent-hours its teams give "
               "them (agents are pooled across pairs, so it is a share of one bill, not a separate one).")
    widgets.show_table(table(results, currency), key="accuracy_table", file_name="plan_accuracy.csv")
