"""``python -m planning plan``: a tiny operation end to end, JSON shape, workbook, errors."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from planning.cli import main


@pytest.fixture()
def tiny_inputs(tmp_path):
    folder = tmp_path / "ops"
    folder.mkdir()
    (folder / "queues.csv").write_text(
        "queue,sla_kind,sla_target,sla_within_seconds,sla_within_hours,aht_seconds,priority\n"
        "esc,live,0.8,60,,120,1\nrev,deferred,0.9,,4,60,3\n")
    (folder / "markets.csv").write_text("market,timezone,holiday_country\nEN,Europe/London,GB\n")
    (folder / "sites.csv").write_text(
        "site,vendor,timezone,max_headcount,hourly_cost,shrinkage\n"
        "KTM,V1,Asia/Kathmandu,40,8,0.3\nDUB,V2,Europe/Dublin,30,25,0.3\n")
    (folder / "certifications.csv").write_text("site,queue,market\nKTM,esc,EN\nKTM,rev,EN\nDUB,esc,EN\n")
    (folder / "shifts.csv").write_text(
        "site,shift,start,paid_hours\nKTM,day,09:00,9\nKTM,night,21:00,9\nDUB,day,08:00,9\nDUB,late,16:00,9\n")
    (folder / "settings.csv").write_text("key,value\ninterval_minutes,60\n")
    times = pd.date_range("2026-03-09T00:00Z", periods=14 * 24, freq="60min")
    shape = 5 + 20 * np.exp(-((times.hour - 13) / 4.0) ** 2)
    volume = pd.concat([pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "queue": q,
                                      "market": "EN", "volume": np.round(shape * k)})
                        for q, k in (("esc", 1.0), ("rev", 3.0))])
    volume.to_csv(folder / "volume.csv", index=False)
    return folder


def test_plan_json_and_workbook(tiny_inputs, tmp_path, capsys):
    out = tmp_path / "plan.xlsx"
    code = main(["plan", str(tiny_inputs), "--weeks", "1", "--naive", "--time-limit", "20", "--out", str(out),
                 "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    doc = json.loads(captured.out)
    for key in ("status", "cost", "bound", "gap", "seconds", "unmet_agent_hours", "queues"):
        assert key in doc
    assert doc["status"] in ("optimal", "feasible") and doc["cost"] > 0
    assert doc["bound"] <= doc["objective"] + 1e-6
    assert {(q["queue"], q["market"]) for q in doc["queues"]} == {("esc", "EN"), ("rev", "EN")}
    for q in doc["queues"]:
        assert set(q) >= {"queue", "market", "target", "predicted", "simulated"}
        assert q["simulated"] is not None and 0 <= q["simulated"] <= 1
    book = load_workbook(out, read_only=True)
    assert {"shifts", "coverage"} <= set(book.sheetnames)
    shifts = pd.read_excel(out, sheet_name="shifts")
    assert set(shifts["timezone"]) <= {"Asia/Kathmandu", "Europe/Dublin"} and shifts["headcount"].sum() > 0


def test_plan_input_problems_exit_1(tmp_path, capsys):
    assert main(["plan", str(tmp_path / "missing"), "--out", str(tmp_path / "p.xlsx")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["plan", str(tmp_path), "--weeks", "9", "--out", str(tmp_path / "p.xlsx")]) == 2
    assert main(["plan", str(tmp_path), "--out", str(tmp_path / "p.csv")]) == 2
