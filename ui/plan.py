"""Shift plan: solve (in a separate, cancellable process), coverage, shortfalls, shifts, cost."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from planning.shiftplan import explain, precheck
from planning.domain import Operation, SlaKind
from planning.staffing import RequirementsError, compute_requirements, seasonal_naive_forecast
from planning.shiftplan import PlanOptions
from planning.access import Forbidden, can
from planning.jobs import SolveJob
from ui import common
from ui import record
from ui import widgets
from ui import format as fmt
from ui import plan_teams

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


# --- status tiles ----------------------------------------------------------------
# A tile is ~120 px wide with six in a row on a 1280 px window (sidebar open), which holds
# about 8 characters of the value font (measured in Chromium): units go into the label, the full value into help.
TILE_CHARS = 8


def compact(x, digits: int = 1) -> str:
    """A number short enough for a metric tile: 405840.6 -> '405.8k', 2.5e6 -> '2.5M', 0.2 -> '0.2'."""
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "–"
    size = abs(float(x))
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if round(size / scale, digits) >= 1:
            if round(size / scale, digits) >= 1000 and suffix != "B":
                continue  # 999,999 -> '1.0M', not '1000.0k'
            return f"{x / scale:.{digits}f}{suffix}"
    return f"{x:.{digits}f}" if size < 100 else f"{x:.0f}"


def status_tiles(plan, currency: str) -> list[tuple[str, str, str]]:
    """(label, short value, help with the full value) for the tiles above the plan."""
    paid = plan.kpis.get("paid_hours")
    return [
        ("Status", plan.status, f"Solver status; method {plan.backend}"),
        (f"Cost ({currency})", compact(plan.cost),
         f"{fmt.fmt_money(plan.cost, currency)} of paid agent hours over the plan horizon"),
        ("Gap to bound", fmt.fmt_share(plan.gap, 2),
         f"(objective - bound) / objective; LP bound of the objective (cost plus shortfall penalties) "
         f"{fmt.fmt_money(plan.lp_bound, currency)}"),
        ("Solve time", fmt.fmt_duration(plan.seconds), f"{plan.seconds:,.1f} s wall clock"),
        ("Unmet (agent-h)", compact(plan.unmet_agent_hours),
         f"{fmt.fmt_number(plan.unmet_agent_hours, 'agent-hours', 2)} of requirement not covered: "
         "live shortfall plus deferred work done after its deadline"),
        ("Paid hours (h)", compact(paid), f"{fmt.fmt_number(paid, 'paid agent-hours')} over the plan horizon"),
    ]


def _status_bar(plan, currency: str) -> None:
    tiles = status_tiles(plan, currency)
    for column, (label, value, help_text) in zip(st.columns(len(tiles)), tiles):
        column.metric(label, value, help=help_text)


# --- coverage heatmaps --------------------------------------------------------------

def coverage_long(cov: pd.DataFrame, req: pd.DataFrame | None, tz: str = "UTC",
                  deferred: bool | None = None) -> pd.DataFrame:
    """One queue x market's coverage as heatmap rows ``timestamp, day, time, series, agents, ...``.

    Live pairs compare ``Required`` (productive agents meeting the SLA interval by interval)
    with ``Planned``. For deferred pairs the requirement is a flat least-peak profile (the
    backlog absorbs the peaks), which reads as uniform; they show the ``Arriving workload``
    instead, in agent-equivalents: work hours arriving in the interval / interval hours
    (``req`` columns ``workload_hours, interval_minutes``). Times are in zone ``tz``.
    ``deferred`` defaults to the coverage frame's ``sla_kind`` column.
    """
    frame = cov.copy()
    if deferred is None:
        deferred = bool((frame["sla_kind"] == "deferred").any()) if "sla_kind" in frame else False
    first = "Required"
    if deferred and req is not None and len(req):
        pair = req[(req["queue"] == frame["queue"].iloc[0]) & (req["market"] == frame["market"].iloc[0])]
        work = pair.set_index("timestamp")
        frame["arriving"] = frame["timestamp"].map(work["workload_hours"] / (work["interval_minutes"] / 60.0))
        first = "Arriving workload"
    local = frame["timestamp"].dt.tz_convert(tz)
    frame["day"] = local.dt.strftime("%a %Y-%m-%d")
    frame["time"] = local.dt.strftime("%H:%M")
    source = "arriving" if first == "Arriving workload" else "required"
    keep = ["timestamp", "day", "time", "required", "shortfall", "backlog_items"]
    keep = [c for c in keep if c in frame]
    rows = [frame[keep].assign(series=first, agents=frame[source]),
            frame[keep].assign(series="Planned", agents=frame["planned"])]
    return pd.concat(rows, ignore_index=True)


CELL_HEIGHT_PX = 20  # one day per row
# Charts take the page's width and keep a height per row (a day, a shift, a vendor):
# Streamlit's default autosize "fit" squeezes the rows into a fixed-height box.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _heatmap(rows: pd.DataFrame, title: str, subtitle: str | list[str], top: float, axis_zone: str,
             interval: int, days: list[str], scheme: str) -> alt.Chart:
    series = rows["series"].iloc[0]
    unit = "agent-equivalents" if series == "Arriving workload" else "agents"
    times = sorted(rows["time"].unique())
    ticks = [t for t in times if t.endswith(":00") and int(t[:2]) % 3 == 0]
    tooltip = [alt.Tooltip("day:O", title=f"Day ({axis_zone})"),
               alt.Tooltip("time:O", title=f"Interval start ({axis_zone})"),
               alt.Tooltip("agents:Q", title=f"{series} ({unit})", format=",.2f"),
               alt.Tooltip("required:Q", title="Requirement used by the solver (agents)", format=",.2f"),
               alt.Tooltip("shortfall:Q", title="Shortfall (agents)", format=",.2f")]
    if "backlog_items" in rows:
        tooltip.append(alt.Tooltip("backlog_items:Q", title="Backlog waiting (items)", format=",.0f"))
    return alt.Chart(rows, title=alt.Title(title, subtitle=subtitle)).mark_rect().encode(
        x=alt.X("time:O", sort=times, title=f"Interval start, {axis_zone} ({interval} min intervals)",
                axis=alt.Axis(values=ticks, labelAngle=0)),
        y=alt.Y("day:O", sort=days, title=f"Day ({axis_zone})"),
        color=alt.Color("agents:Q", title=unit.capitalize(), scale=alt.Scale(scheme=scheme, domain=[0, top]),
                        legend=alt.Legend(orient="bottom", direction="horizontal", gradientLength=240)),
        tooltip=tooltip,
    ).properties(width="container", height=alt.Step(CELL_HEIGHT_PX),
                 autosize=FIT_WIDTH)


def _coverage_charts(long: pd.DataFrame, interval: int, axis_zone: str) -> list[alt.Chart]:
    """Demand and plan, one heatmap each. Each has its own colour scale: a deferred plan may
    batch the work into peaks several times the arrival rate, and a shared scale would
    flatten the arrival pattern into one pale colour."""
    days = sorted(long["day"].unique(), key=lambda d: d[4:])
    first = long["series"].iloc[0]
    if first == "Arriving workload":
        head = ("Arriving workload (agent-equivalents)",
                ["Work hours arriving per interval ÷ interval hours (deferred queue).",
                 "The backlog may wait up to the deadline, so the plan need not follow it interval by interval."])
    else:
        head = ("Required (productive agents)", "Agents on the queue needed to meet the SLA in each interval")
    planned = ("Planned (productive agents)", "Agents the plan puts on this queue × market, after shrinkage")
    parts = [(long[long["series"] == first], head, "blues"), (long[long["series"] == "Planned"], planned, "greens")]
    return [_heatmap(rows, *text, float(max(rows["agents"].max(), 1e-9)), axis_zone, interval, days, scheme)
            for rows, text, scheme in parts]


def _timeline(shifts: pd.DataFrame, tz: str) -> alt.Chart:
    frame = shifts.assign(
        start=shifts["start_utc"].dt.tz_convert(tz).dt.tz_localize(None),
        end=shifts["end_utc"].dt.tz_convert(tz).dt.tz_localize(None),
        label=shifts["shift"] + " " + shifts["start_local"] + "-" + shifts["end_local"])
    return alt.Chart(frame).mark_bar(opacity=0.8).encode(
        x=alt.X("start:T", title=f"Local time ({tz})",
                axis=alt.Axis(format="%a %d %b", tickCount="day", labelAngle=0)), x2="end:T",
        y=alt.Y("label:N", title="Shift (local start-end)"),
        color=alt.Color("headcount:Q", title="Headcount (agents)", scale=alt.Scale(scheme="oranges")),
        tooltip=[alt.Tooltip("date_local:N", title="Local date"), alt.Tooltip("label:N", title="Shift"),
                 alt.Tooltip("headcount:Q", title="Agents"),
                 alt.Tooltip("paid_hours:Q", title="Paid hours per agent (h)")],
    ).properties(width="container", height=alt.Step(26), autosize=FIT_WIDTH)


def _cost_chart(cost: pd.DataFrame, currency: str) -> alt.Chart:
    return alt.Chart(cost).mark_bar().encode(
        x=alt.X("sum(cost):Q", title=f"Cost ({currency})"),
        y=alt.Y("vendor:N", title="Vendor", sort="-x"),
        color=alt.Color("site:N", title="Site"),
        tooltip=[alt.Tooltip("vendor:N"), alt.Tooltip("site:N"),
                 alt.Tooltip("cost:Q", title=f"Cost ({currency})", format=",.0f"),
                 alt.Tooltip("paid_hours:Q", title="Paid hours (h)", format=",.0f"),
                 alt.Tooltip("peak_daily_headcount:Q", title="Peak daily headcount (agents)")],
    ).properties(width="container", height=alt.Step(34), autosize=FIT_WIDTH)


def shift_table(rows: pd.DataFrame) -> pd.DataFrame:
    """One site's shifts with units in the headers, local and UTC times labelled."""
    return pd.DataFrame({
        "date (local)": rows["date_local"], "shift": rows["shift"],
        "start (local)": rows["start_local"], "end (local)": rows["end_local"],
        "start (UTC)": rows["start_utc"].map(fmt.fmt_utc), "end (UTC)": rows["end_utc"].map(fmt.fmt_utc),
        "headcount (agents)": rows["headcount"], "paid (h/agent)": rows["paid_hours"],
    })


def cost_table(cost: pd.DataFrame, currency: str) -> pd.DataFrame:
    return cost.round({"paid_hours": 1, "night_hours": 1, "cost": 0}).rename(columns={
        "paid_hours": "paid hours (h)", "night_hours": "night hours (h)", "cost": f"cost ({currency})",
        "peak_daily_headcount": "peak daily headcount (agents)"})


def safety_table(compare: dict, currency: str) -> pd.DataFrame:
    """The cost of safety: the risk-neutral plan beside the chosen confidence's (planning.risk)."""
    rows = []
    for key, label in (("neutral", "risk-neutral (point forecast)"), ("chosen", "chosen confidence")):
        side = compare.get(key) or {}
        pairs = side.get("pairs") or 0
        reach = side.get("pairs_meeting_confidence")
        rows.append({"plan": label, "sla confidence": fmt.fmt_share(side.get("confidence"), 0),
                     f"cost ({currency})": fmt.fmt_money(side.get("cost"), currency),
                     "paid hours (h)": fmt.fmt_number(side.get("paid_hours"), digits=0),
                     "mean probability of meeting target (queue x markets)": fmt.fmt_share(side.get("p_target_mean"), 0),
                     "queue x markets reaching the chosen confidence": (f"{reach:,} of {pairs:,}" if reach is not None
                                                                        else "not measured")})
    return pd.DataFrame(rows)


def _safety_panel(compare: dict | None, currency: str) -> None:
    if not compare:
        return
    with st.expander("Cost of safety (risk-neutral vs chosen confidence)"):
        st.dataframe(safety_table(compare, currency), hide_index=True)
        st.caption("Probability of meeting target: share of simulated volume paths (agent level, one "
                   "replication each) whose weekly attainment meets the pair's target; docs/risk.md.")


def _start_job(op: Operation, req: pd.DataFrame, options: PlanOptions, inputs: dict, who) -> None:
    """Start a solve for ``who`` (``SolveJob`` refuses anyone who may not solve: Forbidden)."""
    job = SolveJob(op, req, options, who=who)  # checks the role before anything is stopped or started
    old = st.session_state.get(JOB_KEY)
    if old is not None and old["job"].running:
        old["job"].cancel()
    st.session_state[JOB_KEY] = {"job": job.start(), "inputs": inputs, "requirements": req}


@st.fragment(run_every=1.0)
def _progress_panel() -> None:
    entry = st.session_state.get(JOB_KEY)
    if entry is None:
        return
    job: SolveJob = entry["job"]
    job.poll()
    if job.state == "running":
        st.info(f"Solving… {fmt.fmt_duration(job.elapsed)} elapsed  \n"
                + "  \n".join(fmt.plain(m) for m in job.messages[-4:]), icon=":material/hourglass_top:")
        if st.button("Cancel", key="plan_cancel", icon=":material/stop_circle:"):
            job.cancel()
            st.rerun()
        return
    if job.state == "done":
        st.session_state[OUTCOME_KEY] = {"plan": job.result, "simulation": job.simulation,
                                         "requirements": entry["requirements"], "inputs": entry["inputs"]}
        del st.session_state[JOB_KEY]
        st.rerun(scope="app")
    else:
        widgets.error_box(f"The solve {job.state}: {job.error}",
                         "Try a longer time limit or fewer weeks." if job.state == "failed" else None)
        del st.session_state[JOB_KEY]


def _publish_controls(op: Operation, outcome: dict, who) -> None:
    """Publish this session's solve as the plan of record (ui.record; the core checks the role)."""
    from planning.plan_record import solved_result

    result = solved_result(op, outcome["requirements"], outcome["plan"], outcome.get("simulation"))
    record.publish_button(result, who, kind="solved", key="plan_publish")


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
    tours = c4.checkbox("Weekly tours", key="plan_tours",
                        help="Each agent works the same start time on 5 consecutive days")
    try:
        with st.spinner("Computing requirements…"):
            req = _requirements(loaded.digest, who.label, weeks, SOURCES[source], op)
    except RequirementsError as exc:
        widgets.error_box(str(exc), "Check the queue's SLA settings on the Data page.")
        return
    pre = _precheck(loaded.digest, who.label, weeks, SOURCES[source], op, req)
    if len(pre):
        with st.expander(f"Pre-check: {len(pre)} capacity problems visible before solving", icon=":material/warning:"):
            for message in pre["message"].head(30):
                st.markdown(f"- {fmt.plain(message)}")
    inputs = {"digest": loaded.digest, "who": who.label, "weeks": weeks, "source": source,
              "limit": limit, "tours": tours}
    # The button follows the role; SolveJob itself refuses anyone who may not solve.
    if can(who, "solve") and st.button("Solve", type="primary", key="plan_solve", icon=":material/play_arrow:"):
        try:
            _start_job(op, req, PlanOptions(time_limit_seconds=float(limit), weekly_tours=tours), inputs, who)
        except Forbidden as exc:
            widgets.error_box(f"Not allowed: {exc}.")
    elif not can(who, "solve"):
        st.caption(f"Read-only for {fmt.plain(who.label)}: only planners start a solve; the plan below is the "
                   "stored baseline.")
    _progress_panel()

    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is None or outcome["inputs"]["digest"] != loaded.digest:
        baseline = common.plan_result(op) if st.session_state.get(JOB_KEY) is None else None
        if baseline is None or getattr(baseline, "plan", None) is None:
            widgets.empty_state("No plan yet", "Choose the weeks and press **Solve**. The solver runs in a "
                               "separate process; you can cancel it.", icon=":material/calendar_month:")
            return
        outcome = {"plan": baseline.plan, "requirements": baseline.requirements, "inputs": None,
                   "risk": getattr(baseline, "risk", None) or {}}
        st.caption(f"Showing the baseline plan ({common.BASELINE_WEEKS} week, forecast, default solver "
                   "settings), computed at first open. Press **Solve** for other settings.")
    plan, req = outcome["plan"], outcome["requirements"]
    if outcome["inputs"] is not None and outcome["inputs"] != inputs:
        st.caption("Showing the last plan; the inputs above have changed since. Press Solve to refresh.")
    if not plan.ok:
        widgets.error_box(f"No plan: solver status {plan.status}", "Try a longer time limit.")
        return
    currency = op.settings.currency
    _status_bar(plan, currency)
    _safety_panel((outcome.get("risk") or {}).get("compare"), currency)
    if outcome["inputs"] is not None:  # a solve of this session (not the baseline shown at first open)
        _publish_controls(op, outcome, who)
    for note in plan.messages:
        st.caption(fmt.plain(note))

    tab_cov, tab_short, tab_shifts, tab_heads, tab_cost, tab_sla = st.tabs(
        ["Coverage", "Shortfalls", "Shifts", "Headcount", "Cost", "SLA attainment"])
    with tab_cov:
        pairs = sorted(map(tuple, plan.coverage[["queue", "market"]].drop_duplicates().itertuples(index=False)))
        c1, c2 = st.columns([3, 2])
        label = c1.selectbox("Queue × market", [f"{q} · {m}" for q, m in pairs], key="plan_pair")
        q, m = label.split(" · ")
        zone = op.markets[m].timezone if m in op.markets else "UTC"
        clock = c2.radio("Time axis", ["UTC", "Market local"], horizontal=True, key="plan_clock",
                         help=f"Market local time of {m}: {zone}")
        axis_zone = "UTC" if clock == "UTC" else zone
        cov = plan.coverage[(plan.coverage["queue"] == q) & (plan.coverage["market"] == m)]
        kind = op.queues[q].sla_kind if q in op.queues else None
        long = coverage_long(cov, req, axis_zone, None if kind is None else kind is SlaKind.deferred)
        for i, chart in enumerate(_coverage_charts(long, op.settings.interval_minutes, axis_zone)):
            widgets.show_chart(chart, key=f"plan_heatmap_{i}")
    with tab_short:
        found = explain(op, req, plan)
        if not len(found):
            st.success("Every requirement is covered.", icon=":material/check_circle:")
        else:
            for message in found["message"]:
                st.markdown(f"- {fmt.plain(message)}")
            table = found.assign(start=found["start"].map(fmt.fmt_utc), end=found["end"].map(fmt.fmt_utc))
            widgets.show_table(table.rename(columns={"peak_agents": "peak short (agents)",
                                                    "agent_hours": "unmet (agent-h)"}),
                              key="plan_shortfalls", file_name="shortfalls.csv",
                              column_config={"message": None})  # listed above; kept in the CSV
    with tab_shifts:
        sites = sorted(plan.shifts["site"].unique())
        if not sites:
            st.info("No shifts in this plan.")
        else:
            site = st.selectbox("Site", sites, key="plan_site")
            rows = plan.shifts[plan.shifts["site"] == site]
            tz = op.sites[site].timezone
            widgets.show_chart(_timeline(rows, tz), key="plan_timeline")
            st.caption(f"{fmt.plain(site)} ({fmt.plain(op.sites[site].vendor)}), local time {tz}")
            widgets.show_table(shift_table(rows), key="plan_shifts", file_name=f"shifts_{site}.csv")
    with tab_heads:
        plan_teams.render_headcount(op, plan)
    with tab_cost:
        widgets.show_chart(_cost_chart(plan.cost_by_site, currency), key="plan_cost")
        widgets.show_table(cost_table(plan.cost_by_site, currency), key="plan_cost_table",
                          file_name="cost_by_site.csv")
    with tab_sla:
        sla = plan.queues.copy()
        if {"simulated_lo", "simulated_hi"} <= set(sla):
            sla["simulated 95% interval"] = [
                "" if pd.isna(lo) else f"{fmt.fmt_share(lo)} to {fmt.fmt_share(hi)}"
                for lo, hi in zip(sla["simulated_lo"], sla["simulated_hi"])]
            sla = sla.drop(columns=["simulated_lo", "simulated_hi"])
        for col in ("target", "predicted", "simulated", "simulated_pairs"):
            if col in sla:
                sla[col] = sla[col].map(fmt.fmt_share)
        sla = sla.rename(columns={"simulated": "simulated (agent-level)", "predicted": "model prediction (fluid)"})
        sim = plan.simulation or {}
        st.caption("Simulated (agent-level): the plan's shifts as integer agents at their sites and teams, "
                   "shrinkage as whole agents off the floor, deadline-aware routing, per-agent wellness caps"
                   + (f"; {sim['replications']} replications, {fmt.plain(sim['population'])}" if sim.get("population") else "")
                   + ". Model prediction (fluid): the planner's own FIFO / Erlang view, shown for comparison.")
        for line in sim.get("misses", []):
            st.warning(fmt.plain(line), icon=":material/warning:")
        widgets.show_table(sla, key="plan_sla", file_name="attainment.csv")
    plan_teams.render_cross_training(op, req, who, inputs)
