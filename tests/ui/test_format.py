"""The formatting helpers: what a person reads, checked against hand-written strings."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ui.format import (below_target, delta_color, display_frame, fmt_clock, fmt_compact, fmt_delta, fmt_hours,
                       fmt_local, fmt_money, fmt_money_compact, fmt_number, fmt_pp, fmt_share, fmt_utc,
                       money_header)


def test_numbers_money_and_shares():
    assert fmt_number(1234.6, "items") == "1,235 items"
    assert fmt_number(915630.3400000001, "", 2) == "915,630.34"
    assert fmt_money(38300, "EUR") == "EUR 38,300"
    assert fmt_share(0.7987) == "79.9%"
    assert fmt_number(float("nan")) == "–"


def test_a_delta_is_signed_and_never_minus_zero():
    assert fmt_delta(-0.04, "pp", 1) == "0.0 pp"
    assert fmt_delta(0.0, "h") == "0 h"
    assert fmt_delta(-0.4, currency="USD") == "USD 0"
    assert fmt_delta(1250, "h") == "+1,250 h"
    assert fmt_delta(-3400, currency="USD") == "-USD 3,400"  # ASCII minus: st.metric colours by it
    assert fmt_delta(38300.4, currency="USD") == "+USD 38,300"


def test_percentage_point_changes_and_their_colour():
    # 0.80 - 0.8004 = -0.0004 -> -0.04 pp, which rounds to 0.0 at one decimal: neutral
    assert fmt_pp(0.80 - 0.8004) == "0.0 pp"
    assert delta_color(0.80 - 0.8004, digits=1, scale=100) == "off"
    assert fmt_pp(0.812 - 0.80) == "+1.2 pp"
    assert fmt_pp(0.7987 - 0.80, 2) == "-0.13 pp"
    assert delta_color(-0.0013, digits=1, scale=100) == "normal"
    assert delta_color(120.0, higher_is_better=False) == "inverse"
    assert delta_color(float("nan")) == "off"
    assert fmt_pp(None) == "–"


def test_below_target_compares_unrounded():
    assert fmt_share(0.7987, 0) == "80%"  # reads like the target ...
    assert below_target(0.7987, 0.80)  # ... and is still below it
    assert not below_target(0.80, 0.80)
    assert not below_target(0.80 + 1e-12, 0.80)
    assert not below_target(float("nan"), 0.80)


def test_compact_numbers_for_metric_tiles():
    assert fmt_compact(187234) == "187.2k"
    assert fmt_compact(999_960) == "1.0M"  # not '1000.0k'
    assert fmt_compact(2_500_000, "h") == "2.5M h"
    assert fmt_compact(950, "agents") == "950 agents"
    assert fmt_compact(-12_300) == "-12.3k"
    assert fmt_money_compact(187234, "EUR") == "EUR 187.2k"
    assert fmt_money(-1234.5, "USD") == "-USD 1,234"  # 1234.5 rounds half to even: 1,234
    assert fmt_money(-0.2, "USD") == "USD 0"
    assert fmt_hours(1234.4) == "1,234 h"
    assert money_header("Cost", "USD") == "Cost (USD)"


def test_clock_times_are_24_hour_with_their_zone():
    ts = pd.Timestamp("2026-11-16T13:00Z")
    assert fmt_clock(ts) == "13:00 UTC"
    assert fmt_clock(ts, "Asia/Manila") == "21:00 Asia/Manila"
    assert fmt_clock(None) == "–"
    assert fmt_clock(pd.Timestamp("2026-11-16T23:30Z")) == "23:30 UTC"  # never '11:30 PM'


def test_timestamps_are_labelled_never_raw_offsets():
    assert fmt_utc(pd.Timestamp("2026-11-16T13:00:00+00:00")) == "2026-11-16 13:00 UTC"
    assert fmt_utc(pd.Timestamp("2026-11-16T14:00:00+01:00")) == "2026-11-16 13:00 UTC"
    assert fmt_utc(pd.Timestamp("2026-11-16 13:00")) == "2026-11-16 13:00 UTC"  # naive = UTC
    # Manila is UTC+8 all year (abbreviation PST, Philippine Standard Time)
    assert fmt_local(pd.Timestamp("2026-11-16T13:00Z"), "Asia/Manila") == \
        "2026-11-16 21:00 PST (Asia/Manila, UTC+08:00)"
    # Dublin in July is on summer time, IST = UTC+1
    assert fmt_local(pd.Timestamp("2026-07-01T13:00Z"), "Europe/Dublin") == \
        "2026-07-01 14:00 IST (Europe/Dublin, UTC+01:00)"


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
