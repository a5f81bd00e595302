"""The Overview and the Monitor show the plan of record and list the same alerts, with the same
causes, as the core's one call (``planning.monitor.monitor_plan``) on the plan of record's
allocation; publishing shows up on both (AppTest on a small copy of the sample)."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planning import plan_record
from planning.access import LOCAL_USER
from planning.inputs import load_operation
from planning.monitor import load_actuals, monitor_plan
from planning.pipeline import PipelineResult, summarise
from planning.sample import actuals as actualsgen
from planning.shiftplan.planner import PlanResult
from planning.staffing import compute_requirements
from tests.conftest import SAMPLE

TABLES = ("queues", "markets", "sites", "teams", "certifications", "shifts", "settings", "events", "hiring")
COLUMNS = ["id", "kind", "queue", "market", "site", "vendor", "cause", "message"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The sample's tables, one day of stand-in volume and the sample's actuals week."""
    out = tmp_path_factory.mktemp("small")
    for name in TABLES:
        shutil.copy(SAMPLE / f"{name}.csv", out / f"{name}.csv")
    shutil.copy(SAMPLE / actualsgen.FILE_NAME, out / actualsgen.FILE_NAME)
    index = pd.date_range(actualsgen.START - pd.Timedelta(days=1), actualsgen.START, freq="30min", inclusive="left")
    rows = [f"{t:%Y-%m-%dT%H:%M:%SZ},{q},{m},10" for q, m in actualsgen.sg.pairs() for t in index]
    (out / "volume.csv").write_text("timestamp,queue,market,volume\n" + "\n".join(rows) + "\n")
    op, report = load_operation(out)
    assert op is not None, report.lines()
    return out, op


def fake_plan(op, forecast) -> PipelineResult:
    """A plan whose allocation is the requirement split equally over each pair's certified
    sites (what the monitor compares staffing with); cost from paid hours at hourly cost."""
    req = compute_requirements(op, forecast)
    certified = {}
    for c in op.certifications:
        certified.setdefault((c.queue, c.market), []).append(c.site)
    parts = []
    for (q, m), g in req.groupby(["queue", "market"]):
        sites = sorted(set(certified.get((q, m), [])))
        for s in sites:
            parts.append(pd.DataFrame({"timestamp": g["timestamp"], "site": s, "team": s, "queue": q, "market": m,
                                       "agents": g["required_agents"] / len(sites)}))
    allocation = pd.concat(parts, ignore_index=True)
    hours = op.settings.interval_minutes / 60
    paid = allocation.groupby("site")["agents"].sum() * hours
    cost_by_site = pd.DataFrame({"vendor": [op.sites[s].vendor for s in paid.index], "site": paid.index,
                                 "paid_hours": paid.to_numpy(), "night_hours": 0.0,
                                 "cost": [paid[s] * op.sites[s].hourly_cost for s in paid.index],
                                 "peak_daily_headcount": 10})
    coverage = req[["timestamp", "queue", "market", "sla_kind"]].assign(
        required=req["required_agents"], planned=req["required_agents"], shortfall=0.0)
    plan = PlanResult("feasible", float(cost_by_site["cost"].sum()), float(cost_by_site["cost"].sum()), 0.0, 0.0,
                      0.0, 1.0, "test", 0.0, pd.DataFrame(columns=["site", "vendor", "headcount"]), allocation,
                      coverage, cost_by_site, pd.DataFrame(columns=["queue", "market", "target", "predicted"]))
    return PipelineResult(op, forecast, req, plan, None, summarise(op, plan))


@pytest.fixture
def env(small, tmp_path, monkeypatch):
    folder, op = small
    oracle = actualsgen.oracle_forecast()
    monkeypatch.setattr("ui.common.SAMPLE_DIR", folder)
    monkeypatch.setattr("planning.pipeline.base_forecast", lambda _op, weeks, progress=None: oracle)
    monkeypatch.setenv("WFM_DB", str(tmp_path / "plans.db"))
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WFM_CACHE_KEY_FILE", str(tmp_path / "cache.key"))
    return op, oracle, fake_plan(op, oracle)


def run_page(module: str, baseline) -> AppTest:
    at = AppTest.from_string(f"from ui.{module} import render\nrender()\n", default_timeout=600)
    at.session_state["plan_result"] = baseline
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def alert_table(at: AppTest) -> pd.DataFrame:
    [frame] = [d.value for d in at.dataframe if {"cause", "message", "kind"} <= set(d.value.columns)]
    return frame[COLUMNS].reset_index(drop=True)


def captions(at: AppTest) -> list[str]:
    return [c.value.replace("\\", "") for c in at.caption]  # shown text, Markdown escapes removed


def test_overview_and_monitor_list_the_same_alerts_as_the_core(env):
    op, oracle, baseline = env
    overview, monitor = run_page("overview", baseline), run_page("monitor", baseline)
    shown = alert_table(overview)
    pd.testing.assert_frame_equal(shown, alert_table(monitor), check_dtype=False)
    # the independent reference: the core call on the same actuals, forecast and allocation
    actuals, _ = load_actuals(SAMPLE / actualsgen.FILE_NAME, op)
    want = monitor_plan(op, actuals, oracle, baseline.plan.allocation).alerts
    assert shown["message"].tolist() == want["message"].tolist()
    assert shown["cause"].tolist() == want["cause"].tolist()
    assert {"staffing", "backlog"} <= set(shown["kind"])  # judged against the plan, with causes
    for at in (overview, monitor):
        assert any(c.startswith("Plan of record: the baseline") for c in captions(at)), captions(at)


def test_a_published_plan_becomes_what_both_pages_compare_with(env, small):
    op, oracle, baseline = env
    folder, _ = small
    # the published plan staffs HYD-A at half the baseline's allocation
    published = fake_plan(op, oracle)
    alloc = published.plan.allocation
    alloc.loc[alloc["site"] == "HYD-A", "agents"] *= 0.5
    from ui import common

    key = common._folder_digest(str(folder), common._folder_stamp(folder))
    plan_record.publish(key, published, who=LOCAL_USER)
    overview, monitor = run_page("overview", baseline), run_page("monitor", baseline)
    for at in (overview, monitor):
        assert any(c.startswith("Plan of record: solved plan published by local user") for c in captions(at))
    shown = alert_table(overview)
    pd.testing.assert_frame_equal(shown, alert_table(monitor), check_dtype=False)
    actuals, _ = load_actuals(SAMPLE / actualsgen.FILE_NAME, op)
    want = monitor_plan(op, actuals, oracle, alloc).alerts
    assert shown["message"].tolist() == want["message"].tolist()
    before = monitor_plan(op, actuals, oracle, baseline.plan.allocation).alerts
    assert want["message"].tolist() != before["message"].tolist()  # the published plan is what is judged
    metrics = {m.label: m.value for m in overview.metric}
    weeks = published.requirements["timestamp"].nunique() * op.settings.interval_minutes / (7 * 24 * 60)
    assert metrics["Cost per week"] == f"{op.settings.currency} {published.plan.cost / weeks:,.0f}"
    assert np.isclose(plan_record.current(key, op, who=LOCAL_USER).cost, published.plan.cost)
