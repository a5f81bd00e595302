"""Fuzz the loader with malformed variants of the sample operation.

    .venv/bin/python bench/fuzz_inputs.py [--variants 2000] [--days 3] [--seed 11]

Each variant breaks (or harmlessly changes) a copy of the sample - with the volume cut to
its first ``--days`` days to keep it fast - and is loaded with
``planning.inputs.loading.load_operation``.  Outcomes:

  valid-accepted   reported valid (the variant was valid, or might have been)
  clear error      reported invalid; every error names a file and says what to do
  raw exception    load_operation raised (a bug: users must never see one)
  silent accept    a variant known to be broken was reported valid (a bug)
  unclear error    an error without a file or with an empty message (a bug)
  rejected valid   a variant known to be valid was rejected (a bug)

Two more targets, each uploaded as bytes through the one upload path:

  monitor     ``planning.monitor.load_actuals_upload`` with malformed actuals (empty, UTF-16,
              bad gzip, gzip bombs, wide headers, huge cells, garbage cells, renamed columns)
  roundtrip   the returned vendor sheet's checks (``planning.export.import_vendor_sheet``
              before the re-plan: bombs, truncated, renamed CSV, garbage), which must raise
              ``RoundTripError`` and nothing else

Per target it prints raw exceptions, silent accepts (both must be 0) and the peak memory
traced while reading (tracemalloc). Exit 1 if any bug outcome occurred.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planning.inputs import Limits

from planning.inputs import load_operation
from planning.inputs.schema import TABLES  # noqa: E402

SAMPLE = ROOT / "data" / "sample"
BROKEN, VALID, MAYBE = "broken", "valid", "maybe"

# Values that are certainly wrong for a column of each kind (required or not).
INVALID = {
    "float": ["N/A", "1,234", "abc", "inf", "-inf", "nan", "1e400", "\u2603", "12 items", "0x1F", "#REF!"],
    "int": ["N/A", "1,234", "2.5", "abc", "inf", "\u2603", "#DIV/0!"],
    "share": ["1.5", "-0.2", "30%", "N/A", "abc", "inf", "2"],
    "time": ["25:00", "7:75", "noon", "7", "12:30pm", "24:00", "-1:00"],
    "timestamp": ["2026-13-01T00:00:00Z", "yesterday", "2026-01-05 00:00", "05/01/2026 00:00",
                  "1767571200", "2026-02-30T00:00:00Z", "2026-01-05T00:00:00+25:00"],
    "zone": ["Europe/Nowhere", "IST", "GMT+8", "Asia/Manilla", "UTC+5:30", "europe dublin"],
    "bool": ["perhaps", "2", "yes please"],
    "choice": ["maybe", "realtime", "LIVE!"],
    "str": [],
}
HARMLESS_OR_NOT = ["", " ", "0", "-0", "1e3", "true", "\u00e9t\u00e9", "x" * 500, '"quoted"', "NULL", "=1+1"]


class Case:
    """One variant: tables as text (name -> str), plus file-level tweaks."""

    def __init__(self, tables: dict[str, str]):
        self.tables = dict(tables)
        self.raw: dict[str, bytes] = {}  # file name -> exact bytes (overrides tables)
        self.extra: dict[str, bytes] = {}
        self.workbook = False
        self.workbook_hook = None
        self.limits: Limits | None = None
        self.expect = VALID
        self.kind = ""
        self.note = ""


def load_base(days: int) -> dict[str, str]:
    tables = {}
    for name in TABLES:
        path = SAMPLE / f"{name}.csv"
        if path.exists():
            tables[name] = path.read_text(encoding="utf-8")
    text = gzip.decompress((SAMPLE / "volume.csv.gz").read_bytes()).decode()
    lines = text.splitlines()
    first = min(l[:10] for l in lines[1:200])
    import datetime as dt
    cutoff = (dt.date.fromisoformat(first) + dt.timedelta(days=days)).isoformat()
    tables["volume"] = "\n".join([lines[0]] + [l for l in lines[1:] if l[:10] < cutoff]) + "\n"
    return tables


def split(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def join(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header] + rows)
    return out.getvalue()


def kind_of(table: str, column: str) -> tuple[str, bool]:
    for col in TABLES[table].columns:
        if col.name == column:
            return ("choice" if col.kind.startswith("choice") else col.kind), col.required
    return "str", False


# ----------------------------------------------------------------------------- mutations
def drop_column(case: Case, rng: random.Random) -> None:
    table = rng.choice([t for t in case.tables if t != "settings"])
    header, rows = split(case.tables[table])
    k = rng.randrange(len(header))
    _, required = kind_of(table, header[k])
    case.tables[table] = join(header[:k] + header[k + 1:], [r[:k] + r[k + 1:] for r in rows])
    case.expect = BROKEN if required else MAYBE  # an optional column may matter (live deadline)
    case.kind = "drop column"


def rename_column(case: Case, rng: random.Random) -> None:
    table = rng.choice(list(case.tables))
    header, rows = split(case.tables[table])
    k = rng.randrange(len(header))
    _, required = kind_of(table, header[k])
    name = header[k]
    new = rng.choice([name[:-1], name + "_x", name.replace("_", " ") + "!", name[::-1], "col" + str(k),
                      name.upper(), " " + name + " "])
    header = header[:k] + [new] + header[k + 1:]
    case.tables[table] = join(header, rows)
    harmless = new.strip().lower().replace(" ", "_") == name
    case.expect = VALID if harmless else (BROKEN if required else MAYBE)
    case.kind = "rename column"


def garbage_cell(case: Case, rng: random.Random) -> None:
    table = rng.choice(list(case.tables))
    header, rows = split(case.tables[table])
    if not rows:
        return
    i, k = rng.randrange(len(rows)), rng.randrange(len(header))
    kind, required = kind_of(table, header[k])
    pool = INVALID[kind]
    if pool and rng.random() < 0.7:
        value, case.expect = rng.choice(pool), BROKEN
        if table == "settings":
            case.expect = MAYBE  # settings values are all text; only some keys care
    else:
        value, case.expect = rng.choice(HARMLESS_OR_NOT), MAYBE
        if value.strip() == "" and required and table != "settings":
            case.expect = BROKEN
    if table == "volume" and header[k] == "volume" and value.lstrip().startswith("-") and value.strip() not in ("-0",):
        case.expect = BROKEN
    rows[i][k] = value
    case.tables[table] = join(header, rows)
    case.kind, case.note = "garbage cell", f"{table} row {i + 2} {header[k]} = {value!r}"


def shuffle_types(case: Case, rng: random.Random) -> None:
    table = rng.choice([t for t in case.tables if t not in ("settings", "certifications")])
    header, rows = split(case.tables[table])
    kinds = [kind_of(table, h) for h in header]
    a, b = rng.sample(range(len(header)), 2)
    for r in rows:
        r[a], r[b] = r[b], r[a]
    case.tables[table] = join(header, rows)
    numeric = {"float", "int", "share"}
    ka, kb = kinds[a][0], kinds[b][0]
    certain = rows and (kinds[a][1] or kinds[b][1]) and ka != kb and (
        {ka, kb} & {"timestamp", "time", "zone"} or (ka in numeric) != (kb in numeric))
    case.expect = BROKEN if certain else MAYBE
    case.kind = "shuffled types"


def broken_timestamp(case: Case, rng: random.Random) -> None:
    header, rows = split(case.tables["volume"])
    i = rng.randrange(len(rows))
    stamp = rows[i][0]
    choice = rng.randrange(8)
    if choice == 0:
        rows[i][0] = stamp.rstrip("Z")  # no offset
    elif choice == 1:
        rows[i][0] = stamp[:14] + "15" + stamp[16:]  # off the grid
    elif choice == 2:
        rows.append(list(rows[i]))  # duplicate interval
    elif choice == 3:
        j = rng.randrange(1, len(rows) - 1)
        while rows[j - 1][1:3] != rows[j][1:3] or rows[j + 1][1:3] != rows[j][1:3]:
            j = rng.randrange(1, len(rows) - 1)
        del rows[j]  # a gap inside a series
    elif choice == 4:
        rows[i][0] = f"{stamp[8:10]}/{stamp[5:7]}/{stamp[:4]} {stamp[11:16]}"
    elif choice == 5:
        rows[i][0] = stamp[:10]
    elif choice == 6:
        rows[i][0] = stamp[:4] + "-02-30" + stamp[10:]
    else:
        rows[i][0] = ""
    case.tables["volume"] = join(header, rows)
    case.expect, case.kind = BROKEN, "broken timestamp"


def harmless_change(case: Case, rng: random.Random) -> None:
    header, rows = split(case.tables["volume"])
    choice = rng.randrange(4)
    if choice == 0:
        rng.shuffle(rows)
    elif choice == 1:  # the same instant written with a +05:30 offset
        import pandas as pd
        for r in rng.sample(rows, 20):
            r[0] = pd.Timestamp(r[0]).tz_convert("Asia/Kolkata").isoformat()
    elif choice == 2:
        rows.insert(rng.randrange(len(rows)), [""])
    else:
        case.tables["volume"] = "\ufeff" + join(header, rows).replace("\n", "\r\n")
        case.expect, case.kind = VALID, "harmless change"
        return
    case.tables["volume"] = join(header, rows)
    case.expect, case.kind = VALID, "harmless change"


def row_damage(case: Case, rng: random.Random) -> None:
    table = rng.choice(["queues", "markets", "sites", "shifts", "volume", "certifications"])
    header, rows = split(case.tables[table])
    i = rng.randrange(len(rows))
    choice = rng.randrange(4)
    if choice == 0:
        rows[i] = rows[i] + ["extra"]
        case.expect = BROKEN
    elif choice == 1 and table in ("queues", "markets", "sites", "shifts"):
        rows.append(list(rows[i]))  # duplicate id
        case.expect = BROKEN
    elif choice == 2:
        rows[i] = rows[i][: max(1, len(rows[i]) // 2)]  # short row
        case.expect = MAYBE
    else:  # an unclosed quote at the start of a row
        lines = join(header, rows).split("\n")
        lines[i + 1] = '"' + lines[i + 1]
        case.tables[table], case.expect, case.kind = "\n".join(lines), MAYBE, "row damage"
        return
    case.tables[table] = join(header, rows)
    case.kind = "row damage"


def truncate(case: Case, rng: random.Random) -> None:
    table = rng.choice(list(case.tables))
    data = case.tables[table].encode()
    case.raw[f"{table}.csv"] = data[: rng.randrange(0, max(1, len(data)))]
    case.expect, case.kind = MAYBE, "truncated file"
    if table in ("queues", "markets", "sites", "shifts") and len(case.raw[f"{table}.csv"]) < data.index(b"\n"):
        case.expect = BROKEN


def truncated_gzip(case: Case, rng: random.Random) -> None:
    data = gzip.compress(case.tables["volume"].encode(), mtime=0)
    case.raw["volume.csv.gz"] = data[: rng.randrange(10, len(data) - 10)]
    del case.tables["volume"]
    case.expect, case.kind = BROKEN, "truncated gzip"


def bad_encoding(case: Case, rng: random.Random) -> None:
    table = rng.choice(["queues", "markets", "sites", "shifts", "certifications", "volume", "events"])
    text = case.tables[table]
    encoding = rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "mac-roman"])
    if encoding in ("latin-1", "cp1252", "mac-roman"):
        header, rows = split(text)
        rows[rng.randrange(len(rows))][0] += rng.choice(["\u00e9", "\u00f1", "\u00fc", "\u00e7"])
        text = join(header, rows)
    case.raw[f"{table}.csv"] = text.encode(encoding)
    case.expect, case.kind = BROKEN, "bad encoding"


def empty_table(case: Case, rng: random.Random) -> None:
    table = rng.choice([t.name for t in TABLES.values() if t.required])
    header = case.tables[table].split("\n", 1)[0]
    case.raw[f"{table}.csv"] = rng.choice([b"", b"\n", b"   \n\n", (header + "\n").encode()])
    case.expect, case.kind = BROKEN, "empty file"


def missing_file(case: Case, rng: random.Random) -> None:
    table = rng.choice([t.name for t in TABLES.values() if t.required])
    text = case.tables.pop(table)
    if rng.random() < 0.5:
        case.extra[rng.choice([f"{table.capitalize()}.csv", f"{table}s.csv", f"{table}.txt", f"{table}.CSV"])] = \
            text.encode()
    case.expect, case.kind = BROKEN, "missing file"


def binary_file(case: Case, rng: random.Random) -> None:
    table = rng.choice(list(case.tables))
    case.raw[f"{table}.csv"] = rng.choice([
        b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(200)),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 300,
        bytes(rng.randrange(256) for _ in range(500)),
        b"\x1f\x8b\x08\x00garbage",
    ])
    case.expect, case.kind = BROKEN, "binary file"


def hostile_workbook(case: Case, rng: random.Random) -> None:
    case.workbook = True
    choice = rng.randrange(9)
    if choice == 0:
        case.workbook_hook, case.expect = "bomb", BROKEN
    elif choice == 1:
        case.workbook_hook, case.expect = "macros", VALID
    elif choice == 2:
        case.workbook_hook, case.expect = "formulas", BROKEN  # no cached values: missing
    elif choice == 3:
        case.workbook_hook, case.expect = "csv-as-xlsx", BROKEN
    elif choice == 4:
        case.workbook_hook, case.expect = "xls", BROKEN
    elif choice == 5:
        case.workbook_hook, case.expect = "truncated", BROKEN
    elif choice == 6:
        case.limits, case.expect = Limits(max_uncompressed_mb=0.05), BROKEN
    elif choice == 7:
        case.workbook_hook, case.expect = "rename-sheet", BROKEN
    else:
        garbage_cell(case, rng)  # a garbage cell, in a workbook
        case.workbook = True
    case.kind = "hostile xlsx"


FAMILIES = [(drop_column, 10), (rename_column, 10), (garbage_cell, 30), (shuffle_types, 8),
            (broken_timestamp, 12), (harmless_change, 5), (row_damage, 8), (truncate, 5), (truncated_gzip, 2),
            (bad_encoding, 5), (empty_table, 3), (missing_file, 3), (binary_file, 3), (hostile_workbook, 6)]


# ----------------------------------------------------------------------------- writing
def write_folder(case: Case, folder: Path) -> Path:
    folder.mkdir()
    for name, text in case.tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    for name, data in {**case.extra, **case.raw}.items():
        (folder / name).write_bytes(data)
    return folder


def write_workbook(case: Case, path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, text in case.tables.items():
        sheet = book.create_sheet(name)
        for row in csv.reader(io.StringIO(text)):
            sheet.append(row)
        if case.workbook_hook == "formulas" and name == "volume":
            sheet["D2"] = "=1+1"
    if case.workbook_hook == "rename-sheet":
        book["shifts"].title = "Shifts (local)"
    book.save(path)
    hook = case.workbook_hook
    if hook == "bomb":
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/media/image1.png", b"\x00" * (40 * 1024 * 1024))
    elif hook == "macros":
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    elif hook == "csv-as-xlsx":
        path.write_text(case.tables["volume"])
    elif hook == "xls":
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    elif hook == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path


_BOMB_CACHE: dict[str, bytes] = {}


def run_case(case: Case, where: Path) -> str:
    target = write_workbook(case, where / "ops.xlsx") if case.workbook else write_folder(case, where / "ops")
    try:
        operation, report = load_operation(target, case.limits)
    except Exception:  # the outcome we are hunting
        return "raw exception\n" + traceback.format_exc(limit=-3)
    if report.valid and operation is not None:
        return "silent accept" if case.expect == BROKEN else "valid-accepted"
    if case.expect == VALID:
        return "rejected valid\n" + "\n".join(report.lines()[:5])
    if any(not p.file or len(p.message) < 15 for p in report.errors):
        return "unclear error\n" + "\n".join(report.lines()[:5])
    return "clear error"


# ----------------------------------------------------------------------------- monitor / round trip
MiB = 1024 * 1024
ACTUALS_HEADER = ("timestamp,queue,market,site,team,total_incoming,manual_incoming,total_solved,manual_solved,"
                  "aht_seconds,backlog_items,within_sla_share,staffed_agents")


def actuals_base(days: int) -> str:
    text = gzip.decompress((SAMPLE / "actuals.csv.gz").read_bytes()).decode()
    lines = text.splitlines()
    first = min(l[:10] for l in lines[1:200])
    import datetime as dt
    cutoff = (dt.date.fromisoformat(first) + dt.timedelta(days=days)).isoformat()
    return "\n".join([lines[0]] + [l for l in lines[1:] if l[:10] < cutoff]) + "\n"


def monitor_variant(text: str, rng: random.Random) -> tuple[str, bytes, str, str]:
    """(name, bytes, expectation, kind) of one hostile or harmless actuals upload."""
    header, rows = split(text)
    choice = rng.randrange(12)
    if choice == 0:
        return "a.csv", rng.choice([b"", b"\n", b"   "]), BROKEN, "empty"
    if choice == 1:
        return "a.csv", text.encode(rng.choice(["utf-16", "utf-16-le", "utf-32"])), BROKEN, "utf-16"
    if choice == 2:
        data = gzip.compress(text.encode())
        return "a.csv.gz", data[: rng.randrange(2, len(data) - 9)], BROKEN, "bad gzip"
    if choice == 3:
        return "a.csv.gz", gzip.compress(b"0" * rng.choice([20, 60]) * MiB, 9), BROKEN, "gzip bomb"
    if choice == 4:
        width = rng.choice([1_000, 100_000, 1_000_000])
        return "a.csv", (",".join(f"c{i}" for i in range(width)) + "\n1\n").encode(), BROKEN, "wide header"
    if choice == 5:
        i, k = rng.randrange(len(rows)), rng.randrange(len(header))
        rows[i][k] = rng.choice("xZ9,") * rng.choice([10_000, 2_000_000])
        return "a.csv.gz", gzip.compress(join(header, rows).encode()), BROKEN, "huge cell"
    if choice == 6:
        return "a.csv", bytes(rng.randrange(256) for _ in range(2000)), BROKEN, "garbage bytes"
    if choice in (7, 8):
        i, k = rng.randrange(len(rows)), rng.randrange(len(header))
        kind, _ = kind_of("actuals", header[k])
        pool = INVALID[kind] or ["nosuchqueue"]
        rows[i][k] = rng.choice(pool)
        return "a.csv", join(header, rows).encode(), BROKEN, "garbage cell"
    if choice == 9:
        k = header.index(rng.choice(["queue", "market", "manual_incoming", "manual_solved"]))  # needed columns
        header = header[:k] + [header[k] + "_x"] + header[k + 1:]
        return "a.csv", join(header, rows).encode(), BROKEN, "renamed column"
    if choice == 10:
        return ("../" * 8 + "tmp/x.csv.gz", gzip.compress(text.encode()), VALID, "valid (hostile name)")
    return "a.csv", text.encode(), VALID, "valid"


def roundtrip_variant(rng: random.Random) -> tuple[bytes, str]:
    choice = rng.randrange(6)
    if choice == 0:  # a workbook whose sheet inflates 1000:1
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("xl/workbook.xml", "<workbook/>")
            zf.writestr("xl/worksheets/sheet1.xml", b"<c/>" * rng.choice([5, 30]) * MiB)
        return buffer.getvalue(), "xlsx bomb"
    if choice == 1:  # many parts, each under the ratio check, together over the total
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/workbook.xml", "<workbook/>")
            for n in range(12):
                zf.writestr(f"xl/worksheets/sheet{n}.xml", bytes(rng.randrange(256) for _ in range(64)) * 70_000)
        return buffer.getvalue(), "total bomb"
    if choice == 2:
        return b"site,shift,headcount\nA,B,1\n", "csv renamed xlsx"
    if choice == 3:
        return b"", "empty"
    if choice == 4:
        return bytes(rng.randrange(256) for _ in range(4000)), "garbage"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    data = buffer.getvalue()
    return data[: len(data) // 2], "truncated"


def run_targets(variants: int, days: int, seed: int, show: int) -> list[str]:
    """The monitor and round-trip targets; returns their summary lines."""
    import tracemalloc

    from planning.access import Principal, Role
    from planning.export import RoundTripError, import_vendor_sheet, roundtrip_limits
    from planning.monitor import load_actuals_upload

    op, report = load_operation(SAMPLE)
    assert op is not None, report.lines()[:3]
    planner = Principal("fuzz", Role.planner)
    text = actuals_base(days)
    rng = random.Random(seed)
    lines = []
    for target in ("monitor", "roundtrip"):
        counts, peak, shown = Counter(), 0, 0
        started = time.perf_counter()
        for n in range(variants):
            if target == "monitor":
                name, data, expect, kind = monitor_variant(text, rng)
            else:
                (data, kind), name, expect = roundtrip_variant(rng), "returned.xlsx", BROKEN
            tracemalloc.start()
            try:
                if target == "monitor":
                    frame, rep = load_actuals_upload(name, data, op, planner)
                    ok = frame is not None and rep.valid
                    unclear = not ok and any(not p.file or len(p.message) < 15 or len(p.message) > 1100
                                             for p in rep.errors)
                else:
                    try:
                        import_vendor_sheet(data, result=None, limits=roundtrip_limits(50))
                        ok, unclear = True, False
                    except RoundTripError as exc:
                        ok, unclear = False, len(str(exc)) < 15 or len(str(exc)) > 1100
                outcome = ("silent accept" if expect == BROKEN else "valid-accepted") if ok else (
                    "rejected valid" if expect == VALID else ("unclear error" if unclear else "clear error"))
            except Exception:  # the outcome we are hunting
                outcome = "raw exception"
                if shown < show:
                    shown += 1
                    print(f"--- {target} variant {n} ({kind}): {traceback.format_exc(limit=-3)}", file=sys.stderr)
            finally:
                peak = max(peak, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            counts[outcome] += 1
        lines.append(f"fuzz_inputs {target}: {variants} variants in {time.perf_counter() - started:.0f} s: "
                     f"raw exception {counts['raw exception']}, silent accept {counts['silent accept']}, "
                     f"unclear error {counts['unclear error']}, rejected valid {counts['rejected valid']}, "
                     f"clear error {counts['clear error']}, valid-accepted {counts['valid-accepted']}; "
                     f"peak traced memory {peak / MiB:.0f} MiB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=2000)
    parser.add_argument("--days", type=int, default=3, help="days of sample volume to keep")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--show", type=int, default=5, help="bug outcomes to print in detail")
    parser.add_argument("--upload-variants", type=int, default=60,
                        help="variants for each of the monitor and round-trip targets")
    args = parser.parse_args(argv)
    import resource
    base = load_base(args.days)
    rng = random.Random(args.seed)
    families, weights = zip(*FAMILIES)
    counts, by_kind, shown = Counter(), Counter(), 0
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix="fuzz_inputs_"))
    try:
        for n in range(args.variants):
            case = Case(base)
            rng.choices(families, weights)[0](case, rng)
            where = scratch / str(n)
            where.mkdir()
            outcome = run_case(case, where)
            head = outcome.split("\n", 1)[0]
            counts[head] += 1
            by_kind[(case.kind, head)] += 1
            if head in ("raw exception", "silent accept", "unclear error", "rejected valid") and shown < args.show:
                shown += 1
                print(f"--- variant {n} ({case.kind} {case.note}, expected {case.expect}): {outcome}",
                      file=sys.stderr)
            shutil.rmtree(where, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - started
    kinds = sorted({k for k, _ in by_kind})
    for kind in kinds:
        parts = ", ".join(f"{o} {c}" for (k, o), c in sorted(by_kind.items()) if k == kind)
        print(f"  {kind:17s} {parts}", file=sys.stderr)
    bugs = sum(counts[k] for k in ("raw exception", "silent accept", "unclear error", "rejected valid"))
    for line in run_targets(args.upload_variants, args.days, args.seed, args.show):
        print(line)
        bugs += sum(int(part.rsplit(" ", 1)[1]) for part in line.split(": ", 1)[1].split(";")[0].split(", ")[:4])
    print(f"fuzz_inputs: process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"fuzz_inputs: {args.variants} variants ({args.days} days of sample volume, seed {args.seed}) in "
          f"{elapsed:.0f} s: valid-accepted {counts['valid-accepted']}, clear error {counts['clear error']}, "
          f"raw exception {counts['raw exception']}, silent accept {counts['silent accept']}, "
          f"unclear error {counts['unclear error']}, rejected valid {counts['rejected valid']}")
    return 1 if bugs else 0


if __name__ == "__main__":
    raise SystemExit(main())
