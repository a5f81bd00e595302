"""Capacity (leadership): long-range demand vs capacity, hiring plan, cost by vendor, weeks at risk.

Thin page: inputs -> ``planning.capacity.plan.plan_capacity`` (in a child process, kept per server) -> charts
and tables.
The last computed plan is kept in ``st.session_state[CAPACITY_RESULT_KEY]`` for the
Overview page.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict

import altair as alt
import pandas as pd
import streamlit as st

from planning.capacity.plan import (SHORT_WEEK_FTE, SHORT_WEEK_SHARE, CapacityPlan, cost_by_vendor_quarter,
                               monthly_totals, short_weeks)
from planning.jobs import SolverCrashed
from planning.domain import Operation
from ui import common
from ui import record
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Capacity & hiring", "icon": ":material/trending_up:", "section": "Leadership", "order": 20}
CAPACITY_RESULT_KEY = "capacity_plan"
DEMAND_SOURCES = {"Long-range forecast": "forecast", "History, last year with trend (fast)": "history"}


_PLANS: "OrderedDict[tuple, CapacityPlan]" = OrderedDict()  # computed plans, shared by the sessions
_PLANS_KEPT = 8
_PLANS_LOCK = threading.Lock()


def _plan(digest: str, who: str, months: int, source: str, growth: float, attrition: float, freeze: int,
          exits: tuple, time_limit: float, op: Operation) -> CapacityPlan:
    """The capacity plan for these inputs: computed once (in a child process, with progress
    on the page, ``planning.jobs`` task ``capacity``), then kept per server."""
    key = (digest, who, months, source, growth, attrition, freeze, exits, time_limit)
    with _PLANS_LOCK:
        if key in _PLANS:
            _PLANS.move_to_end(key)
            return _PLANS[key]
    plan = common.run_job("capacity", op=op, months=months, source=source, growth=growth,
                          attrition_multiplier=attrition, freeze_weeks=freeze, site_exit=dict(exits),
                          time_limit_s=time_limit)
    with _PLANS_LOCK:
        _PLANS[key] = plan
        while len(_PLANS) > _PLANS_KEPT:
            _PLANS.popitem(last=False)
    return plan


def _inputs(op: Operation) -> dict:
    c1, c2, c3 = st.columns(3)
    months = c1.slider("Horizon (months)", 6, 24, 18, key="capacity_months")
    source = c2.radio("Demand", list(DEMAND_SOURCES), key="capacity_source")
    time_limit = c3.number_input("Solver time limit (s)", 5.0, 120.0, 15.0, step=5.0, key="capacity_time_limit")
    with st.expander("Scenario levers", icon=":material/tune:"):
        l1, l2, l3 = st.columns(3)
        growth = l1.number_input("Volume growth (%)", -50.0, 200.0, 0.0, step=5.0, key="capacity_growth") / 100
        attrition = l2.number_input("Attrition multiplier (x)", 0.0, 5.0, 1.0, step=0.25, key="capacity_attrition")
        freeze = l3.number_input("Hiring freeze (weeks from now)", 0, 52, 0, key="capacity_freeze")
        e1, e2 = st.columns(2)
        exit_site = e1.selectbox("Site exit", ["(none)", *sorted(op.sites)], key="capacity_exit_site")
        exit_date = e2.date_input("Exit date (UTC)", dt.date.today() + dt.timedelta(days=180), key="capacity_exit_date")
    exits = () if exit_site == "(none)" else ((exit_site, pd.Timestamp(exit_date, tz="UTC")),)
    return dict(months=months, source=DEMAND_SOURCES[source], growth=float(growth), attrition=float(attrition),
                freeze=int(freeze), exits=exits, time_limit=float(time_limit))


def _headline(plan: CapacityPlan, currency: str) -> None:
    s = plan.summary()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Cost over the horizon", fmt.fmt_money(plan.cost, currency),
              help="Salary (incl. billing up to contract minimums) + hiring + training.")
    c2.metric("Hires", fmt.fmt_number(sum(s["hires"].values()), "agents"))
    c3.metric("Weeks short", f"{s['weeks_short']} of {s['weeks']} weeks",
              delta=f"{s['weeks_short'] - s['weeks_short_no_hire']} vs hiring nobody", delta_color="inverse",
              help=f"Weeks with at least {SHORT_WEEK_FTE} FTE and {SHORT_WEEK_SHARE:.0%} of demand unmet.")
    c4.metric("Optimality gap", fmt.fmt_share(plan.gap, 2),
              help=f"Status {plan.status}; {plan.solve_seconds:.1f} s; lower bound "
                   f"{fmt.fmt_money(plan.bound, currency)} vs objective {fmt.fmt_money(plan.objective, currency)} "
                   "(cost + shortfall penalties).")


def _demand_chart(plan: CapacityPlan, by: str) -> alt.LayerChart:
    frame = plan.totals if by == "Week" else monthly_totals(plan).rename(columns={"month": "week_start"})
    frame = frame.assign(period=frame["week_start"].dt.tz_localize(None) if frame["week_start"].dt.tz else frame["week_start"],
                         served=frame["demand_fte"] - frame["short_fte"])
    x = alt.X("period:T", title=f"{by} starting (UTC)")
    lines = frame.melt("period", ["demand_fte", "supply_fte", "supply_fte_no_hire"], "measure", "fte")
    lines["measure"] = lines["measure"].map({"demand_fte": "Demand", "supply_fte": "Capacity with the hiring plan",
                                             "supply_fte_no_hire": "Capacity if we hire nobody"})
    short = alt.Chart(frame).mark_area(color="#d62728", opacity=0.3).encode(
        x=x, y=alt.Y("served:Q", title="FTE (productive, 40 h/week)"), y2="demand_fte:Q",
        tooltip=[alt.Tooltip("period:T", title=by), alt.Tooltip("short_fte:Q", title="Short (FTE)", format=",.1f")])
    line = alt.Chart(lines).mark_line().encode(
        x=x, y=alt.Y("fte:Q", title="FTE (productive, 40 h/week)"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        strokeDash=alt.condition(alt.datum.measure == "Capacity if we hire nobody", alt.value([4, 3]), alt.value([1, 0])),
        tooltip=[alt.Tooltip("period:T", title=by), "measure:N", alt.Tooltip("fte:Q", title="FTE", format=",.1f")])
    return (short + line).properties(height=320)


def _has_teams(plan: CapacityPlan) -> bool:
    """Whether some site is planned by team (its hiring rows name teams)."""
    return bool(plan.hires_by_team)


def _unit_column(frame: pd.DataFrame) -> pd.Series:
    """'MNL-A JA team' for a team row, the site for a site row."""
    return pd.Series([f"{s} {t} team" if t else s for s, t in zip(frame["site"], frame["team"])],
                     index=frame.index, dtype=object)


def _hiring_section(plan: CapacityPlan) -> None:
    teams = _has_teams(plan)
    st.subheader("Hiring plan per site and team" if teams else "Hiring plan per site")
    by = "Site"
    if teams:
        by = st.radio("Hires by", ["Team", "Site"], horizontal=True, key="capacity_hires_by",
                      help="Sites whose hiring rows name teams are planned team by team; the others as one unit.")
    hires = plan.weekly[plan.weekly["hires"] > 0].copy()
    if hires.empty:
        widgets.empty_state("No hires needed", "Current staff covers demand over the horizon, or hiring is frozen.")
    else:
        hires["month"] = hires["week_start"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp()
        hires["unit"] = _unit_column(hires) if by == "Team" else hires["site"]
        title = "Team (or site)" if by == "Team" else "Site"
        chart = alt.Chart(hires).mark_bar().encode(
            x=alt.X("yearmonth(month):T", title="Class start month (UTC)"),
            y=alt.Y("sum(hires):Q", title="Hires (agents starting training)"),
            color=alt.Color("unit:N", title=title),
            tooltip=[alt.Tooltip("unit:N", title=title), alt.Tooltip("yearmonth(month):T", title="Month"),
                     alt.Tooltip("sum(hires):Q", title="Hires (agents)")]).properties(height=260)
        widgets.show_chart(chart, key="capacity_hires_chart")
    if teams and by == "Team":
        _team_table(plan)
    if hires.empty:
        return
    classes = plan.classes.copy()
    if not teams:
        classes = classes.drop(columns=["team"])
    for col in ("requisition_week", "class_start", "productive_from", "fully_productive_from"):
        classes[col] = classes[col].dt.strftime("%Y-%m-%d")
    widgets.show_table(classes.rename(columns={"size": "size (agents)", "requisition_week": "requisition week (UTC)",
                                               "class_start": "class start (UTC)",
                                               "productive_from": "productive from (UTC)",
                                               "fully_productive_from": "fully productive from (UTC)"}),
                       key="capacity_classes", file_name="training_classes.csv")


def _team_table(plan: CapacityPlan) -> None:
    """Headcount, capacity and hires per team (and per site-level unit) by month."""
    from planning.capacity.plan import UNCERTIFIED

    w = plan.weekly[plan.weekly["site"] != UNCERTIFIED].copy()
    w["month"] = w["week_start"].dt.tz_localize(None).dt.to_period("M").dt.strftime("%Y-%m")
    w["team"] = w["team"].replace("", "(whole site)")
    table = w.groupby(["site", "team", "month"], as_index=False, sort=False).agg(
        hires=("hires", "sum"), headcount=("headcount", "mean"), supply_fte=("supply_fte", "mean"),
        demand_fte=("demand_fte", "mean"), short_fte=("short_fte", "mean"))
    st.caption("By team and month: hires summed, headcount and FTE the month's weekly mean "
               "(capacity counts trainees as 0 and nesting agents at their ramp-up productivity).")
    widgets.show_table(table.round(1).rename(columns={
        "month": "month (UTC)", "hires": "hires (agents)", "headcount": "headcount (agents)",
        "supply_fte": "capacity (FTE)", "demand_fte": "demand (FTE)", "short_fte": "short (FTE)"}),
        key="capacity_team_table", file_name="capacity_by_team.csv")


def _cost_section(plan: CapacityPlan, currency: str) -> None:
    st.subheader("Cost by vendor per quarter")
    cost = cost_by_vendor_quarter(plan)
    chart = alt.Chart(cost).mark_bar().encode(
        x=alt.X("quarter:N", title="Quarter"), y=alt.Y("total_cost:Q", title=f"Cost ({currency})"),
        color=alt.Color("vendor:N", title="Vendor"),
        tooltip=["vendor:N", "quarter:N", alt.Tooltip("total_cost:Q", title=f"Cost ({currency})", format=",.0f")],
    ).properties(height=260)
    widgets.show_chart(chart, key="capacity_cost_chart")
    widgets.show_table(cost.rename(columns={c: f"{c} ({currency})" for c in ("salary_cost", "hiring_cost", "total_cost")}),
                      key="capacity_cost", file_name="cost_by_vendor_quarter.csv")


def _risk_section(plan: CapacityPlan) -> None:
    st.subheader("Weeks at risk")
    risky = plan.totals[short_weeks(plan.totals)]
    if risky.empty:
        st.success(f"No week is short by {SHORT_WEEK_SHARE:.0%} of demand or more with this hiring plan.",
                   icon=":material/check_circle:")
        return
    pairs = plan.pairs[plan.pairs["short_fte"] >= 0.05]
    worst = {week: ", ".join(f"{q}/{m} {v:.1f}" for q, m, v in zip(g["queue"], g["market"], g["short_fte"]))
             for week, g in pairs.sort_values("short_fte", ascending=False).groupby("week_start")}
    worst = pd.Series(worst, name="short pairs (FTE)", dtype=object)
    table = risky.set_index("week_start")[["demand_fte", "supply_fte", "short_fte"]].join(worst).reset_index()
    table["week_start"] = table["week_start"].dt.strftime("%Y-%m-%d")
    table = table.rename(columns={"week_start": "week (UTC)", "demand_fte": "demand (FTE)",
                                  "supply_fte": "capacity (FTE)", "short_fte": "short (FTE)"})
    widgets.show_table(table.round(1), key="capacity_risk", file_name="weeks_at_risk.csv")
    _within_lead(plan)


def _within_lead(plan: CapacityPlan) -> None:
    """Weeks at risk that no hire can reach (planning.capacity.reconcile.weeks_within_lead)."""
    from planning.capacity.reconcile import weeks_within_lead

    inside = weeks_within_lead(plan)
    if inside.empty:
        st.caption("Every week at risk lies after the recruiting lead time plus training: hiring can reach it.")
        return
    reach = inside["reach_week"].iloc[0]
    st.warning(f"{len(inside)} of the weeks at risk fall inside the recruiting lead time plus training "
               f"(the first hire is productive from the week of {reach:%Y-%m-%d}): hiring cannot reach them. "
               "What can: overtime at the short sites, moving work to another certified site with room, or "
               "another vendor.", icon=":material/schedule:")
    table = inside.assign(week_start=inside["week_start"].dt.strftime("%Y-%m-%d")).drop(columns=["reach_week"])
    widgets.show_table(table.round(1).rename(columns={
        "week_start": "week (UTC)", "short_fte": "short (FTE)", "short_hours": "short (productive h)",
        "overtime_hours_per_agent": "overtime to cover it (h per agent at the short sites)",
        "spare_fte": "room at other certified sites (FTE)", "spare_sites": "sites with room (vendor)"}),
        key="capacity_within_lead", file_name="weeks_within_lead_time.csv")


def render() -> None:
    st.title("Capacity & hiring")
    who = common.principal()
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op, loaded.label))
    params = _inputs(op)
    if not st.toggle("Compute the plan", key="capacity_run",
                     help="Forecasts 12-18 months and solves the hiring model; takes 10-60 s the first time."):
        widgets.empty_state("Hiring plan not computed yet",
                           "Switch on **Compute the plan** to forecast demand and choose training classes per site.",
                           icon=":material/trending_up:")
        return
    try:
        plan = _plan(loaded.digest, who.label, params["months"], params["source"], params["growth"],
                     params["attrition"], params["freeze"], params["exits"], params["time_limit"], op)
    except (ValueError, RuntimeError, SolverCrashed) as exc:  # SolverCrashed: the child died
        widgets.error_box(f"The capacity plan could not be computed: {exc}",
                         "Check the hiring table on the Data page, or shorten the horizon.")
        return
    st.session_state[CAPACITY_RESULT_KEY] = plan
    currency = op.settings.currency
    st.caption(f"Demand: {plan.demand_source}; "
               f"{plan.problem.T} weeks from {plan.problem.weeks[0]:%Y-%m-%d} (UTC).")
    for line in plan.warnings:
        st.warning(fmt.plain(line), icon=":material/warning:")
    for line in plan.check:
        st.error(fmt.plain(f"Checker: {line}"), icon=":material/error:")
    _headline(plan, currency)
    st.subheader("Demand vs capacity")
    by = st.radio("Show by", ["Week", "Month"], horizontal=True, key="capacity_by")
    widgets.show_chart(_demand_chart(plan, by), key="capacity_demand_chart")
    st.caption("Red area: demand not covered (FTE). Dashed: capacity if nobody is hired. Capacity counts trainees "
               "as 0 and nesting agents at their ramp-up productivity.")
    _hiring_section(plan)
    _cost_section(plan, currency)
    _risk_section(plan)
    record.reconciliation(op, record.plan_of_record(op, who), who, capacity=plan)
