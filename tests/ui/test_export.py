"""The Export page (AppTest): builds on demand, previews sheets, and a vendor manager only
ever gets their own vendor's workbook."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.export_cases import EVIL_VENDOR, tiny_result

TIMEOUT = 300


def app(result=None, vendor: str | None = None) -> AppTest:
    at = AppTest.from_string("from ui.export import render\nrender()\n", default_timeout=TIMEOUT)
    if vendor:
        at.secrets["access"] = {"local_role": "vendor_manager", "local_vendor": vendor}
    if result is not None:
        at.session_state["plan_result"] = result
    return at


@pytest.fixture(autouse=True)
def _plans_db(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_DB", str(tmp_path / "plans.db"))  # the plan of record lives in the store


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_a_plan_the_page_offers_to_plan(monkeypatch):
    from ui import common

    monkeypatch.setattr(common, "plan_result", lambda op, label="": None)  # no baseline, nothing published
    at = ok(app().run())
    assert [b.label for b in at.button] == ["Plan now"]
    caption = [c.value for c in at.caption]
    at.radio(key="export_source").set_value("Forecast models (slower)")
    ok(at.run())
    assert [c.value for c in at.caption] != caption  # says which forecast the plan will use


def test_build_download_and_preview_every_sheet():
    result = tiny_result()
    at = ok(app(result).run())
    shown = [c.value.replace("\\", "") for c in at.caption]
    assert any(c.startswith("Plan of record: the baseline") for c in shown), shown
    assert f"USD {result.plan.cost:,.0f}" in at.markdown[0].value.replace("\\", "")
    assert not at.get("download_button")  # nothing is built until asked
    ok(at.button(key="export_build_workbook").click().run())
    [download] = at.get("download_button")
    assert "Download the workbook" in download.label
    sheets = at.selectbox(key="export_preview_sheet").options
    assert sheets[:3] == ["Summary", EVIL_VENDOR, "Vendor A"]
    ok(at.selectbox(key="export_preview_sheet").select("Vendor A").run())
    preview = at.dataframe[0].value
    assert "Shifts: Vendor A" in preview.iloc[0].tolist()
    ok(at.button(key="export_build_vendor workbooks").click().run())
    assert len(at.get("download_button")) == 4  # the workbook, one per vendor, the zip of all


def test_vendor_manager_gets_only_their_workbook():
    result = tiny_result()
    at = ok(app(result, vendor="Vendor A").run())
    labels = [b.label for b in at.button]
    assert "Build the Vendor A workbook" in labels and "Build the vendor pack" not in labels
    ok(at.button(key="export_build_Vendor A workbook").click().run())
    assert at.selectbox(key="export_preview_sheet").options == ["Summary", "Vendor A", "KTM teams", "S1 teams",
                                                                "Workload", "Assumptions", "About"]
    preview = at.dataframe[0].value.to_string()
    assert EVIL_VENDOR not in preview and "DUB" not in preview


def test_hiring_plan_from_the_capacity_page_is_included():
    import pandas as pd
    from types import SimpleNamespace

    weekly = pd.DataFrame({"week_start": [pd.Timestamp("2026-03-02").date()], "site": ["S1"], "vendor": ["Vendor A"],
                           "demand_fte": [10.0], "supply_fte": [9.0], "hires": [2], "short_fte": [1.0],
                           "headcount": [11.0], "salary_cost": [1.0], "hiring_cost": [2.0]})
    at = app(tiny_result())
    at.session_state["capacity_plan"] = SimpleNamespace(weekly=weekly, classes=None)
    ok(at.run())
    ok(at.button(key="export_build_workbook").click().run())
    assert "Hiring plan" in at.selectbox(key="export_preview_sheet").options


def download_labels(at) -> list[str]:
    return [d.proto.label for d in at.get("download_button")]


def test_one_download_per_vendor_and_the_zip():
    result = tiny_result()
    at = ok(app(result).run())
    assert "Vendor workbooks" in [h.value for h in at.subheader]
    ok(at.button(key="export_build_vendor workbooks").click().run())
    labels = download_labels(at)
    assert [label.split(" (")[0] for label in labels] == [f"Download {EVIL_VENDOR}", "Download Vendor A",
                                                          "Download all as a zip"]
    files = [d.proto.url for d in at.get("download_button")]
    assert len(set(files)) == 3  # three different files


def test_vendor_manager_gets_only_his_vendor_download():
    result = tiny_result()
    at = ok(app(result, vendor="Vendor A").run())
    ok(at.button(key="export_build_vendor workbooks").click().run())
    labels = download_labels(at)
    assert [label.split(" (")[0] for label in labels] == ["Download Vendor A"]
    assert not any(EVIL_VENDOR in label or "zip" in label for label in labels)
