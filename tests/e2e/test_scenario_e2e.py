"""A one-lever scenario in headless Chromium: run it, see the KPI move off the baseline, save it.

Own `streamlit run app.py` (see conftest.py) with a temporary scenario store (WFM_DB),
so the saved list starts empty and nothing is written to var/scenarios.db. The run is
the real pipeline (forecast from the disk cache, levers, requirements, the shift solver
with a short time limit, simulation); the baseline is the stored plan the Overview shows.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (SERVER_START_TIMEOUT_S, start_server, stop_server, wait_for_app,
                                wait_healthy)

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
PERCENT = 30
TIME_LIMIT_S = 6
RUN_TIMEOUT_MS = 240_000  # forecast (disk cache) + levers + requirements + a 6 s solve + simulation
BASELINE_TIMEOUT_MS = 900_000  # only a clean clone computes the baseline plan (the Overview does it once)
STEP_TIMEOUT_MS = 60_000  # one click and its rerun on a busy box
NAME = "E2E volume +30%"


def busiest_queue() -> str:
    """The queue with the most work (items x AHT) in the sample: +30% on it must show in the KPIs."""
    queues = pd.read_csv(SAMPLE / "queues.csv").set_index("queue")["aht_seconds"]
    volume = pd.read_csv(SAMPLE / "volume.csv.gz", usecols=["queue", "volume"]).groupby("queue")["volume"].sum()
    return str((volume * queues.reindex(volume.index)).idxmax())


def number(text: str) -> float:
    """'USD 512,345' / '+1,234 h' / '-12.5 agent-h' -> the signed number."""
    found = re.search(r"([+-]?)\D*?([\d,]+(?:\.\d+)?)", text)
    assert found, f"no number in {text!r}"
    return float(found.group(1) + found.group(2).replace(",", ""))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenario-e2e")
    log, db = folder / "server.log", folder / "scenarios.db"
    with mock.patch.dict(os.environ, {"WFM_DB": str(db)}):  # the child gets its own empty store
        proc, base_url = start_server(log)
    try:
        wait_healthy(base_url, proc, SERVER_START_TIMEOUT_S, log)
        yield {"url": base_url, "db": db, "log": log}
    finally:
        stop_server(proc)


@pytest.fixture
def tab(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    yield page
    context.close()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label`` (a combobox in Streamlit >= 1.50)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)  # typing filters the list (and opens it)
    # the options carry no accessible name in this Streamlit version: match their text
    page.get_by_role("option").filter(has_text=re.compile(f"^{re.escape(option)}$")).first.click()
    wait_for_app(page)
    assert box.input_value() == option


def metric(page, label: str) -> tuple[str, str]:
    """(value, delta) texts of the metric ``label``."""
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))).first
    value = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
    delta = card.locator('[data-testid="stMetricDelta"]')
    return value, (delta.inner_text().strip() if delta.count() else "")


def test_one_lever_scenario_changes_the_kpis_and_is_saved(tab, server, screenshots):
    from planning.access import LOCAL_USER as PLANNER
    from planning.scenarios import Store

    started = time.monotonic()
    queue = busiest_queue()
    # the baseline plan is stored on disk the first time the Overview opens (instant afterwards)
    tab.goto(server["url"])
    wait_for_app(tab, timeout_ms=BASELINE_TIMEOUT_MS)
    tab.get_by_text("Cost per week").first.wait_for(timeout=BASELINE_TIMEOUT_MS)
    tab.get_by_role("link", name="Scenarios").click()
    wait_for_app(tab, timeout_ms=RUN_TIMEOUT_MS)
    assert tab.locator('[data-testid="stException"]').count() == 0

    # one lever: +30% volume on the busiest queue, over the whole horizon
    choose(tab, "queue", queue)
    tab.get_by_label(re.compile("^percent")).fill(str(PERCENT))
    tab.get_by_role("button", name="Add lever").click()
    wait_for_app(tab)
    tab.get_by_text(f"Volume +{PERCENT}% for queue {queue}, all markets").first.wait_for()

    limit = tab.get_by_role("spinbutton", name="Solver time limit [s]")
    limit.fill(str(TIME_LIMIT_S))
    limit.press("Enter")
    wait_for_app(tab)

    run_started = time.monotonic()
    tab.get_by_role("button", name="Run", exact=True).click()
    try:
        tab.get_by_text("Result (run took").wait_for(timeout=RUN_TIMEOUT_MS)
    except Exception as exc:  # say what the page showed instead of the result
        shots = ROOT / "tests" / "e2e" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(shots / "scenario-run-timeout.png"), full_page=True)
        raise AssertionError(f"no result after {RUN_TIMEOUT_MS / 1000:.0f} s; the page shows: "
                             f"{tab.locator('body').inner_text()[-1500:]!r}") from exc
    wait_for_app(tab)
    run_seconds = time.monotonic() - run_started
    assert tab.locator('[data-testid="stException"]').count() == 0
    assert "Traceback (most recent call last)" not in tab.content()

    hours, hours_delta = metric(tab, "Paid hours")
    cost, cost_delta = metric(tab, "Cost")
    assert hours.endswith(" h") and cost.startswith("USD "), (hours, cost)  # units on the numbers
    base = re.search(r"vs baseline (.+)$", hours_delta)
    assert base, f"no baseline shown next to paid hours: {hours_delta!r}"
    base_hours = number(base.group(1))
    assert number(hours) > base_hours * 1.02, (hours, hours_delta)  # +30% work needs more paid hours
    assert abs(number(hours) - base_hours - number(hours_delta)) <= 1.0  # the delta is the difference
    base_cost = number(re.search(r"vs baseline (.+)$", cost_delta).group(1))
    assert number(cost) > base_cost, (cost, cost_delta)
    solver = tab.get_by_text(re.compile(r"^Solver: ")).first.inner_text()
    assert f"(limit {TIME_LIMIT_S} s)" in solver, solver  # the time limit reached the solver
    tab.set_viewport_size({"width": 1400, "height": 2400})
    tab.screenshot(path=str(screenshots / "scenarios-run.png"))

    # saving the named scenario stores it with these KPIs and lists it under Saved
    name = tab.get_by_label("Name", exact=True)
    name.fill(NAME)
    name.press("Enter")
    wait_for_app(tab)
    tab.get_by_role("button", name="Save as new").click()
    tab.get_by_text("Saved scenario #1 with its KPIs.").wait_for()
    wait_for_app(tab)
    tab.get_by_role("tab", name="Saved").click()
    expect(tab.get_by_role("combobox", name="Scenario", exact=True)).to_have_value(f"#1 {NAME}")
    saved = Store(server["db"]).list(who=PLANNER)
    assert [(r["id"], r["name"], r["runs"]) for r in saved] == [(1, NAME, 1)]
    stored = Store(server["db"]).latest_result(1, who=PLANNER)["kpis"]
    assert round(stored["paid_hours"]) == number(hours)
    print(f"scenario run in the browser: {run_seconds:.1f} s; whole test {time.monotonic() - started:.1f} s; "
          f"paid hours {hours} ({hours_delta}), cost {cost} ({cost_delta})")


def _set_date(page, label_start: str, value: str) -> None:
    """Type ``value`` (YYYY/MM/DD) into the Streamlit date field whose label starts with
    ``label_start``: a group of year, month and day segments (spinbuttons)."""
    group = page.get_by_label(re.compile("^" + re.escape(label_start)))
    for name, text in zip(("year", "month", "day"), value.split("/")):
        segment = group.locator(f'[role="spinbutton"][data-type="{name}"]')
        segment.click()
        segment.press_sequentially(text)
    page.keyboard.press("Tab")
    wait_for_app(page)


def test_a_lever_outside_the_horizon_is_warned_before_any_run(tab, server):
    """A 3-day AUS-C outage after the plan horizon: the page says it changes nothing, before Run."""
    tab.goto(server["url"] + "/scenarios")
    wait_for_app(tab, timeout_ms=RUN_TIMEOUT_MS)
    box = tab.get_by_role("combobox", name="Lever", exact=True)
    box.click()
    box.fill("site outage")
    tab.get_by_role("option").filter(has_text=re.compile("^site outage")).first.click()
    wait_for_app(tab)
    # the site list is sorted and the site is required: AUS-C is already chosen (the warning names it)
    _set_date(tab, "start", "2026/12/03")
    _set_date(tab, "end", "2026/12/06")
    tab.get_by_role("button", name="Add lever").click()
    wait_for_app(tab)
    warning = tab.locator('[data-testid="stAlert"]').filter(has_text="outside the plan horizon")
    warning.first.wait_for(timeout=STEP_TIMEOUT_MS)
    text = warning.first.inner_text()
    assert "AUS-C outage Dec 3–6 (end exclusive) is outside the plan horizon Nov 16–23: it changes nothing" in text, \
        text
    assert tab.get_by_text("Result (run took").count() == 0  # warned before any run
    tab.screenshot(path=str(ROOT / "tests" / "e2e" / "screenshots" / "scenarios-outside-horizon.png"), full_page=True)


def test_stop_interrupts_a_long_run(tab, server):
    """A run with a long solver limit stops at its next step when Stop is pressed; no result appears."""
    long_limit = 300
    tab.goto(server["url"] + "/scenarios")
    wait_for_app(tab, timeout_ms=RUN_TIMEOUT_MS)
    limit = tab.get_by_role("spinbutton", name="Solver time limit [s]")
    limit.fill(str(long_limit))
    limit.press("Enter")
    wait_for_app(tab)
    tab.get_by_role("button", name="Run", exact=True).click()
    tab.get_by_text(re.compile("^Planning: ")).first.wait_for(timeout=RUN_TIMEOUT_MS)  # in the solver
    stopped_at = time.monotonic()
    tab.get_by_role("button", name="Stop").click()
    tab.get_by_text("Run stopped; nothing was changed.").wait_for(timeout=RUN_TIMEOUT_MS)
    wait_for_app(tab)
    took = time.monotonic() - stopped_at
    print(f"stopped {took:.1f} s after pressing Stop (solver limit {long_limit} s)")
    assert took < long_limit / 3
    assert tab.get_by_text("Result (run took").count() == 0
    assert tab.locator('[data-testid="stException"]').count() == 0
