"""The vendor's sheets of the staffing workbook: its shifts, one sheet per site with its
teams, and the Workload in the sites' local time (frames in ``vendor_frames``).

The shift sheet is one Excel table (all the vendor's sites; the header row repeats on
every printed page): site, team, shift, local day, start and end, the zone (IANA name and
abbreviation), UTC start, paid hours, **Headcount** (yellow: the column the vendor may edit
and send back, ``planning.export.roundtrip``), a note on carry-ins and shifts running past
the week, and the queue mix.
"""
from __future__ import annotations

import pandas as pd
from openpyxl.styles import Alignment, PatternFill

from planning.export import frames, vendor_frames as vf
from planning.export.layout import NOTE_FONT, Col, Layout, finish_sheet, sheet_text, wrapped_lines
from planning.export.safe import put, safe_sheet_title

EDITABLE_FILL = PatternFill("solid", fgColor="FFF4CC")
CARRY_FILL = PatternFill("solid", fgColor="E8E8E8")
WRAP = Alignment(wrap_text=True, vertical="top")

SHIFT_COLS = [
    Col("site", "Site", "text", 8), Col("team", "Team", "text", 9), Col("shift", "Shift", "text", 8),
    Col("date_local", "Local date", "day", 11), Col("start_local", "Local start", "time", 7),
    Col("end_local", "Local end", "time", 7), Col("zone", "Time zone (IANA, abbreviation)", "text", 17),
    Col("start_utc", "UTC start", "datetime", 15), Col("paid_hours", "Paid hours [h]", "num1", 7),
    Col("headcount", "Headcount [agents]", "int", 10), Col("note", "Note", "text", 14),
    Col("queue_mix", "Queue mix (share of the team's productive agent time, top 2)", "text", 50),
]
HEADCOUNT_COL = 1 + [c.key for c in SHIFT_COLS].index("headcount")
SHIFT_HEADER_ROW = 3


def shift_sheet(wb, result, layout: Layout, vendor: str, title: str) -> None:
    ws = wb.create_sheet(title)
    shifts = vf.week_shift_rows(result, vendor)
    carry = int(shifts["carry_in"].sum()) if len(shifts) else 0
    note = (f"Plan week {vf.week_label(result)}. Local times are each site's wall clock (zone in the Time "
            "zone column; Excel stores no zones). To propose changes, edit Headcount only (yellow) and send "
            "the sheet back.")
    if carry:
        note += (f" {carry} carry-in row(s) (grey, listed first per team) start before the plan week: the "
                 "previous week's pattern, of which only the part inside the week is planned.")
    layout.title(ws, 1, f"Shifts: {sheet_text(vendor)}", note)
    layout.block(ws, SHIFT_HEADER_ROW, shifts, SHIFT_COLS, f"shifts_{vendor}",
                 empty_note="(no shifts planned at this vendor's sites)")
    notes = 1 + [c.key for c in SHIFT_COLS].index("note")
    widths = {c.key: c.width for c in SHIFT_COLS}
    for i, row in enumerate(shifts[["carry_in", "note", "queue_mix"]].itertuples(index=False) if len(shifts) else []):
        r, carry_in = SHIFT_HEADER_ROW + 1 + i, row.carry_in
        ws.cell(row=r, column=HEADCOUNT_COL).fill = EDITABLE_FILL
        ws.cell(row=r, column=notes).alignment = WRAP
        ws.cell(row=r, column=len(SHIFT_COLS)).alignment = WRAP
        lines = max(wrapped_lines(row.note, widths["note"]), wrapped_lines(row.queue_mix, widths["queue_mix"]))
        if lines > 1:
            ws.row_dimensions[r].height = 15.0 * lines
        if carry_in:
            for j in (1, 2, 3, 4, 5, 6, notes):
                ws.cell(row=r, column=j).fill = CARRY_FILL
    finish_sheet(ws, f"A{SHIFT_HEADER_ROW + 1}", f"{SHIFT_HEADER_ROW}:{SHIFT_HEADER_ROW}")


def site_sheet_titles(result, vendor: str, taken: set[str]) -> dict[str, str]:
    return {site: safe_sheet_title(f"{site} teams", taken) for site in frames.vendor_sites(result, vendor)}


def site_team_sheet(wb, result, layout: Layout, site: str, title: str) -> None:
    """Headcount per team x shift x local day at ``site``, then the site's teams."""
    ws = wb.create_sheet(title)
    info = result.operation.sites[site]
    vendor = info.vendor
    shifts = vf.week_shift_rows(result, vendor)
    matrix, days = vf.team_matrix(shifts, site)
    teams = [t for t in getattr(result.operation, "teams", None) or [] if t.site == site]
    layout.title(ws, 1, f"{sheet_text(site)} ({sheet_text(info.city or vendor)}): headcount per team, "
                 f"shift and local day",
                 f"Agents starting each shift per local day ({info.timezone}), plan week {vf.week_label(result)}. "
                 + ("A '(carry-in)' day starts before the plan week. " if any("carry-in" in h for _, h in days)
                    else "")
                 + ("The site has no teams: one team named after the site." if not teams else
                    f"{len(teams)} teams."))
    cols = [Col("team", "Team", "text", 10), Col("shift", "Shift", "text", 9),
            Col("start", "Local start", "time", 8)] + [Col(k, h, "int", 10) for k, h in days] + \
        [Col("total", "Week total [agent-shifts]", "int", 11)]
    row = layout.block(ws, 3, matrix, cols, f"teams_{site}", empty_note="(no shifts planned at this site)")
    layout.heading(ws, row, "Teams")
    frame = pd.DataFrame([{"team": t.team, "max_headcount": t.max_headcount, "min_headcount": t.min_headcount,
                           "about": " - ".join(x for x in (t.languages, t.notes) if x)} for t in teams]) \
        if teams else pd.DataFrame([{"team": site, "max_headcount": info.max_headcount,
                                     "min_headcount": info.min_headcount, "about": "the site without teams"}])
    # the last column's text runs on over the empty cells to its right (they are inside the print area)
    layout.block(ws, row + 1, frame, [
        Col("team", "Team", "text", 10), Col("max_headcount", "Cap [agents/day]", "int", 9),
        Col("min_headcount", "Minimum [agents/day]", "int", 8), Col("about", "Languages and notes", "text", 10)],
        f"team_list_{site}")
    finish_sheet(ws, "A4", "3:3")


def workload_sheet(wb, result, layout: Layout, vendor: str) -> None:
    ws = wb.create_sheet("Workload")
    layout.title(ws, 1, f"Workload: what the plan expects {sheet_text(vendor)}'s agents to work",
                 f"Plan week {vf.week_label(result)}, in each site's local time. Agents = productive agents on "
                 "queue work (after shrinkage), hourly mean; items = each interval's forecast items of the pair "
                 "split by the site's share of all agents planned on it.")
    row = 3
    for site in frames.vendor_sites(result, vendor):
        tz = result.operation.sites[site].timezone
        row = layout.heading(ws, row, f"{sheet_text(site)}: productive agents per local hour ({tz})")
        hourly, days = vf.workload_by_hour(result, site)
        row = layout.block(ws, row, hourly, [Col("hour", f"Local hour ({tz})", "time", 12)]
                           + [Col(k, h, "num1", 10) for k, h in days], f"work_hour_{site}",
                           empty_note="(no queue work at this site)")
        row = layout.heading(ws, row, f"{sheet_text(site)}: per queue x market and local day ({tz})")
        daily, days = vf.workload_by_day(result, site)
        cols = [Col("queue", "Queue", "text", 17), Col("market", "Market", "text", 9),
                Col("measure", "Measure", "text", 14)] + [Col(k, h, "num1", 10) for k, h in days] + \
            [Col("total", "Week total", "num1", 10)]
        start = row
        row = layout.block(ws, row, daily, cols, f"work_day_{site}", empty_note="(no queue work at this site)")
        for i, measure in enumerate(daily["measure"] if len(daily) else []):
            if measure.startswith("Items"):
                for j in range(4, len(cols) + 1):
                    ws.cell(row=start + 1 + i, column=j).number_format = layout.formats["int"]
    put(ws.cell(row=row, column=1), "Hourly means of the plan's intervals; a blank hour is outside the plan "
        "week.").font = NOTE_FONT
    finish_sheet(ws, "A3")
