"""The Forecast page (AppTest on the sample): fan chart, chosen model and why, backtest, long range."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


@pytest.fixture()
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PLANNER_FORECAST_BACKEND", "serial")
    return AppTest.from_string("from ui.forecast import render\nrender()\n", default_timeout=300)


def test_forecast_page_shows_choice_bands_backtest_and_long_range(page):
    at = page.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Chosen model"] in {"snaive_week", "mean_4w", "mstl_arima", "harmonic_sarimax", "ets_weekly"}
    assert "items" in metrics["Forecast volume, next 2 weeks"]
    assert any(i.value.startswith("**Why ") for i in at.info)
    assert at.radio(key="forecast_section").options == ["Backtest", "Long range", "Forecast rows"]
    backtest = at.dataframe[0].value
    assert set(backtest["model"]) >= {"snaive_week", "mean_4w"} and backtest["chosen"].sum() == 1
    first_queue = at.selectbox(key="forecast_queue").value
    at.selectbox(key="forecast_queue").select_index(1).run()
    assert not at.exception
    assert at.selectbox(key="forecast_queue").value != first_queue
    at.radio(key="forecast_section").set_value("Long range").run()
    assert not at.exception
    at.radio(key="forecast_lr_unit").set_value("month").run()
    assert not at.exception
    assert at.radio(key="forecast_section").value == "Long range"  # stays on the section
    assert any("whole weeks / months only" in c.value for c in at.caption)


def test_forecast_rows_show_the_event_and_holiday_components(page):
    at = page.run()
    at.radio(key="forecast_section").set_value("Forecast rows").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert {"forecast", "lo_95", "hi_95", "baseline", "holiday_factor", "event_factor"} <= set(rows.columns)
    product = rows["baseline"] * rows["holiday_factor"] * rows["event_factor"]
    assert ((product - rows["forecast"]).abs() <= 1e-6 * (1 + rows["forecast"])).all()
