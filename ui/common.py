"""Shared UI helpers (not a page): the current operation, formatting, charts, messages.

Every page gets its data from ``current_operation()``: the built-in sample in
``data/sample`` by default, or the upload kept in ``st.session_state`` by the Data page.
Loading is cached with ``st.cache_data`` keyed by a content hash, and the result is
always passed through ``planning.access.restrict_operation`` for the signed-in person,
so a vendor manager's pages never receive another vendor's rows.

User text (file names, ids, messages that quote cell values) is never rendered as HTML:
``plain()`` escapes Markdown before it reaches ``st.markdown``/``st.error``.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from planning.access import Principal, restrict_operation
from planning.domain import Operation
from ui.access import current_principal, sidebar_identity

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
UPLOAD_KEY = "data_upload"  # session_state: {"name", "digest", "data"} of the uploaded inputs

# Upload limits (assumptions, one place). The settings file may lower max_upload_mb.
MAX_UPLOAD_MB = 50.0
MAX_ZIP_MEMBERS = 64
MAX_ZIP_RATIO = 200.0  # uncompressed / compressed, per member and overall
MAX_UNZIPPED_MB = 400.0
INPUT_SUFFIXES = (".csv", ".csv.gz")

# --- plain text -------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: Any) -> str:
    """Escape Markdown (and so any HTML) in user-provided text before st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


# --- numbers with units -----------------------------------------------------------

def _bad(x) -> bool:
    return x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x)))


def fmt_number(x, unit: str = "", digits: int = 0) -> str:
    """``fmt_number(1234.5, "items") -> '1,235 items'``; '–' for missing values."""
    if _bad(x):
        return "–"
    text = f"{x:,.{digits}f}"
    return f"{text} {unit}".strip()


def fmt_share(x, digits: int = 1) -> str:
    """A 0-1 share as a percentage: ``0.875 -> '87.5%'``."""
    return "–" if _bad(x) else f"{100 * x:.{digits}f}%"


def fmt_money(x, currency: str = "USD", digits: int = 0) -> str:
    return "–" if _bad(x) else f"{currency} {x:,.{digits}f}"


def fmt_duration(seconds) -> str:
    """Seconds in the unit a planner reads: '45 s', '12 min', '2.5 h', '3.0 days'."""
    if _bad(seconds):
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 72 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def fmt_utc(ts) -> str:
    """A timestamp labelled as UTC: '2026-01-05 08:30 UTC'."""
    if ts is None or pd.isna(ts):
        return "–"
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%d %H:%M UTC")


def fmt_local(ts, tz: str) -> str:
    """A timestamp in a local zone, labelled with the zone and its offset."""
    if ts is None or pd.isna(ts):
        return "–"
    local = pd.Timestamp(ts).tz_convert(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {tz} (UTC{offset[:3]}:{offset[3:]})"


# --- charts -----------------------------------------------------------------------

PALETTE = ["#2563eb", "#f97316", "#10b981", "#a855f7", "#ef4444", "#0ea5e9",
           "#eab308", "#64748b", "#ec4899", "#14b8a6", "#8b5cf6", "#84cc16"]


@alt.theme.register("planner", enable=True)
def planner_theme() -> alt.theme.ThemeConfig:
    """One visual language for every chart (matches .streamlit/config.toml)."""
    font = "Source Sans Pro, sans-serif"
    return {
        "config": {
            "font": font,
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal",
                     "gridColor": "#e5e7eb", "domainColor": "#9ca3af"},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom", "columns": 3,
                       "labelLimit": 180},
            "title": {"fontSize": 14, "anchor": "start", "fontWeight": "normal"},
            "view": {"stroke": None},
            "bar": {"cornerRadiusEnd": 2},
            "line": {"strokeWidth": 2},
        }
    }


def show_chart(chart: alt.Chart, key: str | None = None) -> None:
    """Render an Altair chart with the planner theme (not Streamlit's)."""
    st.altair_chart(chart, theme=None, width="stretch", key=key)


# --- messages ---------------------------------------------------------------------

def location(problem: Any) -> str:
    """'volume.csv, row 12, column volume' from a problem's file/sheet/row/column."""
    parts = []
    for attr, label in (("file", ""), ("sheet", "sheet "), ("row", "row "), ("column", "column ")):
        value = getattr(problem, attr, None)
        if value not in (None, "") and not (isinstance(value, float) and math.isnan(value)):
            parts.append(f"{label}{value}")
    return ", ".join(parts)


def error_box(problem: Any, fix: str | None = None) -> None:
    """Show a problem as a message with what to do (never a traceback).

    ``problem`` is a string, an exception, or a validation problem (an object with
    ``message`` and optionally ``file``, ``sheet``, ``row``, ``column``, ``severity``).
    """
    if isinstance(problem, BaseException):
        text = f"Something went wrong: {type(problem).__name__}: {problem}"
        fix = fix or "This is a bug in the planner; please report it with what you clicked."
        severity = "error"
    elif isinstance(problem, str):
        text, severity = problem, "error"
    else:
        where = location(problem)
        text = f"{where}: {problem.message}" if where else str(problem.message)
        severity = getattr(problem, "severity", "error")
    body = plain(text) + (f"  \n{plain(fix)}" if fix else "")
    if severity == "warning":
        st.warning(body, icon=":material/warning:")
    else:
        st.error(body, icon=":material/error:")


def empty_state(what: str, todo: str, icon: str = ":material/info:") -> None:
    """Say what is missing and what to do about it (text is ours, so Markdown is allowed)."""
    st.info(f"**{what}**  \n{todo}", icon=icon)


def show_table(frame: pd.DataFrame, key: str, file_name: str, height: int | str = "auto",
               column_config: dict | None = None) -> None:
    """A sortable table with a CSV download of exactly what is shown."""
    st.dataframe(frame, hide_index=True, width="stretch", height=height,
                 column_config=column_config, key=f"{key}_table")
    st.download_button("Download CSV", frame.to_csv(index=False).encode("utf-8"), file_name=file_name,
                       mime="text/csv", key=f"{key}_download", icon=":material/download:")


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


# --- loading ----------------------------------------------------------------------

class _Report:
    """A stand-in validation report for problems found before the loader runs."""

    def __init__(self, problems: list):
        self.problems = problems

    @property
    def valid(self) -> bool:
        return not any(getattr(p, "severity", "error") == "error" for p in self.problems)

    def to_frame(self) -> pd.DataFrame:
        cols = ["severity", "file", "sheet", "row", "column", "message"]
        return pd.DataFrame([{c: getattr(p, c, "") for c in cols} for p in self.problems], columns=cols)


def _load_path(path: Path):
    try:
        from planning.inputs import load_operation
    except ImportError:
        return None, _Report([UploadProblem("the input loader (planning.inputs) is not available in this "
                                            "installation; reinstall the planner")])
    return load_operation(path)


def _folder_stamp(folder: Path) -> tuple:
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))


@st.cache_data(show_spinner=False, max_entries=4)
def _folder_digest(folder: str, stamp: tuple) -> str:
    h = hashlib.sha256()
    for name, *_ in stamp:
        h.update(name.encode())
        h.update((Path(folder) / name).read_bytes())
    return h.hexdigest()[:24]


# Operations are shared read-only across sessions (st.cache_resource): st.cache_data would
# unpickle a fresh copy of the 1.2M-row volume frame on every rerun of every session
# (bench/load.py measured p95 23 s under 10 sessions). Nothing mutates an Operation in
# place; levers and restrictions build new ones (pandas copy-on-write).
@st.cache_resource(show_spinner="Loading and validating the sample operation...", max_entries=2)
def _load_sample(digest: str, folder: str):
    return _stored_load(digest, Path(folder))


def _code_digest() -> str:
    """Fingerprint of the planning code (loader, validation, domain): a stored load is only
    reused by the code that made it."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "planning").rglob("*.py")):
        h.update(str(path.relative_to(ROOT)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _stored_load(digest: str, folder: Path):
    """The validated sample, kept on disk next to the baseline plan (``WFM_CACHE_DIR``).

    A restarted server then reads one pickle (~0.1 s) instead of parsing and validating
    1.2M volume rows (3-5 s), so the first page after a restart is quick (bench/load.py).
    Keyed by the files' content digest and the planning code; an unreadable file is
    reloaded, never trusted. Only the built-in sample is stored, never uploads.
    """
    import os
    import pickle

    from planning.pipeline import cache_dir

    store = cache_dir()
    path = store / f"inputs-{digest}-{_code_digest()}.pkl"
    try:
        with path.open("rb") as fh:
            stored = pickle.load(fh)
        if isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], Operation):
            return stored
    except Exception:  # missing, damaged or outdated: load again below
        pass
    loaded = _load_path(folder)
    if loaded[0] is None:
        return loaded
    tmp = None
    try:
        store.mkdir(parents=True, exist_ok=True)
        for old in store.glob("inputs-*.pkl"):  # keep only the current one (~60 MB each)
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store, prefix="inputs-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(loaded, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except Exception:  # a read-only or full disk only costs the speed-up
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    return loaded


@st.cache_resource(show_spinner="Checking and validating the upload...", max_entries=4)
def _load_upload(digest: str, name: str, _data: bytes):
    """Cached by the content hash ``digest``; ``_data`` itself is not hashed again."""
    problems = check_upload(name, _data)
    if problems:
        return None, _Report(problems)
    with tempfile.TemporaryDirectory(prefix="planner-upload-") as tmp:
        tmp = Path(tmp)
        if sniff(_data) == "xlsx":
            target = tmp / (Path(name).stem + ".xlsx")
            target.write_bytes(_data)
        else:
            target, problems = extract_inputs_zip(_data, tmp, name)
            if problems:
                return None, _Report(problems)
        return _load_path(target)


@dataclass
class Loaded:
    """The full (unrestricted) loaded inputs and where they came from."""

    operation: Operation | None
    report: Any  # planning.validation.ValidationReport (or _Report for pre-load problems)
    source: str  # "sample" or "upload"
    label: str  # what to show: "built-in sample" or the uploaded file name
    digest: str


def remember_upload(name: str, data: bytes) -> None:
    st.session_state[UPLOAD_KEY] = {"name": name, "data": data,
                                    "digest": hashlib.sha256(data).hexdigest()[:24]}


def forget_upload() -> None:
    st.session_state.pop(UPLOAD_KEY, None)


def load_inputs() -> Loaded:
    """The inputs of this session: the upload if there is one, else the sample (cached)."""
    upload = st.session_state.get(UPLOAD_KEY)
    try:
        if upload:
            op, report = _load_upload(upload["digest"], upload["name"], upload["data"])
            return Loaded(op, report, "upload", upload["name"], upload["digest"])
        if not _folder_stamp(SAMPLE_DIR):
            return Loaded(None, _Report([UploadProblem(
                "the built-in sample is missing; regenerate it with `./dev sample`", file="data/sample")]),
                "sample", "built-in sample", "")
        digest = _folder_digest(str(SAMPLE_DIR), _folder_stamp(SAMPLE_DIR))
        op, report = _load_sample(digest, str(SAMPLE_DIR))
        return Loaded(op, report, "sample", "built-in sample", digest)
    except Exception as exc:  # the loader promises not to raise; if it does, say so plainly
        problem = UploadProblem(f"the loader failed unexpectedly ({type(exc).__name__}: {exc}); this is a bug, "
                                "please report it with the file you used")
        return Loaded(None, _Report([problem]), "upload" if upload else "sample",
                      upload["name"] if upload else "built-in sample", "")


def principal() -> Principal:
    """The person using this session (stops the page if nobody may see it)."""
    who = current_principal()
    sidebar_identity(who)
    return who


def current_operation(who: Principal | None = None) -> Operation | None:
    """The operation this person may see, or None when the inputs are not valid.

    Pass ``who`` when the page already called ``principal()`` (avoids a second sidebar line).
    """
    who = who or principal()
    loaded = load_inputs()
    if loaded.operation is None:
        return None
    return restrict_operation(loaded.operation, who)


def require_operation(who: Principal | None = None) -> Operation:
    """The current operation, or an empty state that says what to do, and stop."""
    op = current_operation(who)
    if op is None:
        loaded = load_inputs()
        empty_state("No valid operation loaded",
                    f"The inputs ({plain(loaded.label)}) have problems. Open **Data** in the sidebar to see "
                    "them, fix the files and upload again, or go back to the built-in sample.",
                    icon=":material/database:")
        st.stop()
    return op


def data_caption(op: Operation, source_label: str | None = None) -> str:
    """'Data: built-in sample, history to 2026-01-05 00:00 UTC' for page headers."""
    label = source_label or load_inputs().label
    return f"Data: {plain(label)} · history up to {fmt_utc(op.history_end)} · interval {op.settings.interval_minutes} min"


# A computed plan for this session (a planning.pipeline.PipelineResult), set by the Plan
# page; the Overview reads it. Pages that compute plans should store it under this key.
PLAN_RESULT_KEY = "plan_result"


BASELINE_WEEKS = 1


def plan_result(op: Operation, loaded_label: str = "") -> Any:
    """This session's plan: one a page computed, else the baseline plan of ``op``.

    The baseline (no levers, ``BASELINE_WEEKS`` week) is kept on disk by content
    fingerprint (``planning.pipeline.baseline``), so only the very first open of an
    operation computes it, with progress; later opens and other sessions read it.
    """
    from planning import pipeline

    result = st.session_state.get(PLAN_RESULT_KEY)
    if result is not None:
        return result
    result = pipeline.peek_baseline(op, weeks=BASELINE_WEEKS)
    if result is None:
        with st.status("Computing the baseline plan for these inputs (first open only, about a minute)…",
                       expanded=True) as status:
            bar = st.progress(0.0, text="Starting")

            def progress(message: str, fraction: float) -> None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=plain(message))

            try:
                result = pipeline.baseline(op, weeks=BASELINE_WEEKS, progress=progress)
            except Exception as exc:  # never a traceback: say what failed and what to do
                status.update(label="The baseline plan could not be computed", state="error")
                error_box(f"Planning failed ({type(exc).__name__}: {exc})",
                          "Check the inputs on the Data page, or open Plan to solve with other settings.")
                return None
            status.update(label="Baseline plan ready", state="complete", expanded=False)
    st.session_state[PLAN_RESULT_KEY] = result
    return result
