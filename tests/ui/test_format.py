"""The formatting helpers: what a person reads, checked against hand-written strings."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ui.format import display_frame, fmt_clock, fmt_delta, fmt_money, fmt_number, fmt_share


def test_numbers_money_and_shares():
    assert fmt_number(1234.6, "items") == "1,235 items"
    assert fmt_number(915630.3400000001, "", 2) == "915,630.34"
    assert fmt_money(38300, "EUR") == "EUR 38,300"
    assert fmt_share(0.7987) == "79.9%"
    assert fmt_number(float("nan")) == "–"


def test_a_delta_is_signed_and_never_minus_zero():
    assert fmt_delta(-0.04, "pp", 1) == "±0 pp"
    assert fmt_delta(0.0, "h") == "±0 h"
    assert fmt_delta(1250, "h") == "+1,250 h"
    assert fmt_delta(-3400, currency="USD") == "−USD 3,400"
    assert fmt_delta(38300.4, currency="USD") == "+USD 38,300"


def test_clock_times_are_24_hour_with_their_zone():
    ts = pd.Timestamp("2026-11-16T13:00Z")
    assert fmt_clock(ts) == "13:00 UTC"
    assert fmt_clock(ts, "Asia/Manila") == "21:00 Asia/Manila"
    assert fmt_clock(None) == "–"


def test_display_frame_rounds_and_labels_without_changing_the_rows():
    frame = pd.DataFrame({
        "timestamp": pd.to_datetime(["2026-11-16T00:00Z", None], utc=True),
        "cost": [915630.3400000001, 12.0],
        "heads": [123.0, 84.0],
        "share": [0.798712, np.nan],
        "site": ["AUS-C", "DUB-B"],
    })
    shown = display_frame(frame)
    assert list(shown["timestamp"].iloc[:1]) == ["2026-11-16 00:00 UTC"] and pd.isna(shown["timestamp"].iloc[1])
    assert shown["cost"].tolist() == frame["cost"].tolist()  # numbers keep their values
    assert shown["site"].tolist() == ["AUS-C", "DUB-B"]
    assert frame["cost"].iloc[0] == 915630.3400000001  # the caller's frame is untouched
    assert not any("+00:00" in str(v) for v in shown["timestamp"])
