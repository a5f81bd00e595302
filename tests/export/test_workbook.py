"""The plan workbook: same numbers as the plan frames, formats, panes, tables, safety, LibreOffice."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.export import clean_text, is_risky, put, safe_sheet_title
from planning.export import build_workbook, plan_summary, vendor_pack_bytes, workbook_bytes
from tests.export_cases import EVIL_QUEUE, EVIL_VENDOR, tiny_result

SCENARIO = "-2+3 =cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def result():
    return tiny_result()


@pytest.fixture(scope="module")
def data(result) -> bytes:
    return workbook_bytes(result, scenario=SCENARIO)


@pytest.fixture(scope="module")
def book(data):
    return openpyxl.load_workbook(io.BytesIO(data))


def header_row(ws, first: str, start: int = 1) -> int:
    for row in ws.iter_rows(min_row=start, max_col=1):
        if row[0].value == first:
            return row[0].row
    raise AssertionError(f"no header '{first}' in {ws.title}")


def read_block(ws, header: int) -> pd.DataFrame:
    names = [c.value for c in ws[header] if c.value is not None]
    rows = []
    for r in ws.iter_rows(min_row=header + 1, max_col=len(names), values_only=True):
        if r[0] is None:
            break
        rows.append(r)
    return pd.DataFrame(rows, columns=names)


def test_sheets_panes_tables_and_print_settings(book):
    assert book.sheetnames == ["Summary", EVIL_VENDOR, "Vendor A", "Coverage", "Coverage detail",
                               "Requirements", "Forecast", "Assumptions", "About"]
    frozen = {ws.title: ws.freeze_panes for ws in book}
    assert frozen["Coverage"] == "B4" and frozen["Requirements"] == "A4" and frozen["Vendor A"] == "A4"
    for ws in book:
        assert ws.freeze_panes, ws.title
        assert ws.tables, f"{ws.title} has no Excel table"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth >= 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        for table in ws.tables.values():  # header row of each table = the formatted header cells
            first = ws[table.ref.split(":")[0]]
            assert first.font.bold and table.tableStyleInfo.name
            assert table.autoFilter is not None and table.autoFilter.ref  # filter buttons
    assert len(book["Vendor A"].tables) == 1  # one table, every site (its header repeats on printed pages)


def test_vendor_sheets_match_the_plan_and_local_times(result, book):
    shifts = result.plan.shifts
    seen = 0
    for vendor in (EVIL_VENDOR, "Vendor A"):
        ws = book[vendor]
        table = read_block(ws, header_row(ws, "Site"))
        for site in sorted(shifts.loc[shifts["vendor"] == vendor, "site"].unique()):
            tz = result.operation.sites[site].timezone
            block = table[table["Site"] == site].reset_index(drop=True)
            mine = shifts[shifts["site"] == site].sort_values(["date_local", "start_utc"]).reset_index(drop=True)
            assert len(block) == len(mine)
            assert block["Headcount [agents]"].tolist() == mine["headcount"].tolist()
            for got, want in zip(block.to_dict("records"), mine.itertuples(index=False)):
                start = pd.Timestamp(want.start_utc)
                assert got["UTC start"] == start.tz_convert("UTC").tz_localize(None).to_pydatetime()
                local = start.to_pydatetime().astimezone(ZoneInfo(tz))  # independent of planning.inputs.timezones
                assert got["Local start"] == local.time().replace(second=0)
                assert got["Local date"].date() == local.date()
                assert got["Time zone (IANA, abbreviation)"] == f"{tz} ({local.tzname()})"
                assert got["Shift"] == want.shift and got["Team"] == site  # no teams: the site's one team
            seen += len(block)
    assert seen == len(shifts) > 0


def test_coverage_requirements_and_forecast_numbers(result, book):
    ws = book["Coverage detail"]
    detail = read_block(ws, 3)
    cov = result.plan.coverage.sort_values(["queue", "market", "timestamp"]).reset_index(drop=True)
    detail = detail.sort_values(["Queue", "Market", "Interval start (UTC)"]).reset_index(drop=True)
    assert_allclose(detail["Required [agents]"].astype(float), cov["required"], atol=1e-9)
    assert_allclose(detail["Planned [agents]"].astype(float), cov["planned"], atol=1e-9)
    want = np.where(cov["required"] > 1e-9, cov["planned"] / cov["required"].replace(0, np.nan), np.nan)
    assert_allclose(detail["Coverage"].astype(float), want, atol=1e-9)
    # heatmap: every cell is planned / required of that pair and interval
    heat = read_block(book["Coverage"], 3).set_index("Interval start (UTC)")
    for row in cov.sample(20, random_state=1).itertuples():
        ts = row.timestamp.tz_convert("UTC").tz_localize(None).to_pydatetime()
        value = heat.loc[ts, f"{row.queue} / {row.market}"]
        if row.required > 1e-9:
            assert value == pytest.approx(row.planned / row.required)
        else:
            assert value is None or np.isnan(value)
    req = read_block(book["Requirements"], 3)
    assert_allclose(req["Required [agents]"].sum(), result.requirements["required_agents"].sum())
    assert_allclose(req["Workload [h]"].sum(), result.requirements["workload_hours"].sum())
    fc = read_block(book["Forecast"], 3)
    for ours, theirs in (("Forecast [items]", "forecast"), ("95% high [items]", "hi_95")):
        assert_allclose(fc[ours].sum(), result.forecast[theirs].sum())


def test_summary_kpis_costs_and_sla(result, book):
    ws = book["Summary"]
    kpis = read_block(ws, header_row(ws, "Item", header_row(ws, "Levers (applied in order)")))
    kpis = dict(zip(kpis["Item"], kpis["Value"]))
    assert kpis["Cost [USD]"] == pytest.approx(result.plan.cost)
    assert kpis["Solver status"] == result.plan.status
    sites = read_block(ws, header_row(ws, "Vendor", header_row(ws, "Cost by site")))
    by_site = result.plan.cost_by_site.set_index("site")
    for row in sites.itertuples(index=False):
        assert row.Cost == pytest.approx(by_site.loc[row.Site, "cost"])
    sla = read_block(ws, header_row(ws, "Queue"))
    assert EVIL_QUEUE in sla["Queue"].tolist()
    assert_allclose(sla["Target"].astype(float), result.plan.queues["target"])


def test_number_formats(book):
    ws = book["Summary"]
    cost = next(c for row in ws.iter_rows() for c in row if c.value == "Cost [USD]")
    assert ws.cell(cost.row, 2).number_format == '"USD "#,##0.00'
    occupancy = next(c for row in ws.iter_rows() for c in row if str(c.value).startswith("Occupancy"))
    assert ws.cell(occupancy.row, 2).number_format == "0.0%"
    vendor = book["Vendor A"]
    header = header_row(vendor, "Site")
    assert vendor.cell(header + 1, 4).number_format == "ddd dd mmm"
    assert vendor.cell(header + 1, 5).number_format == "hh:mm"
    assert vendor.cell(header + 1, 8).number_format == "yyyy-mm-dd hh:mm"
    assert vendor.cell(header + 1, 10).number_format == "#,##0" and isinstance(vendor.cell(header + 1, 10).value, int)
    assert book["Coverage"].cell(4, 2).number_format == "0.0%"
    assert book["Coverage"].conditional_formatting  # the colour-scale heatmap


def test_no_formula_from_user_text(data, book):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            text = zf.read(name).decode("utf-8", "replace")
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in text and "<f " not in text, name
            if name.startswith("xl/charts/"):  # chart series refer to cells, nothing else
                for ref in re.findall(r"<f>(.*?)</f>", text):
                    assert re.fullmatch(r"'?Summary'?!\$?[A-Z]+\$?\d+(:\$?[A-Z]+\$?\d+)?", ref), ref
        assert any(n.startswith("xl/charts/chart") for n in zf.namelist())  # the native chart
    evil = [c for ws in book for row in ws.iter_rows() for c in row if c.value == EVIL_QUEUE]
    assert len(evil) > 10 and all(c.data_type == "s" and c.quotePrefix for c in evil)
    scenario = [c for row in book["Summary"].iter_rows() for c in row if c.value == SCENARIO]
    assert scenario and scenario[0].data_type == "s"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\x00=1", "plain"])
def test_excelsafe_keeps_user_text_as_text(text):
    book = openpyxl.Workbook()
    cell = put(book.active["A1"], text)
    assert cell.data_type == "s" and cell.value == clean_text(text)
    assert cell.quotePrefix == is_risky(text) == (text != "plain")
    buffer = io.BytesIO()
    book.save(buffer)
    again = openpyxl.load_workbook(buffer)["Sheet"]["A1"]
    assert again.data_type == "s" and again.value == clean_text(text)


def test_excelsafe_numbers_stay_numbers():
    sheet = openpyxl.Workbook().active
    assert put(sheet["A1"], np.int64(-3)).value == -3 and sheet["A1"].data_type == "n"
    assert put(sheet["A2"], np.float64(-0.5)).value == -0.5 and sheet["A2"].data_type == "n"
    assert put(sheet["A3"], float("nan")).value is None
    ts = put(sheet["A4"], pd.Timestamp("2026-03-29T01:30:00+01:00")).value
    assert ts == dt.datetime(2026, 3, 29, 0, 30)
    assert safe_sheet_title("a/b:c*d?[e]" * 5) == ("a_b_c_d__e_" * 5)[:31]
    taken = {"summary"}
    assert safe_sheet_title("Summary", taken) == "Summary (2)"


def test_vendor_pack_holds_only_each_vendors_sites(result):
    with zipfile.ZipFile(io.BytesIO(vendor_pack_bytes(result, scenario=SCENARIO))) as zf:
        files = {"_SUM_1_1_.xlsx": EVIL_VENDOR, "Vendor A.xlsx": "Vendor A"}
        assert sorted(zf.namelist()) == sorted(files)
        for name, vendor in files.items():
            wb = openpyxl.load_workbook(io.BytesIO(zf.read(name)))
            mine = {s for s, site in result.operation.sites.items() if site.vendor == vendor}
            assert wb.sheetnames == ["Summary", vendor, *[f"{s} teams" for s in sorted(mine)], "Workload",
                                     "Assumptions", "About"]
            texts = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
            mine = {s for s, site in result.operation.sites.items() if site.vendor == vendor}
            others = set(result.operation.sites) - mine
            other_vendor = ({EVIL_VENDOR, "Vendor A"} - {vendor}).pop()
            assert not texts & others, f"{name} names another vendor's site"
            assert not any(other_vendor in t for t in texts)
            ws = wb["Workload"]
            alloc = result.plan.allocation[result.plan.allocation["site"].isin(mine)]
            hours = 0.0  # agent-hours per queue x market and day, summed over the week (rounded to 0.1 per cell)
            for r in range(1, ws.max_row + 1):
                if ws.cell(r, 3).value == "Agent-hours [h]":
                    total = [c.value for c in ws[r] if c.value is not None][-1]
                    hours += total
            assert hours == pytest.approx(alloc["agents"].sum() * 1.0, abs=0.05 * len(alloc) + 0.1)  # 60-min intervals


def test_hiring_plan_sheet_when_a_capacity_plan_exists(result):
    weekly = pd.DataFrame({"week_start": pd.to_datetime(["2026-03-02", "2026-03-09"]).date, "site": ["S1", "S1"],
                           "vendor": ["Vendor A"] * 2, "demand_fte": [10.5, 12.0], "supply_fte": [9.0, 12.0],
                           "hires": [3, 0], "short_fte": [1.5, 0.0], "headcount": [11.0, 14.0],
                           "salary_cost": [4000.0, 5000.0], "hiring_cost": [3600.0, 0.0]})
    with_capacity = SimpleNamespace(**{**vars(result), "capacity": SimpleNamespace(weekly=weekly, classes=None)})
    wb = build_workbook(with_capacity)
    sheet = read_block(wb["Hiring plan"], 3)
    assert sheet["Hires [people]"].tolist() == [3, 0]
    assert "Hiring plan" not in build_workbook(result).sheetnames
    assert "Team" not in sheet.columns  # a plan by site only
    by_team = SimpleNamespace(weekly=weekly.assign(team=["EN", "JA"]), classes=None)
    sheet = read_block(build_workbook(SimpleNamespace(**{**vars(result), "capacity": by_team}))["Hiring plan"], 3)
    assert sheet["Team"].tolist() == ["EN", "JA"] and sheet["Site"].tolist() == ["S1", "S1"]


def test_plan_summary_is_json(result):
    summary = json.loads(json.dumps(plan_summary(result, scenario=SCENARIO)))
    assert summary["scenario"] == SCENARIO and summary["cost"] == pytest.approx(result.plan.cost)
    assert sum(summary["cost_by_vendor"].values()) == pytest.approx(result.plan.cost, abs=0.05)


def soffice() -> str:
    """The LibreOffice binary; a missing one fails the test (CI=true or not): never a skip."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        where = " (CI=true: scripts/install_test_deps.sh should have installed it)" \
            if os.environ.get("CI", "").lower() == "true" else ""
        pytest.fail("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui" + where)
    return found


def test_libreoffice_converts_every_sheet(data, book, tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    base = [soffice(), profile, "--headless", "--norestore", "--convert-to"]
    for target in ("pdf", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"):
        done = subprocess.run([*base, target, "--outdir", str(tmp_path), str(path)], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "plan.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= len(book.sheetnames)
    for sheet in book.sheetnames:  # one CSV per sheet: every sheet loaded and recalculated
        text = (tmp_path / f"plan-{sheet}.csv").read_text(encoding="utf-8")
        assert text.strip(), sheet
    coverage = (tmp_path / "plan-Coverage.csv").read_text(encoding="utf-8")
    assert '=HYPERLINK(""http://x"",""y"") / M' in coverage  # still text after LibreOffice's load
    assert "#NAME" not in coverage and "Err:" not in coverage


def test_vendor_rows_across_dst_show_real_local_times():
    """Dublin springs forward at 01:00 UTC on 2026-03-29: a 01:30 local start does not
    exist that day; agents start at 02:00 IST (01:00 UTC). The autumn 01:30 is ambiguous:
    the first (IST, 00:30 UTC) is used. Expected instants worked out by hand."""
    from planning.export import shift_rows
    from planning.inputs import shift_utc_span

    rows = []
    for day in ("2026-03-28", "2026-03-29", "2026-10-25"):
        start, end = shift_utc_span(dt.date.fromisoformat(day), dt.time(1, 30), 8, "Europe/Dublin")
        rows.append({"vendor": "V", "site": "DUB", "shift": "night", "date_local": dt.date.fromisoformat(day),
                     "start_local": "01:30", "end_local": "", "timezone": "Europe/Dublin", "start_utc": start,
                     "end_utc": end, "paid_hours": 8.0, "headcount": 3})
    plan = SimpleNamespace(shifts=pd.DataFrame(rows), allocation=pd.DataFrame(
        columns=["timestamp", "site", "queue", "market", "agents"]))
    out = shift_rows(SimpleNamespace(plan=plan))
    assert [t.strftime("%H:%M") for t in out["start_local"]] == ["01:30", "02:00", "01:30"]
    assert [t.strftime("%H:%M") for t in out["end_local"]] == ["09:30", "10:00", "08:30"]
    assert [t.strftime("%m-%d %H:%M") for t in out["start_utc"]] == ["03-28 01:30", "03-29 01:00", "10-25 00:30"]


def test_a_risk_aware_plan_shows_its_probability_and_the_cost_of_safety():
    """The Summary carries the confidence, the pairs reaching it and the risk-neutral plan's
    cost beside the chosen one; the SLA block the probability with its interval (as planned)."""
    import copy

    from planning.risk import wilson

    result = copy.deepcopy(tiny_result())
    q = result.plan.queues
    q["p_target"], q["p_target_lo"], q["p_target_hi"] = 0.8, *wilson(16, 20)
    result.risk = {"confidence": 0.95, "compare": {
        "chosen": {"confidence": 0.95, "cost": result.plan.cost, "pairs_meeting_confidence": 2, "pairs": len(q)},
        "neutral": {"confidence": 0.5, "cost": result.plan.cost - 123.45, "pairs_meeting_confidence": 1,
                    "pairs": len(q)}}}
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, scenario="risk")))
    ws = book["Summary"]
    kpis = read_block(ws, header_row(ws, "Item", header_row(ws, "Levers (applied in order)")))
    kpis = dict(zip(kpis["Item"], kpis["Value"]))
    assert kpis["SLA confidence (chance a queue x market's week meets target)"] == pytest.approx(0.95)
    assert kpis["Queue x markets reaching it (chosen / risk-neutral plan)"] == f"2 / 1 of {len(q)}"
    assert kpis["Cost of the risk-neutral plan [USD]"] == pytest.approx(result.plan.cost - 123.45)
    assert kpis["Cost of safety (chosen - risk-neutral) [USD]"] == pytest.approx(123.45)
    sla = read_block(ws, header_row(ws, "Queue"))
    assert_allclose(sla["P(week meets target) over volume paths"].astype(float), 0.8)
    assert_allclose(sla["P 95% interval from"].astype(float), wilson(16, 20)[0])
    # a plan without a risk step keeps the old layout
    plain = openpyxl.load_workbook(io.BytesIO(workbook_bytes(tiny_result(), scenario="plain")))["Summary"]
    assert "P(week meets target) over volume paths" not in read_block(plain, header_row(plain, "Queue"))
