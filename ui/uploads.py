"""Uploads checked by content before anything parses them: size, file type sniffed from the
bytes (never from the name), zip members, ratios and total inflated size.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath




# Upload limits (assumptions, one place). The settings file may lower max_upload_mb.
MAX_UPLOAD_MB = 50.0
MAX_ZIP_MEMBERS = 64
MAX_ZIP_RATIO = 200.0  # uncompressed / compressed, per member and overall
MAX_UNZIPPED_MB = 400.0
INPUT_SUFFIXES = (".csv", ".csv.gz")

# --- uploads: checked by content before anything parses them --------------------------

@dataclass(frozen=True)
class UploadProblem:
    """Same shape as a validation problem, for problems found before the loader runs."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    severity: str = "error"


def sniff(data: bytes) -> str:
    """What the bytes are, by content: 'xlsx', 'zip', 'xls', 'empty', 'text' or 'binary'."""
    if not data:
        return "empty"
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return "binary"
        return "xlsx" if "xl/workbook.xml" in names or "[Content_Types].xml" in names else "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    head = data[:4096]
    if b"\x00" in head:
        return "binary"
    return "text"


def check_upload(name: str, data: bytes, max_mb: float = MAX_UPLOAD_MB) -> list[UploadProblem]:
    """Problems that stop an upload before parsing: size, and type by content (not by name)."""
    size_mb = len(data) / 1e6
    if size_mb > max_mb:
        return [UploadProblem(f"the file is {size_mb:.1f} MB, above the {max_mb:.0f} MB limit; upload "
                              "fewer weeks of volume (compress volume.csv as volume.csv.gz inside the zip)",
                              file=name)]
    kind = sniff(data)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if kind == "empty":
        return [UploadProblem("the file is empty; upload the inputs folder as a .zip or an .xlsx workbook", file=name)]
    if kind == "xls":
        return [UploadProblem("this is a legacy Excel 97-2003 (.xls) file; open it in Excel and save it as "
                              ".xlsx (Excel Workbook), then upload that", file=name)]
    if kind == "text":
        looks = "CSV text" if b"," in data[:4096] else "plain text"
        return [UploadProblem(f"this file contains {looks}, not an Excel workbook or a zip, whatever its name "
                              f"(.{suffix}); upload the whole inputs folder as a .zip, or an .xlsx workbook",
                              file=name)]
    if kind == "binary":
        return [UploadProblem("this is not a zip or an .xlsx workbook (unrecognised content); upload the inputs "
                              "folder as a .zip or an .xlsx workbook", file=name)]
    return []


def extract_inputs_zip(data: bytes, dest: Path, name: str = "upload.zip",
                       max_unzipped_mb: float = MAX_UNZIPPED_MB) -> tuple[Path | None, list[UploadProblem]]:
    """Unpack a zipped inputs folder safely; returns the folder holding the CSV files.

    Checked from the zip directory before extracting anything: member count, total
    uncompressed size, compression ratio (zip bombs), and member paths (no absolute
    paths or '..'). Only ``*.csv`` / ``*.csv.gz`` files are extracted; everything else
    (``__MACOSX``, notes) is ignored.
    """
    problems: list[UploadProblem] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_MEMBERS:
            return None, [UploadProblem(f"the zip holds {len(infos)} files (limit {MAX_ZIP_MEMBERS}); zip only the "
                                        "inputs folder", file=name)]
        total = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if total > max_unzipped_mb * 1e6 or total / packed > MAX_ZIP_RATIO:
            return None, [UploadProblem(f"the zip unpacks to {total / 1e6:.0f} MB (ratio {total / packed:.0f}:1), "
                                        f"above the {max_unzipped_mb:.0f} MB / {MAX_ZIP_RATIO:.0f}:1 limits; "
                                        "this looks like a zip bomb or far too much history", file=name)]
        wanted = []
        for info in infos:
            path = PurePosixPath(info.filename.replace("\\", "/"))
            if path.is_absolute() or ".." in path.parts:
                problems.append(UploadProblem("unsafe path inside the zip (absolute or '..'); re-create the zip "
                                              "from the inputs folder", file=f"{name}/{info.filename}"))
                continue
            if path.parts[0] == "__MACOSX" or path.name.startswith("."):
                continue
            if path.name.lower().endswith(INPUT_SUFFIXES):
                wanted.append((info, path))
        if problems:
            return None, problems
        if not wanted:
            return None, [UploadProblem("the zip holds no .csv or .csv.gz files; zip the folder that contains "
                                        "queues.csv, markets.csv, sites.csv, ...", file=name)]
        folders = {p.parent for _, p in wanted}
        if len(folders) > 1:
            listing = ", ".join(sorted(str(f) or "." for f in folders))
            return None, [UploadProblem(f"CSV files are spread over several folders ({listing}); put them all "
                                        "in one folder and zip that", file=name)]
        out = dest / "inputs"
        out.mkdir(parents=True, exist_ok=True)
        for info, path in wanted:
            (out / path.name).write_bytes(zf.read(info))
    return out, []
