"""Plan accuracy page (ui/plan_accuracy.py) on a tiny operation, the backtest run for real
in its child process: two pairs whose weeks repeat exactly, so the fast forecast is what
arrives, every pair-week reaches target and the plan costs what the hindsight plan costs."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planning.plan_backtest import default_origins
from tests.test_plan_backtest import repeating_operation

TIMEOUT = 600


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    from ui import common

    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))  # the child inherits it
    op = repeating_operation()
    monkeypatch.setattr(common, "require_operation", lambda who=None: op)
    monkeypatch.setattr(common, "data_caption", lambda op, label=None: "Data: a tiny repeating operation")
    return op


def _title(chart) -> str:
    title = json.loads(chart.proto.spec).get("title", "")
    return title.get("text", "") if isinstance(title, dict) else str(title)


def _data(chart):
    """The rows the chart plots (Streamlit ships them as Arrow IPC bytes beside the spec)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return pd.concat([convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets])


def _page() -> AppTest:
    return AppTest.from_string("from ui.plan_accuracy import render\nrender()\n", default_timeout=TIMEOUT)


def test_the_backtest_runs_as_a_job_and_the_page_shows_what_it_found(tiny):
    from ui.plan_accuracy import JOB_KEY, OUTCOME_KEY

    at = _page().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No backtest yet" in i.value for i in at.info)
    at.number_input(key="accuracy_origins").set_value(2)
    at.radio(key="accuracy_source").set_value("Last week repeated (fast)")
    at.button(key="accuracy_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = at.session_state[JOB_KEY]["job"]
    job.wait(TIMEOUT)
    assert job.state == "done", job.error
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    results = at.session_state[OUTCOME_KEY]["results"]
    assert [r.origin for r in results] == default_origins(tiny, 2)
    assert [s.value for s in at.subheader] == ["2 pairs x 2 weekly origins, judged on the volume that arrived"]
    metrics = {m.label: m.value for m in at.metric}
    # forecast = what arrived: all 4 pair-weeks reach target (promise 95%: +5 points), cost = hindsight
    assert metrics == {"Pair-weeks reaching target": "100.0%", "Realised − promised (pts)": "+5.0 pts",
                       "Cost / hindsight cost": "1.000×"}
    charts = {_title(c): c for c in at.get("vega_lite_chart")}
    heat = json.loads(charts["Attainment on the volume that arrived, against target"].proto.spec)
    assert heat["height"] >= 100 and heat["encoding"]["color"]["scale"]["domainMid"] == 0
    cells = _data(charts["Attainment on the volume that arrived, against target"])
    assert len(cells) == 4 and (cells["margin_pts"] >= 0).all()  # every pair-week at or above target
    points = _data(charts[f"Cost per origin against the hindsight plan ({tiny.settings.currency})"])
    by_origin = points.groupby("origin")["cost"].agg(["min", "max", "count"])
    assert len(by_origin) == 2 and (by_origin["count"] == 2).all() and (by_origin["min"] > 0).all()
    assert (by_origin["max"] - by_origin["min"] <= 1e-6 * by_origin["max"]).all()  # plan = hindsight plan
    table = at.dataframe[0].value
    assert len(table) == 4 and table["reaches target"].all()
    assert f"cost share ({tiny.settings.currency})" in table.columns


def test_a_viewer_cannot_start_a_backtest(tiny, monkeypatch):
    from planning import jobs
    from ui import plan_accuracy

    started = []
    monkeypatch.setattr(jobs.SolveJob, "start", lambda self: started.append(self) or self)
    at = _page()
    at.secrets["access"] = {"local_role": "viewer"}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "accuracy_run" not in [b.key for b in at.button]
    monkeypatch.setattr(plan_accuracy, "can", lambda who, action: True)
    at.run()
    at.button(key="accuracy_run").click().run()
    assert any("may not solve" in e.value for e in at.error) and started == []
    assert plan_accuracy.JOB_KEY not in at.session_state
