"""The optional teams table and the team columns of certifications and shifts: loading,
the resolution rules of planning.teams, and validation with locations and fixes."""
from __future__ import annotations

from planning.inputs import load_operation
from planning.teams import team_pairs, unit_operation
from tests.inputs.test_loading import write_tiny

TEAMS = ["site,team,max_headcount,min_headcount,hourly_cost,shrinkage,languages,notes",
         "MNL-B,JA,40,5,11,,ja,Japanese",
         "MNL-B,EN,150,0,,0.3,en,"]
CERTS = ["site,queue,market,team",
         "DUB-A,spam,NA-EN,", "MNL-B,spam,NA-EN,EN", "MNL-B,spam,APAC-JA,JA", "MNL-B,live_video,APAC-JA,"]
SHIFTS = ["site,shift,start,paid_hours,team", "DUB-A,early,07:00,8,", "MNL-B,day,08:00,9,",
          "MNL-B,ja_night,22:00,9,JA"]


def _write(tmp_path, **tables):
    folder = write_tiny(tmp_path / "ops")
    for name, lines in tables.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _errors(report):
    return [p for p in report.problems if p.severity == "error"]


def test_teams_load_and_resolve(tmp_path):
    op, report = load_operation(_write(tmp_path, teams=TEAMS, certifications=CERTS, shifts=SHIFTS))
    assert report.valid, report.to_frame()
    assert [(t.site, t.team, t.max_headcount, t.hourly_cost, t.shrinkage) for t in op.teams] == [
        ("MNL-B", "JA", 40, 11.0, None), ("MNL-B", "EN", 150, None, 0.3)]
    pairs = team_pairs(op)
    # a row without a team certifies every team of its site; DUB-A is its own one team
    assert sorted(pairs["MNL-B/JA"]) == [("live_video", "APAC-JA"), ("spam", "APAC-JA")]
    assert sorted(pairs["MNL-B/EN"]) == [("live_video", "APAC-JA"), ("spam", "NA-EN")]
    assert pairs["DUB-A"] == [("spam", "NA-EN")]
    units, _ = unit_operation(op)
    assert set(units.sites) == {"DUB-A", "MNL-B/JA", "MNL-B/EN"}
    ja, en = units.sites["MNL-B/JA"], units.sites["MNL-B/EN"]
    assert (ja.max_headcount, ja.min_headcount, ja.hourly_cost, ja.shrinkage) == (40, 5, 11.0, 0.35)
    assert (en.hourly_cost, en.shrinkage, en.timezone) == (9.5, 0.3, "Asia/Manila")
    # the site-wide shift goes to both teams, the JA night shift only to JA
    assert sorted((s.site, s.shift) for s in units.shifts if s.site.startswith("MNL")) == [
        ("MNL-B/EN", "day"), ("MNL-B/JA", "day"), ("MNL-B/JA", "ja_night")]


def test_without_teams_table_nothing_changes(tmp_path):
    op, report = load_operation(write_tiny(tmp_path / "ops"))
    assert report.valid and op.teams == []
    assert all(c.team is None for c in op.certifications)
    assert unit_operation(op)[0] is op


def test_unknown_team_is_located_with_a_fix(tmp_path):
    certs = CERTS + ["MNL-B,spam,APAC-JA,JP", "DUB-A,spam,APAC-JA,DE"]
    op, report = load_operation(_write(tmp_path, teams=TEAMS, certifications=certs, shifts=SHIFTS))
    assert op is None
    errors = {(p.file, p.row, p.column): p.message for p in _errors(report)}
    jp = errors[("certifications.csv", 6, "team")]
    assert "'JP' is not a team of site MNL-B" in jp and "JA, EN" in jp
    assert "DUB-A has no teams in the teams table" in errors[("certifications.csv", 7, "team")]


def test_team_totals_against_the_site(tmp_path):
    teams = TEAMS[:1] + ["MNL-B,JA,40,150,11,,ja,", "MNL-B,EN,150,100,,0.3,en,"]
    op, report = load_operation(_write(tmp_path, teams=teams, certifications=CERTS, shifts=SHIFTS))
    assert op is None
    messages = [p.message for p in _errors(report)]
    assert any("min_headcount 150 is above max_headcount 40" in m for m in messages)
    teams = TEAMS[:1] + ["MNL-B,JA,40,30,11,,ja,", "MNL-B,EN,190,180,,0.3,en,"]
    op, report = load_operation(_write(tmp_path, teams=teams, certifications=CERTS, shifts=SHIFTS))
    assert op is None
    assert any("add up to 210, above the site's max_headcount 200" in p.message for p in _errors(report))


def test_team_without_work_or_shifts_is_warned(tmp_path):
    teams = TEAMS + ["MNL-B,SEV,20,0,,,en,severe content"]
    certs = ["site,queue,market,team", "DUB-A,spam,NA-EN,", "MNL-B,spam,NA-EN,EN", "MNL-B,spam,APAC-JA,JA"]
    shifts = ["site,shift,start,paid_hours,team", "DUB-A,early,07:00,8,", "MNL-B,day,08:00,9,EN",
              "MNL-B,night,22:00,9,JA"]
    op, report = load_operation(_write(tmp_path, teams=teams, certifications=certs, shifts=shifts))
    assert op is not None
    warnings = [p.message for p in report.problems if p.severity == "warning"]
    assert any("team SEV of site MNL-B has no certifications" in w for w in warnings)
    assert any("team SEV of site MNL-B has no shifts" in w for w in warnings)


def test_teams_of_unknown_site_and_duplicates(tmp_path):
    teams = TEAMS + ["MNL-X,JA,10,,,,,", "MNL-B,JA,10,,,,,"]
    op, report = load_operation(_write(tmp_path, teams=teams, certifications=CERTS, shifts=SHIFTS))
    assert op is None
    located = {(p.row, p.column) for p in _errors(report) if p.file == "teams.csv"}
    assert (4, "site") in located and (5, "team") in located


# --- the hiring table per site or per team ----------------------------------------------

HIRING = "site,team,current_headcount,monthly_attrition,recruiting_lead_weeks,training_weeks,nesting_weeks," \
         "nesting_productivity,class_min,class_max,max_hires_per_week,hire_cost,training_cost_per_week"


def _hiring(*rows: str) -> list[str]:
    """hiring.csv lines: each row is 'site,team,headcount'; the other parameters are fixed."""
    return [HIRING] + [f"{r},0.04,4,3,4,0.6,8,25,40,1200,300" for r in rows]


def _load_hiring(tmp_path, *rows: str):
    return load_operation(_write(tmp_path, teams=TEAMS, certifications=CERTS, shifts=SHIFTS, hiring=_hiring(*rows)))


def test_hiring_by_team_loads(tmp_path):
    op, report = _load_hiring(tmp_path, "DUB-A,,80", "MNL-B,JA,30", "MNL-B,EN,120")
    assert report.valid, report.to_frame()
    teams = op.hiring["team"].where(op.hiring["team"].notna(), "")  # blank = the whole site
    assert list(zip(op.hiring["site"], teams, op.hiring["current_headcount"])) == [
        ("DUB-A", "", 80), ("MNL-B", "JA", 30), ("MNL-B", "EN", 120)]


def test_hiring_unknown_team_is_located_with_a_fix(tmp_path):
    op, report = _load_hiring(tmp_path, "MNL-B,JP,30", "MNL-B,EN,120", "DUB-A,DE,80")
    assert op is None
    errors = {(p.file, p.row, p.column): p.message for p in _errors(report)}
    assert "'JP' is not a team of site MNL-B" in errors[("hiring.csv", 2, "team")]
    assert "its teams: JA, EN" in errors[("hiring.csv", 2, "team")]
    assert "DUB-A has no teams in the teams table" in errors[("hiring.csv", 4, "team")]
    assert len(errors) == 2


def test_hiring_site_row_beside_team_rows_is_an_error(tmp_path):
    op, report = _load_hiring(tmp_path, "MNL-B,JA,30", "MNL-B,,150", "MNL-B,EN,120")
    assert op is None
    [problem] = _errors(report)
    assert (problem.file, problem.row, problem.column) == ("hiring.csv", 3, "team")
    assert "site MNL-B has a site-level hiring row" in problem.message
    assert "rows 2, 4: JA, EN" in problem.message and "give this row a team, or delete it" in problem.message


def test_hiring_duplicates_are_reported_once(tmp_path):
    op, report = _load_hiring(tmp_path, "MNL-B,JA,30", "MNL-B,EN,120", "MNL-B,JA,31", "MNL-B,JA,32")
    assert op is None
    [problem] = _errors(report)
    assert (problem.row, problem.column) == (4, "team")
    assert "site MNL-B team JA has 3 hiring rows (rows 2, 4, 5); keep one row per team" in problem.message
    lines = ["site,current_headcount,monthly_attrition,recruiting_lead_weeks,training_weeks,nesting_weeks,"
             "nesting_productivity,class_min,class_max,max_hires_per_week,hire_cost,training_cost_per_week"]
    lines += ["DUB-A,80,0.04,4,3,4,0.6,8,25,40,1200,300"] * 3  # no team column: by site, as before
    op, report = load_operation(_write(tmp_path, hiring=lines))
    [problem] = _errors(report)
    assert (problem.file, problem.row, problem.column) == ("hiring.csv", 3, "site")
    assert "site DUB-A has 3 hiring rows (rows 2, 3, 4); keep one row per site" in problem.message


def test_hiring_team_without_a_row_is_warned(tmp_path):
    op, report = _load_hiring(tmp_path, "MNL-B,EN,120")
    assert op is not None
    [warning] = [p for p in report.problems if "hired by team" in p.message]
    assert (warning.file, warning.row, warning.column, warning.severity) == ("hiring.csv", 2, "team", "warning")
    assert "team(s) JA have no hiring row" in warning.message
