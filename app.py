"""Streamlit entry point: navigation only. Pages live in ui/ (one module per page).

Each page module defines ``PAGE = {"title", "icon", "section", "order"}`` and
``render()``; this router discovers them, so adding a page never edits this file.
"""
from __future__ import annotations

import importlib
import pkgutil

import streamlit as st

import ui
from ui.access import current_principal

SECTIONS = ["Leadership", "Planning", "Vendor managers", "Data"]

st.set_page_config(page_title="T&S Workforce Planner", page_icon=":material/groups:", layout="wide")


def _pages() -> dict[str, list]:
    found = []
    for info in pkgutil.iter_modules(ui.__path__):
        module = importlib.import_module(f"ui.{info.name}")
        meta = getattr(module, "PAGE", None)
        if meta and callable(getattr(module, "render", None)):
            found.append((meta, info.name, module.render))
    found.sort(key=lambda item: (SECTIONS.index(item[0]["section"]), item[0].get("order", 50)))
    nav: dict[str, list] = {}
    for meta, name, render in found:
        page = st.Page(render, title=meta["title"], icon=meta.get("icon"), url_path=name,
                       default=meta.get("default", False))
        nav.setdefault(meta["section"], []).append(page)
    return nav


# Sign-in gate before any page: with OIDC configured ([auth] in secrets), nobody sees a
# page (or its navigation) until signed in with a role; without it, the open local user.
current_principal()
st.navigation(_pages(), position="sidebar").run()
