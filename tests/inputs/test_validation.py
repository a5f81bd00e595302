"""One case per kind of bad input: the exact location and a message that says how to fix it.

Every case starts from the tiny valid operation in ``tests.inputs.test_loading`` (volume row r is
interval (r-2)//4 of pair (r-2)%4: spam NA-EN, spam APAC-JA, live_video NA-EN,
live_video APAC-JA) and breaks one thing.
"""
from __future__ import annotations

import gzip
import re
import zipfile
from pathlib import Path

import pytest

from planning.inputs import Limits

from planning.inputs import load_operation
from planning.inputs import MAX_ITEMISED, Problem, ValidationReport
from tests.inputs.test_loading import write_tiny, write_tiny_xlsx


def _lines(folder: Path, table: str) -> list[str]:
    return (folder / f"{table}.csv").read_text(encoding="utf-8").splitlines()


def _write(folder: Path, table: str, lines: list[str]) -> None:
    (folder / f"{table}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_cell(table: str, row: int, column: str, value: str):
    def mutate(folder: Path) -> None:
        lines = _lines(folder, table)
        header = lines[0].split(",")
        cells = lines[row - 1].split(",")
        cells[header.index(column)] = value
        lines[row - 1] = ",".join(cells)
        _write(folder, table, lines)
    return mutate


def edit(table: str, change):
    def mutate(folder: Path) -> None:
        _write(folder, table, change(_lines(folder, table)))
    return mutate


def raw_bytes(table: str, make):
    def mutate(folder: Path) -> None:
        text = (folder / f"{table}.csv").read_text(encoding="utf-8")
        (folder / f"{table}.csv").write_bytes(make(text))
    return mutate


def drop_rows(rows: set[int]):
    return edit("volume", lambda lines: [l for i, l in enumerate(lines, start=1) if i not in rows])


def _latin1_city(text: str) -> bytes:
    return text.replace("Manila,", "São Paulo,").encode("latin-1")


def _remove(name):
    return lambda folder: (folder / name).unlink()


def _rename(old, new):
    return lambda folder: (folder / old).rename(folder / new)


def _truncated_gz(folder: Path) -> None:
    data = gzip.compress((folder / "volume.csv").read_bytes())
    (folder / "volume.csv").unlink()
    (folder / "volume.csv.gz").write_bytes(data[: len(data) // 2])


V, Q, S, SH = "volume.csv", "queues.csv", "sites.csv", "shifts.csv"
CSV_CASES = {
    # columns and files
    "missing column": (edit("volume", lambda l: ["timestamp,queue,market,vol"] + l[1:]),
                       (V, 1, "volume"), ["required column 'volume' is missing", "found 'vol'", "rename it"]),
    "renamed column": (edit("queues", lambda l: [l[0].replace("aht_seconds", "aht_secs")] + l[1:]),
                       (Q, 1, "aht_seconds"), ["required column 'aht_seconds' is missing", "found 'aht_secs'"]),
    "duplicate column": (edit("shifts", lambda l: [l[0] + ",start"] + [x + ",07:00" for x in l[1:]]),
                         (SH, 1, "start"), ["appears twice"]),
    "missing file": (_remove("shifts.csv"), (SH, None, None), ["required file shifts.csv is missing"]),
    "misnamed file": (_rename("volume.csv", "volumes.csv"), (V, None, None),
                      ["missing", "found volumes.csv - rename it to volume.csv"]),
    "empty file": (edit("queues", lambda l: []), (Q, None, None), ["file is empty", "header row"]),
    "header only": (edit("sites", lambda l: l[:1]), (S, 2, None), ["has a header but no rows"]),
    # encodings and layout
    "utf-16": (raw_bytes("markets", lambda t: t.encode("utf-16")), ("markets.csv", None, None),
               ["UTF-16", "CSV UTF-8"]),
    "latin-1": (raw_bytes("sites", _latin1_city), (S, 3, None), ["not UTF-8", "Latin-1", "save it as CSV UTF-8"]),
    "xlsx renamed csv": (lambda f: (f / "markets.csv").write_bytes(b"PK\x03\x04" + b"\x00" * 40),
                         ("markets.csv", None, None), ["Excel workbook or zip", "export"]),
    "extra field": (edit("shifts", lambda l: l[:2] + [l[2] + ",extra"] + l[3:]), (SH, 3, None),
                    ["row has 5 values but the header has 4 columns"]),
    "truncated gzip": (_truncated_gz, ("volume.csv.gz", None, None), ["not a complete gzip file"]),
    # numbers
    "thousands separator": (set_cell("volume", 7, "volume", '"1,234"'), (V, 7, "volume"),
                            ["'1,234' has a thousands separator", "1234"]),
    "N/A": (set_cell("volume", 7, "volume", "N/A"), (V, 7, "volume"), ["'N/A' is not a number"]),
    "NaN volume": (set_cell("volume", 8, "volume", "nan"), (V, 8, "volume"), ["'nan' is not a number"]),
    "infinite volume": (set_cell("volume", 8, "volume", "inf"), (V, 8, "volume"), ["'inf' is infinite"]),
    "blank volume": (set_cell("volume", 9, "volume", ""), (V, 9, "volume"), ["missing value", "volume is required"]),
    "negative volume": (set_cell("volume", 8, "volume", "-5"), (V, 8, "volume"),
                        ["negative volume -5", "cannot be below 0"]),
    "decimal comma": (set_cell("queues", 2, "aht_seconds", '"25,5"'), (Q, 2, "aht_seconds"),
                      ["decimal comma", "25.5"]),
    "non-integer headcount": (set_cell("sites", 2, "max_headcount", "10.5"), (S, 2, "max_headcount"),
                              ["not a whole number"]),
    # timestamps
    "missing offset": (set_cell("volume", 6, "timestamp", "2026-01-05T00:30:00"), (V, 6, "timestamp"),
                       ["has no UTC offset", "add Z"]),
    "broken timestamp": (set_cell("volume", 6, "timestamp", "05/01/2026 00:30"), (V, 6, "timestamp"),
                         ["not an ISO-8601 timestamp"]),
    "impossible date": (set_cell("volume", 6, "timestamp", "2026-02-30T00:30:00Z"), (V, 6, "timestamp"),
                        ["not a real date"]),
    "off the grid": (set_cell("volume", 6, "timestamp", "2026-01-05T00:45:00Z"), (V, 6, "timestamp"),
                     ["not on the 30-minute interval grid"]),
    "duplicate timestamp": (edit("volume", lambda l: l + [l[1]]), (V, 2 + 384, "timestamp"),
                            ["duplicate interval 2026-01-05T00:00Z for spam x NA-EN (first on row 2)"]),
    "gap": (drop_rows({42, 46}), (V, 48, "timestamp"),
            ["gap in spam x NA-EN: no rows from 2026-01-05T05:00Z to 2026-01-05T06:00Z (2 intervals missing",
             "never filled"]),
    "mixed interval lengths": (edit("volume", lambda l: [x for i, x in enumerate(l, start=1)
                                                         if not (i >= 2 and (i - 2) % 4 == 1 and ((i - 2) // 4) % 2)]),
                               (V, 3, "timestamp"),
                               ["spam x APAC-JA has one row every 60 minutes but the interval is 30 minutes"]),
    # references
    "unknown queue": (set_cell("volume", 9, "queue", "spamm"), (V, 9, "queue"),
                      ["queue 'spamm' is not in the queues table", "did you mean 'spam'"]),
    "unknown market": (set_cell("certifications", 3, "market", "NA-ENG"), ("certifications.csv", 3, "market"),
                       ["market 'NA-ENG' is not in the markets table", "'NA-EN'"]),
    "unknown site": (set_cell("shifts", 4, "site", "MNL-C"), (SH, 4, "site"), ["site 'MNL-C' is not in the sites"]),
    "unknown site in hiring": (set_cell("hiring", 2, "site", "DUB-Z"), ("hiring.csv", 2, "site"),
                               ["site 'DUB-Z' is not in the sites table", "did you mean 'DUB-A'"]),
    "unknown market in events": (set_cell("events", 2, "market", "LATAM"), ("events.csv", 2, "market"),
                                 ["market 'LATAM' is not in the markets table"]),
    "duplicate id": (edit("queues", lambda l: l + [l[1]]), (Q, 4, "queue"), ["spam appears again (first on row 2)"]),
    # zones, shifts, shares
    "unknown zone": (set_cell("sites", 2, "timezone", "Europe/Dubln"), (S, 2, "timezone"),
                     ["'Europe/Dubln' is not an IANA time zone", "'Europe/Dublin'"]),
    "zone abbreviation": (set_cell("markets", 3, "timezone", "JST"), ("markets.csv", 3, "timezone"),
                          ["'JST' is not an IANA time zone"]),
    "impossible shift time": (set_cell("shifts", 3, "start", "25:00"), (SH, 3, "start"),
                              ["'25:00' is not a time of day", "HH:MM"]),
    "impossible minutes": (set_cell("shifts", 2, "start", "7:75"), (SH, 2, "start"), ["not a time of day"]),
    "shift too long": (set_cell("shifts", 2, "paid_hours", "30"), (SH, 2, "paid_hours"),
                       ["paid_hours must be at most 16"]),
    "zero-length shift": (set_cell("shifts", 5, "paid_hours", "0"), (SH, 5, "paid_hours"),
                          ["paid_hours must be greater than 0"]),
    "shrinkage above 1": (set_cell("sites", 3, "shrinkage", "1.3"), (S, 3, "shrinkage"), ["1.3 is outside 0-1"]),
    "percent share": (set_cell("queues", 2, "sla_target", "90%"), (Q, 2, "sla_target"),
                      ["'90%' is a percentage", "0.3 for 30%"]),
    "negative attrition": (set_cell("hiring", 2, "monthly_attrition", "-0.1"), ("hiring.csv", 2, "monthly_attrition"),
                           ["outside 0-1"]),
    "bad choice": (set_cell("queues", 3, "sla_kind", "realtime"), (Q, 3, "sla_kind"),
                   ["'realtime' is not one of live, deferred"]),
    "bad bool": (set_cell("queues", 3, "severe", "maybe"), (Q, 3, "severe"), ["not true/false"]),
    # rules on the typed objects (pydantic)
    "live queue without deadline": (set_cell("queues", 3, "sla_within_seconds", ""), (Q, 3, "sla_within_seconds"),
                                    ["a live queue needs sla_within_seconds"]),
    "min above max headcount": (set_cell("sites", 2, "min_headcount", "500"), (S, 2, "min_headcount"),
                                ["min_headcount 500 is above max_headcount 100"]),
    "event ends before start": (set_cell("events", 2, "end", "2026-01-01T00:00:00Z"), ("events.csv", 2, "end"),
                                ["event end must be after its start"]),
    "negative aht": (set_cell("queues", 2, "aht_seconds", "-3"), (Q, 2, "aht_seconds"),
                     ["aht_seconds must be greater than 0"]),
    "bad setting": (set_cell("settings", 2, "value", "45"), ("settings.csv", 2, "value"),
                    ["interval_minutes", "must be 15, 30 or 60"]),
    "sla_confidence of 1": (edit("settings", lambda l: l + ["sla_confidence,1"]), ("settings.csv", 4, "value"),
                            ["sla_confidence", "less than 1"]),
    "sla_confidence below one half": (edit("settings", lambda l: l + ["sla_confidence,0.3"]),
                                      ("settings.csv", 4, "value"), ["sla_confidence", "0.5"]),
}


@pytest.mark.parametrize("kind", list(CSV_CASES))
def test_bad_csv_input_is_located_and_explained(kind, tmp_path):
    mutate, (file, row, column), phrases = CSV_CASES[kind]
    folder = write_tiny(tmp_path / "ops")
    mutate(folder)
    operation, report = load_operation(folder)
    assert operation is None and not report.valid
    hits = [p for p in report.errors if (p.file, p.row, p.column) == (file, row, column)]
    assert hits, f"no error at {(file, row, column)}; got:\n" + "\n".join(report.lines())
    assert any(all(ph in p.message for ph in phrases) for p in hits), "\n".join(str(p) for p in hits)


WARNING_CASES = {
    "mixed offsets": (set_cell("volume", 6, "timestamp", "2026-01-05T01:30:00+01:00"), (V, 6, "timestamp"),
                      ["timestamps mix UTC offsets", "+01:00 on 1 rows"]),
    "case-renamed column": (edit("volume", lambda l: ["timestamp,queue,market,Volume"] + l[1:]), (V, 1, "Volume"),
                            ["read as 'volume'"]),
    "unknown column": (edit("shifts", lambda l: [l[0] + ",notes"] + [x + ",x" for x in l[1:]]), (SH, 1, "notes"),
                       ["not part of the shifts table and is ignored"]),
    "unknown setting": (edit("settings", lambda l: l + ["interval_minute,30"]), ("settings.csv", 4, "key"),
                        ["unknown setting 'interval_minute'", "did you mean 'interval_minutes'"]),
    "series ends early": (drop_rows({383}), (V, 379, "timestamp"),
                          ["spam x APAC-JA ends at 2026-01-06T23:00Z, 1 interval before the latest series"]),
    "site without shifts": (edit("shifts", lambda l: l[:3]), (S, 3, "site"), ["site 'MNL-B' has no shifts"]),
    "uncertified pair": (edit("certifications", lambda l: [x for x in l if not x.endswith("live_video,APAC-JA")]),
                         (V, None, "queue"), ["live_video x APAC-JA has volume but no site is certified"]),
}


@pytest.mark.parametrize("kind", list(WARNING_CASES))
def test_warnings_are_located_and_still_load(kind, tmp_path):
    mutate, (file, row, column), phrases = WARNING_CASES[kind]
    folder = write_tiny(tmp_path / "ops")
    mutate(folder)
    operation, report = load_operation(folder)
    assert report.valid and operation is not None, report.lines()
    hits = [p for p in report.warnings if (p.file, p.row, p.column) == (file, row, column)]
    assert hits and any(all(ph in p.message for ph in phrases) for p in hits), report.lines()


def test_every_problem_is_collected_not_just_the_first(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    for mutate in (set_cell("volume", 7, "volume", "N/A"), set_cell("sites", 2, "timezone", "Mars/Base"),
                   set_cell("shifts", 3, "start", "25:00"), set_cell("queues", 2, "sla_target", "2")):
        mutate(folder)
    _, report = load_operation(folder)
    located = {(p.file, p.row, p.column) for p in report.errors}
    assert {(V, 7, "volume"), (S, 2, "timezone"), (SH, 3, "start"), (Q, 2, "sla_target")} <= located


def test_a_column_of_garbage_is_summarised(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    edit("volume", lambda l: l[:1] + [x.rsplit(",", 1)[0] + ",x" + str(i) for i, x in enumerate(l[1:])])(folder)
    _, report = load_operation(folder)
    on_volume = [p for p in report.errors if p.column == "volume"]
    assert len(on_volume) == MAX_ITEMISED + 1
    assert "and 364 more rows with bad values in this column (rows 22 to 385)" in on_volume[-1].message


# ----------------------------------------------------------------------------- workbooks
def _formula(path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["volume"]["D2"] = "=1+2"
    book["volume"]["D3"] = "=SUM(D4:D5)"
    book.save(path)


def _macros(path: Path) -> None:
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really vba")


def _bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/image1.bin", b"\x00" * (30 * 1024 * 1024))


def _xlsx_zone(path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["sites"]["D3"] = "Asia/Manilla"
    book.save(path)


def _drop_sheet(path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    book["shifts"].title = "Shift templates"
    book.save(path)


XLSX_CASES = {
    "formula cells": (_formula, None, ("volume", None, None), "warning", ["2 formula cells", "have no stored value"]),
    "formula without cached value": (_formula, None, ("volume", 2, "volume"), "error", ["missing value"]),
    "macros": (_macros, None, (None, None, None), "warning", ["contains macros", "never run"]),
    "zip bomb": (_bomb, None, (None, None, None), "error", ["xl/media/image1.bin", "zip bomb", "refused"]),
    "oversized": (lambda p: None, Limits(max_uncompressed_mb=0.01), (None, None, None), "error",
                  ["above the 0.01 MB limit"]),
    "unknown zone in a sheet": (_xlsx_zone, None, ("sites", 3, "timezone"), "error",
                                ["'Asia/Manilla' is not an IANA time zone", "'Asia/Manila'"]),
    "missing sheet": (_drop_sheet, None, ("shifts", None, None), "error",
                      ["required sheet 'shifts' is missing", "Shift templates"]),
}


@pytest.mark.parametrize("kind", list(XLSX_CASES))
def test_bad_workbook_is_located_and_explained(kind, tmp_path):
    mutate, limits, (sheet, row, column), severity, phrases = XLSX_CASES[kind]
    path = write_tiny_xlsx(tmp_path / "ops.xlsx")
    mutate(path)
    _, report = load_operation(path, limits)
    hits = [p for p in report.problems if p.file == "ops.xlsx" and (p.sheet, p.row, p.column) == (sheet, row, column)
            and p.severity == severity]
    assert hits and any(all(ph in p.message for ph in phrases) for p in hits), report.lines()
    if severity == "error":
        assert not report.valid


@pytest.mark.parametrize("name,content,phrases", [
    ("ops.xlsx", b"timestamp,queue,market,volume\n2026-01-05T00:00:00Z,spam,NA-EN,3\n",
     ["CSV text file renamed .xlsx"]),
    ("ops.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ["legacy .xls", "save it as .xlsx"]),
    ("ops.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ["legacy Excel .xls", "password"]),
    ("ops.xlsx", b"PK\x03\x04 truncated", ["damaged or truncated"]),
    ("volume.csv", b"timestamp,queue,market,volume\n", ["single table", "pass the folder"]),
])
def test_wrong_kind_of_file(tmp_path, name, content, phrases):
    path = tmp_path / name
    path.write_bytes(content)
    operation, report = load_operation(path)
    assert operation is None and len(report.errors) == 1
    problem = report.errors[0]
    assert problem.file == name and all(ph in problem.message for ph in phrases), problem


def test_missing_path(tmp_path):
    _, report = load_operation(tmp_path / "nope")
    assert report.errors[0].message.startswith("does not exist")


def test_report_shapes():
    report = ValidationReport()
    report.add("volume.csv", None, 12, "volume", "negative volume -1")
    report.add("ops.xlsx", "sites", 3, "timezone", "bad zone", "warning")
    assert str(report.problems[0]) == "volume.csv, row 12, column volume: negative volume -1"
    assert str(report.problems[1]) == "ops.xlsx, sheet sites, row 3, column timezone: warning: bad zone"
    frame = report.to_frame()
    assert list(frame.columns) == ["severity", "file", "sheet", "row", "column", "message"]
    assert frame["row"].tolist() == [12, 3] and not report.valid
    assert '"valid": false' in report.to_json()
    assert Problem("a", None, None, None, "m").location == "a"


def test_fuzz_smoke_has_no_raw_exceptions_or_silent_accepts(capsys):
    """A small run of bench/fuzz_inputs.py (the bench itself runs 2,000+ variants)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("fuzz_inputs", Path(__file__).parents[2] / "bench" / "fuzz_inputs.py")
    fuzz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fuzz)
    assert fuzz.main(["--variants", "40", "--days", "1", "--seed", "3"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "raw exception 0, silent accept 0, unclear error 0, rejected valid 0" in line


def test_semicolon_separated_file(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    edit("markets", lambda l: [x.replace(",", ";") for x in l])(folder)
    _, report = load_operation(folder)
    problem = next(p for p in report.errors if p.file == "markets.csv")
    assert problem.row == 1 and "separated by semicolons" in problem.message


def test_formula_cached_values_are_used(tmp_path):
    """A workbook saved by Excel stores each formula's last value: that value is read."""
    from openpyxl import load_workbook

    path = write_tiny_xlsx(tmp_path / "ops.xlsx")
    book = load_workbook(path)
    book["volume"]["D2"] = "=1+2"
    book.save(path)
    excel_like = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(excel_like, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if b"<f>1+2</f>" in data:  # openpyxl writes an empty <v/>; Excel stores the result
                data = re.sub(rb"<f>1\+2</f>(<v\s*/>|<v></v>)?", b"<f>1+2</f><v>3</v>", data)
            dst.writestr(item, data)
    operation, report = load_operation(excel_like)
    assert report.valid, report.lines()
    assert [p.message for p in report.warnings] == ["1 formula cells: their values as last calculated by Excel are used"]
    first = operation.volume[(operation.volume.queue == "spam") & (operation.volume.market == "NA-EN")].iloc[0]
    assert first["volume"] == 3.0


def test_sla_confidence_defaults_to_95_percent():
    from planning.domain import Settings

    assert Settings().sla_confidence == 0.95
    assert Settings(sla_confidence="0.99").sla_confidence == 0.99
