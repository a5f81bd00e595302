"""CLI ``backtest-plan``: exit codes and the JSON document on a small repeating operation."""
from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pandas as pd

from planning.cli import main


def _folder(path):
    """Six identical weeks of a deferred queue (4 h, AHT 60 s) and a live one at one site."""
    path.mkdir(parents=True)
    (path / "queues.csv").write_text(
        "queue,sla_kind,sla_target,sla_within_hours,sla_within_seconds,aht_seconds,priority\n"
        "spam,deferred,0.9,4,,60,5\nlive,live,0.8,,60,120,2\n")
    (path / "markets.csv").write_text("market,timezone,holiday_country\nM,UTC,US\n")
    (path / "sites.csv").write_text("site,vendor,timezone,max_headcount,hourly_cost,shrinkage\nS1,V,UTC,200,20,0.2\n")
    (path / "certifications.csv").write_text("site,queue,market\nS1,spam,M\nS1,live,M\n")
    (path / "shifts.csv").write_text("site,shift,start,paid_hours\nS1,h00,00:00,8\nS1,h08,08:00,8\nS1,h16,16:00,8\n")
    (path / "settings.csv").write_text("key,value\ninterval_minutes,60\nsolver_time_limit_seconds,20\n")
    week = pd.date_range("2026-01-05", periods=7 * 24, freq="60min", tz="UTC")
    shape = 1.0 + 0.6 * np.sin((week.hour.to_numpy() - 8) / 24 * 2 * np.pi)
    lines = [f"{t + pd.Timedelta(weeks=k):%Y-%m-%dT%H:%M:%SZ},{q},M,{round(base * f)}"
             for k in range(6) for q, base in (("spam", 120.0), ("live", 30.0)) for t, f in zip(week, shape)]
    (path / "volume.csv").write_text("timestamp,queue,market,volume\n" + "\n".join(lines) + "\n")
    return path


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_backtest_plan_json_and_usage(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    folder = _folder(tmp_path / "in")
    code, out, err = _run(["backtest-plan", str(folder), "--origins", "2", "--naive", "--time-limit", "20",
                           "--json", "--quiet"])
    assert code == 0, err
    doc = json.loads(out)
    assert [o["origin"] for o in doc["origins"]] == ["2026-02-02T00:00:00Z", "2026-02-09T00:00:00Z"]
    for o in doc["origins"]:
        assert o["pairs"] == 2 and o["pairs_meeting_target_on_actual"] == o["pairs_meeting_target_on_forecast"] == 2
        assert {"queue", "market", "claimed", "actual", "forecast_error", "days_below_target"} <= set(o["per_pair"][0])
        # the weeks repeat, so the naive forecast is what arrived: the hindsight plan costs the same
        assert o["hindsight_cost"] == o["cost"] > 0 and o["hindsight_status"] in ("optimal", "feasible")
    summary = doc["summary"]
    assert (summary["pair_weeks"], summary["reached"], summary["share"], summary["cost_ratio"]) == (4, 4, 1.0, 1.0)
    assert summary["calibration_points"] == 5.0  # 100% against the default sla_confidence 95%
    assert summary["population"] == "2 pairs x 2 weekly origins, judged on the volume that arrived"
    code, _, err = _run(["backtest-plan", str(folder), "--origins", "2", "--workers", "0"])
    assert code == 2 and "--workers" in err
    code, _, err = _run(["backtest-plan", str(folder), "--origins", "0"])
    assert code == 2 and "--origins" in err


def test_backtest_plan_workers_do_not_rerun_the_callers_main(tmp_path, monkeypatch):
    """Under Streamlit's AppTest ``__main__`` is a page script that cannot run on its own; the
    worker processes and their message relay must not re-run it (CI failed on this)."""
    import sys
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    script = tmp_path / "page_script.py"
    script.write_text("raise SystemExit('the caller main module was re-run')\n")
    monkeypatch.setattr(sys.modules["__main__"], "__file__", str(script), raising=False)
    monkeypatch.setattr(sys.modules["__main__"], "__spec__", None, raising=False)
    folder = _folder(tmp_path / "in")
    code, out, err = _run(["backtest-plan", str(folder), "--origins", "2", "--naive", "--time-limit", "20",
                           "--workers", "2", "--no-hindsight", "--json", "--quiet"])
    assert code == 0, err
    assert len(json.loads(out)["origins"]) == 2
