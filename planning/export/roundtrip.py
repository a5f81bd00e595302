"""Round trip: read a vendor's returned shift sheet and re-plan with its headcounts.

A vendor gets its sheet (``planning.export.workbook``), edits the ``Headcount`` column and sends
the workbook back.  ``import_vendor_sheet`` reads every site block of that vendor's sheet,
lists each problem with its sheet and row, and - when there are none - fixes the plan's
headcounts to the returned ones (rows the vendor deleted count as 0), re-solves the
allocation of agents to queues (an LP: with every headcount fixed, the shift planner's
model has only continuous variables left), and runs the same independent checker
(``planning.shiftplan.check.check_plan``) on the result.  Headcount-only limits (site caps,
contract minimums) are dropped from that LP so any returned roster gets a coverage
answer; the checker reports what it breaks.

Rows are keyed by site x team x shift x local date (``KEY``): two teams of a site working
the same shift on the same day are two rows.  A blank or missing Team is the site itself
(a site without teams), so sheets sent before teams still round-trip; problems name the
team.  Only ``Headcount`` is read; other edited cells raise a warning.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from ortools.linear_solver import linear_solver_pb2, pywraplp

from planning.shiftplan import Violation, check_plan
from planning.teams import team_index, unit_column, with_team_column

KEY = ["site", "team", "shift", "date_local"]  # team: the site's name for a site without teams


class RoundTripError(ValueError):
    """The returned file cannot be read as a vendor sheet (message says why)."""


@dataclass
class RoundTrip:
    vendor: str
    problems: list[str]
    warnings: list[str] = field(default_factory=list)
    changes: pd.DataFrame | None = None  # site, team, shift, date_local, planned, returned, delta
    plan: object = None  # planning.shiftplan.planner.PlanResult with the returned headcounts
    pairs: pd.DataFrame | None = None  # per queue x market: before vs after
    violations: list[Violation] = field(default_factory=list)
    cost_before: float = math.nan
    cost_after: float = math.nan

    @property
    def ok(self) -> bool:
        return not self.problems and self.plan is not None


def _as_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError):
        return None


def _whole(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number) or number < 0 or abs(number - round(number)) > 1e-9:
        return None
    return int(round(number))


def _local_start(template, day: dt.date, tz: str) -> dt.time:
    """When the shift really starts on ``day`` (after a spring-forward gap if it falls in one)."""
    from planning.inputs import shift_utc_span

    start, _ = shift_utc_span(day, template.start, template.paid_hours, tz)
    return start.tz_convert(tz).time().replace(second=0, microsecond=0)


ROUNDTRIP_MAX_UNCOMPRESSED_MB = 50.0  # a returned vendor sheet's parts in total; real ones are < 5 MB
SHEET_COLUMNS = ("Site", "Shift", "Local date", "Local start", "Headcount")  # and "Team" (optional: old sheets)


def roundtrip_limits(max_upload_mb: float):
    """The caps on a returned workbook: the upload setting, and its parts inflated in total."""
    from planning.inputs import Limits

    return Limits.for_upload(max_upload_mb, max_uncompressed_mb=ROUNDTRIP_MAX_UNCOMPRESSED_MB)


def _workbook_bytes(source, limits) -> bytes:
    """The returned workbook's bytes, refused (``RoundTripError``) unless it passes the same
    checks as every upload: size, content, and its parts' inflated size and ratios."""
    from planning.inputs import ValidationReport, check_workbook_bytes

    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if path.stat().st_size > limits.max_file_mb * 1024 * 1024:
            raise RoundTripError(f"the file is larger than {limits.max_file_mb:g} MB (the upload limit)")
        data = path.read_bytes()
    else:
        data = source.read(int(limits.max_file_mb * 1024 * 1024) + 1)
    report = ValidationReport()
    if not check_workbook_bytes(data, "the returned file", limits, report):
        raise RoundTripError("; ".join(p.message for p in report.errors))
    return data


def read_vendor_sheet(source, result, vendor: str | None = None, limits=None
                      ) -> tuple[str, pd.DataFrame, list[str], list[str]]:
    """(vendor, returned rows ``site, shift, date_local, headcount, row``, problems, warnings).

    ``source``: a path, bytes or a binary file object holding the returned workbook (the
    full plan workbook or the vendor's own).  ``vendor``: which vendor's sheet to read;
    default the only vendor sheet in the file.  ``limits``: default
    ``roundtrip_limits(settings.max_upload_mb)``.  The sheet is streamed (read-only).
    """
    from planning.inputs import excerpt

    limits = limits or roundtrip_limits(result.operation.settings.max_upload_mb)
    data = _workbook_bytes(source, limits)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a non-workbook
        raise RoundTripError(f"not an .xlsx workbook ({type(exc).__name__}: {excerpt(str(exc))})") from None
    try:
        return _read_sheet(book, result, vendor, excerpt)
    except RoundTripError:
        raise
    except Exception as exc:  # malformed sheet XML surfaces while iterating
        raise RoundTripError(f"the sheet cannot be read ({type(exc).__name__}: {excerpt(str(exc))}); save the "
                             "workbook again from Excel") from None
    finally:
        book.close()


def _read_sheet(book, result, vendor, excerpt):
    from planning.export.workbook import vendor_sheet_titles

    titles = vendor_sheet_titles(result)
    present = {v: t for v, t in titles.items() if t in book.sheetnames}
    if vendor is None:
        if len(present) != 1:
            found = ", ".join(present) or "none"
            raise RoundTripError(f"say which vendor's sheet to read (vendor sheets in the file: {found})")
        vendor = next(iter(present))
    if vendor not in present:
        raise RoundTripError(f"the file has no sheet for vendor '{excerpt(vendor)}' (expected a sheet named "
                             f"'{excerpt(titles.get(vendor, vendor))}')")
    ws = book[present[vendor]]
    sites = {s for s, site in result.operation.sites.items() if site.vendor == vendor}
    index = team_index(result.operation)
    templates: dict[tuple[str, str], list] = {}
    for t in result.operation.shifts:
        templates.setdefault((t.site, t.shift), []).append(t)
    rows, problems, warnings = [], [], []
    col = None  # column positions of the current site block, None outside a block
    for r, cells in enumerate(ws.iter_rows(values_only=True), start=1):
        values = list(cells)
        if col is None:
            if values and values[0] == "Site" and any(str(h or "").startswith("Headcount") for h in values):
                col = {str(h).split(" (")[0].split(" [")[0]: j for j, h in enumerate(values) if h}
                missing = [c for c in SHEET_COLUMNS if c not in col]
                if missing:
                    problems.append(f"{ws.title}!row {r}: the block has no {', '.join(missing)} column; "
                                    "send the sheet back with its columns as they were")
                    col = None
            continue
        if not values or values[0] in (None, ""):
            col = None
            continue
        values += [None] * (max(col.values()) + 1 - len(values))
        where = f"{ws.title}!row {r}"
        site, shift = str(values[col["Site"]]), str(values[col["Shift"]])
        raw_team = values[col["Team"]] if "Team" in col else None
        team = site if raw_team in (None, "") else str(raw_team).strip()
        day = _as_date(values[col["Local date"]])
        heads = _whole(values[col["Headcount"]])
        unit = index.unit_of(site, team) if site in sites else None
        who = index.label(unit) if unit else site
        template = None
        if unit is not None:
            template = next((t for t in templates.get((site, shift), []) if t.team in (None, index.team_of(unit))
                             or not index.has_teams(site)), None)
        if site not in sites:
            problems.append(f"{where}: site '{excerpt(site)}' is not one of {vendor}'s sites")
        elif unit is None and raw_team in (None, ""):
            teams = ", ".join(index.team_of(u) for u in index.by_site[site])
            problems.append(f"{where}: site {site} has teams ({teams}); fill in the Team column")
        elif unit is None:
            teams = ", ".join(index.team_of(u) for u in index.by_site[site])
            problems.append(f"{where}: site {site} has no team '{excerpt(team)}' (its teams: {teams})")
        elif template is None:
            problems.append(f"{where}: {who} has no shift '{excerpt(shift)}'")
        elif day is None:
            problems.append(f"{where}: {who}: local date '{excerpt(values[col['Local date']])}' is not a date")
        elif heads is None:
            problems.append(f"{where}: {who}: headcount '{excerpt(values[col['Headcount']])}' is not a whole "
                            "number of agents (0 or more)")
        else:
            start = values[col["Local start"]]
            expected = _local_start(template, day, result.operation.sites[site].timezone)
            if isinstance(start, dt.time) and start.replace(second=0, microsecond=0) != expected:
                warnings.append(f"{where}: {who}: local start {start:%H:%M} differs from the shift's "
                                f"{expected:%H:%M}; only Headcount is read")
            rows.append({"site": site, "team": index.team_of(unit), "shift": shift, "date_local": day,
                         "headcount": heads, "row": r})
        if len(problems) > 200:
            problems.append("... too many problems; stopped reading the sheet")
            break
    frame = pd.DataFrame(rows, columns=[*KEY, "headcount", "row"])
    dup = frame[frame.duplicated(KEY, keep=False)]
    for key, g in dup.groupby(KEY):
        who = index.label(index.unit_of(key[0], key[1]) or key[0])
        problems.append(f"{ws.title}: rows {', '.join(map(str, g['row']))} repeat {who} {key[2]} {key[3]}")
    return vendor, frame, problems, warnings


def replan_with_headcounts(op, requirements: pd.DataFrame, shifts: pd.DataFrame, time_limit: float = 60.0):
    """The shift planner's answer with every ``headcount[site, shift, date]`` fixed to
    ``shifts`` (missing = 0): the best allocation and its coverage, as a PlanResult.
    Raises ``RoundTripError`` for a shift that is not in the planning horizon."""
    from planning.shiftplan.planner import PlanOptions, _resolve, extract_result
    from planning.shiftplan import build_model

    t0 = time.perf_counter()
    opts = _resolve(op, PlanOptions(time_limit_seconds=time_limit))
    model = build_model(pywraplp.Solver.CreateSolver("SCIP"), op, requirements)
    units = unit_column(shifts, team_index(op))  # a team's rows go to its planning unit
    wanted: dict = {}
    for unit, r in zip(units, shifts.itertuples(index=False)):
        key = (unit, r.shift, _as_date(r.date_local))
        wanted[key] = wanted.get(key, 0) + int(r.headcount)
    known = {(x.site, x.shift, x.date_local) for x in model.instances}
    outside = [k for k, h in wanted.items() if h > 0 and k not in known]
    if outside:
        unit, shift, day = outside[0]
        raise RoundTripError(f"{team_index(op).label(unit)} {shift} on {day} is outside the planning horizon")
    proto = linear_solver_pb2.MPModelProto()
    model.solver.ExportModelToProto(proto)
    fixed = set()
    for d, var in zip(model.decisions, model.decision_vars):
        x = model.instances[d.instances[0]]
        heads = float(wanted.get((x.site, x.shift, x.date_local), 0))
        proto.variable[var.index()].lower_bound = proto.variable[var.index()].upper_bound = heads
        fixed.add(var.index())
    for var in proto.variable:
        var.is_integer = False
    for row in proto.constraint:  # rows on headcounts only: caps and minimums, left to the checker
        if row.var_index and all(i in fixed for i in row.var_index):
            row.lower_bound, row.upper_bound = -math.inf, math.inf
    lp = pywraplp.Solver.CreateSolver("HIGHS_LP") or pywraplp.Solver.CreateSolver("GLOP")
    error = lp.LoadModelFromProto(proto)
    if error:
        raise RuntimeError(f"could not load the fixed-headcount LP: {error}")
    lp.SuppressOutput()
    lp.SetSolverSpecificParametersAsString("output_flag = false\n")  # HiGHS banner would break --json
    lp.SetTimeLimit(max(1, int(time_limit * 1000)))
    code = lp.Solve()
    if code != pywraplp.Solver.OPTIMAL:
        return extract_result(model, op, requirements, "not_solved", time.perf_counter() - t0, math.nan,
                              math.nan, math.nan, opts, {"method": "fixed-headcount LP"})
    model.values = np.array([v.solution_value() for v in lp.variables()])
    objective = lp.Objective().Value()
    return extract_result(model, op, requirements, "optimal", time.perf_counter() - t0, objective, objective,
                          math.nan, opts, {"method": "fixed-headcount LP"})


def _pair_summary(before, after, hours: float) -> pd.DataFrame:
    def per_pair(plan, tag):
        cov = plan.coverage
        g = cov.groupby(["queue", "market"])
        out = pd.DataFrame({f"planned_agent_hours_{tag}": g["planned"].sum() * hours,
                            f"shortfall_agent_hours_{tag}": g["shortfall"].sum() * hours})
        if "required" in cov:
            out["required_agent_hours"] = g["required"].sum() * hours
        pred = plan.queues.set_index(["queue", "market"])["predicted"]
        out[f"predicted_{tag}"] = pred
        return out

    merged = per_pair(before, "before").join(per_pair(after, "after").drop(columns=["required_agent_hours"],
                                                                            errors="ignore"))
    cols = ["required_agent_hours", "planned_agent_hours_before", "planned_agent_hours_after",
            "shortfall_agent_hours_before", "shortfall_agent_hours_after", "predicted_before", "predicted_after"]
    return merged.reset_index()[["queue", "market", *cols]]


def import_vendor_sheet(source, result, vendor: str | None = None, time_limit: float = 60.0,
                        limits=None) -> RoundTrip:
    """Read the vendor's returned sheet and, when it reads cleanly, re-plan and check it."""
    from planning.shiftplan import simulate_plan

    vendor, returned, problems, warnings = read_vendor_sheet(source, result, vendor, limits)
    trip = RoundTrip(vendor, problems, warnings, cost_before=float(result.plan.cost))
    if problems:
        return trip
    plan_shifts = with_team_column(result.plan.shifts).copy()
    plan_shifts["date_local"] = [_as_date(d) for d in plan_shifts["date_local"]]
    mine = plan_shifts[plan_shifts["vendor"] == vendor]
    merged = mine[[*KEY, "headcount"]].rename(columns={"headcount": "planned"}).merge(
        returned[[*KEY, "headcount"]].rename(columns={"headcount": "returned"}), on=KEY, how="outer")
    gone = merged[merged["returned"].isna()]
    for r in gone.itertuples(index=False):
        who = r.site if r.team == r.site else f"{r.site} {r.team} team"
        warnings.append(f"{who} {r.shift} {r.date_local}: row missing from the returned sheet; counted as 0")
    merged = merged.fillna({"planned": 0, "returned": 0}).astype({"planned": int, "returned": int})
    merged["delta"] = merged["returned"] - merged["planned"]
    trip.changes = merged[merged["delta"] != 0].sort_values(KEY, ignore_index=True)
    others = plan_shifts[plan_shifts["vendor"] != vendor][[*KEY, "headcount"]]
    edited = pd.concat([others, merged[[*KEY, "returned"]].rename(columns={"returned": "headcount"})],
                       ignore_index=True)
    try:
        plan = replan_with_headcounts(result.operation, result.requirements, edited, time_limit)
    except RoundTripError as exc:
        trip.problems.append(str(exc))
        return trip
    if plan.ok:
        simulate_plan(result.operation, result.requirements, plan)
        trip.violations = check_plan(result.operation, result.requirements, plan)
        hours = result.operation.settings.interval_minutes / 60.0
        if "interval_minutes" in result.requirements and len(result.requirements):
            hours = float(result.requirements["interval_minutes"].iloc[0]) / 60.0
        trip.pairs = _pair_summary(result.plan, plan, hours)
        trip.cost_after = float(plan.cost)
    else:
        trip.problems.append(f"the allocation with the returned headcounts could not be solved ({plan.status})")
    trip.plan = plan
    return trip
