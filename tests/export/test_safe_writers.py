"""Formula injection (issue 17, finding 7): every writer neutralises user text.

An operation whose site, vendor, queue and market names are formulas
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+spam()``, ``-EMEA-DE``) passes validation; each
command's output is then read back: no workbook cell is a formula (openpyxl's
``data_type`` and a scan of the sheet XML for ``<f>``), and no CSV cell starts with a
character a spreadsheet evaluates.  The names are asserted to be present, so a writer
that dropped them would not pass for a safe one.
"""
from __future__ import annotations

import csv
import io
import zipfile
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from planning.access import LOCAL_USER
from planning.cli import main
from planning.export.safe import (neutralise_frame, neutralise_text, safe_csv_bytes, write_csv,
                                  write_sheets)

SITE = '=HYPERLINK("http://evil.example","click")'
VENDOR = "@SUM(1+1)*cmd|' /C calc'!A0"
QUEUE = "+spam()"
MARKET = "-EMEA-DE"
HOSTILE = (SITE, VENDOR, QUEUE, MARKET)
RISKY = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    tables = {
        "queues": pd.DataFrame({"queue": [QUEUE, "rev"], "sla_kind": ["live", "deferred"],
                                "sla_target": [0.8, 0.9], "sla_within_seconds": [60, None],
                                "sla_within_hours": [None, 4], "aht_seconds": [120, 60], "priority": [1, 3]}),
        "markets": pd.DataFrame({"market": [MARKET], "timezone": ["Europe/Berlin"], "holiday_country": ["DE"]}),
        "sites": pd.DataFrame({"site": [SITE, "DUB"], "vendor": [VENDOR, "V2"],
                               "timezone": ["Asia/Kathmandu", "Europe/Dublin"], "max_headcount": [40, 30],
                               "hourly_cost": [8, 25], "shrinkage": [0.3, 0.3]}),
        "certifications": pd.DataFrame({"site": [SITE, SITE, "DUB"], "queue": [QUEUE, "rev", QUEUE],
                                        "market": [MARKET] * 3}),
        "shifts": pd.DataFrame({"site": [SITE, SITE, "DUB", "DUB"], "shift": ["day", "night", "day", "late"],
                                "start": ["09:00", "21:00", "08:00", "16:00"], "paid_hours": [9] * 4}),
        "settings": pd.DataFrame({"key": ["interval_minutes"], "value": ["60"]}),
    }
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)  # raw: the attacker's file
    times = pd.date_range("2026-03-09T00:00Z", periods=21 * 24, freq="60min")
    shape = 5 + 20 * np.exp(-((times.hour - 13) / 4.0) ** 2)
    pd.concat([pd.DataFrame({"timestamp": times.strftime("%Y-%m-%dT%H:%M:%SZ"), "queue": q,
                             "market": MARKET, "volume": np.round(shape * k)})
               for q, k in ((QUEUE, 1.0), ("rev", 3.0))]).to_csv(folder / "volume.csv", index=False)
    assert main(["validate", str(folder)]) == 0  # the names are valid ids: the writers must cope
    return folder


def formula_cells(path) -> int:
    book = load_workbook(path)
    return sum(cell.data_type == "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row)


def sheet_xml_formulas(path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        sheets = {name: z.read(name) for name in z.namelist() if name.startswith("xl/worksheets/")}
    return [name for name, xml in sheets.items() if b"<f>" in xml or b"<f " in xml]


def texts(path) -> set[str]:
    book = load_workbook(path)
    return {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def assert_safe_workbook(path, names=HOSTILE):
    assert formula_cells(path) == 0
    assert sheet_xml_formulas(path) == []
    found = texts(path)
    for name in names:
        assert any(name in t for t in found), f"{name!r} missing from {path.name}"


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_safe_csv(text: str, names=HOSTILE):
    cells = csv_cells(text)
    risky = [c for c in cells if c.startswith(RISKY) and not _number(c)]
    assert risky == []
    for name in names:
        assert "'" + name in cells, f"{name!r} not written (neutralised) in the CSV"


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ the helper itself
@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "-EMEA-DE"])
def test_risky_text_gets_an_apostrophe(text):
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("text", ["spam", "-3.5", "+1e3", "12", "", "a=b", "2026-03-09T00:00:00Z"])
def test_plain_text_and_numbers_are_unchanged(text):
    assert neutralise_text(text) == text


def test_frame_neutralises_text_cells_and_headers_not_numbers():
    frame = pd.DataFrame({"=name": ["=1+1", "ok", None], "n": [-1.5, 2.0, 3.0],
                          "cat": pd.Categorical(["@x", "y", "y"]), "s": pd.array(["+z", "w", None], "string")})
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=name", "n", "cat", "s"]
    assert out["'=name"].tolist()[:2] == ["'=1+1", "ok"] and out["'=name"].isna().iloc[2]
    assert out["n"].tolist() == [-1.5, 2.0, 3.0]
    assert out["cat"].tolist() == ["'@x", "y", "y"] and out["s"].tolist()[0] == "'+z"
    assert frame["=name"].iloc[0] == "=1+1"  # a copy: the caller's frame is untouched
    text = safe_csv_bytes(frame).decode("utf-8")
    assert csv_cells(text)[:4] == ["'=name", "n", "cat", "s"] and "-1.5" in text


def test_write_sheets_stores_formulas_as_text(tmp_path):
    path = tmp_path / "x.xlsx"
    write_sheets(path, {"=bad": pd.DataFrame({"=col": [SITE], "t": [pd.Timestamp("2026-01-01", tz="UTC")]})})
    assert_safe_workbook(path, names=[SITE, "=col"])
    ws = load_workbook(path).worksheets[0]
    assert ws["A2"].value == SITE and ws["A2"].quotePrefix  # the exact name, kept text in Excel too


def test_the_checks_can_fail(tmp_path):
    """pandas' own writer produces what the checks look for."""
    path = tmp_path / "raw.xlsx"
    pd.DataFrame({"a": [SITE]}).to_excel(path, index=False)
    assert formula_cells(path) == 1 and sheet_xml_formulas(path)
    with pytest.raises(AssertionError):
        assert_safe_csv(pd.DataFrame({"a": HOSTILE}).to_csv(index=False))


# ------------------------------------------------------------------ every writer
def test_plan_workbook_holds_no_formula(hostile_inputs, tmp_path):
    out = tmp_path / "plan.xlsx"
    assert main(["plan", str(hostile_inputs), "--weeks", "1", "--naive", "--no-simulate",
                 "--time-limit", "20", "--out", str(out)]) == 0
    assert_safe_workbook(out, names=(SITE, QUEUE, MARKET))


def test_capacity_workbook_holds_no_formula(hostile_inputs, tmp_path):
    out = tmp_path / "capacity.xlsx"
    assert main(["capacity", str(hostile_inputs), "--months", "2", "--history-demand", "--time-limit", "20",
                 "--out", str(out)]) == 0
    assert_safe_workbook(out, names=(SITE, VENDOR))


def test_requirements_csv_is_neutralised(hostile_inputs, tmp_path):
    out = tmp_path / "req.csv"
    assert main(["requirements", str(hostile_inputs), "--weeks", "1", "--naive", "--out", str(out)]) == 0
    assert_safe_csv(out.read_text(encoding="utf-8"), names=(QUEUE, MARKET))


def test_forecast_csv_and_selection_are_neutralised(hostile_inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WFM_FORECAST_BACKEND", "serial")
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLANNER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLANNER_FORECAST_BACKEND", "serial")
    out, selection = tmp_path / "fc.csv", tmp_path / "sel.csv"
    assert main(["forecast", str(hostile_inputs), "--weeks", "1", "--quiet", "--no-cache", "--out", str(out),
                 "--save-selection", str(selection)]) == 0
    assert_safe_csv(out.read_text(encoding="utf-8"), names=(QUEUE, MARKET))
    assert_safe_csv(selection.read_text(encoding="utf-8"), names=(QUEUE, MARKET))
    capsys.readouterr()
    assert main(["forecast", str(hostile_inputs), "--weeks", "1", "--quiet", "--no-cache"]) == 0
    assert_safe_csv(capsys.readouterr().out, names=(QUEUE, MARKET))


def test_scenario_compare_csv_is_neutralised(hostile_inputs, tmp_path, capsys):
    from planning.scenarios import Store

    db = tmp_path / "s.db"
    names = ["=1+cmd|' /C calc'!A0", "@evil"]
    for name in names:
        assert main(["scenario", "save", name, "--inputs", str(hostile_inputs), "--db", str(db)]) == 0
    store = Store(str(db))
    for i, name in enumerate(names):
        kpis = {"cost": 100.0 + i, "headcount_by_site": {SITE: 3 + i},
                "attainment": [{"queue": QUEUE, "market": MARKET, "predicted": 0.9, "target": 0.8}]}
        store.save_result(store.find(name, who=LOCAL_USER).id, kpis, 1.0, who=LOCAL_USER)
    out = tmp_path / "compare.csv"
    assert main(["scenario", "compare", *names, "--db", str(db), "--csv", str(out)]) == 0
    assert_safe_csv(out.read_text(encoding="utf-8"), names=(*names, SITE))


def test_ui_table_download_is_neutralised(monkeypatch):
    import ui.widgets as widgets

    sent = {}
    fake = SimpleNamespace(dataframe=lambda *a, **k: None,
                           column_config=SimpleNamespace(NumberColumn=lambda **k: k),
                           download_button=lambda label, data, **k: sent.update(data=data))
    monkeypatch.setattr(widgets, "st", fake)
    widgets.show_table(pd.DataFrame({"site": [SITE], "vendor": [VENDOR], "queue": [QUEUE], "market": [MARKET],
                                     "agents": [-1.0]}), key="t", file_name="t.csv")
    assert_safe_csv(sent["data"].decode("utf-8"))


def test_no_writer_bypasses_the_helper():
    """Every CSV or sheet write in planning/ and ui/ goes through planning.export.safe."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    raw = []
    for path in [*root.joinpath("planning").rglob("*.py"), *root.joinpath("ui").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for needle in (".to_csv(", ".to_excel(", "ExcelWriter(", ".to_csv(index"):
            if needle in text and path.name != "safe.py":
                raw.append(f"{path.relative_to(root)}: {needle}")
    assert raw == []


def test_write_csv_to_a_stream():
    buffer = io.StringIO()
    write_csv(pd.DataFrame({"q": [QUEUE]}), buffer)
    assert csv_cells(buffer.getvalue()) == ["q", "'" + QUEUE]
