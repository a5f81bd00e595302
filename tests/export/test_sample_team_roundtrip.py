"""The sample (22 teams in 7 sites): export Aster BPO's workbook, edit one team's cell, read
it back; the change lands on that team only (MNL-A's EN, JA and SEV teams all work an
'early' shift on the same days).  Expected cost change by hand: delta x 9 paid h x the JA
team's 10.50/h."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from planning.export import import_vendor_sheet, workbook_bytes
from tests.export.test_roundtrip import columns


@pytest.mark.slow
def test_sample_round_trip_edits_one_team_only(sample_dir):
    from planning.inputs import load_operation
    from planning.pipeline import quick_plan

    op, _ = load_operation(sample_dir)
    result = quick_plan(op, 1)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(result, vendor="Aster BPO")))
    ws = book["Aster BPO"]
    header, col = columns(ws)
    row = next(r for r in ws.iter_rows(min_row=header + 1) if (r[col["Site"]].value, r[col["Team"]].value,
                                                                 r[col["Shift"]].value) == ("MNL-A", "JA", "early"))
    day = row[col["Local date"]].value.date()
    before = row[col["Headcount"]].value
    row[col["Headcount"]].value = before + 4
    out = io.BytesIO()
    book.save(out)
    trip = import_vendor_sheet(out.getvalue(), result)
    assert trip.ok, trip.problems
    assert trip.changes[["site", "team", "shift", "date_local", "delta"]].values.tolist() == \
        [["MNL-A", "JA", "early", day, 4]]

    def heads(plan, team):
        s = plan.shifts
        return int(s[(s["site"] == "MNL-A") & (s["team"] == team) & (s["shift"] == "early")
                     & (s["date_local"] == day)]["headcount"].sum())

    assert heads(trip.plan, "JA") == before + 4
    others = [t for t in ("EN", "SEV") if heads(result.plan, t) > 0]
    assert others  # another team shares that site x shift x day: the collision the team key avoids
    for team in others:
        assert heads(trip.plan, team) == heads(result.plan, team)
    assert trip.cost_after - trip.cost_before == pytest.approx(4 * 9 * 10.50, abs=0.01)
    assert isinstance(day, dt.date)
