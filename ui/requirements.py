"""Requirements: required productive agents by interval x day per queue x market."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.domain import Operation
from planning.staffing import RequirementsError, compute_requirements, seasonal_naive_forecast
from ui import common
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Requirements", "icon": ":material/grid_on:", "section": "Planning", "order": 30}

SOURCES = {"Last week repeated (fast)": "naive", "Forecast models (slower)": "models"}
METHODS = {"Time-varying (holds interval by interval)": "time_varying",
           "Stationary Erlang C per interval": "stationary"}


@st.cache_data(show_spinner=False, max_entries=8)
def _requirements(digest: str, who: str, weeks: int, source: str, method: str, _op: Operation) -> pd.DataFrame:
    if source == "models":
        from planning.pipeline import base_forecast

        forecast = base_forecast(_op, weeks)
    else:
        forecast = seasonal_naive_forecast(_op, weeks)
    return compute_requirements(_op, forecast, method=method)


def _heatmap(rows: pd.DataFrame, interval: int, title: str) -> alt.Chart:
    frame = rows.assign(day=rows["timestamp"].dt.strftime("%a %Y-%m-%d"),
                        time=rows["timestamp"].dt.strftime("%H:%M"))
    return alt.Chart(frame).mark_rect().encode(
        x=alt.X("time:O", title=f"Interval start (UTC, {interval} min)", axis=alt.Axis(labelAngle=-90)),
        y=alt.Y("day:O", title="Day (UTC)", sort=list(dict.fromkeys(frame.sort_values("timestamp")["day"]))),
        color=alt.Color("required_agents:Q", title="Required agents (productive)",
                        scale=alt.Scale(scheme="blues", zero=True),
                        legend=alt.Legend(format=",.0f", orient="right", gradientLength=160)),
        tooltip=[alt.Tooltip("day:O", title="Day"), alt.Tooltip("time:O", title="Interval (UTC)"),
                 alt.Tooltip("volume:Q", title="Volume (items)", format=",.0f"),
                 alt.Tooltip("aht_seconds:Q", title="AHT (s)", format=",.0f"),
                 alt.Tooltip("required_agents:Q", title="Required agents", format=",.2f")],
    ).properties(height=alt.Step(26), title=title)  # one 26 px row per day, whatever the width


def render() -> None:
    who = common.principal()
    st.title("Requirements")
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op))
    c1, c2, c3 = st.columns(3)
    weeks = c1.number_input("Weeks", min_value=1, max_value=8, value=op.settings.planning_weeks,
                            key="requirements_weeks")
    source = c2.radio("Forecast", list(SOURCES), key="requirements_source")
    method = c3.radio("Live staffing method", list(METHODS), key="requirements_method",
                      help="Time-varying uses the modified offered load so intervals after a peak also "
                           "meet the target; see docs/staffing.md.")
    try:
        with st.spinner("Computing requirements…"):
            req = _requirements(loaded.digest, who.label, int(weeks), SOURCES[source], METHODS[method], op)
    except RequirementsError as exc:
        widgets.error_box(str(exc), "Check the queues table (SLA targets and deadlines) and the volume.")
        return
    if req.empty:
        widgets.empty_state("No requirements", "The forecast has no rows for the queues you may see.")
        return
    pairs = req[["queue", "market"]].drop_duplicates().sort_values(["queue", "market"])
    c4, c5 = st.columns(2)
    queue = c4.selectbox("Queue", sorted(pairs["queue"].unique()), key="requirements_queue")
    markets = ["All markets (pooled)"] + sorted(pairs[pairs["queue"] == queue]["market"])
    market = c5.selectbox("Market", markets, key="requirements_market")
    rows = req[req["queue"] == queue]
    if market != markets[0]:
        rows = rows[rows["market"] == market]
    else:  # pool first, never round per market
        rows = rows.groupby("timestamp", as_index=False).agg(
            volume=("volume", "sum"), workload_hours=("workload_hours", "sum"),
            required_agents=("required_agents", "sum"), aht_seconds=("aht_seconds", "mean"))
    q = op.queues[queue]
    sla = (f"{q.sla_target:.0%} within {q.sla_within_seconds:g} s" if q.sla_kind.value == "live"
           else f"{q.sla_target:.0%} within {q.sla_within_hours:g} h")
    hours = op.settings.interval_minutes / 60.0
    m1, m2, m3 = st.columns(3)
    m1.metric("Peak requirement", fmt.fmt_number(rows["required_agents"].max(), "agents", 1))
    m2.metric("Agent hours", fmt.fmt_number(rows["required_agents"].sum() * hours, "h"),
              help="Productive agent hours; divide by (1 - shrinkage) for paid hours.")
    m3.metric("Workload", fmt.fmt_number(rows["workload_hours"].sum(), "h"),
              help="Volume x AHT, before occupancy.")
    widgets.show_chart(_heatmap(rows, op.settings.interval_minutes,
                               f"Required productive agents, {queue} · {market} ({q.sla_kind.value}: {sla})"),
                      key="requirements_heatmap")
    table = req[req["queue"] == queue]  # the rows behind the chart: the chosen queue (and market)
    if market != markets[0]:
        table = table[table["market"] == market]
    table = table.assign(timestamp=table["timestamp"].dt.strftime("%Y-%m-%d %H:%M UTC"),
                         workload_hours=table["workload_hours"].round(2),
                         required_agents=table["required_agents"].round(2))
    st.caption(f"{len(table):,} rows: {queue}, {market.lower() if market == markets[0] else market}; "
               "required agents are productive agents, before shrinkage.")
    widgets.show_table(table, key="requirements", file_name=f"requirements-{queue}.csv", height=300)
