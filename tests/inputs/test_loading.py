"""Loader: a tiny hand-written operation, its xlsx twin, zip uploads and the sample."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.inputs import Limits
from planning.inputs import load_operation
from planning.inputs import TABLES

TINY = {
    "queues": [
        "queue,description,sla_kind,sla_target,sla_within_seconds,sla_within_hours,sla_rest_within_hours,"
        "aht_seconds,patience_seconds,max_occupancy,severe,priority",
        "spam,Spam and scams,deferred,0.9,,24,48,25,,0.95,false,3",
        "live_video,Live video escalations,live,0.8,60,,,120,300,0.85,true,1",
    ],
    "markets": [
        "market,description,timezone,holiday_country,holiday_subdivision",
        "NA-EN,North America English,America/New_York,US,",
        "APAC-JA,Japan,Asia/Tokyo,JP,",
    ],
    "sites": [
        "site,vendor,city,timezone,max_headcount,min_headcount,hourly_cost,night_premium,night_start,night_end,shrinkage",
        "DUB-A,Vendor A,Dublin,Europe/Dublin,100,10,30,0.15,22:00,06:00,0.3",
        "MNL-B,Vendor B,Manila,Asia/Manila,200,0,9.5,0.1,22:00,06:00,0.35",
    ],
    "certifications": ["site,queue,market"] + [f"{s},{q},{m}" for s in ("DUB-A", "MNL-B")
                                               for q in ("spam", "live_video") for m in ("NA-EN", "APAC-JA")],
    "shifts": ["site,shift,start,paid_hours", "DUB-A,early,07:00,8", "DUB-A,late,15:00,8",
               "MNL-B,day,08:00,9", "MNL-B,night,22:00,9"],
    "events": ["event,kind,start,end,queue,market,volume_multiplier,notes",
               "Launch,launch,2026-01-05T12:00:00Z,2026-01-06T00:00:00Z,spam,*,1.5,"],
    "hiring": ["site,current_headcount,monthly_attrition,recruiting_lead_weeks,training_weeks,nesting_weeks,"
               "nesting_productivity,class_min,class_max,max_hires_per_week,hire_cost,training_cost_per_week",
               "DUB-A,80,0.04,4,3,4,0.6,8,25,40,1200,300"],
    "settings": ["key,value", "interval_minutes,30", "currency,EUR"],
}
PAIRS = [("spam", "NA-EN"), ("spam", "APAC-JA"), ("live_video", "NA-EN"), ("live_video", "APAC-JA")]
START = pd.Timestamp("2026-01-05T00:00:00Z")
INTERVALS = 96  # two days of half-hours


def tiny_volume_lines() -> list[str]:
    """volume.csv lines: row r (1-based, header = 1) is interval (r-2)//4 of pair (r-2)%4."""
    lines = ["timestamp,queue,market,volume"]
    for k in range(INTERVALS):
        stamp = (START + pd.Timedelta(minutes=30 * k)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for j, (q, m) in enumerate(PAIRS):
            lines.append(f"{stamp},{q},{m},{(k * 7 + j * 3) % 50 + 1}")
    return lines


def write_tiny(folder: Path) -> Path:
    """A small valid operation as a CSV folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in {**TINY, "volume": tiny_volume_lines()}.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def write_tiny_xlsx(path: Path, folder: Path | None = None) -> Path:
    """The tiny operation (or ``folder``'s CSVs) as a workbook; numbers as numbers."""
    from openpyxl import Workbook

    folder = folder or write_tiny(path.parent / "tiny_src")
    book = Workbook()
    book.remove(book.active)
    for table in TABLES:
        file = folder / f"{table}.csv"
        if not file.exists():
            continue
        sheet = book.create_sheet(table)
        for line in file.read_text(encoding="utf-8").splitlines():
            cells = []
            for cell in line.split(","):
                try:
                    cells.append(float(cell) if cell and not cell[0].isalpha() and ":" not in cell else cell)
                except ValueError:
                    cells.append(cell)
            sheet.append(cells)
    book.save(path)
    return path


def test_tiny_folder_loads_into_typed_objects(tmp_path):
    op, report = load_operation(write_tiny(tmp_path / "ops"))
    assert report.valid and report.problems == [], report.lines()
    assert isinstance(op, Operation)
    assert set(op.queues) == {"spam", "live_video"} and op.queues["live_video"].sla_within_seconds == 60
    assert op.sites["DUB-A"].night_start.hour == 22 and op.settings.currency == "EUR"
    assert len(op.certifications) == 8 and len(op.shifts) == 4 and len(op.events) == 1
    assert list(op.volume.columns) == ["timestamp", "queue", "market", "volume"]
    assert str(op.volume["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert len(op.volume) == INTERVALS * 4
    assert op.volume["timestamp"].min() == START and op.volume["volume"].dtype == float
    # the volume total equals the hand-written rows
    expected = sum((k * 7 + j * 3) % 50 + 1 for k in range(INTERVALS) for j in range(4))
    assert op.volume["volume"].sum() == expected
    assert op.hiring["current_headcount"].tolist() == [80]
    assert op.history_end == START + pd.Timedelta(days=2)


def test_offsets_convert_to_utc_and_gz_is_read(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    lines = tiny_volume_lines()
    # the same instants written in +09:00 (Tokyo) for the whole file
    shifted = [lines[0]] + [
        (pd.Timestamp(l.split(",")[0]).tz_convert("Asia/Tokyo").isoformat() + "," + l.split(",", 1)[1])
        for l in lines[1:]]
    import gzip
    (folder / "volume.csv").unlink()
    (folder / "volume.csv.gz").write_bytes(gzip.compress(("\n".join(shifted) + "\n").encode()))
    op, report = load_operation(folder)
    assert report.valid, report.lines()
    assert op.volume["timestamp"].min() == START


def test_interval_is_inferred_when_settings_do_not_say(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    (folder / "settings.csv").unlink()
    lines = tiny_volume_lines()
    hourly = [lines[0]] + [l for l in lines[1:] if l[14:16] == "00"]
    (folder / "volume.csv").write_text("\n".join(hourly) + "\n")
    op, report = load_operation(folder)
    assert report.valid, report.lines()
    assert op.settings.interval_minutes == 60


def test_xlsx_twin_loads_the_same(tmp_path):
    op_csv, _ = load_operation(write_tiny(tmp_path / "ops"))
    op_xlsx, report = load_operation(write_tiny_xlsx(tmp_path / "ops.xlsx", tmp_path / "ops"))
    assert report.valid and not report.problems, report.lines()
    pd.testing.assert_frame_equal(op_xlsx.volume, op_csv.volume)
    assert op_xlsx.queues == op_csv.queues and op_xlsx.sites == op_csv.sites


def test_zip_of_the_folder_loads(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    archive = tmp_path / "ops.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in folder.iterdir():
            zf.write(p, f"ops/{p.name}")
    op, report = load_operation(archive)
    assert report.valid, report.lines()
    assert len(op.volume) == INTERVALS * 4


def test_limits_are_configurable(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    archive = tmp_path / "ops.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in folder.iterdir():
            zf.write(p, p.name)
    op, report = load_operation(archive, Limits(max_uncompressed_mb=0.001))
    assert op is None and "above the 0.001 MB limit" in report.problems[0].message


def test_sample_loads_without_problems(sample_dir):
    op, report = load_operation(sample_dir)
    assert report.valid, report.lines()[:20]
    assert not report.errors
    assert len(op.queues) >= 10 and len(op.markets) >= 4 and len(op.sites) >= 6
    volume = op.volume
    assert str(volume["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert not volume.duplicated(["timestamp", "queue", "market"]).any()
    assert np.isfinite(volume["volume"]).all() and (volume["volume"] >= 0).all()
    span = volume["timestamp"].max() - volume["timestamp"].min()
    assert span >= pd.Timedelta(days=700)
    # no gaps: every series has one row per interval between its first and last
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    per = volume.groupby(["queue", "market"])["timestamp"].agg(["min", "max", "count"])
    assert ((per["max"] - per["min"]) / step + 1 == per["count"]).all()
