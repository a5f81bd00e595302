"""The Scenarios page's session state: the draft being edited, the last run, the store
(one engine per process via ``st.cache_resource``) and the base operation of a scenario.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from planning.scenarios.scenario import Scenario, allowed_bases, load_base, resolve_base
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.scenario.run_scenario).
from planning.scenarios import Store


DRAFT = "scn_draft"  # session_state: {"id", "name", "base", "notes", "levers" (dicts), "settings" (dict), "parent_id"}
LAST_RUN = "scn_last_run"  # session_state: {"kpis", "seconds", "baseline" (KPIs or None), "signature", "limit"}
CONFIRM = "scn_confirm_delete"  # session_state: id waiting for delete confirmation
STOPPED = "scn_stopped"  # session_state: True after the Stop button interrupted a run
FLASH = "scn_flash"  # session_state: a message to show once after a rerun
DEFAULT_BASE = "data/sample"
UNNAMED = "Unsaved scenario"  # the name of a run before the user names it
CHOICE_FIELDS = {"queue": "queues", "market": "markets", "site": "sites", "vendor": "vendors"}


@st.cache_resource(show_spinner=False)
def _store() -> Store:
    return Store()


def base_datasets() -> dict[str, Path]:
    """The base datasets this server allows: the sample, ``$WFM_BASE_DATASETS`` and
    ``[scenarios] base_datasets`` in ``.streamlit/secrets.toml`` (server configuration only)."""
    try:
        configured = list(st.secrets["scenarios"]["base_datasets"]) if "scenarios" in st.secrets else []
    except (FileNotFoundError, KeyError):  # no secrets file, or no base_datasets in it
        configured = []
    return allowed_bases(configured)


def base_operation(base: str):
    """The validated operation of an allowed base dataset (``BaseNotAllowed`` for any other path)."""
    path = resolve_base(base, base_datasets())
    return _load_base(str(path), _stamp(path))


@st.cache_resource(show_spinner="Loading the base dataset...", max_entries=4)
def _load_base(path: str, stamp: tuple):
    return load_base(path)


def _stamp(path: Path) -> tuple:
    files = [path] if path.is_file() else sorted(q for q in path.glob("*") if q.is_file()) if path.is_dir() else []
    return tuple((q.name, q.stat().st_mtime_ns, q.stat().st_size) for q in files)


def _empty_draft() -> dict:
    return {"id": None, "name": "", "base": DEFAULT_BASE, "notes": "", "levers": [], "settings": {},
            "parent_id": None}


def _draft() -> dict:
    return st.session_state.setdefault(DRAFT, _empty_draft())


def _open(s: Scenario, as_copy: bool = False) -> None:
    st.session_state[DRAFT] = {
        "id": None if as_copy else s.id, "name": f"{s.name} (copy)" if as_copy else s.name, "base": s.base,
        "notes": s.notes, "levers": s.levers_json(), "settings": s.settings.model_dump(mode="json"),
        "parent_id": s.id if as_copy else s.parent_id}
    st.session_state.pop(LAST_RUN, None)
    for key in [k for k in st.session_state if k.startswith("scn_f_")]:
        del st.session_state[key]  # the form widgets show the opened scenario
