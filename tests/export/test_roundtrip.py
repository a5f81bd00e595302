"""Round trip: a vendor edits headcounts in its sheet; the import re-plans and checks it.

Expected cost changes are hand-computed: delta agents x paid hours x hourly cost (no
night premium in the tiny case, every edited shift lies wholly inside the horizon).
"""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import openpyxl
import pytest

from planning.export import workbook_bytes
from planning.export import RoundTripError, import_vendor_sheet
from tests.export_cases import EVIL_QUEUE, EVIL_VENDOR, tiny_result
from tests.export.test_workbook import soffice


@pytest.fixture(scope="module")
def result():
    return tiny_result()


def columns(ws) -> tuple[int, dict[str, int]]:
    """(header row, {header name without zone or unit: 0-based column}) of a shift sheet."""
    for row in ws.iter_rows(min_row=1):
        if row[0].value == "Site":
            return row[0].row, {str(c.value).split(" (")[0].split(" [")[0]: j for j, c in enumerate(row) if c.value}
    raise AssertionError(f"no shift table in {ws.title}")


def edit(data: bytes, sheet: str, edits: dict, delete=(), team=None) -> bytes:
    """Set Headcount of rows keyed (site, shift, 'YYYY-MM-DD') (with ``team``: only that
    team's rows); blank out rows in ``delete``."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[sheet]
    header, col = columns(ws)
    done = set()
    for row in list(ws.iter_rows(min_row=header + 1)):
        if isinstance(row[col["Local date"]].value, dt.datetime):
            if team is not None and row[col["Team"]].value != team:
                continue
            key = (row[col["Site"]].value, row[col["Shift"]].value, f"{row[col['Local date']].value:%Y-%m-%d}")
            if key in edits:
                row[col["Headcount"]].value = edits[key]
                done.add(key)
            if key in delete:
                ws.delete_rows(row[0].row)
                done.add(key)
    assert done == set(edits) | set(delete), f"rows not found: {set(edits) | set(delete) - done}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def heads(plan, site, shift, day):
    s = plan.shifts
    got = s[(s["site"] == site) & (s["shift"] == shift) & (s["date_local"].astype(str) == day)]
    return int(got["headcount"].sum())


def test_unchanged_sheet_gives_the_same_plan(result):
    trip = import_vendor_sheet(workbook_bytes(result, vendor="Vendor A"), result)
    assert trip.ok and trip.vendor == "Vendor A" and trip.changes.empty and not trip.warnings
    assert trip.cost_after == pytest.approx(trip.cost_before)
    assert trip.plan.unmet_agent_hours == pytest.approx(result.plan.unmet_agent_hours, abs=1e-4)
    assert trip.violations == []


def test_edited_headcounts_change_plan_cost_and_coverage(result):
    data = workbook_bytes(result, vendor=EVIL_VENDOR)
    dub = heads(result.plan, "DUB", "day", "2026-03-03")
    returned = edit(data, EVIL_VENDOR, {("DUB", "day", "2026-03-03"): dub - 2})
    trip = import_vendor_sheet(returned, result)
    assert trip.ok, trip.problems
    assert trip.changes[["site", "team", "shift", "delta"]].values.tolist() == [["DUB", "DUB", "day", -2]]
    assert heads(trip.plan, "DUB", "day", "2026-03-03") == dub - 2
    # other vendors' rows are untouched
    assert heads(trip.plan, "KTM", "early", "2026-03-02") == heads(result.plan, "KTM", "early", "2026-03-02")
    assert trip.cost_after - trip.cost_before == pytest.approx(-2 * 8 * 20.0)
    assert trip.violations == []  # the independent checker ran on the new plan
    live = trip.pairs.set_index("queue").loc[EVIL_QUEUE]
    assert live["planned_agent_hours_after"] < live["planned_agent_hours_before"]
    assert live["shortfall_agent_hours_after"] > live["shortfall_agent_hours_before"]
    assert live["predicted_after"] < live["predicted_before"]


def test_more_agents_at_a_cheap_site_and_the_checker_flags_a_cap(result):
    data = workbook_bytes(result, vendor="Vendor A")
    ktm = heads(result.plan, "KTM", "early", "2026-03-02")
    s1 = heads(result.plan, "S1", "day", "2026-03-02")
    returned = edit(data, "Vendor A", {("KTM", "early", "2026-03-02"): ktm + 3,
                                       ("S1", "day", "2026-03-02"): s1 + 4})
    trip = import_vendor_sheet(returned, result)
    assert trip.ok, trip.problems
    assert sorted(trip.changes["delta"]) == [3, 4]
    assert trip.cost_after - trip.cost_before == pytest.approx(3 * 9 * 6.0 + 4 * 8 * 10.0)
    caps = [v for v in trip.violations if v.constraint == "daily_headcount_cap"]
    assert caps and "S1" in caps[0].message  # S1 holds at most 8 a day
    spam = trip.pairs.set_index("queue").loc["spam"]
    assert spam["planned_agent_hours_after"] >= spam["planned_agent_hours_before"] - 1e-6


def test_deleted_row_counts_as_zero_with_a_warning(result):
    data = workbook_bytes(result, vendor="Vendor A")
    trip = import_vendor_sheet(edit(data, "Vendor A", {}, delete={("KTM", "early", "2026-03-03")}), result)
    assert trip.ok and heads(trip.plan, "KTM", "early", "2026-03-03") == 0
    assert any("missing from the returned sheet" in w for w in trip.warnings)


def test_bad_rows_are_listed_and_nothing_is_replanned(result):
    data = workbook_bytes(result, vendor="Vendor A")
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["Vendor A"]
    _, col = columns(ws)
    rows = [r for r in ws.iter_rows(min_row=1) if isinstance(r[col["Local date"]].value, dt.datetime)]
    rows[0][col["Headcount"]].value = "abc"
    rows[1][col["Headcount"]].value = -1
    rows[2][col["Headcount"]].value = 2.5
    rows[3][col["Site"]].value = "DUB"
    rows[4][col["Shift"]].value = "brunch"
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), result)
    assert not trip.ok and trip.plan is None and len(trip.problems) == 5
    assert all("Vendor A!row" in p for p in trip.problems)
    assert any("'abc'" in p for p in trip.problems) and any("brunch" in p for p in trip.problems)


def test_full_workbook_needs_a_vendor(result):
    data = workbook_bytes(result)
    with pytest.raises(RoundTripError, match="say which vendor"):
        import_vendor_sheet(data, result)
    assert import_vendor_sheet(data, result, vendor=EVIL_VENDOR).ok
    with pytest.raises(RoundTripError, match="not an .xlsx"):
        import_vendor_sheet(b"not a workbook", result)


def test_sheet_resaved_by_libreoffice_still_imports(result, tmp_path):
    data = workbook_bytes(result, vendor="Vendor A")
    ktm = heads(result.plan, "KTM", "early", "2026-03-02")
    source = tmp_path / "returned.xlsx"
    source.write_bytes(edit(data, "Vendor A", {("KTM", "early", "2026-03-02"): ktm + 1}))
    out = tmp_path / "lo"
    done = subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
                           "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trip = import_vendor_sheet((out / "returned.xlsx").read_bytes(), result)
    assert trip.ok, trip.problems
    assert trip.changes[["site", "delta"]].values.tolist() == [["KTM", 1]]
