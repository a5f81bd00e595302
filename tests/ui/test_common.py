"""Pure helpers of ui/common.py (upload checks, formatting) and planning/overview.py."""
from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from planning.overview import concentration, workload_share_single_site
from tests.test_access import _op
from ui import uploads
from ui import format as fmt


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_sniff_by_content_not_name():
    assert uploads.sniff(b"") == "empty"
    assert uploads.sniff(b"site,vendor\nA,B\n") == "text"
    assert uploads.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 10) == "xls"
    assert uploads.sniff(_zip({"inputs/queues.csv": b"q"})) == "zip"
    assert uploads.sniff(_zip({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})) == "xlsx"


def test_size_limit_message():
    from planning.inputs import Limits, ValidationReport, read_upload

    report = ValidationReport()
    assert read_upload("big.zip", b"PK\x03\x04" + b"\0" * 2_000_000, Limits.for_upload(1), report) == {}
    assert "above the 1 MB upload limit" in report.errors[0].message


def test_upload_limit_follows_the_setting_but_never_exceeds_the_ceiling():
    from planning.domain import Settings

    assert uploads.upload_limit_mb(Settings(max_upload_mb=5)) == 5
    assert uploads.upload_limit_mb(Settings(max_upload_mb=500)) == uploads.MAX_UPLOAD_MB
    assert uploads.upload_limits(Settings(max_upload_mb=5)).max_file_mb == 5


def test_zip_with_two_folders_holding_the_same_table_is_refused():
    from planning.inputs import Limits, ValidationReport, read_upload

    report = ValidationReport()
    read_upload("x.zip", _zip({"a/queues.csv": b"a", "b/queues.csv": b"b"}), Limits(), report)
    assert "two files named queues.csv" in report.errors[0].message


@pytest.mark.parametrize("fn,value,expected", [
    (fmt.fmt_number, (1234.5, "items"), "1,234 items"),  # banker's rounding of .5 is fine: 1,234
    (fmt.fmt_share, (0.875,), "87.5%"),
    (fmt.fmt_duration, (45,), "45 s"),
    (fmt.fmt_duration, (1800,), "30 min"),
    (fmt.fmt_duration, (9000,), "2.5 h"),
    (fmt.fmt_utc, (pd.Timestamp("2026-01-05T08:30Z"),), "2026-01-05 08:30 UTC"),
    (fmt.fmt_local, (pd.Timestamp("2026-01-05T08:30Z"), "Asia/Kolkata"), "2026-01-05 14:00 IST (Asia/Kolkata, UTC+05:30)"),
    (fmt.fmt_number, (float("nan"),), "–"),
])
def test_formatting(fn, value, expected):
    assert fn(*value) == expected


def test_plain_escapes_markdown_and_html():
    text = fmt.plain("<script>x</script> [link](http://a) **b**")
    assert "<script>" not in text and "\\<script\\>" in text and "\\[link\\]" in text


def test_concentration_hand_computed():
    conc = concentration(_op()).set_index(["queue", "market"])
    # spam x NA-EN: HYD (100) and DUB (100) -> top share 0.5; the others are single-site
    assert conc.loc[("spam", "NA-EN"), "top_site_share"] == pytest.approx(0.5)
    assert conc.loc[("spam", "NA-EN"), "certified_sites"] == 2
    assert conc.loc[("child_safety", "NA-EN"), "single_site"]
    assert conc.loc[("child_safety", "APAC-JA"), "certified_sites"] == 0  # volume but no site


def test_single_site_workload_share():
    frame = pd.DataFrame({"single_site": [True, False], "weekly_workload_hours": [30.0, 90.0]})
    assert workload_share_single_site(frame) == pytest.approx(0.25)


def test_a_tampered_sample_cache_is_refused_and_reloaded(tmp_path, monkeypatch):
    """ui.common keeps the validated sample in var/cache: a file planted there is never
    unpickled; the sample is loaded again and stored signed."""
    import pickle

    from forecasts import cachefile
    from tests.test_pipeline import _Planted
    from ui import common

    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WFM_CACHE_KEY_FILE", str(tmp_path / "var" / "cache.key"))
    path = tmp_path / "cache" / f"inputs-abc-{common._code_digest()}.pkl"
    path.parent.mkdir(parents=True)
    marker = tmp_path / "code-ran"
    path.write_bytes(pickle.dumps(_Planted(marker)))
    op, report = common._stored_load("abc", common.SAMPLE_DIR)
    assert not marker.exists(), "a planted cache file was unpickled"
    assert op is not None and report.valid
    stored_op, _ = cachefile.load(path)  # replaced by a signed copy of the real load
    assert sorted(stored_op.sites) == sorted(op.sites)
