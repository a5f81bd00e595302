"""Every page in ui/ rendered with streamlit.testing.v1.AppTest on the sample.

Pages are discovered like app.py does (a module with PAGE and render), so pages added by
other issues are covered without editing this file. For each page: it renders without
an exception, and its main interaction (the first widget that does something) changes
what the page shows. Then specific checks for the Data and Overview pages, uploads,
and roles (a vendor manager's pages only get their vendor's rows).
"""
from __future__ import annotations

import importlib
import io
import pkgutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Widget

import ui

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
TIMEOUT = 300  # seconds per run: other pages may compute a plan on first render


def discover_pages() -> list[str]:
    found = []
    for info in pkgutil.iter_modules(ui.__path__):
        module = importlib.import_module(f"ui.{info.name}")
        if getattr(module, "PAGE", None) and callable(getattr(module, "render", None)):
            found.append(info.name)
    return sorted(found)


PAGES = discover_pages()


def page_app(name: str) -> AppTest:
    return AppTest.from_string(f"from ui.{name} import render\nrender()\n", default_timeout=TIMEOUT)


def shown(at: AppTest) -> list[tuple[str, bytes]]:
    """What the page displays: every non-widget element's type and content."""
    out = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            proto = getattr(child, "proto", None)
            if proto is not None and not isinstance(child, (Widget, Block)):
                out.append((child.type, proto.SerializeToString(deterministic=True)))
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return out


def no_failure(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_discovery_finds_my_pages():
    assert {"data", "overview"} <= set(PAGES)
    assert "common" not in PAGES and "access" not in PAGES


def _alternatives(widget):
    """Values to try for a widget, other than its current one."""
    kind = widget.type
    if kind == "selectbox":  # options are the formatted labels: select by position
        return [("index", i) for i in range(len(widget.options)) if i != widget.index][:2]
    if kind == "radio":
        return [o for o in widget.options if o != widget.options[widget.index or 0]][:2]
    if kind in ("toggle", "checkbox"):
        return [not widget.value]
    if kind == "multiselect":
        return [widget.options[:1]] if widget.options else []
    if kind == "slider":
        lo, hi = widget.min, widget.max
        value = widget.value
        if isinstance(value, (tuple, list)) or not isinstance(value, (int, float)):
            return []
        return [v for v in (lo, hi) if v != value][:1]
    if kind == "number_input":
        step = widget.step or 1
        return [widget.value + step] if widget.value is not None else []
    return []


INTERACTIVE = ["selectbox", "radio", "toggle", "checkbox", "slider", "multiselect", "number_input"]


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_on_sample_and_reacts(name):
    at = page_app(name).run()
    no_failure(at)
    before = shown(at)
    assert before, f"page {name} shows nothing"
    tried = []
    for kind in INTERACTIVE:
        for index in range(len(at.get(kind))):
            widget = at.get(kind)[index]
            for value in _alternatives(widget):
                tried.append(f"{kind} {getattr(widget, 'label', '')!r} -> {value!r}")
                try:
                    if isinstance(value, tuple) and value[0] == "index":
                        widget.select_index(value[1])
                    else:
                        widget.set_value(value)
                except Exception:  # a radio whose labels are formatted: cannot set by label
                    continue
                at.run()
                no_failure(at)
                if shown(at) != before:
                    return
    # no value widget changed anything: try the page's buttons (e.g. "Run plan")
    for index in range(len(at.button)):
        button = at.button[index]
        if button.disabled:
            continue
        tried.append(f"button {button.label!r}")
        button.click()
        at.run()
        no_failure(at)
        if shown(at) != before:
            return
    pytest.fail(f"no interaction on page {name} changed what it shows; tried: {tried}")


# --- Data page --------------------------------------------------------------------

def test_data_page_sample_is_valid_and_previews_every_table():
    at = page_app("data").run()
    no_failure(at)
    assert any("valid" in s.value for s in at.success), [s.value for s in at.success]
    table = at.selectbox(key="data_preview_table")
    sites = pd.read_csv(SAMPLE / "sites.csv")
    table.set_value("sites").run()
    frame = at.dataframe[0].value
    assert sorted(frame["site"]) == sorted(sites["site"])
    assert list(frame.columns[:3]) == ["site", "vendor", "city"]
    table.set_value("volume").run()
    no_failure(at)
    assert len(at.dataframe[0].value) == 1000  # preview only, the metric says the full count
    assert [m.value for m in at.metric][0].replace(",", "").isdigit()
    assert len(at.download_button) >= 3  # table CSV + two templates


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="data_uploader").set_value((name, data, "application/octet-stream"))
    return at.run()


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


def test_upload_csv_renamed_xlsx_gets_clear_error_and_back_to_sample():
    at = page_app("data").run()
    _upload(at, "plan.xlsx", (SAMPLE / "sites.csv").read_bytes())
    no_failure(at)
    text = _errors(at)
    assert "CSV text, not an Excel workbook" in text and "plan.xlsx" in text
    # the report table lists the problem; the other pages show an empty state instead of data
    assert "CSV text" in at.dataframe[0].value["message"].iloc[0]
    at.button(key="data_use_sample").click().run()
    assert any("built-in sample" in s.value.replace("\\", "") for s in at.success)


@pytest.mark.parametrize("name,data,expected", [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "legacy Excel 97-2003"),
    ("empty.zip", b"", "the file is empty"),
    ("random.zip", b"\x00\x01garbage" * 50, "unrecognised content"),
])
def test_upload_wrong_types_are_named(name, data, expected):
    at = page_app("data").run()
    _upload(at, name, data)
    no_failure(at)
    assert expected in _errors(at)


def _small_sample_zip(tmp_path: Path, break_queues: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(SAMPLE.iterdir()):
            if path.name.startswith("volume"):
                volume = pd.read_csv(path, dtype=str)
                stamps = sorted(volume["timestamp"].unique())[: 14 * 48]  # two weeks
                zf.writestr("inputs/volume.csv", volume[volume["timestamp"].isin(stamps)].to_csv(index=False))
            elif path.name == "queues.csv" and break_queues:
                zf.writestr("inputs/queues.csv", path.read_text().replace("aht_seconds", "aht", 1))
            else:
                zf.write(path, f"inputs/{path.name}")
    return buffer.getvalue()


def test_upload_valid_zip_becomes_the_operation(tmp_path):
    at = page_app("data").run()
    _upload(at, "two-weeks.zip", _small_sample_zip(tmp_path))
    no_failure(at)
    assert any("two-weeks.zip" in s.value.replace("\\", "") and "valid" in s.value for s in at.success), \
        _errors(at)
    at.selectbox(key="data_preview_table").set_value("volume").run()
    first, last = at.metric[2].value, at.metric[3].value
    gap = pd.Timestamp(last.replace(" UTC", "Z")) - pd.Timestamp(first.replace(" UTC", "Z"))
    assert gap == pd.Timedelta(days=14) - pd.Timedelta(minutes=30)


def test_upload_zip_with_renamed_column_shows_report_row(tmp_path):
    at = page_app("data").run()
    _upload(at, "broken.zip", _small_sample_zip(tmp_path, break_queues=True))
    no_failure(at)
    report = at.dataframe[0].value
    hit = report[report["message"].str.contains("aht_seconds")]
    assert not hit.empty, report.to_dict("records")
    assert "queues" in str(hit.iloc[0]["file"])
    # narrowing the report to warnings only changes the table
    at.segmented_control(key="data_severity").set_value(["warning"]).run()
    assert "aht_seconds" not in " ".join(at.dataframe[0].value["message"].astype(str))


def test_zip_bomb_is_refused_before_extracting():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inputs/volume.csv", b"0" * 50_000_000)
    at = page_app("data").run()
    _upload(at, "bomb.zip", buffer.getvalue())
    no_failure(at)
    assert "zip bomb" in _errors(at)


# --- Overview ---------------------------------------------------------------------

def test_overview_headline_matches_independent_sums():
    at = page_app("overview").run()
    no_failure(at)
    sites = pd.read_csv(SAMPLE / "sites.csv")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sites / vendors"] == f"{len(sites)} / {sites['vendor'].nunique()}"
    volume = pd.read_csv(SAMPLE / "volume.csv.gz", usecols=["timestamp", "volume"])
    ts = pd.to_datetime(volume["timestamp"], utc=True)
    last_monday = (ts.max() + pd.Timedelta(minutes=30)).floor("D")
    last_monday -= pd.Timedelta(days=last_monday.day_of_week)
    week = volume[(ts >= last_monday - pd.Timedelta(days=7)) & (ts < last_monday)]["volume"].sum()
    assert metrics["Volume, last full week (items)"] == f"{week:,.0f}"


def test_overview_split_and_toggle_change_what_is_shown():
    at = page_app("overview").run()
    at.radio(key="overview_group").set_value("queue").run()
    no_failure(at)
    demand = next(d.value for d in at.dataframe if "queue" in d.value.columns and "volume (items/week, mean)"
                  in d.value.columns)
    assert set(demand["queue"]) == set(pd.read_csv(SAMPLE / "queues.csv")["queue"])
    risky = at.toggle(key="overview_risky_only")
    n_before = len(at.dataframe)
    risky.set_value(False).run()
    conc = at.dataframe[-1].value
    certs = pd.read_csv(SAMPLE / "certifications.csv")
    assert len(conc) == len(certs[["queue", "market"]].drop_duplicates())
    assert len(at.dataframe) >= n_before


# --- roles ------------------------------------------------------------------------

VENDOR = "Borealis CX"


def _as_vendor_manager(at: AppTest) -> AppTest:
    at.secrets["access"] = {"local_role": "vendor_manager", "local_vendor": VENDOR}
    return at


def test_vendor_manager_sees_only_own_sites_on_data_and_overview():
    sites = pd.read_csv(SAMPLE / "sites.csv")
    mine = set(sites.loc[sites["vendor"] == VENDOR, "site"])
    at = _as_vendor_manager(page_app("data")).run()
    no_failure(at)
    assert not at.file_uploader  # cannot replace the inputs
    at.selectbox(key="data_preview_table").set_value("sites").run()
    assert set(at.dataframe[0].value["site"]) == mine
    at.selectbox(key="data_preview_table").set_value("certifications").run()
    assert set(at.dataframe[0].value["site"]) == mine
    ov = _as_vendor_manager(page_app("overview")).run()
    no_failure(ov)
    assert {m.label: m.value for m in ov.metric}["Sites / vendors"] == f"{len(mine)} / 1"


def test_sign_in_required_when_auth_configured():
    at = page_app("overview")
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "s",
                          "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}
    at.secrets["access"] = {"users": {"ana@example.com": {"role": "vendor_manager", "vendor": VENDOR}}}
    at.user = {"is_logged_in": False}
    at.run()
    no_failure(at)
    assert at.button(key="access_login") and not at.metric
    at.user = {"is_logged_in": True, "email": "stranger@example.com", "email_verified": True}
    at.run()
    assert "no role" in _errors(at) and not at.metric
    # the attacks: an unverified address, and a case variant of a listed one
    at.user = {"is_logged_in": True, "email": "ana@example.com", "email_verified": False}
    at.run()
    assert "Sign-in refused" in _errors(at) and not at.metric
    at.user = {"is_logged_in": True, "email": "Ana@example.com", "email_verified": True}
    at.run()
    assert "no role" in _errors(at) and not at.metric
    at.user = {"is_logged_in": True, "email": "ana@example.com", "email_verified": True}
    at.run()
    no_failure(at)
    sites = pd.read_csv(SAMPLE / "sites.csv")
    n_mine = int((sites["vendor"] == VENDOR).sum())
    assert {m.label: m.value for m in at.metric}["Sites / vendors"] == f"{n_mine} / 1"


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "id", "client_secret": "s",
        "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}


def test_app_gate_runs_no_page_until_signed_in(monkeypatch):
    """app.py gates before st.navigation: with OIDC configured, no page's render() runs
    until someone with a role signs in (pages that forget to call principal() included)."""
    rendered: list[str] = []
    for name in PAGES:
        module = importlib.import_module(f"ui.{name}")
        monkeypatch.setattr(module, "render", lambda name=name: rendered.append(name))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = {"users": {"ana@example.com": {"role": "planner"}}}
    at.user = {"is_logged_in": False}
    at.run()
    no_failure(at)
    assert at.button(key="access_login") and rendered == []
    at.user = {"is_logged_in": True, "email": "stranger@example.com", "email_verified": True}
    at.run()
    assert "no role" in _errors(at) and rendered == []
    at.user = {"is_logged_in": True, "email": "ana@example.com"}  # the provider does not say it is verified
    at.run()
    assert "Sign-in refused" in _errors(at) and rendered == []
    at.user = {"is_logged_in": True, "email": "ana@example.com", "email_verified": True}
    at.run()
    no_failure(at)
    assert rendered == ["overview"]  # the default page, once signed in


def test_overview_opens_on_the_baseline_plan_with_its_figures():
    """The Overview shows the baseline plan's cost and SLA risk, equal to the pipeline's KPIs."""
    from planning import pipeline
    from planning.inputs import load_operation

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900).run()
    assert not at.exception
    op, _ = load_operation(ROOT / "data" / "sample")
    kpis = pipeline.baseline(op, weeks=1).kpis  # read from the disk cache the page filled
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cost per week"] == f"USD {kpis['cost']:,.0f}"  # a one-week baseline
    risky = sum(1 for a in kpis["attainment"]
                if (a["simulated"] if a["simulated"] is not None else a["predicted"]) < a["target"] - 1e-9)
    assert metrics["Queue x market pairs at SLA risk"] == f"{risky} of {len(kpis['attainment'])}"


def test_overview_shows_the_forecast_risk_of_the_baseline():
    """The baseline is risk-aware (sla_confidence 0.95): the Overview says how many pairs reach the
    confidence, and its SLA table carries the probability and the flag the count is made of."""
    import re

    at = page_app("overview").run()
    no_failure(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Forecast risk:"))
    reached, total = map(int, re.search(r"(\d+) of (\d+) queue x markets reach", caption).groups())
    table = next(d.value for d in at.dataframe if "below_confidence" in d.value)
    assert total == len(table) and reached == int((~table["below_confidence"]).sum())
    assert (table["below_confidence"] == (table["p_target_hi"] < 0.95 - 1e-9)).all()
    assert "95% chance of meeting target" in caption
