"""``python -m planning run``: the whole pipeline on a cut-down sample, exit codes, JSON, pack.

The forecast stage is swapped for the seasonal-naive forecast (the forecast models have
their own tests; here the point is the chain and the files it writes); everything else -
validation, requirements, the shift planner, simulation, the checker, export - is real.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from planning import forecasting
from planning.capacity import UNCERTIFIED
from planning.cli import main
from planning.staffing import seasonal_naive_forecast
from tests.conftest import SAMPLE

QUEUES = ["priority_escalations", "spam"]
MARKETS = ["NA-EN"]
SITES = ["AUS-C", "DUB-B"]  # two vendors


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory) -> Path:
    """The sample cut to two queues, one market, two sites and three weeks of history."""
    out = tmp_path_factory.mktemp("inputs")
    tables = {name: pd.read_csv(SAMPLE / f"{name}.csv", dtype=str, keep_default_na=False)
              for name in ("queues", "markets", "sites", "teams", "certifications", "shifts", "settings", "hiring")}
    tables["hiring"] = tables["hiring"][tables["hiring"]["site"].isin(SITES)]
    tables["queues"] = tables["queues"][tables["queues"]["queue"].isin(QUEUES)]
    tables["markets"] = tables["markets"][tables["markets"]["market"].isin(MARKETS)]
    tables["sites"] = tables["sites"][tables["sites"]["site"].isin(SITES)].assign(min_headcount="0")
    tables["teams"] = tables["teams"][tables["teams"]["site"].isin(SITES)].assign(min_headcount="0")
    c = tables["certifications"]
    tables["certifications"] = c[c["site"].isin(SITES) & c["queue"].isin(QUEUES) & c["market"].isin(MARKETS)]
    tables["shifts"] = tables["shifts"][tables["shifts"]["site"].isin(SITES)]
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
    volume = pd.read_csv(SAMPLE / "volume.csv.gz")
    volume = volume[volume["queue"].isin(QUEUES) & volume["market"].isin(MARKETS)]
    ts = pd.to_datetime(volume["timestamp"], utc=True)
    volume[ts >= ts.max() - pd.Timedelta(days=21)].to_csv(out / "volume.csv", index=False)
    return out


@pytest.fixture(autouse=True)
def naive_forecast(monkeypatch):
    monkeypatch.setattr(forecasting, "forecast_operation",
                        lambda op, weeks, progress=None, **kw: seasonal_naive_forecast(op, weeks))


@pytest.fixture(scope="module")
def ran(small_inputs, tmp_path_factory):
    """One real run with --json and a vendor pack (shared by the checks below)."""
    out = tmp_path_factory.mktemp("out")
    mp = pytest.MonkeyPatch()
    mp.setattr(forecasting, "forecast_operation",
               lambda op, weeks, progress=None, **kw: seasonal_naive_forecast(op, weeks))
    try:
        import contextlib
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["run", str(small_inputs), "--weeks", "1", "--out", str(out / "plan.xlsx"),
                         "--vendor-pack", str(out / "pack"), "--time-limit", "20", "--json"])
    finally:
        mp.undo()
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_run_writes_the_workbook_and_json_summary(ran):
    code, stdout, stderr, out = ran
    assert code == 0, stderr
    summary = json.loads(stdout)  # stdout holds only the JSON
    assert summary["status"] in ("optimal", "feasible") and summary["check"] == []
    assert summary["workbook"] == str(out / "plan.xlsx")
    assert set(summary["headcount_by_vendor"]) == {"Borealis CX", "Cobalt Services"}
    for stage in ("Validating", "Computing requirements", "Planning", "Simulating", "Writing the workbook"):
        assert stage in stderr  # one progress line per stage
    book = openpyxl.load_workbook(out / "plan.xlsx")
    assert {"Summary", "Borealis CX", "Cobalt Services", "Coverage", "Requirements", "Forecast"} <= \
        set(book.sheetnames)
    kpis = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert kpis[f"Cost [{summary['currency']}]"] == pytest.approx(summary["cost"])  # the unit is the currency
    assert sum(summary["cost_by_vendor"].values()) == pytest.approx(summary["cost"], abs=0.05)


def test_run_writes_one_workbook_per_vendor(ran):
    code, _, _, out = ran
    pack = out / "pack"
    assert sorted(p.name for p in pack.iterdir()) == ["Borealis CX.xlsx", "Cobalt Services.xlsx",
                                                      "vendor-pack.zip"]
    with zipfile.ZipFile(pack / "vendor-pack.zip") as zf:
        assert sorted(zf.namelist()) == ["Borealis CX.xlsx", "Cobalt Services.xlsx"]
    book = openpyxl.load_workbook(pack / "Borealis CX.xlsx")
    texts = {str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None}
    assert "DUB-B" in texts and "AUS-C" not in texts and not any("Cobalt" in t for t in texts)


def test_run_prints_a_one_screen_summary(small_inputs, tmp_path, capsys):
    code = main(["run", str(small_inputs), "--out", str(tmp_path / "p.xlsx"), "--quiet", "--time-limit", "20"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) <= 25 and lines[0] == "Scenario:   Base plan"
    assert any(line.startswith("Cost:       USD") for line in lines) and err == ""
    assert (tmp_path / "p.xlsx").stat().st_size > 10_000


def test_run_reports_bad_inputs_with_exit_1(small_inputs, tmp_path, capsys):
    broken = tmp_path / "broken"
    broken.mkdir()
    for f in small_inputs.iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    sites = pd.read_csv(broken / "sites.csv", dtype=str)
    sites.loc[0, "timezone"] = "Mars/Olympus"
    sites.to_csv(broken / "sites.csv", index=False)
    assert main(["run", str(broken), "--out", str(tmp_path / "p.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "Mars/Olympus" in err and "sites.csv" in err
    assert not (tmp_path / "p.xlsx").exists()


def test_run_usage_and_scenario_errors(small_inputs, tmp_path, capsys):
    assert main(["run", str(small_inputs), "--out", str(tmp_path / "p.xlsx"), "--weeks", "0"]) == 2
    assert main(["run", str(small_inputs), "--out", str(tmp_path / "p.csv")]) == 2
    assert main(["run", str(tmp_path / "nope"), "--out", str(tmp_path / "p.xlsx")]) == 1
    db = tmp_path / "s.db"
    assert main(["run", str(small_inputs), "--out", str(tmp_path / "p.xlsx"), "--db", str(db),
                 "--scenario", "no such scenario"]) == 1
    assert main(["run", str(small_inputs), "--out", str(tmp_path / "p.xlsx"),
                 "--lever", '{"kind": "volume_change", "queue": "nope", "percent": 10}']) == 1
    err = capsys.readouterr().err
    assert "run:" in err and "Traceback" not in err


def test_run_with_a_hiring_plan_adds_the_sheet(small_inputs, tmp_path, capsys):
    code = main(["run", str(small_inputs), "--out", str(tmp_path / "p.xlsx"), "--quiet", "--time-limit", "20",
                 "--hiring", "3", "--hiring-demand", "history", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    hires = summary["hiring"]["hires"]
    assert set(hires) == set(SITES)
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert "Hiring plan" in book.sheetnames
    sheet = [r for r in book["Hiring plan"].iter_rows(min_row=4, max_col=6, values_only=True) if r[0] is not None]
    assert {r[2] for r in sheet} - {UNCERTIFIED} == set(SITES)  # site column
    assert sum(r[5] for r in sheet) == sum(hires.values())  # hires column matches the plan
