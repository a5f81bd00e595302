"""The staffing-plan workbook for vendor managers, and the per-vendor pack.

``build_workbook(result, scenario=...)`` lays one pipeline result
(``planning.pipeline.PipelineResult``) out as an openpyxl workbook:

==================  ==========================================================================
Summary             scenario, levers, data period, plan dates, KPIs, cost by vendor and site,
                    SLA target / predicted / simulated per queue x market, a native bar chart
<vendor>            one sheet per vendor: its sites' shifts by local date, local start and end
                    (the site's zone in the header), UTC start and end, headcount, queue mix
Coverage            planned / required productive agents per interval x queue/market (heatmap)
Coverage detail     the same as a long table with required, planned, shortfall, backlog
Requirements        required productive agents per interval and pair
Forecast            forecast volume with 80% and 95% prediction intervals
Hiring plan         weekly FTE demand, supply and hires (only when a capacity plan exists)
Assumptions         every setting, solver option, lever and event; queues and sites
About               what each sheet means
==================  ==========================================================================

``build_workbook(result, vendor=V)`` is the vendor's own workbook (only its sites, no
other vendor's numbers); ``vendor_pack_bytes`` zips one per vendor.  Every cell value goes
through ``planning.export.safe.put``.  Times: Excel stores no time zones, so every date-time
column says in its header which zone it is in.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from planning.export import frames, vendor_frames
from planning.export import vendor as vendor_sheets
from planning.export.safe import put, safe_sheet_title
from planning.export.layout import NOTE_FONT, Col, Layout, finish_sheet, page_headers, sheet_text

# Coverage heatmap colours: red below the requirement, white at it, green above.
HEAT = dict(start_type="num", start_value=0.5, start_color="F8696B", mid_type="num", mid_value=1.0,
            mid_color="FFFFFF", end_type="num", end_value=1.5, end_color="63BE7B")
TITLE_ROWS = "3:3"  # header row repeated on printed pages of the long tables

ABOUT = [
    ("Summary", "Scenario, levers, data period, plan dates, headline KPIs, cost by vendor and site, "
                "SLA target vs simulated (agent-level simulation of the plan: integer agents, shrinkage, routing, wellness caps; mean and 95% interval over replications; all items arriving in the horizon) vs the planner's fluid model prediction."),
    ("<vendor>", "One sheet per vendor: the plan week's shifts of its sites and teams, one table. Local "
                 "date and times are the site's wall clock; the Time zone column names the zone (IANA name and "
                 "abbreviation; Excel stores no zones); UTC start for reference. Headcount = agents starting "
                 "that shift that day. Carry-in rows (grey, first per team) start before the plan week: the "
                 "previous week's pattern, of which only the part inside the week is planned. Queue mix = "
                 "share of the team's productive agent time per queue/market during the shift. Vendors may "
                 "edit Headcount and return the sheet."),
    ("<site> teams", "(vendor workbooks) one sheet per site: headcount per team x shift x local day, and the "
                     "site's teams with their caps and minimums."),
    ("Coverage", "Planned / required productive agents per interval (UTC) and queue/market: below 100% "
                 "(red) is under the requirement. Deferred queues may dip below 100% and still meet the "
                 "SLA because their backlog is worked later; see Coverage detail."),
    ("Coverage detail", "Required and planned productive agents, shortfall (agents), backlog (items) and "
                        "predicted service level per interval and pair."),
    ("Requirements", "Productive agents needed per interval to meet each queue's SLA (live: Erlang, "
                     "deferred: least capacity meeting the backlog deadline), with volume, AHT and workload."),
    ("Forecast", "Forecast items per interval with 80% and 95% prediction intervals and the model used."),
    ("Hiring plan", "Weekly FTE demand vs supply, hires and shortfall per site (when a capacity plan exists)."),
    ("Assumptions", "Every planning setting, solver option, scenario lever and known event; queue and site "
                    "parameters as used."),
    ("Workload", "(vendor workbooks) per site in local time: productive agents per hour x day, and per "
                 "queue/market and day the agent-hours and the items the plan expects the site to handle."),
]


def _plan_kpis(result, layout: Layout, sites: list[str] | None = None) -> list[tuple[str, object, str]]:
    plan, kpis = result.plan, result.kpis or {}
    cost_by_site = plan.cost_by_site
    if sites is not None and cost_by_site is not None and len(cost_by_site):
        cost_by_site = cost_by_site[cost_by_site["site"].isin(sites)]
    items = [("Solver status", plan.status, "text")]
    if cost_by_site is not None and len(cost_by_site):
        items += [(f"Cost [{sheet_text(layout.currency)}]", float(cost_by_site["cost"].sum()), "money"),
                  ("Paid hours [h]", float(cost_by_site["paid_hours"].sum()), "num1"),
                  ("Peak daily headcount, summed over sites [agents]",
                   int(cost_by_site["peak_daily_headcount"].sum()), "int")]
    if sites is None:
        items += [("Unmet demand [agent-h]", kpis.get("unmet_agent_hours", plan.unmet_agent_hours), "num1"),
                  ("Occupancy [share of productive time]", kpis.get("occupancy"), "pct"),
                  ("Solver gap to best bound", plan.gap, "pct"),
                  ("Solve time [s]", plan.seconds, "num1")]
        items += [(sheet_text(label), value, kind) for label, value, kind in frames.safety_items(result)]
    return items


def _dates_items(result) -> list[tuple[str, object, str]]:
    first, end = frames.plan_dates(result)
    h0, h1 = frames.data_period(result)
    return [("Plan from (UTC)", first, "datetime"), ("Plan to, exclusive (UTC)", end, "datetime"),
            ("History from (UTC)", h0, "datetime"), ("History to, exclusive (UTC)", h1, "datetime"),
            ("Interval [minutes]", result.operation.settings.interval_minutes, "int"),
            ("Currency", result.operation.settings.currency, "text")]


def _summary(wb, result, layout: Layout, scenario: str, vendor: str | None) -> None:
    ws = wb.create_sheet("Summary")
    who = f" - {vendor}" if vendor else ""
    row = layout.title(ws, 1, f"Staffing plan: {sheet_text(scenario)}{who}",
                       f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC. Times are UTC "
                       "unless a header names a site's time zone.")
    row = layout.heading(ws, row + 1, "Scenario")
    row = layout.key_values(ws, row, [("Scenario", scenario, "text"), *_dates_items(result)], "scenario")
    sites = frames.vendor_sites(result, vendor) if vendor else None
    if vendor is None:
        row = layout.heading(ws, row, "Levers (applied in order)")
        row = layout.block(ws, row, frames.lever_rows(result),
                           [Col("order", "#", "int", 6), Col("kind", "Lever", "text", 22),
                            Col("description", "What it changes", "text", 40)],
                           "levers", empty_note="(none: the base plan)")
        for r in range(row - 1 - len(result.levers or []), row - 1):
            ws.cell(row=r, column=3).alignment = Alignment(wrap_text=True, vertical="top")
    row = layout.heading(ws, row, "KPIs")
    row = layout.key_values(ws, row, _plan_kpis(result, layout, sites), "kpis")
    if vendor is None:
        row = layout.heading(ws, row, "Cost by vendor")
        row = layout.block(ws, row, frames.cost_by_vendor(result),
                           [Col("vendor", "Vendor", "text", 22), Col("sites", "Sites", "int", 8),
                            Col("paid_hours", "Paid hours [h]", "num1", 14), Col("cost", "Cost", "money", 16),
                            Col("peak_daily_headcount", "Peak daily headcount [agents]", "int", 16)],
                           "cost_by_vendor")
    row = layout.heading(ws, row, "Cost by site")
    by_site = result.plan.cost_by_site
    if sites is not None and len(by_site):
        by_site = by_site[by_site["site"].isin(sites)]
    site_header = row
    row = layout.block(ws, row, by_site,
                       [Col("vendor", "Vendor", "text", 22), Col("site", "Site", "text", 8),
                        Col("paid_hours", "Paid hours [h]", "num1", 14),
                        Col("night_hours", "Night hours [h]", "num1", 14), Col("cost", "Cost", "money", 16),
                        Col("peak_daily_headcount", "Peak daily headcount [agents]", "int", 16)],
                       "cost_by_site")
    if len(by_site):
        chart = BarChart()
        chart.type, chart.style = "col", 10
        chart.title = "Cost by site"
        chart.y_axis.title = f"Cost [{sheet_text(result.operation.settings.currency)}]"
        chart.x_axis.title = "Site"
        data = Reference(ws, min_col=5, min_row=site_header, max_row=site_header + len(by_site))
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, min_row=site_header + 1,
                                       max_row=site_header + len(by_site)))
        chart.height, chart.width = 7, 9  # cm: beside the key-value tables (columns A-B), inside the print width
        chart.legend = None
        ws.add_chart(chart, "D4")
    if vendor is None:
        row = layout.heading(ws, row, "SLA by queue x market (shares of items within the deadline)")
        sla = frames.sla_table(result)
        risk_cols = [Col("p_target", "P(week meets target) over volume paths", "pct", 14),
                     Col("p_target_lo", "P 95% interval from", "pct", 12),
                     Col("p_target_hi", "P 95% interval to", "pct", 12)] if "p_target" in sla else []
        layout.block(ws, row, sla,
                     [Col("queue", "Queue", "text", 22), Col("market", "Market", "text", 10),
                      Col("sla_kind", "SLA kind", "text", 10), Col("target", "Target", "pct", 10),
                      Col("simulated", "Simulated (agent level)", "pct", 14),
                      Col("simulated_lo", "95% interval from", "pct", 12),
                      Col("simulated_hi", "95% interval to", "pct", 12),
                      Col("predicted", "Model prediction (fluid)", "pct", 16)] + risk_cols, "sla")
    finish_sheet(ws, "A3")


def _coverage(wb, result, layout: Layout) -> None:
    ws = wb.create_sheet("Coverage")
    layout.title(ws, 1, "Coverage: planned / required productive agents per interval",
                 "Rows: interval start (UTC). Columns: queue / market. Below 100% (red) the plan is under "
                 "the requirement; empty = nothing required.")
    wide = frames.coverage_matrix(result)
    if not len(wide):
        put(ws.cell(row=3, column=1), "(no coverage)").font = NOTE_FONT
        finish_sheet(ws, "A3")
        return
    frame = wide.reset_index()
    cols = [Col("timestamp", "Interval start (UTC)", "datetime", 17)] + \
        [Col(p, p, "pct", max(10, min(24, len(p) + 2))) for p in wide.columns]
    layout.block(ws, 3, frame, cols, "coverage")
    last_col = get_column_letter(len(cols))
    ws.conditional_formatting.add(f"B4:{last_col}{3 + len(frame)}", ColorScaleRule(**HEAT))
    finish_sheet(ws, "B4", TITLE_ROWS)


def _coverage_detail(wb, result, layout: Layout) -> None:
    ws = wb.create_sheet("Coverage detail")
    layout.title(ws, 1, "Coverage detail per interval (UTC) and queue x market",
                 "Agents are productive agents (after shrinkage). Coverage = planned / required.")
    detail = frames.coverage_detail(result)
    end = layout.block(ws, 3, detail, [
        Col("timestamp", "Interval start (UTC)", "datetime", 17), Col("queue", "Queue", "text", 20),
        Col("market", "Market", "text", 10), Col("sla_kind", "SLA kind", "text", 9),
        Col("required", "Required [agents]", "num2", 12), Col("planned", "Planned [agents]", "num2", 12),
        Col("coverage", "Coverage", "pct", 10), Col("shortfall", "Shortfall [agents]", "num2", 12),
        Col("backlog_items", "Backlog [items]", "num1", 12),
        Col("predicted_service_level", "Predicted service level", "pct", 12)], "coverage_detail")
    if len(detail):
        ws.conditional_formatting.add(f"G4:G{end - 2}", ColorScaleRule(**HEAT))
    finish_sheet(ws, "A4", TITLE_ROWS)


def _long_sheet(wb, layout: Layout, title: str, heading: str, note: str, frame, cols, freeze="A4"):
    ws = wb.create_sheet(title)
    layout.title(ws, 1, heading, note)
    layout.block(ws, 3, frame, cols, title)
    finish_sheet(ws, freeze, TITLE_ROWS)
    return ws


def _requirements(wb, result, layout):
    _long_sheet(wb, layout, "Requirements", "Requirements: productive agents needed per interval (UTC)",
                "Fractional agents, never rounded per queue; the shift plan rounds people, not queues.",
                frames.requirement_rows(result), [
                    Col("timestamp", "Interval start (UTC)", "datetime", 17), Col("queue", "Queue", "text", 20),
                    Col("market", "Market", "text", 10), Col("sla_kind", "SLA kind", "text", 9),
                    Col("interval_minutes", "Interval [min]", "int", 9), Col("volume", "Volume [items]", "num1", 12),
                    Col("aht_seconds", "AHT [s]", "num1", 9), Col("workload_hours", "Workload [h]", "num2", 12),
                    Col("required_agents", "Required [agents]", "num2", 12)])


def _forecast(wb, result, layout):
    fc = frames.forecast_rows(result)
    cols = [Col("timestamp", "Interval start (UTC)", "datetime", 17), Col("queue", "Queue", "text", 20),
            Col("market", "Market", "text", 10), Col("model", "Model", "text", 16),
            Col("forecast", "Forecast [items]", "num1", 12), Col("lo_80", "80% low [items]", "num1", 12),
            Col("hi_80", "80% high [items]", "num1", 12), Col("lo_95", "95% low [items]", "num1", 12),
            Col("hi_95", "95% high [items]", "num1", 12)]
    if "aht_seconds" in fc:
        cols.append(Col("aht_seconds", "AHT after levers [s]", "num1", 12))
    _long_sheet(wb, layout, "Forecast", "Forecast volume per interval (UTC) with prediction intervals",
                "Items reaching human review, after scenario levers.", fc, cols)


def _hiring(wb, result, layout):
    cap = getattr(result, "capacity", None)
    weekly = getattr(cap, "weekly", None)
    if weekly is None:
        return
    by_team = "team" in weekly and (weekly["team"].astype(str) != "").any()  # a site planned by team
    team = [Col("team", "Team", "text", 10)] if by_team else []
    ws = _long_sheet(wb, layout, "Hiring plan", "Hiring plan: weekly FTE demand, supply and hires",
                     "FTE = full-time equivalents; supply is productivity-weighted (trainees 0, nesting partial).",
                     weekly, [Col("week_start", "Week start", "date", 12), Col("vendor", "Vendor", "text", 18),
                              Col("site", "Site", "text", 10), *team, Col("demand_fte", "Demand [FTE]", "num1", 12),
                              Col("supply_fte", "Supply [FTE]", "num1", 12), Col("hires", "Hires [people]", "int", 10),
                              Col("short_fte", "Short [FTE]", "num1", 10), Col("headcount", "Headcount", "num1", 11),
                              Col("salary_cost", "Salary cost", "money", 14),
                              Col("hiring_cost", "Hiring cost", "money", 14)])
    classes = getattr(cap, "classes", None)
    if classes is not None and len(classes):
        col0 = 12 + len(team)  # one empty column after the weekly block
        put(ws.cell(row=2, column=col0), "Training classes").font = NOTE_FONT
        layout.block(ws, 3, classes, [
            Col("site", "Site", "text", 10), *team, Col("vendor", "Vendor", "text", 16),
            Col("requisition_week", "Requisition week", "date", 13), Col("class_start", "Class start", "date", 12),
            Col("productive_from", "Productive from", "date", 13),
            Col("fully_productive_from", "Fully productive from", "date", 13),
            Col("size", "Size [people]", "int", 10)], "classes", col0=col0)


def _assumptions(wb, result, layout, vendor: str | None):
    ws = wb.create_sheet("Assumptions")
    row = layout.title(ws, 1, "Assumptions: every input setting, option and lever", "As used for this plan.")
    if vendor is None:
        row = layout.block(ws, row + 1, frames.settings_rows(result), [
            Col("section", "Section", "text", 14), Col("item", "Item", "text", 30),
            Col("value", "Value", "general", 40), Col("note", "Note", "text", 50)], "settings")
        row = layout.heading(ws, row, "Queues")
        queues = frames.queue_rows(result)
        row = layout.block(ws, row, queues, [Col(c, c, "general", 14) for c in queues.columns], "queues")
    row = layout.heading(ws, row, "Sites")
    sites = frames.site_rows(result, vendor)
    layout.block(ws, row, sites, [Col(c, c, "general", 13) for c in sites.columns], "sites")
    finish_sheet(ws, "A3")


def _about(wb, layout, names: list[str]):
    ws = wb.create_sheet("About")
    row = layout.title(ws, 1, "About this workbook", "What each sheet means. Agents are productive agents "
                       "(after shrinkage) unless a header says headcount.")
    teams = any(n.endswith(" teams") for n in names)
    rows = [{"sheet": s, "meaning": m} for s, m in ABOUT
            if s in names or s == "<vendor>" or (s == "<site> teams" and teams)]
    layout.block(ws, row + 1, pd.DataFrame(rows), [Col("sheet", "Sheet", "text", 18),
                                                    Col("meaning", "What it shows", "text", 110)], "about")
    for r in range(row + 2, row + 2 + len(rows)):
        ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top")
    finish_sheet(ws, "A3")


RESERVED_TITLES = ("summary", "coverage", "coverage detail", "requirements", "forecast", "hiring plan",
                   "assumptions", "about", "workload")


def vendor_sheet_titles(result, vendor: str | None = None) -> dict[str, str]:
    """``{vendor: worksheet title}`` as ``build_workbook`` names the vendor sheets."""
    taken = set(RESERVED_TITLES)
    return {v: safe_sheet_title(v, taken) for v in ([vendor] if vendor else frames.vendors(result))}


def build_workbook(result, *, scenario: str = "Base plan", vendor: str | None = None) -> Workbook:
    """The plan workbook for ``result``; with ``vendor``, that vendor's own workbook."""
    if vendor is not None and vendor not in frames.vendors(result):
        raise ValueError(f"no vendor '{vendor}' in this plan; vendors: {', '.join(frames.vendors(result))}")
    wb = Workbook()
    wb.remove(wb.active)
    layout = Layout(result.operation.settings.currency)
    _summary(wb, result, layout, scenario, vendor)
    sites_of = {}  # sheet title -> the sites it shows (page headers)
    for v, title in vendor_sheet_titles(result, vendor).items():
        vendor_sheets.shift_sheet(wb, result, layout, v, title)
        sites_of[title] = frames.vendor_sites(result, v)
    if vendor is None:
        _coverage(wb, result, layout)
        _coverage_detail(wb, result, layout)
        _requirements(wb, result, layout)
        _forecast(wb, result, layout)
        _hiring(wb, result, layout)
    else:
        taken = set(RESERVED_TITLES) | {t.lower() for t in vendor_sheet_titles(result).values()}
        for site, title in vendor_sheets.site_sheet_titles(result, vendor, taken).items():
            vendor_sheets.site_team_sheet(wb, result, layout, site, title)
            sites_of[title] = [site]
        vendor_sheets.workload_sheet(wb, result, layout, vendor)
    _assumptions(wb, result, layout, vendor)
    _about(wb, layout, wb.sheetnames)
    everyone = frames.vendor_sites(result, vendor) if vendor else sorted(result.operation.sites)
    week = f"Plan week {vendor_frames.week_label(result)}"
    for ws in wb:
        shown = sites_of.get(ws.title, everyone)
        where = f"Site {shown[0]}" if len(shown) == 1 else f"Sites {', '.join(shown)}"
        page_headers(ws, vendor or "All vendors", where, week)
    wb.active = 0
    return wb


def workbook_bytes(result, *, scenario: str = "Base plan", vendor: str | None = None) -> bytes:
    buffer = io.BytesIO()
    build_workbook(result, scenario=scenario, vendor=vendor).save(buffer)
    return buffer.getvalue()


def write_workbook(result, path: str | Path, *, scenario: str = "Base plan") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook_bytes(result, scenario=scenario))
    return path


def safe_filename(name: str) -> str:
    """A file name from user text: letters, digits, space, dot, dash, underscore only."""
    text = re.sub(r"[^\w .-]", "_", str(name), flags=re.ASCII).strip(" .") or "vendor"
    return text[:80]


def vendor_files(result, *, scenario: str = "Base plan", only: list[str] | None = None
                 ) -> dict[str, tuple[str, bytes]]:
    """``{vendor: (file name, workbook bytes)}``, one workbook per vendor (only its sites);
    ``only``: those vendors."""
    out: dict[str, tuple[str, bytes]] = {}
    names: set[str] = set()
    for vendor in frames.vendors(result):
        if only is not None and vendor not in only:
            continue
        name, k = safe_filename(vendor), 2
        while f"{name}.xlsx".lower() in names:
            name, k = f"{safe_filename(vendor)}-{k}", k + 1
        names.add(f"{name}.xlsx".lower())
        out[vendor] = (f"{name}.xlsx", workbook_bytes(result, scenario=scenario, vendor=vendor))
    return out


def vendor_files_for(result, principal, *, scenario: str = "Base plan") -> dict[str, tuple[str, bytes]]:
    """``vendor_files`` as ``principal`` may have them (``planning.access``): a vendor
    manager gets only his own vendor's workbook; a role without export raises ``Forbidden``."""
    from planning.access import require, vendor_scope

    require(principal, "export")
    own = vendor_scope(principal)
    return vendor_files(result, scenario=scenario, only=None if own is None else [own])


def vendor_pack_files(result, *, scenario: str = "Base plan") -> dict[str, bytes]:
    """``{file name: workbook bytes}``, one workbook per vendor (only its sites)."""
    return dict(vendor_files(result, scenario=scenario).values())


def zip_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def vendor_pack_bytes(result, *, scenario: str = "Base plan") -> bytes:
    """The vendor pack as one zip: ``<vendor>.xlsx`` per vendor."""
    return zip_files(vendor_pack_files(result, scenario=scenario))


def write_vendor_pack(result, directory: str | Path, *, scenario: str = "Base plan") -> list[Path]:
    """Write one workbook per vendor into ``directory`` plus ``vendor-pack.zip``; returns the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    files = vendor_pack_files(result, scenario=scenario)
    for name, data in files.items():
        (directory / name).write_bytes(data)
        written.append(directory / name)
    with zipfile.ZipFile(directory / "vendor-pack.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    written.append(directory / "vendor-pack.zip")
    return written


def plan_summary(result, *, scenario: str = "Base plan") -> dict:
    """The JSON-safe plan summary (``run --json``): scenario, dates, KPIs, SLA per pair."""
    first, end = frames.plan_dates(result)
    iso = lambda ts: None if ts is None else pd.Timestamp(ts).isoformat()  # noqa: E731
    vendors = frames.cost_by_vendor(result)
    return {
        "scenario": scenario,
        "levers": frames.lever_rows(result)["description"].tolist(),
        "plan_start": iso(first), "plan_end": iso(end),
        **{k: v for k, v in (result.kpis or {}).items()},
        "cost_by_vendor": {r.vendor: round(float(r.cost), 2) for r in vendors.itertuples()},
        "timings": {k: round(float(v), 3) for k, v in (getattr(result, "timings", None) or {}).items()},
    }
