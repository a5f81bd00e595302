"""Forecast: history and forecast fan chart for one queue x market, backtest, long range."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.domain import Operation
from ui import common
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Forecast", "icon": ":material/query_stats:", "section": "Planning", "order": 10}

HISTORY_WEEKS = 3  # history shown before the forecast
SECTIONS = ["Backtest", "Long range", "Forecast rows"]
RUNS_KEY = "forecast_runs"  # session_state: {(digest, who, weeks, queue, market): ForecastRun}


def _run(op: Operation, digest: str, who: str, weeks: int, queue: str, market: str):
    """The forecast run for one pair, kept per session (computing shows a progress bar)."""
    from planning.forecasting import run_forecast

    runs = st.session_state.setdefault(RUNS_KEY, {})
    key = (digest, who, weeks, queue, market)
    if key not in runs:
        bar = st.progress(0.0, text="Backtesting models…")

        def progress(done: int, total: int, message: str = "") -> None:
            bar.progress(done / max(total, 1), text=f"Forecast {done}/{total} series")

        runs[key] = run_forecast(op, weeks, progress, pairs=[(queue, market)])
        bar.empty()
        while len(runs) > 8:
            runs.pop(next(iter(runs)))
    return runs[key]


@st.cache_data(show_spinner="Long-range forecast…", max_entries=8)
def _long_range(digest: str, who: str, months: int, queue: str, market: str, _op: Operation):
    from planning.forecasting import long_range_operation

    run = long_range_operation(_op, months, pairs=[(queue, market)])
    return run.weekly, run.monthly, run.warnings


def _fan_chart(history: pd.DataFrame, forecast: pd.DataFrame, marks: pd.DataFrame, interval: int) -> alt.LayerChart:
    y_title = f"Volume (items per {interval} min)"
    x = alt.X("timestamp:T", title="Interval start (UTC)")
    band95 = alt.Chart(forecast).mark_area(opacity=0.18, color="#4c78a8").encode(
        x=x, y=alt.Y("lo_95:Q", title=y_title), y2="hi_95:Q")
    band80 = alt.Chart(forecast).mark_area(opacity=0.32, color="#4c78a8").encode(x=x, y="lo_80:Q", y2="hi_80:Q")
    line = alt.Chart(forecast).mark_line(color="#1f4e79", strokeWidth=1.2).encode(
        x=x, y="forecast:Q",
        tooltip=[alt.Tooltip("timestamp:T", title="Interval (UTC)", format="%a %Y-%m-%d %H:%M"),
                 alt.Tooltip("forecast:Q", title="Forecast (items)", format=",.1f"),
                 alt.Tooltip("lo_80:Q", title="80% low (items)", format=",.1f"),
                 alt.Tooltip("hi_80:Q", title="80% high (items)", format=",.1f"),
                 alt.Tooltip("lo_95:Q", title="95% low (items)", format=",.1f"),
                 alt.Tooltip("hi_95:Q", title="95% high (items)", format=",.1f")])
    past = alt.Chart(history).mark_line(color="#888888", strokeWidth=1).encode(
        x=x, y="volume:Q", tooltip=[alt.Tooltip("timestamp:T", title="Interval (UTC)", format="%a %Y-%m-%d %H:%M"),
                                    alt.Tooltip("volume:Q", title="Actual (items)", format=",.0f")])
    layers = [band95, band80, past, line]
    if len(marks):
        layers.append(alt.Chart(marks).mark_rect(opacity=0.12, color="#e45756").encode(
            x="start:T", x2="end:T", tooltip=[alt.Tooltip("label:N", title="Known effect")]))
    return alt.layer(*layers).properties(height=340)


def _effect_spans(components: pd.DataFrame, interval: int) -> pd.DataFrame:
    """Contiguous spans where a holiday or event factor applies, labelled with the factor."""
    spans = []
    for column, name in (("event_factor", "event"), ("holiday_factor", "holiday")):
        active = components[column].ne(1.0)
        if not active.any():
            continue
        groups = (active != active.shift()).cumsum()
        for _, block in components[active].groupby(groups[active]):
            factor = block[column].iloc[0]
            spans.append({"start": block.timestamp.iloc[0],
                          "end": block.timestamp.iloc[-1] + pd.Timedelta(minutes=interval),
                          "label": f"{name} ×{factor:.2f}"})
    return pd.DataFrame(spans, columns=["start", "end", "label"])


def _past_events(op: Operation, queue: str, market: str, start, end) -> pd.DataFrame:
    """Events from the inputs that touch the shown history of this queue x market."""
    rows = [{"start": max(pd.Timestamp(e.start), start), "end": min(pd.Timestamp(e.end), end),
             "label": f"{e.event} ×{e.volume_multiplier:g} (past)"}
            for e in op.events
            if e.queue in (queue, "*") and e.market in (market, "*")
            and pd.Timestamp(e.end) > start and pd.Timestamp(e.start) < end]
    return pd.DataFrame(rows, columns=["start", "end", "label"])


def _long_chart(frame: pd.DataFrame, unit: str) -> alt.LayerChart:
    x = alt.X("period_start:T", title=f"{unit.capitalize()} starting (UTC)")
    y_title = f"Volume (items per {unit})"
    band = alt.Chart(frame).mark_area(opacity=0.2, color="#4c78a8").encode(
        x=x, y=alt.Y("lo_95:Q", title=y_title), y2="hi_95:Q")
    band80 = alt.Chart(frame).mark_area(opacity=0.35, color="#4c78a8").encode(x=x, y="lo_80:Q", y2="hi_80:Q")
    line = alt.Chart(frame).mark_line(point=True, color="#1f4e79").encode(
        x=x, y="forecast:Q", tooltip=[alt.Tooltip("period_start:T", title=f"{unit} starting"),
                                      alt.Tooltip("forecast:Q", title="Forecast (items)", format=",.0f"),
                                      alt.Tooltip("lo_95:Q", title="95% low (items)", format=",.0f"),
                                      alt.Tooltip("hi_95:Q", title="95% high (items)", format=",.0f")])
    return alt.layer(band, band80, line).properties(height=280)


def render() -> None:
    who = common.principal()
    st.title("Forecast")
    op = common.require_operation(who)
    loaded = common.load_inputs()
    st.caption(common.data_caption(op))
    pairs = pd.DataFrame(op.pairs, columns=["queue", "market"])
    if pairs.empty:
        widgets.empty_state("No volume history", "Upload inputs with a volume table on the Data page.")
        return
    c1, c2, c3 = st.columns([2, 2, 1])
    queue = c1.selectbox("Queue", sorted(pairs["queue"].unique()), key="forecast_queue")
    market = c2.selectbox("Market", sorted(pairs[pairs["queue"] == queue]["market"]), key="forecast_market")
    weeks = int(c3.number_input("Weeks ahead", min_value=1, max_value=8,
                                value=max(2, op.settings.planning_weeks), key="forecast_weeks"))
    interval = op.settings.interval_minutes
    run = _run(op, loaded.digest, who.label, weeks, queue, market)
    choice = run.selection.iloc[0]
    forecast, components = run.forecast, run.components

    m1, m2, m3 = st.columns(3)
    m1.metric("Chosen model", choice["model"])
    m2.metric(f"Forecast volume, next {weeks} weeks", fmt.fmt_number(forecast["forecast"].sum(), "items"))
    scores = run.scores()
    mine = scores[scores["chosen"]] if len(scores) else scores
    m3.metric("Backtest MASE (vs weekly naive = 1)", f"{mine['mase'].iloc[0]:.2f}" if len(mine) else "–")
    st.info(f"**Why {choice['model']}:** {fmt.plain(choice['reason'])}", icon=":material/lightbulb:")

    history = op.volume[(op.volume["queue"] == queue) & (op.volume["market"] == market)]
    history = history[history["timestamp"] >= history["timestamp"].max() - pd.Timedelta(weeks=HISTORY_WEEKS)]
    marks = pd.concat([_past_events(op, queue, market, history["timestamp"].min(), history["timestamp"].max()),
                       _effect_spans(components, interval)], ignore_index=True)
    st.subheader("History and forecast")
    st.caption(f"Grey: actual volume (last {HISTORY_WEEKS} weeks). Blue line: forecast; bands: 80% and 95% "
               "prediction intervals. Red spans: known events (from the inputs) and public holidays; in the "
               "forecast their factor is applied on top of the model's baseline, in the history they "
               "were divided out before fitting.")
    widgets.show_chart(_fan_chart(history, forecast, marks, interval), key="forecast_fan")
    for message in run.warnings["message"]:
        st.warning(fmt.plain(message), icon=":material/warning:")

    # A radio, not st.tabs: tabs jump back to the first one when a widget inside reruns the page.
    section = st.radio("Show", SECTIONS, horizontal=True, key="forecast_section", label_visibility="collapsed")
    if section == SECTIONS[0]:
        if scores.empty:
            st.write("Not enough history to backtest this series; a fallback model was used.")
        else:
            table = scores[["model", "mase", "wape", "bias", "calibrated_coverage_80", "calibrated_coverage_95",
                            "chosen"]].rename(columns={
                                "mase": "MASE", "wape": "WAPE (share)", "bias": "Bias (share)",
                                "calibrated_coverage_80": "80% coverage (share)",
                                "calibrated_coverage_95": "95% coverage (share)"}).sort_values("MASE")
            st.caption("Rolling-origin backtest: 3 origins a week apart, horizon = the weeks ahead. MASE < 1 "
                       "beats the weekly seasonal naive. Coverage uses intervals calibrated on the other origins.")
            widgets.show_table(table, key="forecast_backtest", file_name=f"backtest_{queue}_{market}.csv")
    elif section == SECTIONS[1]:
        c4, c5 = st.columns(2)
        unit = c4.radio("Period", ["week", "month"], horizontal=True, key="forecast_lr_unit")
        months = int(c5.slider("Months ahead", 12, 18, 18, key="forecast_lr_months"))
        weekly, monthly, lr_warnings = _long_range(loaded.digest, who.label, months, queue, market, op)
        frame = weekly if unit == "week" else monthly
        st.caption("Daily model with trend, weekday and yearly seasonality, holidays and events; whole "
                   "weeks / months only. Bands: 80% / 95% from simulated paths.")
        widgets.show_chart(_long_chart(frame, unit), key="forecast_lr_chart")
        for message in lr_warnings["message"]:
            st.warning(fmt.plain(message), icon=":material/warning:")
    else:
        st.caption("forecast = baseline (model) × holiday factor × event factor; volumes in items per interval.")
        rows = forecast.merge(components, on=["timestamp", "queue", "market"])
        widgets.show_table(rows, key="forecast_rows", file_name=f"forecast_{queue}_{market}.csv")
