"""The forecast and backtest commands on a small operation (sample metadata, synthetic volume)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from forecasts.synthetic import make_volume
from planning.cli import main

PWEEK = 336


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory, sample_dir):
    """The sample's queues/markets/sites with six weeks of volume for two series."""
    folder = tmp_path_factory.mktemp("ops")
    for name in ("queues", "markets", "sites", "teams", "certifications", "shifts", "settings"):
        shutil.copy(sample_dir / f"{name}.csv", folder / f"{name}.csv")
    volume = make_volume([("spam", "NA-EN"), ("abuse_harassment", "EMEA-DE")], weeks=6, seed=1)
    volume["timestamp"] = volume["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    volume.to_csv(folder / "volume.csv", index=False)
    return folder


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLANNER_FORECAST_BACKEND", "serial")


def test_forecast_writes_the_contract_frame(small_inputs, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    code = main(["forecast", str(small_inputs), "--weeks", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["timestamp", "queue", "market", "model", "forecast", "lo_80", "hi_80",
                                   "lo_95", "hi_95"]
    assert len(frame) == 2 * PWEEK
    first = pd.to_datetime(frame["timestamp"], utc=True).min()
    assert first == pd.Timestamp("2026-03-02", tz="UTC")  # the interval after the last history interval
    assert (frame[["forecast", "lo_95"]].to_numpy() >= 0).all()
    assert "2/2" in captured.err  # progress bar on stderr
    assert "wrote 672 rows" in captured.out


def test_forecast_json_summary(small_inputs, tmp_path, capsys):
    code = main(["forecast", str(small_inputs), "--weeks", "1", "--out", str(tmp_path / "f.csv"), "--json",
                 "--quiet"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    summary = json.loads(captured.out)
    assert summary["rows"] == 2 * PWEEK
    assert {s["queue"] for s in summary["selection"]} == {"spam", "abuse_harassment"}


def test_backtest_prints_scores_and_choice(small_inputs, capsys):
    code = main(["backtest", str(small_inputs), "--weeks", "1", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0
    assert "mase" in captured.out and "snaive_week" in captured.out
    assert "spam x NA-EN:" in captured.out
    code = main(["backtest", str(small_inputs), "--weeks", "1", "--json", "--quiet"])
    data = json.loads(capsys.readouterr().out)
    chosen = [r for r in data["scores"] if r["chosen"]]
    assert len(chosen) == 2 and all(np.isfinite(r["mase"]) for r in chosen)


def test_usage_and_input_errors_have_exit_codes(tmp_path, capsys):
    assert main(["forecast", str(tmp_path / "missing")]) == 1
    (tmp_path / "empty").mkdir()
    assert main(["forecast", str(tmp_path / "empty")]) == 1
    assert main(["backtest", str(tmp_path / "empty"), "--weeks", "0"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_backend_comes_from_argument_then_server_configuration(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from planning.domain import Settings
    from planning.forecasting import _backend

    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    for name in ("WFM_FORECAST_BACKEND", "PLANNER_FORECAST_BACKEND", "WFM_DASK_SCHEDULER", "PLANNER_DASK_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    op = SimpleNamespace(settings=Settings())
    assert _backend(op, None) == ("process", None)
    assert _backend(op, "serial")[0] == "serial"
    monkeypatch.setenv("WFM_FORECAST_BACKEND", "dask")
    monkeypatch.setenv("WFM_DASK_SCHEDULER", "tcp://sched:8786")
    assert _backend(op, None) == ("dask", "tcp://sched:8786")
    assert _backend(op, "serial")[0] == "serial"


def test_saved_selection_refreshes_without_backtesting(small_inputs, tmp_path, capsys):
    saved = tmp_path / "selection.csv"
    assert main(["forecast", str(small_inputs), "--weeks", "1", "--out", str(tmp_path / "a.csv"),
                 "--save-selection", str(saved), "--quiet", "--no-cache"]) == 0
    capsys.readouterr()
    chosen = pd.read_csv(saved)
    assert list(chosen.columns) == ["queue", "market", "model", "reason", "scale_80", "scale_95"]
    assert main(["forecast", str(small_inputs), "--weeks", "1", "--out", str(tmp_path / "b.csv"),
                 "--selection", str(saved), "--json", "--quiet", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [s["model"] for s in summary["selection"]] == list(chosen["model"])
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv"))
    bad = tmp_path / "bad.csv"
    chosen.assign(model="prophet").to_csv(bad, index=False)
    assert main(["forecast", str(small_inputs), "--selection", str(bad), "--quiet"]) == 1
    assert "unknown models prophet" in capsys.readouterr().err
