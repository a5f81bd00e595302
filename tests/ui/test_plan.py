"""Plan page (ui/plan.py): status tiles that fit, heatmaps that read right.

The tiles are checked against the baseline plan's own numbers (read from the pipeline,
not from the page); the deferred heatmap against work hours computed by hand.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.plan import TILE_CHARS, compact, coverage_long, status_tiles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value,expected", [
    (405840.63, "405.8k"), (35012.0, "35.0k"), (999_999.0, "1.0M"), (999.96, "1.0k"), (2.5e6, "2.5M"),
    (0.2006, "0.2"), (12.0, "12.0"), (250.0, "250"), (-1500.0, "-1.5k"), (math.nan, "–"), (None, "–"),
])
def test_compact_by_hand(value, expected):
    assert compact(value) == expected


def _plan(cost=404_876.2, unmet=1234.5, paid=1_234_567.0, seconds=7300.0):
    return SimpleNamespace(status="feasible", backend="SCIP/lp-round", cost=cost, gap=0.01234,
                           lp_bound=400_000.0, seconds=seconds, unmet_agent_hours=unmet,
                           kpis={"paid_hours": paid})


def test_status_tiles_short_with_full_value_in_help():
    tiles = status_tiles(_plan(), "USD")
    values = {label: value for label, value, _ in tiles}
    assert values == {"Status": "feasible", "Cost (USD)": "404.9k", "Gap to bound": "1.23%",
                      "Solve time": "2.0 h", "Unmet (agent-h)": "1.2k", "Paid hours (h)": "1.2M"}
    assert all(len(v) <= TILE_CHARS for v in values.values())
    helps = {label: text for label, _, text in tiles}
    assert "USD 404,876" in helps["Cost (USD)"]
    assert "1,234,567 paid agent-hours" in helps["Paid hours (h)"]


def _pair(kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    ts = pd.date_range("2026-11-16 14:30", periods=3, freq="30min", tz="UTC")
    cov = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "m", "sla_kind": kind,
                        "required": [4.0, 4.0, 4.0], "planned": [3.0, 5.0, 4.5], "shortfall": 0.0,
                        "backlog_items": [10.0, 0.0, 0.0]})
    req = pd.DataFrame({"timestamp": ts, "queue": "q", "market": "m", "interval_minutes": 30,
                        "workload_hours": [1.0, 3.0, 0.25], "required_agents": 4.0})
    other = req.assign(market="other", workload_hours=99.0)  # another pair must not leak in
    return cov, pd.concat([other, req], ignore_index=True)


def test_deferred_pair_shows_arriving_workload_in_agent_equivalents():
    cov, req = _pair("deferred")
    long = coverage_long(cov, req)
    first = long[long["series"] == "Arriving workload"]
    # 1.0 work-hour arriving in a half-hour interval keeps 2 agents busy
    assert first["agents"].tolist() == [2.0, 6.0, 0.5]
    assert long[long["series"] == "Planned"]["agents"].tolist() == [3.0, 5.0, 4.5]
    assert "Required" not in set(long["series"])
    # the queue's kind, when given, wins over a coverage frame without sla_kind
    assert coverage_long(cov.drop(columns="sla_kind"), req, deferred=True)["agents"].iloc[:3].tolist() \
        == [2.0, 6.0, 0.5]


def test_live_pair_shows_requirement_and_local_days():
    cov, req = _pair("live")
    long = coverage_long(cov, req, "Asia/Tokyo")
    assert long[long["series"] == "Required"]["agents"].tolist() == [4.0, 4.0, 4.0]
    # 14:30 UTC on Mon 16 Nov is 23:30 in Tokyo; 15:00 UTC is midnight of Tue 17 Nov
    assert long["day"].iloc[:2].tolist() == ["Mon 2026-11-16", "Tue 2026-11-17"]
    assert long["time"].iloc[:2].tolist() == ["23:30", "00:00"]


def _chart_titles(at: AppTest) -> list[str]:
    titles = []
    for chart in at.get("vega_lite_chart"):
        title = json.loads(chart.proto.spec).get("title", {})
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return titles


def test_plan_page_tiles_fit_and_match_the_plan():
    from planning import pipeline
    from planning.inputs import load_operation

    at = AppTest.from_string("from ui.plan import render\nrender()\n", default_timeout=900).run()
    assert not at.exception, [e.value for e in at.exception]
    op, _ = load_operation(ROOT / "data" / "sample")
    plan = pipeline.baseline(op, weeks=1).plan  # the disk cache the page read
    tiles = {m.label: m.value for m in at.metric}
    assert all(len(v) <= TILE_CHARS and "…" not in v and "..." not in v for v in tiles.values()), tiles
    cost = tiles[f"Cost ({op.settings.currency})"]
    assert cost.endswith("k") and abs(float(cost[:-1]) * 1e3 - plan.cost) <= 50, (cost, plan.cost)
    assert float(tiles["Paid hours (h)"].rstrip("k")) * 1e3 == pytest.approx(plan.kpis["paid_hours"], abs=50)
    # the default pair is deferred: its heatmap shows arriving work, a live pair its requirement
    pair = at.selectbox(key="plan_pair")
    assert op.queues[pair.value.split(" · ")[0]].sla_kind.value == "deferred"
    assert _chart_titles(at)[:2] == ["Arriving workload (agent-equivalents)", "Planned (productive agents)"]
    live = next(o for o in pair.options if op.queues[o.split(" · ")[0]].sla_kind.value == "live")
    pair.set_value(live).run()
    assert not at.exception
    assert _chart_titles(at)[0] == "Required (productive agents)"


def test_viewer_cannot_start_a_solve_even_if_the_page_offers_it(monkeypatch):
    """The Solve button is hidden for a viewer; a page that showed it anyway still starts nothing."""
    from planning import jobs
    from ui import common, plan

    started = []
    monkeypatch.setattr(jobs.SolveJob, "start", lambda self: started.append(self) or self)
    monkeypatch.setattr(common, "plan_result", lambda op, label="": None)  # no baseline needed here
    at = AppTest.from_string("from ui.plan import render\nrender()\n", default_timeout=600)
    at.secrets["access"] = {"local_role": "viewer"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "plan_solve" not in [b.key for b in at.button]
    monkeypatch.setattr(plan, "can", lambda who, action: True)
    at.run()
    at.button(key="plan_solve").click().run()
    assert any("may not solve" in e.value for e in at.error) and started == []
    assert plan.JOB_KEY not in at.session_state
