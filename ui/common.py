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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from planning.access import Principal, restrict_operation
from planning.domain import Operation
from ui.access import current_principal, sidebar_identity
from ui.format import fmt_utc, plain
from ui.uploads import UploadProblem, upload_limits
from ui.widgets import empty_state, error_box


ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "data" / "sample"
UPLOAD_KEY = "data_upload"  # session_state: {"name", "digest", "data"} of the uploaded inputs
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
        return None, _Report([UploadProblem("the input loader (planning.inputs.loading) is not available in this "
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

    A restarted server then reads one file (~0.1 s) instead of parsing and validating
    1.2M volume rows (3-5 s), so the first page after a restart is quick (bench/load.py).
    Keyed by the files' content digest and the planning code.  The file is a pickle signed
    with this installation's key (``forecasts.cachefile``): an unsigned, tampered or
    unreadable file is refused before anything is unpickled, and the sample is loaded
    again. Only the built-in sample is stored, never uploads.
    """
    from forecasts import cachefile
    from planning.cachedir import cache_dir

    store = cache_dir()
    path = store / f"inputs-{digest}-{_code_digest()}.pkl"
    try:
        stored = cachefile.load(path)
        if isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], Operation):
            return stored
    except cachefile.CacheRefused:  # missing, tampered, damaged or outdated: load again below
        pass
    loaded = _load_path(folder)
    if loaded[0] is None:
        return loaded
    try:
        for old in store.glob("inputs-*.pkl"):  # keep only the current one (~60 MB each)
            old.unlink(missing_ok=True)
        cachefile.dump(loaded, path)
    except (OSError, cachefile.CacheRefused):  # a read-only or full disk, or an unsafe key, only costs the speed-up
        pass
    return loaded


@st.cache_resource(show_spinner="Checking and validating the upload...", max_entries=4)
def _load_upload(digest: str, name: str, who_label: str, max_mb: float, _who: Principal, _data: bytes):
    """Cached by the content hash ``digest`` and who uploaded it; ``_data`` is not hashed again.
    Read in memory by the core (``planning.inputs.load_upload``): nothing touches the disk."""
    from planning.access import Forbidden
    from planning.inputs import load_upload

    try:
        return load_upload(name, _data, _who, upload_limits(_MaxUpload(max_mb)))
    except Forbidden as exc:
        return None, _Report([UploadProblem(f"{exc}; the built-in sample stays in use", file=name)])


@dataclass(frozen=True)
class _MaxUpload:
    max_upload_mb: float


@dataclass
class Loaded:
    """The full (unrestricted) loaded inputs and where they came from."""

    operation: Operation | None
    report: Any  # planning.inputs.report.ValidationReport (or _Report for pre-load problems)
    source: str  # "sample" or "upload"
    label: str  # what to show: "built-in sample" or the uploaded file name
    digest: str


def remember_upload(name: str, data: bytes, who: Principal, max_mb: float) -> None:
    """Keep an upload for this session; it is loaded (and the role checked) by the core."""
    st.session_state[UPLOAD_KEY] = {"name": name, "data": data, "who": who, "max_mb": float(max_mb),
                                    "digest": hashlib.sha256(data).hexdigest()[:24]}


def forget_upload() -> None:
    st.session_state.pop(UPLOAD_KEY, None)


def load_inputs() -> Loaded:
    """The inputs of this session: the upload if there is one, else the sample (cached)."""
    upload = st.session_state.get(UPLOAD_KEY)
    try:
        if upload:
            op, report = _load_upload(upload["digest"], upload["name"], upload["who"].label, upload["max_mb"],
                                      upload["who"], upload["data"])
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


@st.cache_resource(show_spinner=False)
def _swept_once() -> int:
    """Once per server: remove the job folders that servers killed earlier left behind."""
    from planning.job_process import sweep_stale_folders

    return sweep_stale_folders()


def principal() -> Principal:
    """The person using this session (stops the page if nobody may see it)."""
    _swept_once()
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


def run_job(task: str, **kwargs) -> Any:
    """A long task (``planning.jobs.TASKS``) in a child process, with a progress bar here.

    Streamlit stopping the script (another click, a closed tab) interrupts the wait and
    kills the child; errors of the task are raised here again."""
    from planning.jobs import run_isolated

    bar = st.progress(0.0, text="Starting")

    def progress(message: str, fraction: float) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=plain(message))

    try:
        return run_isolated(task, progress=progress, **kwargs)
    finally:
        bar.empty()


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
            try:
                result = run_job("baseline", op=op, weeks=BASELINE_WEEKS)
                if result.forecast is not None:  # the child forecast it; other pages reuse it
                    pipeline.remember_forecast(op, BASELINE_WEEKS, result.forecast)
            except Exception as exc:  # never a traceback: say what failed and what to do
                status.update(label="The baseline plan could not be computed", state="error")
                error_box(f"Planning failed ({type(exc).__name__}: {exc})",
                          "Check the inputs on the Data page, or open Plan to solve with other settings.")
                return None
            status.update(label="Baseline plan ready", state="complete", expanded=False)
    st.session_state[PLAN_RESULT_KEY] = result
    return result
