"""Monitor page uploads (issue 17): bad actuals files give an error box that says what is
wrong and how to fix it, never an exception; only roles that may upload get the uploader."""
from __future__ import annotations

import gzip

import pytest
from streamlit.testing.v1 import AppTest

TIMEOUT = 300


def _page() -> AppTest:
    return AppTest.from_string("from ui.monitor import render\nrender()\n", default_timeout=TIMEOUT)


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error).replace("\\", "")


@pytest.fixture(scope="module")
def page():
    # Only the uploader is needed from this first run (on the sample actuals). Under AppTest the
    # sample's forecast may fail to spawn its worker processes (the script runs as __main__);
    # that is the sample path, covered by tests/ui/test_pages.py, not what these tests check.
    at = _page().run()
    assert at.file_uploader(key="monitor_actuals_upload") is not None
    return at


@pytest.mark.parametrize("name,data,expected", [
    ("actuals.csv", b"", "file is empty"),
    ("actuals.csv", "timestamp,queue,market\n2026-01-05T00:00:00Z,spam,US\n".encode("utf-16"), "UTF-16"),
    ("actuals.csv.gz", b"\x1f\x8b\x08\x00 not really gzip", "not a complete gzip"),
    ("actuals.csv.gz", gzip.compress(b"timestamp,queue\n" * 1000, mtime=0)[:-20], "not a complete gzip"),
    ("actuals.csv", bytes(range(256)) * 8, "binary data"),
    ("../../../../etc/actuals.csv", b"just some words\nno commas here\n", "required column"),
])
def test_bad_actuals_show_an_error_and_no_exception(page, name, data, expected):
    page.file_uploader(key="monitor_actuals_upload").set_value((name, data, "text/csv"))
    page.run()
    assert not page.exception, [e.value for e in page.exception]
    text = _errors(page)
    assert "cannot be used" in text and "upload it again" in text
    assert expected in text, text[:500]
    assert not page.metric  # nothing computed from the bad file


def test_viewer_gets_no_uploader_and_is_told_why():
    at = _page()
    at.secrets["access"] = {"local_role": "viewer"}
    at.run()  # (the sample forecast below the message may fail to spawn workers under AppTest)
    assert not at.file_uploader
    assert any("cannot upload actuals" in i.value for i in at.info)
