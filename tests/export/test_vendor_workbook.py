"""The vendor workbook as a vendor gets it (issues 18 and 19): only the plan week's shifts
with carry-ins labelled, local times with the zone, a sheet per site with its teams, the
Workload in local time and rounded, print settings, the operation's currency, and the round
trip by team.  Expected values are computed here from the plan frames with zoneinfo."""
from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import openpyxl
import pandas as pd
import pytest

from planning.access import Forbidden, Principal, Role
from planning.export import (import_vendor_sheet, vendor_files, vendor_files_for, workbook_bytes)
from tests.export.test_roundtrip import columns, edit
from tests.export_cases import EVIL_VENDOR, carry_in_result, team_result, tiny_result


@pytest.fixture(scope="module")
def carry():
    return carry_in_result()


@pytest.fixture(scope="module")
def teams():
    return team_result()


def book_of(result, vendor):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, vendor=vendor)))


def shift_table(ws) -> pd.DataFrame:
    header, col = columns(ws)
    rows = []
    for r in ws.iter_rows(min_row=header + 1, values_only=True):
        if r[0] is None:
            break
        rows.append({name: r[j] for name, j in col.items()})
    return pd.DataFrame(rows)


def local_words(ts: pd.Timestamp, tz: str) -> str:
    t = ts.to_pydatetime().astimezone(ZoneInfo(tz))
    return f"{t:%a %d %b %H:%M} {t.tzname()}"


def test_only_plan_week_shifts_and_carry_ins_labelled(carry):
    first = pd.Timestamp(carry.requirements["timestamp"].min())
    end = pd.Timestamp(carry.requirements["timestamp"].max()) + pd.Timedelta(hours=1)
    table = shift_table(book_of(carry, EVIL_VENDOR)[EVIL_VENDOR])
    shifts = carry.plan.shifts[carry.plan.shifts["vendor"] == EVIL_VENDOR]
    assert len(table) == len(shifts) > 0
    labelled = 0
    table["Note"] = [n if isinstance(n, str) else "" for n in table["Note"]]
    for row in table.to_dict("records"):
        start = pd.Timestamp(row["UTC start"], tz="UTC")
        assert start < end
        if start < first:  # the Sunday-night shift of the previous week's pattern
            tz = carry.operation.sites[row["Site"]].timezone
            assert row["Note"].startswith(f"carry-in: starts {local_words(start, tz)}, before the plan week")
            labelled += 1
        else:
            assert not row["Note"].startswith("carry-in")
    assert labelled == 1  # DUB night of 1 March 22:00 GMT, the only shift that can cover 00:00-02:00
    carried = table[table["Note"].str.startswith("carry-in")].iloc[0]
    assert (carried["Site"], carried["Shift"], carried["Local date"].date()) == ("DUB", "night", dt.date(2026, 3, 1))
    assert "Sun 01 Mar 22:00 GMT" in carried["Note"]
    assert table.index[table["Note"].str.startswith("carry-in")][0] == 0  # listed first for its team


def test_vendor_workbook_has_no_row_of_another_vendor():
    result = tiny_result()
    for vendor, other in (("Vendor A", EVIL_VENDOR), (EVIL_VENDOR, "Vendor A")):
        wb = book_of(result, vendor)
        mine = {s for s, site in result.operation.sites.items() if site.vendor == vendor}
        theirs = set(result.operation.sites) - mine
        table = shift_table(wb[vendor])
        assert set(table["Site"]) == mine
        texts = {str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}
        headers = {ws.oddHeader.left.text for ws in wb} | {ws.oddHeader.center.text for ws in wb}
        assert not any(s in t for t in texts | headers for s in theirs), f"{vendor}: another vendor's site"
        assert not any(other.replace("&", "&&") in t for t in texts | headers)
        assert [t for t in wb.sheetnames if t.endswith(" teams")] == [f"{s} teams" for s in sorted(mine)]


def test_print_settings_on_every_sheet():
    result = tiny_result()
    wb = book_of(result, "Vendor A")
    for ws in wb:
        setup = ws.page_setup
        assert setup.orientation == "landscape" and int(setup.paperSize) == 9, ws.title  # A4
        assert setup.fitToWidth == 1 and setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
        # readable print: the columns' pixel width (7 px per unit + 5 px padding, Calibri 11) fitted into
        # the A4 landscape width between the margins must not scale 11 pt below 9 pt
        last = max(ws.max_column, 1)
        widths = [(ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width or 8.43) for j in range(1, last + 1)]
        printable = (11.69 - ws.page_margins.left - ws.page_margins.right) * 96
        assert 11 * min(1.0, printable / sum(w * 7 + 5 for w in widths)) >= 9.0, ws.title
        # no column cut: the print area spans every used column
        area = ws.print_area if isinstance(ws.print_area, str) else ws.print_area[0]
        assert area.replace("$", "").split("!")[-1].startswith("A1:")
        assert re.search(r":\$?([A-Z]+)", area).group(1) == openpyxl.utils.get_column_letter(last)
        assert ws.oddHeader.left.text == "Vendor A" and "Plan week" in ws.oddHeader.right.text
        assert "S1" in ws.oddHeader.center.text or "KTM" in ws.oddHeader.center.text
        assert ws.oddFooter.center.text == "Page &P of &N"
    assert wb["Vendor A"].print_title_rows == "$3:$3"  # the shift table's header on every page
    assert wb["S1 teams"].print_title_rows == "$3:$3" and wb["S1 teams"].oddHeader.center.text == "Site S1"


def displayed_decimals(fmt: str) -> int:
    body = fmt.split(";")[0].split('"')[-1]
    return len(body.split(".")[1].rstrip("%")) if "." in body else 0


@pytest.mark.parametrize("vendor", [None, "Vendor A"])
def test_currency_and_number_formats(vendor):
    result = tiny_result()
    wb = book_of(result, vendor)
    numbers = 0
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert "[currency]" not in str(c.value), f"{ws.title}!{c.coordinate}"
                if isinstance(c.value, float) and not isinstance(c.value, bool):
                    numbers += 1
                    fmt = c.number_format
                    if fmt == "General":
                        assert abs(c.value * 1e6 - round(c.value * 1e6)) < 1e-6, f"{ws.title}!{c.coordinate}"
                    else:
                        assert displayed_decimals(fmt) <= 6, fmt
                    if abs(c.value) >= 1000 and fmt not in ("General", "yyyy-mm-dd hh:mm") and "%" not in fmt:
                        assert "#,##0" in fmt, f"{ws.title}!{c.coordinate}: {fmt}"
    assert numbers > 0
    cells = {c.value for row in wb["Summary"].iter_rows() for c in row}
    assert "Cost [USD]" in cells


def test_workload_in_local_time_rounded_and_short():
    result = tiny_result()
    ws = book_of(result, "Vendor A")["Workload"]
    ktm = next(r for r in range(1, ws.max_row + 1) if str(ws.cell(r, 1).value).startswith("Local hour (Asia/Kathmandu)"))
    days = [ws.cell(ktm, j).value for j in range(2, ws.max_column + 1) if ws.cell(ktm, j).value]
    alloc = result.plan.allocation[result.plan.allocation["site"] == "KTM"]
    local = pd.to_datetime(alloc["timestamp"], utc=True).dt.tz_convert("Asia/Kathmandu")
    want = alloc.assign(day=local.dt.date, hour=local.dt.hour).groupby(["day", "hour"])["agents"].sum()
    # the plan's hours (UTC) as Kathmandu wall clock (+05:45): 05:45 on 2 March to 05:45 on 4 March
    horizon = pd.date_range(result.requirements["timestamp"].min(), result.requirements["timestamp"].max(), freq="h")
    hours = {(t.date(), t.hour) for t in horizon.tz_convert("Asia/Kathmandu")}
    local_days = sorted({d for d, _ in hours})
    assert days == [f"{d:%a %d %b}" for d in local_days] == ["Mon 02 Mar", "Tue 03 Mar", "Wed 04 Mar"]
    for i in range(24):
        assert ws.cell(ktm + 1 + i, 1).value == dt.time(i)
        for j, d in enumerate(local_days):
            got = ws.cell(ktm + 1 + i, 2 + j).value
            if (d, i) not in hours:
                assert got is None  # outside the plan
                continue
            # 60-minute intervals: the hourly mean is the interval's value; no agents = 0
            assert got == pytest.approx(round(float(want.get((d, i), 0.0)), 1), abs=1e-9)
            assert ws.cell(ktm + 1 + i, 2 + j).number_format == "#,##0.0"
    items = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 3).value == "Items [items]"]
    assert items and all(isinstance(ws.cell(r, 4).value, int) for r in items)
    assert ws.max_row < 150  # a few pages, not one row per interval x pair


def test_team_sheet_and_vendor_sheet_by_team(teams):
    wb = book_of(teams, "V1")
    table = shift_table(wb["V1"])
    assert sorted(zip(table["Team"], table["Headcount"])) == [("EN", 3), ("JA", 2)]
    ws = wb["S1 teams"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Team")
    heads = {ws.cell(r, 1).value: ws.cell(r, 4).value for r in (header + 1, header + 2)}
    assert heads == {"EN": 3, "JA": 2} and ws.cell(header, 4).value == "Mon 02 Mar"


def test_round_trip_by_team_changes_only_that_team(teams):
    data = workbook_bytes(teams, vendor="V1")
    returned = edit(data, "V1", {("S1", "day", "2026-03-02"): 5}, team="JA")
    trip = import_vendor_sheet(returned, teams)
    assert trip.ok, trip.problems
    assert trip.changes[["site", "team", "shift", "planned", "returned"]].values.tolist() == [["S1", "JA", "day", 2, 5]]
    got = trip.plan.shifts.set_index("team")["headcount"]
    assert got["JA"] == 5 and got["EN"] == 3
    assert trip.cost_after - trip.cost_before == pytest.approx(3 * 8 * 10.0)  # 3 agents x 8 h x 10/h
    unchanged = import_vendor_sheet(data, teams)
    assert unchanged.ok and unchanged.changes.empty


def test_round_trip_problems_name_the_team(teams):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(teams, vendor="V1")))
    ws = book["V1"]
    header, col = columns(ws)
    ws.cell(header + 1, col["Team"] + 1).value = "XX"
    ws.cell(header + 2, col["Headcount"] + 1).value = "many"
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), teams)
    assert not trip.ok and len(trip.problems) == 2
    assert "no team 'XX' (its teams: EN, JA)" in trip.problems[0]
    assert "S1 JA team" in trip.problems[1] or "S1 EN team" in trip.problems[1]
    # two rows for the same team, shift and day are a repeat, named with the team
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(teams, vendor="V1")))
    ws = book["V1"]
    ws.cell(header + 2, col["Team"] + 1).value = ws.cell(header + 1, col["Team"] + 1).value
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), teams)
    assert any("repeat S1 EN team day 2026-03-02" in p for p in trip.problems), trip.problems
    # a sheet without the Team column cannot say which team a row of S1 is
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(teams, vendor="V1")))
    book["V1"].delete_cols(col["Team"] + 1)
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), teams)
    assert trip.problems and all("has teams (EN, JA); fill in the Team column" in p for p in trip.problems)


def test_old_sheet_without_team_column_still_round_trips():
    result = tiny_result()
    data = edit(workbook_bytes(result, vendor="Vendor A"), "Vendor A", {("KTM", "early", "2026-03-02"): 9})
    book = openpyxl.load_workbook(io.BytesIO(data))
    _, col = columns(book["Vendor A"])
    book["Vendor A"].delete_cols(col["Team"] + 1)  # the sheets sent before teams had no Team column
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), result)
    assert trip.ok, trip.problems
    assert trip.changes[["site", "team", "returned"]].values.tolist() == [["KTM", "KTM", 9]]


def test_vendor_files_follow_the_role():
    result = tiny_result()
    planner = vendor_files_for(result, Principal("p", Role.planner))
    assert list(planner) == [EVIL_VENDOR, "Vendor A"]
    assert [name for name, _ in planner.values()] == ["_SUM_1_1_.xlsx", "Vendor A.xlsx"]
    own = vendor_files_for(result, Principal("v", Role.vendor_manager, vendor="Vendor A"))
    assert list(own) == ["Vendor A"]
    assert own["Vendor A"][1][:2] == b"PK" and set(vendor_files(result)) == set(planner)
    with pytest.raises(Forbidden):
        vendor_files_for(result, Principal("viewer", Role.viewer))
