"""``python -m planning validate`` and ``template``: exit codes, output shapes, round trips."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from planning.cli import main
from planning.inputs import TABLES
from planning.inputs import format_markdown
from tests.inputs.test_loading import write_tiny

ROOT = Path(__file__).resolve().parents[2]


def test_valid_inputs_exit_0(tmp_path, capsys):
    assert main(["validate", str(write_tiny(tmp_path / "ops"))]) == 0
    out = capsys.readouterr().out
    assert "valid - 2 queues, 2 markets, 2 sites, 384 volume rows" in out


def test_problems_exit_1_one_per_line(tmp_path, capsys):
    folder = write_tiny(tmp_path / "ops")
    (folder / "shifts.csv").write_text("site,shift,start,paid_hours\nDUB-A,early,25:00,8\nDUB-A,late,15:00,30\n")
    assert main(["validate", str(folder)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert "shifts.csv, row 2, column start: '25:00' is not a time of day; write HH:MM between 00:00 and 23:59, " \
           "e.g. 07:30" in lines
    assert any(l.startswith("shifts.csv, row 3, column paid_hours: paid_hours must be at most 16") for l in lines)
    assert all(": " in l for l in lines)


def test_json_output(tmp_path, capsys):
    folder = write_tiny(tmp_path / "ops")
    (folder / "volume.csv").write_text("timestamp,queue,market,volume\n2026-01-05T00:00:00Z,spam,NA-EN,-1\n")
    assert main(["validate", str(folder), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["valid"] is False
    problem = next(p for p in data["problems"] if p["column"] == "volume")
    assert {"file", "sheet", "row", "column", "message"} <= set(problem)
    assert problem["file"] == "volume.csv" and problem["row"] == 2 and problem["sheet"] is None


def test_json_valid(tmp_path, capsys):
    assert main(["validate", str(write_tiny(tmp_path / "ops")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"valid": True, "problems": []}


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate"])
    assert exit_info.value.code == 2


def test_template_folder_and_workbook_cover_the_schema(tmp_path, capsys):
    assert main(["template", str(tmp_path / "blank")]) == 0
    for table in TABLES.values():
        header = (tmp_path / "blank" / f"{table.name}.csv").read_text().strip()
        assert header == ",".join(table.column_names)
    assert main(["template", str(tmp_path / "blank.xlsx")]) == 0
    book = load_workbook(tmp_path / "blank.xlsx")
    assert book.sheetnames == ["Instructions"] + list(TABLES)
    instructions = [row for row in book["Instructions"].iter_rows(values_only=True) if row[0] in TABLES]
    assert len(instructions) == sum(len(t.columns) for t in TABLES.values())
    assert ("volume", "timestamp", "yes") == instructions[[r[:2] for r in instructions].index(
        ("volume", "timestamp"))][:3]
    # a blank template is reported as empty tables, never crashes
    assert main(["validate", str(tmp_path / "blank.xlsx")]) == 1
    assert "sheet queues, row 2: the queues table has a header but no rows" in capsys.readouterr().out


def test_template_filled_with_the_tiny_operation_is_valid(tmp_path):
    folder = write_tiny(tmp_path / "ops")
    assert main(["template", str(tmp_path / "blank")]) == 0
    for table in TABLES:
        src = folder / f"{table}.csv"
        if src.exists():
            rows = src.read_text().splitlines()[1:]
            dst = tmp_path / "blank" / f"{table}.csv"
            dst.write_text(dst.read_text() + "\n".join(rows) + "\n")
    assert main(["validate", str(tmp_path / "blank")]) == 0


def test_docs_match_the_schema():
    docs = (ROOT / "docs" / "input-format.md").read_text(encoding="utf-8")
    assert format_markdown() in docs, "regenerate: python -m planning template - --format-markdown"


def test_no_traceback_in_a_real_process(tmp_path):
    bad = tmp_path / "ops.xlsx"
    bad.write_bytes(b"\x00\x01garbage")
    result = subprocess.run([sys.executable, "-m", "planning", "validate", str(bad)], capture_output=True,
                            text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout.startswith("ops.xlsx: is not an .xlsx workbook")
