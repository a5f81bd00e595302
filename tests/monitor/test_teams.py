"""Staffing by team in the monitor (#19): team rows in the actuals, planned agents per team,
the team KPI level, team staffing alerts, their validation and the vendor-manager filter.

A tiny operation: site S1 (vendor V1) with teams A and B, site S2 (V2) with teams C and D,
site S3 (V2) without teams; one queue x market, 30-minute intervals, one day.  The plan
gives A 4 and B 2 agents per interval (C and D the same); staffing is set by hand, so the
expected alerts and KPIs are computed below from the numbers alone.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.access import Principal, Role, restrict_frame, restrict_operation, scope_for
from planning.inputs import load_operation
from planning.monitor import load_actuals, monitor_plan, run_monitor

TS = pd.date_range("2026-01-12", periods=48, freq="30min", tz="UTC")
SHORT = slice(20, 28)  # four hours, 10:00-14:00 UTC
PLAN = {("S1", "A"): 4.0, ("S1", "B"): 2.0, ("S2", "C"): 4.0, ("S2", "D"): 2.0}
HEADER = ("timestamp,queue,market,site,team,total_incoming,manual_incoming,total_solved,manual_solved,"
          "aht_seconds,backlog_items,within_sla_share,staffed_agents\n")


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "queues.csv").write_text("queue,sla_kind,sla_target,sla_within_hours,aht_seconds\nq,deferred,0.9,24,60\n")
    (path / "markets.csv").write_text("market,timezone,holiday_country\nM,UTC,US\n")
    (path / "sites.csv").write_text(
        "site,vendor,timezone,max_headcount,hourly_cost,night_premium,shrinkage\n"
        "S1,V1,UTC,100,10,0,0.2\nS2,V2,UTC,100,10,0,0.2\nS3,V2,UTC,100,10,0,0.2\n")
    (path / "teams.csv").write_text(
        "site,team,max_headcount,hourly_cost,shrinkage\nS1,A,50,,\nS1,B,50,12,0.4\nS2,C,50,,\nS2,D,50,,\n")
    (path / "certifications.csv").write_text("site,queue,market\nS1,q,M\nS2,q,M\nS3,q,M\n")
    (path / "shifts.csv").write_text("site,shift,start,paid_hours\nS1,day,08:00,8\nS2,day,08:00,8\nS3,day,08:00,8\n")
    (path / "settings.csv").write_text("key,value\ninterval_minutes,30\n")
    days = pd.date_range("2026-01-05", periods=7 * 48, freq="30min", tz="UTC")
    (path / "volume.csv").write_text("timestamp,queue,market,volume\n"
                                     + "".join(f"{t:%Y-%m-%dT%H:%M:%SZ},q,M,100\n" for t in days))
    return path


@pytest.fixture(scope="module")
def op(tmp_path_factory):
    op, report = load_operation(_folder(tmp_path_factory.mktemp("teams")))
    assert op is not None, report.lines()
    return op


def _forecast() -> pd.DataFrame:
    v = np.full(len(TS), 100.0)
    return pd.DataFrame({"timestamp": TS, "queue": "q", "market": "M", "model": "test", "forecast": v,
                         "lo_80": v * 0.9, "hi_80": v * 1.1, "lo_95": v * 0.8, "hi_95": v * 1.2})


def _allocation() -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"timestamp": TS, "site": s, "team": t, "queue": "q", "market": "M",
                                    "agents": a}) for (s, t), a in PLAN.items()], ignore_index=True)


def _csv(rows: dict[tuple[str, str], np.ndarray], team_column: bool = True) -> str:
    """Actuals text: the pair rows (100 in, 100 solved, on forecast) and one row per
    interval for each (site, team) of ``rows`` with that many staffed agents."""
    lines = []
    pair_staffed = sum(rows.values())
    for i, t in enumerate(TS):
        stamp = f"{t:%Y-%m-%dT%H:%M:%SZ}"
        team = "," if team_column else ""
        lines.append(f"{stamp},q,M,{team},100,100,100,100,60,0,0.95,{pair_staffed[i]:g}")
        for (site, name), staffed in rows.items():
            team = f",{name}" if team_column else ""
            lines.append(f"{stamp},q,M,{site}{team},,,50,50,60,,,{staffed[i]:g}")
    header = HEADER if team_column else HEADER.replace("site,team,", "site,")
    return header + "\n".join(lines) + "\n"


def _short_b() -> dict[tuple[str, str], np.ndarray]:
    b = np.full(len(TS), 2.0)
    b[SHORT] = 1.4  # team B at 70% of its plan for four hours
    return {("S1", "A"): np.full(len(TS), 4.0), ("S1", "B"): b}


def _load(op, tmp_path, text):
    path = tmp_path / "actuals.csv"
    path.write_text(text)
    return load_actuals(path, op)


@pytest.mark.parametrize("with_plan", [True, False], ids=["plan", "usual share"])
def test_one_understaffed_team_gives_exactly_one_team_alert(op, tmp_path, with_plan):
    actuals, report = _load(op, tmp_path, _csv(_short_b()))
    assert actuals is not None, report.lines()
    result = run_monitor(op, actuals, _forecast(), _allocation() if with_plan else None)
    # The site as a whole is only 10% short (5.4 of 6 agents), under the 25% threshold: the
    # alert exists only because B is judged on its own.
    assert len(result.alerts) == 1, result.alerts[["kind", "site", "team", "message"]].to_string()
    a = result.alerts.iloc[0]
    assert (a.kind, a.site, a.team, a.vendor) == ("staffing", "S1", "B", "V1")
    assert_allclose(a["size"], 1.4 / 2.0 - 1)  # every interval of the run is one of the short ones
    assert TS[SHORT.start] <= a.start and a.end <= TS[SHORT.stop]
    intervals = (a.end - a.start) / pd.Timedelta(minutes=30)
    assert intervals >= 4
    assert_allclose(a.amount, (2.0 - 1.4) * 0.5 * intervals)  # agent hours short
    assert a.message.startswith("S1 B team (V1): staffed -30% vs " + ("plan" if with_plan else "usual"))


def test_team_kpis_use_the_team_plan_and_cost(op, tmp_path):
    actuals, _ = _load(op, tmp_path, _csv(_short_b()))
    k = run_monitor(op, actuals, _forecast(), _allocation()).kpis
    day = k[k["period"] == "day"].set_index(["level", "key"])
    assert set(day.loc["team"].index) == {"S1/A", "S1/B"}
    b = day.loc[("team", "S1/B")]
    staffed = (2.0 * 40 + 1.4 * 8) * 0.5
    assert_allclose([b.planned_agent_hours, b.staffed_agent_hours], [2.0 * 48 * 0.5, staffed])
    assert_allclose(b.staffed_vs_planned, staffed / 48.0 - 1)
    assert_allclose(b.cost, staffed / (1 - 0.4) * 12)  # the team's own shrinkage and hourly cost
    a = day.loc[("team", "S1/A")]
    assert_allclose(a.cost, 4.0 * 48 * 0.5 / (1 - 0.2) * 10)  # blank = the site's
    site = day.loc[("site", "S1")]
    assert_allclose(site.planned_agent_hours, 6.0 * 48 * 0.5)
    assert_allclose(site.cost, a.cost + b.cost)


def test_whole_site_rows_still_give_site_alerts(op, tmp_path):
    s1 = np.full(len(TS), 6.0)
    s1[SHORT] = 3.0  # the whole site at half its plan (A 4 + B 2) for four hours
    text = _csv({("S1", ""): s1}, team_column=False)  # a file from before teams: no team column
    actuals, report = _load(op, tmp_path, text)
    assert actuals is not None, report.lines()
    result = run_monitor(op, actuals, _forecast(), _allocation())
    staffing = result.alerts[result.alerts["kind"] == "staffing"]
    assert len(staffing) == 1
    a = staffing.iloc[0]
    assert (a.site, a.team) == ("S1", "*") and a.message.startswith("S1 (V1): staffed -50% vs plan")
    assert_allclose(a["size"], -0.5)
    assert "team" not in set(result.kpis["level"])  # no team rows, no team level


def _errors(report) -> list:
    return [p for p in report.errors if p.column == "team"]


def test_unknown_team_is_reported_with_the_site_teams(op, tmp_path):
    text = _csv({("S1", "A"): np.full(len(TS), 4.0), ("S1", "BB"): np.full(len(TS), 2.0),
                 ("S3", "X"): np.full(len(TS), 1.0)})
    actuals, report = _load(op, tmp_path, text)
    assert actuals is None
    errors = _errors(report)
    assert len(errors) == 2, report.lines()
    bad = next(p for p in errors if "'BB'" in p.message)
    assert "not a team of site S1" in bad.message and "did you mean 'B'" in bad.message
    assert "its teams: A, B" in bad.message and "48 rows" in bad.message
    assert bad.file == "actuals.csv" and bad.row == 4  # header, pair row, A row, then the first BB row
    no_teams = next(p for p in errors if "'X'" in p.message)
    assert "site S3 has no teams" in no_teams.message and "leave team blank" in no_teams.message


def test_a_site_without_teams_may_name_its_implicit_team(op, tmp_path):
    actuals, report = _load(op, tmp_path, _csv({("S3", "S3"): np.full(len(TS), 3.0)}))
    assert actuals is not None, report.lines()
    assert set(actuals.loc[actuals["site"] == "S3", "team"]) == {""}  # means the whole site


def test_team_rows_and_whole_site_rows_for_one_interval_are_refused(op, tmp_path):
    text = _csv(_short_b())
    stamp = f"{TS[5]:%Y-%m-%dT%H:%M:%SZ}"
    text += f"{stamp},q,M,S1,,,,50,50,60,,,6\n"  # the whole site too, for the same interval x pair
    actuals, report = _load(op, tmp_path, text)
    assert actuals is None
    [mixed] = _errors(report)
    assert mixed.row == len(text.splitlines())  # the whole-site row, the last line
    assert "both for the whole site" in mixed.message and f"row {1 + 5 * 3 + 2}" in mixed.message
    assert "keep either the team rows or the one whole-site row" in mixed.message


def test_team_on_a_pair_row_is_refused(op, tmp_path):
    text = _csv(_short_b()).replace("\n2026-01-12T00:00:00Z,q,M,,,100", "\n2026-01-12T00:00:00Z,q,M,,A,100", 1)
    actuals, report = _load(op, tmp_path, text)
    assert actuals is None
    [error] = _errors(report)
    assert error.row == 2 and "queue x market row (site blank)" in error.message


def test_a_duplicate_team_row_is_refused(op, tmp_path):
    lines = _csv(_short_b()).splitlines()
    actuals, report = _load(op, tmp_path, "\n".join(lines + [lines[2]]) + "\n")
    assert actuals is None and any("appears again (first on row 3)" in p.message for p in report.errors)


def test_a_vendor_manager_sees_only_his_vendors_team_alerts(op, tmp_path):
    rows = _short_b()
    d = np.full(len(TS), 2.0)
    d[SHORT] = 1.0  # S2's team D (vendor V2) at half its plan
    rows |= {("S2", "C"): np.full(len(TS), 4.0), ("S2", "D"): d}
    actuals, report = _load(op, tmp_path, _csv(rows))
    assert actuals is not None, report.lines()
    everyone = monitor_plan(op, actuals, _forecast(), _allocation()).alerts
    assert sorted(zip(everyone["site"], everyone["team"])) == [("S1", "B"), ("S2", "D")]
    for vendor, want in (("V1", [("S1", "B", -0.3)]), ("V2", [("S2", "D", -0.5)])):
        who = Principal("vm@example.com", Role.vendor_manager, vendor)
        seen = restrict_operation(op, who)
        alerts = monitor_plan(seen, actuals, _forecast(), restrict_frame(_allocation(), scope_for(op, who))).alerts
        assert [(a.site, a.team) for a in alerts.itertuples()] == [(s, t) for s, t, _ in want]
        assert_allclose(alerts["size"], [size for *_, size in want])
        assert set(alerts["vendor"]) == {vendor}
