"""Overview (leadership): demand, capacity, sites, concentration risk, in 30 seconds.

The plan section shows the plan of record (``ui.record``: the published plan, else the
baseline plan of the inputs, computed once with progress and then read from disk) and says
which; the alerts are the Monitor's (``planning.monitor.monitor_plan`` on the same actuals,
forecast and plan of record's allocation); the reconciliation line puts the weekly plan's
cost beside the capacity plan's (``planning.capacity.reconcile``).
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning import overview as figures
from planning.domain import Operation
from ui import common
from ui import record
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Overview", "icon": ":material/dashboard:", "section": "Leadership", "order": 0,
        "default": True}

MIN_CHART_HEIGHT = 120  # px of plot area: a bar chart with one or two bars still reads as a chart



def _step(bars: int, px: int) -> alt.Step:
    """Height per bar, at least ``px`` and enough that the plot area is ``MIN_CHART_HEIGHT`` tall (a
    total height would be shared with axes and legend under Streamlit's stretch layout)."""
    return alt.Step(max(px, -(-MIN_CHART_HEIGHT // max(1, bars))))


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
    c1.metric("Volume, last full week (items)", fmt.fmt_number(last["volume"].sum()))
    c2.metric("Workload, last full week (hours)", fmt.fmt_number(last["workload_hours"].sum()),
              help="Volume x AHT: handling hours before shrinkage and occupancy.")
    c3.metric("Sites / vendors", f"{len(op.sites)} / {len(op.vendors)}",
              help=f"Max headcount {fmt.fmt_number(sites['max_headcount'].sum(), 'agents')} in total.")
    c4.metric("Workload on single-site pairs", fmt.fmt_share(figures.workload_share_single_site(conc)),
              help="Share of weekly workload hours in queue x market pairs only one site is certified for.")


def _plan_section(op: Operation, who) -> None:
    st.subheader("This week's plan: cost, SLA risk, headcount")
    found = record.plan_of_record(op, who)
    record.caption(found)
    result = getattr(found, "result", None)
    plan = getattr(result, "plan", None)
    kpis = getattr(result, "kpis", None) or {}
    if plan is None or not kpis:
        widgets.empty_state("No plan yet",
                           "Open **Plan** (Planning section) to compute the shift plan; staffed capacity, "
                           "SLA risk and cost by vendor then appear here.", icon=":material/event_note:")
        return
    currency = kpis.get("currency", op.settings.currency)
    start = plan.coverage["timestamp"].min() if len(plan.coverage) else None
    st.caption(f"Plan from {fmt.fmt_utc(start)} for {common.BASELINE_WEEKS} week · solver "
               f"{plain_status(plan)} · times in UTC")
    attain = pd.DataFrame(kpis.get("attainment") or [])
    at_risk = 0
    if not attain.empty:
        judged = attain["simulated"].fillna(attain["predicted"])
        attain["at_risk"] = judged < attain["target"] - 1e-9
        at_risk = int(attain["at_risk"].sum())
    confidence = kpis.get("sla_confidence")
    has_p = not attain.empty and "p_target" in attain and attain["p_target"].notna().any() and bool(confidence)
    if has_p:  # the chance that the week meets target over volume paths (planning.risk)
        attain["below_confidence"] = attain["p_target_hi"] < confidence - 1e-9
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Cost per week", fmt.fmt_money(found.cost_per_week, currency),
              help=f"{fmt.fmt_money(kpis.get('cost'), currency)} over {found.weeks:g} week(s) of plan horizon: "
                   "scheduled paid hours (productive + shrinkage) x each site's hourly cost and night premium.")
    c2.metric("Paid hours", fmt.fmt_number(kpis.get("paid_hours"), "h"))
    c3.metric("Unmet demand", fmt.fmt_number(kpis.get("unmet_agent_hours"), "agent-h", digits=1))
    c4.metric("Queue x market pairs at SLA risk", f"{at_risk} of {len(attain)}",
              help="Simulated attainment (predicted where no simulation) below the SLA target.")
    if has_p:
        short = int(attain["below_confidence"].sum())
        st.caption(f"Forecast risk: {len(attain) - short} of {len(attain)} queue x markets reach the "
                   f"{fmt.fmt_share(confidence, 0)} chance of meeting target over {kpis.get('target_paths') or '?'} "
                   "volume paths drawn from the forecast's error (agent-level simulation; 95% interval's upper end).")
    left, right = st.columns(2)
    with left:
        st.markdown("**Cost by vendor**")
        by_vendor = plan.cost_by_site.groupby("vendor", as_index=False)[["cost", "paid_hours"]].sum()
        widgets.show_chart(alt.Chart(by_vendor).mark_bar().encode(
            x=alt.X("cost:Q", title=f"Cost per plan horizon ({currency})"),
            y=alt.Y("vendor:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("vendor:N"), alt.Tooltip("cost:Q", format=",.0f", title=f"cost ({currency})"),
                     alt.Tooltip("paid_hours:Q", format=",.0f", title="paid hours (h)")],
        ).properties(height=_step(len(by_vendor), 36)), key="overview_cost_vendor")
    with right:
        st.markdown("**Headcount by site (busiest day) and time zone**")
        heads = pd.DataFrame([{"site": s, "headcount": n, "vendor": op.sites[s].vendor,
                               "timezone": op.sites[s].timezone, "cap": op.sites[s].max_headcount}
                              for s, n in (kpis.get("headcount_by_site") or {}).items() if s in op.sites])
        if not heads.empty:
            widgets.show_chart(alt.Chart(heads).mark_bar().encode(
                x=alt.X("headcount:Q", title="Agents on the busiest day"),
                y=alt.Y("site:N", sort="-x", title=None), color=alt.Color("timezone:N", title="Site time zone"),
                tooltip=["site", "vendor", "timezone", alt.Tooltip("headcount:Q", title="agents"),
                         alt.Tooltip("cap:Q", title="max headcount")],
            ).properties(height=_step(len(heads), 28)), key="overview_heads")
    if not attain.empty:
        st.markdown("**SLA risk per queue x market** (target, predicted by the plan, simulated)")
        risk = attain.sort_values(["at_risk", "predicted"], ascending=[False, True])
        widgets.show_table(risk, key="overview_sla", file_name="sla_risk.csv", column_config={
            "target": st.column_config.NumberColumn("target", format="percent"),
            "predicted": st.column_config.NumberColumn("predicted", format="percent"),
            "simulated": st.column_config.NumberColumn("simulated", format="percent"),
            **{c: st.column_config.NumberColumn(c.replace("p_target", "P(meets target)"), format="percent")
               for c in ("p_target", "p_target_lo", "p_target_hi") if has_p},
            "below_confidence": st.column_config.CheckboxColumn("below confidence"),
            "at_risk": st.column_config.CheckboxColumn("at risk")})
    _alerts_section(op, found, who)
    record.reconciliation(op, found, who)


def plain_status(plan) -> str:
    gap = "" if plan.gap != plan.gap else f", gap {plan.gap:.2%}"
    return f"{plan.status}{gap}, {plan.seconds:.0f} s"


def _alerts_section(op: Operation, found, who) -> None:
    st.markdown("**Alerts from the operations monitor** (the Monitor page's list: same actuals, forecast and "
                "plan of record)")
    loaded = common.load_inputs()
    if loaded.source != "sample" or not (common.SAMPLE_DIR / "actuals.csv.gz").exists():
        widgets.empty_state("No actuals for these inputs",
                           "Open **Monitor** to upload actuals; its alerts then show on the Monitor page.")
        return
    try:
        result = record.monitor_result(op, found, who)
    except Exception as exc:  # the monitor must never take the Overview down
        widgets.error_box(f"The monitor could not run ({type(exc).__name__}: {exc})",
                         "Open the Monitor page for details.")
        return
    alerts = None if result is None else result.alerts
    if alerts is None or alerts.empty:
        st.success("No alerts in the actuals against the plan of record.")
        return
    cols = [c for c in ["id", "start", "end", "kind", "queue", "market", "site", "team", "vendor", "cause", "message"]
            if c in alerts]
    widgets.show_table(alerts[cols], key="overview_alerts", file_name="alerts.csv")


def _demand_section(weekly: pd.DataFrame) -> None:
    st.subheader("Demand from history")
    if weekly.empty:
        widgets.empty_state("No volume history in the selected weeks", "Choose more weeks, or check the volume "
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
    widgets.show_chart(chart, key="overview_demand_chart")
    totals = (weekly.groupby(group, as_index=False)[["volume", "workload_hours"]].sum()
              .sort_values("workload_hours", ascending=False))
    n_weeks = max(1, weekly["week_start"].nunique())
    totals = totals.assign(volume=(totals["volume"] / n_weeks).round(0),
                           workload_hours=(totals["workload_hours"] / n_weeks).round(1))
    widgets.show_table(totals.rename(columns={"volume": "volume (items/week, mean)",
                                             "workload_hours": "workload (hours/week, mean)"}),
                      key=f"overview_demand_{group}", file_name=f"demand-by-{group}.csv")


def _sites_section(sites: pd.DataFrame) -> None:
    st.subheader("Sites and headcount caps by vendor and time zone")
    data = sites.assign(zone=sites["timezone"] + " (" + sites["utc_offset"] + ")")
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("vendor:N", title="Vendor"),
        x=alt.X("max_headcount:Q", title="Max headcount (agents)", stack="zero"),
        color=alt.Color("zone:N", title="Site time zone (UTC offset at the data date)",
                        legend=alt.Legend(titleLimit=400)),
        tooltip=["site:N", "city:N", "zone:N", alt.Tooltip("max_headcount:Q", title="Max headcount (agents)"),
                 alt.Tooltip("productive_max:Q", title="Productive at cap (agents)", format=",.0f")],
    ).properties(height=_step(data["vendor"].nunique(), 40))  # a step: a total height minus the legend left no bars
    widgets.show_chart(chart, key="overview_sites_chart")
    shown = sites.drop(columns=["utc_offset_hours"]).rename(columns={
        "max_headcount": "max headcount (agents)", "min_headcount": "min headcount (agents)",
        "productive_max": "productive at cap (agents)", "hourly_cost": "hourly cost (per paid h)",
        "shrinkage": "shrinkage (share)", "utc_offset": "UTC offset"})
    widgets.show_table(shown, key="overview_sites", file_name="sites.csv",
                      column_config={"productive at cap (agents)": st.column_config.NumberColumn(format="%.0f")})


def _concentration_section(conc: pd.DataFrame) -> None:
    st.subheader("Concentration risk")
    st.caption("Share of each queue x market's certified capacity (max headcount) at its largest site: "
               "100% means one site outage stops the work.")
    only_risky = st.toggle("Only pairs where one site holds 50% or more", value=True, key="overview_risky_only")
    shown = conc[conc["top_site_share"] >= 0.5] if only_risky else conc
    if shown.empty:
        widgets.empty_state("No concentrated pairs", "Every queue x market is spread over several sites.")
        return
    widgets.show_table(
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
    st.caption(common.data_caption(op, loaded.label))
    weeks = st.slider("History shown (weeks)", min_value=4, max_value=104, value=26, step=1,
                      key="overview_weeks")
    weekly = _weekly(loaded.digest, who.label, weeks, op)
    conc = _concentration(loaded.digest, who.label, op)
    sites = figures.site_table(op)
    _headline(op, weekly, conc, sites)
    _plan_section(op, who)
    _demand_section(weekly)
    _sites_section(sites)
    _concentration_section(conc)
