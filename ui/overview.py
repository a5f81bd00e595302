"""Overview (leadership): demand, capacity, sites, concentration risk, in 30 seconds.

Sections that need a computed plan (staffed capacity, SLA risk, cost by vendor) show an
empty state until one exists in the session (``common.PLAN_RESULT_KEY``).
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning import overview as figures
from planning.domain import Operation
from ui import common

PAGE = {"title": "Overview", "icon": ":material/dashboard:", "section": "Leadership", "order": 0,
        "default": True}

MEASURES = {  # radio label -> (column, axis title, unit)
    "Volume (items/week)": ("volume", "Volume (items/week)", "items"),
    "Workload (hours/week)": ("workload_hours", "Workload (handling hours/week)", "h"),
}


# Cached by content hash + who is looking; the operation itself is not hashed again.
@st.cache_data(show_spinner=False, max_entries=16)
def _weekly(digest: str, who: str, weeks: int, _op: Operation) -> pd.DataFrame:
    return figures.weekly_demand(_op, weeks)


@st.cache_data(show_spinner=False, max_entries=16)
def _concentration(digest: str, who: str, _op: Operation) -> pd.DataFrame:
    return figures.concentration(_op)


def _headline(op: Operation, weekly: pd.DataFrame, conc: pd.DataFrame, sites: pd.DataFrame) -> None:
    last = weekly[weekly["week_start"] == weekly["week_start"].max()] if not weekly.empty else weekly
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Volume, last full week (items)", common.fmt_number(last["volume"].sum()))
    c2.metric("Workload, last full week (hours)", common.fmt_number(last["workload_hours"].sum()),
              help="Volume x AHT: handling hours before shrinkage and occupancy.")
    c3.metric("Sites / vendors", f"{len(op.sites)} / {len(op.vendors)}",
              help=f"Max headcount {common.fmt_number(sites['max_headcount'].sum(), 'agents')} in total.")
    c4.metric("Workload on single-site pairs", common.fmt_share(figures.workload_share_single_site(conc)),
              help="Share of weekly workload hours in queue x market pairs only one site is certified for.")


def _plan_section() -> None:
    st.subheader("Demand vs staffed capacity, SLA risk, cost by vendor")
    result = st.session_state.get(common.PLAN_RESULT_KEY)
    kpis = getattr(result, "kpis", None)
    if not kpis:
        common.empty_state("No plan computed in this session yet",
                           "Open **Plan** (Planning section) to compute the shift plan for the sample or your "
                           "upload; staffed capacity, predicted and simulated SLA risk and cost by vendor then "
                           "appear here.", icon=":material/event_note:")
        return
    numeric = {k: v for k, v in kpis.items() if isinstance(v, (int, float))}
    cols = st.columns(min(4, max(1, len(numeric))))
    for i, (name, value) in enumerate(list(numeric.items())[:8]):
        cols[i % len(cols)].metric(name.replace("_", " "), common.fmt_number(value, digits=2 if abs(value) < 10 else 0))


def _demand_section(weekly: pd.DataFrame) -> None:
    st.subheader("Demand from history")
    if weekly.empty:
        common.empty_state("No volume history in the selected weeks", "Choose more weeks, or check the volume "
                           "table on the Data page.")
        return
    c1, c2 = st.columns(2)
    label = c1.radio("Measure", list(MEASURES), horizontal=True, key="overview_measure")
    group = c2.radio("Split by", ["market", "queue"], horizontal=True, key="overview_group")
    column, title, unit = MEASURES[label]
    data = weekly.groupby(["week_start", group], as_index=False)[column].sum()
    chart = alt.Chart(data).mark_area(opacity=0.85).encode(
        x=alt.X("week_start:T", title="Week starting (UTC, Monday)"),
        y=alt.Y(f"{column}:Q", title=title, stack="zero"),
        color=alt.Color(f"{group}:N", title=group.capitalize()),
        tooltip=[alt.Tooltip("week_start:T", title="Week (UTC)"), f"{group}:N",
                 alt.Tooltip(f"{column}:Q", title=title, format=",.0f")],
    ).properties(height=300, title=f"{title} by {group}")
    common.show_chart(chart, key="overview_demand_chart")
    totals = (weekly.groupby(group, as_index=False)[["volume", "workload_hours"]].sum()
              .sort_values("workload_hours", ascending=False))
    n_weeks = max(1, weekly["week_start"].nunique())
    totals = totals.assign(volume=totals["volume"] / n_weeks, workload_hours=totals["workload_hours"] / n_weeks)
    common.show_table(totals.rename(columns={"volume": "volume (items/week, mean)",
                                             "workload_hours": "workload (hours/week, mean)"}),
                      key=f"overview_demand_{group}", file_name=f"demand-by-{group}.csv")


def _sites_section(sites: pd.DataFrame) -> None:
    st.subheader("Sites and headcount caps by vendor and time zone")
    data = sites.assign(zone=sites["timezone"] + " (" + sites["utc_offset"] + ")")
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("vendor:N", title="Vendor"),
        x=alt.X("max_headcount:Q", title="Max headcount (agents)", stack="zero"),
        color=alt.Color("zone:N", title="Site time zone (offset at data date)"),
        tooltip=["site:N", "city:N", "zone:N", alt.Tooltip("max_headcount:Q", title="Max headcount (agents)"),
                 alt.Tooltip("productive_max:Q", title="Productive at cap (agents)", format=",.0f")],
    ).properties(height=max(120, 45 * data["vendor"].nunique()))
    common.show_chart(chart, key="overview_sites_chart")
    shown = sites.drop(columns=["utc_offset_hours"]).rename(columns={
        "max_headcount": "max headcount (agents)", "min_headcount": "min headcount (agents)",
        "productive_max": "productive at cap (agents)", "hourly_cost": "hourly cost (per paid h)",
        "shrinkage": "shrinkage (share)", "utc_offset": "UTC offset"})
    common.show_table(shown, key="overview_sites", file_name="sites.csv",
                      column_config={"productive at cap (agents)": st.column_config.NumberColumn(format="%.0f")})


def _concentration_section(conc: pd.DataFrame) -> None:
    st.subheader("Concentration risk")
    st.caption("Share of each queue x market's certified capacity (max headcount) at its largest site: "
               "100% means one site outage stops the work.")
    only_risky = st.toggle("Only pairs where one site holds 50% or more", value=True, key="overview_risky_only")
    shown = conc[conc["top_site_share"] >= 0.5] if only_risky else conc
    if shown.empty:
        common.empty_state("No concentrated pairs", "Every queue x market is spread over several sites.")
        return
    common.show_table(
        shown, key="overview_concentration", file_name="concentration-risk.csv",
        column_config={
            "top_site_share": st.column_config.ProgressColumn("top site share", min_value=0, max_value=1,
                                                              format="percent"),
            "weekly_workload_hours": st.column_config.NumberColumn("workload (hours/week)", format="%.0f"),
        })


def render() -> None:
    st.title("Overview")
    who = common.principal()
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op, loaded.label) + " · scenario: baseline (no levers)")
    weeks = st.slider("History shown (weeks)", min_value=4, max_value=104, value=26, step=1,
                      key="overview_weeks")
    weekly = _weekly(loaded.digest, who.label, weeks, op)
    conc = _concentration(loaded.digest, who.label, op)
    sites = figures.site_table(op)
    _headline(op, weekly, conc, sites)
    _plan_section()
    _demand_section(weekly)
    _sites_section(sites)
    _concentration_section(conc)
