"""Monitor: actuals against forecast and plan - KPI tiles, trends with bands, alerts, intraday."""
from __future__ import annotations

import hashlib

import altair as alt
import pandas as pd
import streamlit as st

from planning.domain import Operation
from planning.access import can
from ui import common
from ui import record
from ui import uploads
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Monitor", "icon": ":material/monitor_heart:", "section": "Planning", "order": 60}

ACTUALS_UPLOAD_KEY = "monitor_actuals_upload"
LEVEL_LABELS = {"total": "Total", "queue": "Queue", "market": "Market", "site": "Site", "team": "Team",
                "vendor": "Vendor"}


@st.cache_data(show_spinner="Reading the actuals…", max_entries=4)
def _actuals(digest: str, who: str, name: str, max_mb: float, _data: bytes | None, _who, _op: Operation,
             _full: Operation):
    """Validated actuals restricted to what this person may see, and the problems (a list).

    An upload is read from memory by the core (``load_actuals_upload``: role, size, inflated
    size and ratio checked); ``name`` is only quoted in messages.
    """
    from planning.access import Forbidden
    from planning.monitor import load_actuals, load_actuals_upload

    if _data is None:
        frame, report = load_actuals(common.SAMPLE_DIR, _full)
    else:
        try:
            frame, report = load_actuals_upload(name, _data, _full, _who, uploads.upload_limits(_full.settings))
        except Forbidden as exc:
            return None, [uploads.UploadProblem(f"{exc}; the built-in sample actuals are shown instead",
                                                file=name)]
    if frame is not None:
        from planning.monitor import visible_actuals

        frame = visible_actuals(frame, _op)
    return frame, list(report.problems)


@st.cache_data(show_spinner="Re-forecasting the rest of the day…", max_entries=8)
def _intraday(digest: str, who: str, actuals_key: str, plan_key: str, now: pd.Timestamp, _op, _forecast,
              _actuals, _allocation):
    from planning.monitor.intraday import intraday

    return intraday(_op, _forecast, _actuals, now, allocation=_allocation)


def _rounded(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Round the numeric columns only (timestamps stay as they are)."""
    numeric = frame.select_dtypes("number").columns
    return frame.round({c: digits for c in numeric})


def _tiles(kpis: pd.DataFrame, currency: str) -> None:
    day = kpis[(kpis["period"] == "day") & (kpis["level"] == "total")].sort_values("period_start")
    if day.empty:
        return
    last = day.iloc[-1]
    prev = day.iloc[-2] if len(day) > 1 else None

    def delta(col, scale=100.0, unit="pp"):
        if prev is None or pd.isna(last[col]) or pd.isna(prev[col]):
            return None
        change = (last[col] - prev[col]) * scale / 100.0
        text = fmt.fmt_pp(change) if unit == "pp" else fmt.fmt_delta(change * 100.0, currency=unit, digits=1)
        return text  # the caption says: against the day before (a longer label is cut off in a tile)

    st.caption(f"Last day in the actuals: {last['period_start']:%a %Y-%m-%d} (UTC); deltas against the day before.")
    c = st.columns(6)
    c[0].metric("Manual incoming", fmt.fmt_compact(last["manual_incoming"], "items"),
                delta=f"{last['volume_bias']:+.1%} vs forecast" if pd.notna(last["volume_bias"]) else None,
                delta_color="off", help=f"{fmt.fmt_number(last['manual_incoming'], 'items')} reaching human review "
                                        "on the day; delta = (actual - forecast) / forecast.")
    c[1].metric("Automation rate", fmt.fmt_share(last["automation_rate"]), delta=delta("automation_rate"),
                help="1 - manual incoming / total incoming.")
    c[2].metric("SLA attainment", fmt.fmt_share(last["sla_attainment"]),
                delta=f"{fmt.fmt_pp(last['sla_gap'])} vs target" if pd.notna(last["sla_gap"]) else None,
                delta_color=fmt.delta_color(last["sla_gap"], 1, 100),
                help="Solved-weighted share within the SLA deadline, against the solved-weighted target.")
    c[3].metric("AHT vs plan", fmt.fmt_share(last["aht_vs_plan"]), delta=delta("aht_vs_plan"),
                delta_color="inverse", help="Handled seconds / planned seconds - 1.")
    c[4].metric("Occupancy", fmt.fmt_share(last["occupancy"]), delta=delta("occupancy"), delta_color="off",
                help="Handled hours / staffed agent hours.")
    c[5].metric("Cost per solved item", fmt.fmt_money(last["cost_per_solved"], currency, 2),
                delta=delta("cost_per_solved", 1.0, currency), delta_color="inverse",
                help="Paid cost of staffed agents (shrinkage, night premium) / manual items solved.")


def _trend(result, alerts: pd.DataFrame, queue: str, market: str, interval: int) -> alt.LayerChart:
    p = result.pairs[(result.pairs["queue"] == queue) & (result.pairs["market"] == market)].copy()
    flagged = alerts[(alerts["queue"] == queue) & (alerts["market"] == market)]
    p["flagged"] = False
    for a in flagged.itertuples(index=False):
        p.loc[(p["timestamp"] >= a.start) & (p["timestamp"] < a.end), "flagged"] = True
    x = alt.X("timestamp:T", title="Interval start (UTC)")
    y_title = f"Manual incoming (items per {interval} min)"
    band95 = alt.Chart(p).mark_area(opacity=0.18, color="#2563eb").encode(
        x=x, y=alt.Y("lo_95:Q", title=y_title), y2="hi_95:Q")
    band80 = alt.Chart(p).mark_area(opacity=0.3, color="#2563eb").encode(x=x, y="lo_80:Q", y2="hi_80:Q")
    fc = alt.Chart(p).mark_line(color="#1e3a8a", strokeDash=[4, 3]).encode(x=x, y="forecast:Q")
    tooltip = [alt.Tooltip("timestamp:T", title="Interval (UTC)", format="%a %Y-%m-%d %H:%M"),
               alt.Tooltip("manual_incoming:Q", title="Actual (items)", format=",.0f"),
               alt.Tooltip("forecast:Q", title="Forecast (items)", format=",.1f"),
               alt.Tooltip("hi_95:Q", title="95% high (items)", format=",.1f")]
    actual = alt.Chart(p).mark_line(color="#f97316", strokeWidth=1.3).encode(x=x, y="manual_incoming:Q",
                                                                              tooltip=tooltip)
    points = alt.Chart(p[p["flagged"]]).mark_circle(color="#ef4444", size=36).encode(
        x=x, y="manual_incoming:Q", tooltip=tooltip)
    return (band95 + band80 + fc + actual + points).properties(height=300)


def _breakdown_chart(breakdown: pd.DataFrame) -> alt.Chart:
    unit = breakdown["unit"].iloc[0] if "unit" in breakdown and len(breakdown) else ""
    label = (breakdown["cause"] + ": " + breakdown["key"]) if "cause" in breakdown else breakdown["key"]
    frame = breakdown.assign(label=label).head(12)
    return alt.Chart(frame).mark_bar(color="#a855f7").encode(
        x=alt.X("contribution:Q", title=f"Contribution ({unit})"),
        y=alt.Y("label:N", sort="-x", title=None),
        tooltip=["label", alt.Tooltip("contribution:Q", format=",.1f", title=unit),
                 alt.Tooltip("share:Q", format=".0%", title="Share")]
    ).properties(height=max(170, 24 * len(frame) + 60))  # the chart fits its container: the axes take ~55 px


def _intraday_view(op, forecast, actuals, result, allocation, digest, who, actuals_key, plan_key) -> None:
    st.subheader("Intraday re-forecast")
    stamps = result.pairs["timestamp"].drop_duplicates().sort_values()
    days = sorted(stamps.dt.floor("D").unique())
    c1, c2 = st.columns(2)
    day = c1.selectbox("Day (UTC)", days, index=len(days) - 1, format_func=lambda d: f"{d:%a %Y-%m-%d}",
                       key="monitor_intraday_day")
    hour = c2.slider("Actuals up to (UTC hour)", 1, 23, 12, key="monitor_intraday_hour")
    now = pd.Timestamp(day) + pd.Timedelta(hours=hour)
    if forecast is None or forecast[forecast["timestamp"] >= now].empty:
        widgets.empty_state("No forecast after this time", "Pick an earlier day or hour.")
        return
    res = _intraday(digest, who, actuals_key, plan_key, now, op, forecast, actuals, allocation)
    f = res.factors.sort_values("factor_today", ascending=False)
    st.caption("Rest of today scaled by the day so far (credibility-weighted); the following days by half "
               "that surprise. Headcount = productive agents / (1 - site shrinkage).")
    st.dataframe(f, hide_index=True, width="stretch", key="monitor_factors", column_config={
        "actual_so_far": st.column_config.NumberColumn("Actual so far (items)", format="%.0f"),
        "forecast_so_far": st.column_config.NumberColumn("Forecast so far (items)", format="%.0f"),
        "ratio": st.column_config.NumberColumn("Actual / forecast", format="%.3f"),
        "weight": st.column_config.NumberColumn("Credibility", format="%.2f"),
        "factor_today": st.column_config.NumberColumn("Factor rest of today", format="%.3f"),
        "factor_week": st.column_config.NumberColumn("Factor later days", format="%.3f")})
    today = res.site_gap[res.site_gap["timestamp"] < now.floor("D") + pd.Timedelta(days=1)]
    chart = alt.Chart(today).mark_rect().encode(
        x=alt.X("timestamp:T", title="Interval start (UTC)"), y=alt.Y("site:N", title="Site"),
        color=alt.Color("gap_headcount:Q", title="Agents to add (+) / release (-)",
                        scale=alt.Scale(scheme="redblue", reverse=True, domainMid=0)),
        tooltip=[alt.Tooltip("timestamp:T", format="%H:%M", title="Interval (UTC)"), "site", "vendor",
                 alt.Tooltip("gap_headcount:Q", format="+.1f", title="Headcount (agents)"),
                 alt.Tooltip("gap_agents:Q", format="+.1f", title="Productive agents")]).properties(height=220)
    widgets.show_chart(chart, key="monitor_gap_chart")
    widgets.show_table(_rounded(today, 2), "monitor_gap", "staffing_gap_today.csv")


def render() -> None:
    st.title("Monitor")
    who = common.principal()
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op))
    limit = uploads.upload_limit_mb(loaded.operation.settings)
    upload = None
    if can(who, "upload"):
        upload = st.file_uploader(f"Actuals (CSV or .csv.gz, up to {limit:g} MB; see the actuals table in the "
                                  "input format)", type=["csv", "gz"], key=ACTUALS_UPLOAD_KEY,
                                  max_upload_size=max(1, int(limit)))
    else:
        st.info("Your role cannot upload actuals (uploading is for planners); the monitor shows the "
                "actuals that come with the operation.", icon=":material/lock:")
    if upload is not None:
        name, data = upload.name, upload.getvalue()
    elif loaded.source == "sample":
        name, data = "actuals.csv.gz", None
    else:
        widgets.empty_state("No actuals yet", "Upload an actuals file above (one row per interval and queue x "
                           "market, optionally per site)." if can(who, "upload") else "Ask a planner to "
                           "upload the actuals.", icon=":material/upload_file:")
        return
    digest = hashlib.sha256(data).hexdigest()[:24] if data is not None else "sample"
    actuals_key = f"{loaded.digest}:{digest}"
    try:
        actuals, problems = _actuals(actuals_key, who.label, name, limit, data, who, op, loaded.operation)
    except Exception as exc:  # the reader promises not to raise; if it does, say so instead of a traceback
        widgets.error_box(exc)
        return
    if actuals is None:
        errors = [p for p in problems if p.severity == "error"] or problems
        st.error(f"These actuals cannot be used ({len(errors)} problem(s)). Fix the file as described below "
                 "and upload it again: a UTF-8 CSV (or .csv.gz) with the actuals columns.", icon=":material/error:")
        for p in errors[:20]:
            widgets.error_box(p)
        return
    if actuals.empty:
        widgets.empty_state("No actuals for what you may see", "The actuals have no rows for your queues, "
                           "markets or sites.")
        return
    from planning.monitor import forecast_weeks

    found = record.plan_of_record(op, who)
    record.caption(found)
    st.caption("Staffing is compared with the plan of record's allocation; the Overview lists the same alerts.")
    weeks = forecast_weeks(op, actuals)
    forecast = record.forecast_for(loaded.digest, who.label, weeks, op) if weeks else None
    allocation = found.result.plan.allocation if found is not None and found.result is not None else None
    plan_key = record.plan_key(found)
    result = record.monitor_result(op, found, who, actuals=actuals,
                                   actuals_key="sample" if data is None else digest)
    st.caption(f"Monitor computed in {result.seconds:.1f} s.")
    _tiles(result.kpis, op.settings.currency)

    alerts = result.alerts
    st.subheader(f"Alerts ({len(alerts)})")
    if alerts.empty:
        st.success("No alerts: volume within the forecast bands, AHT, staffing and backlog as expected.")
    else:
        shown = alerts[["id", "kind", "start", "end", "queue", "market", "site", "team", "vendor", "cause", "message"]]
        st.dataframe(shown, hide_index=True, width="stretch", key="monitor_alerts", column_config={
            "start": st.column_config.DatetimeColumn("Start (UTC)", format="YYYY-MM-DD HH:mm"),
            "end": st.column_config.DatetimeColumn("End (UTC)", format="YYYY-MM-DD HH:mm")})
        pick = st.selectbox("Drill down into alert", alerts["id"].tolist(), key="monitor_alert_pick",
                            format_func=lambda i: f"#{i} {alerts.set_index('id').loc[i, 'message']}")
        breakdown = result.breakdowns[pick]
        widgets.show_chart(_breakdown_chart(breakdown), key="monitor_breakdown_chart")
        widgets.show_table(_rounded(breakdown, 3), "monitor_breakdown", f"alert_{pick}_breakdown.csv")

    st.subheader("Trend against the forecast")
    pairs = sorted(set(zip(result.pairs["queue"], result.pairs["market"])))
    flagged = [p for p in pairs if ((alerts["queue"] == p[0]) & (alerts["market"] == p[1])).any()]
    default = pairs.index(flagged[0]) if flagged else 0
    queue, market = st.selectbox("Queue x market", pairs, index=default, key="monitor_pair",
                                 format_func=lambda p: f"{p[0]} x {p[1]}" + (" (alert)" if p in flagged else ""))
    if result.pairs["forecast"].notna().any():
        widgets.show_chart(_trend(result, alerts, queue, market, op.settings.interval_minutes), key="monitor_trend")
        st.caption("Orange: actual; dashed: forecast; bands: 80% and 95% prediction intervals; red: flagged.")
    else:
        widgets.empty_state("No forecast over the actuals", "The actuals lie inside the history, so there is no "
                           "forecast to compare them with.")

    st.subheader("KPIs")
    c1, c2 = st.columns(2)
    levels = [lv for lv in LEVEL_LABELS if (result.kpis["level"] == lv).any()]  # team: only when reported
    level = c1.selectbox("By", levels, format_func=LEVEL_LABELS.get, key="monitor_level")
    period = c2.radio("Period", ["day", "week"], horizontal=True, key="monitor_period")
    table = result.kpis[(result.kpis["level"] == level) & (result.kpis["period"] == period)]
    widgets.show_table(_rounded(table.drop(columns=["period", "level"]), 4), "monitor_kpis", f"kpis_{level}_{period}.csv")
    with st.expander("KPI formulas"):
        from planning.monitor import KPI_FORMULAS

        currency = op.settings.currency  # the unit, not the placeholder
        st.table(pd.DataFrame({"KPI": list(KPI_FORMULAS),
                               "formula": [f.replace("[currency", f"[{currency}") for f in KPI_FORMULAS.values()]}))

    if forecast is not None:
        _intraday_view(op, forecast, actuals, result, allocation, loaded.digest, who.label, actuals_key, plan_key)
