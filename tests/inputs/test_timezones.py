"""Time-zone utilities: hand-computed DST cases plus hypothesis invariants."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.inputs.timezones import (
    local_day_intervals,
    local_to_utc_grid,
    localize,
    shift_utc_coverage,
    shift_utc_span,
    utc_to_local_grid,
)

ZONES = ["Europe/Dublin", "America/Chicago", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Manila",
         "America/Sao_Paulo", "Australia/Lord_Howe", "America/Santiago", "UTC"]
T = pd.Timestamp


def test_gap_time_starts_at_the_transition_instant():
    # Dublin 2026-03-29: 01:00 GMT -> 02:00 IST at 01:00 UTC; 01:30 does not exist.
    assert localize(dt.datetime(2026, 3, 29, 1, 30), "Europe/Dublin") == T("2026-03-29 01:00Z")
    # Chicago 2026-03-08: 02:00 CST -> 03:00 CDT at 08:00 UTC.
    assert localize(dt.datetime(2026, 3, 8, 2, 30), "America/Chicago") == T("2026-03-08 08:00Z")


def test_ambiguous_time_takes_the_first_occurrence():
    # Dublin 2026-10-25: 02:00 IST -> 01:00 GMT at 01:00 UTC; 01:30 happens twice.
    assert localize(dt.datetime(2026, 10, 25, 1, 30), "Europe/Dublin") == T("2026-10-25 00:30Z")
    assert localize(dt.datetime(2026, 11, 1, 1, 30), "America/Chicago") == T("2026-11-01 06:30Z")


def test_spring_forward_night_shift_still_covers_eight_real_hours():
    cover = shift_utc_coverage(dt.date(2026, 3, 28), dt.time(22, 0), 8, "Europe/Dublin")
    assert cover[0] == (T("2026-03-28 22:00Z"), 30.0)
    assert cover[-1] == (T("2026-03-29 05:30Z"), 30.0)  # 07:00 IST local end
    assert len(cover) == 16 and sum(m for _, m in cover) == 480
    start, end = shift_utc_span(dt.date(2026, 3, 28), "22:00", 8, "Europe/Dublin")
    assert end.tz_convert("Europe/Dublin").hour == 7


def test_fall_back_night_shift_ends_an_hour_earlier_on_the_clock():
    start, end = shift_utc_span(dt.date(2026, 10, 24), "22:00", 8, "Europe/Dublin")
    assert start == T("2026-10-24 21:00Z") and end == T("2026-10-25 05:00Z")
    assert end.tz_convert("Europe/Dublin").hour == 5


def test_half_hour_offset_aligns_and_quarter_hour_offset_is_fractional():
    kolkata = shift_utc_coverage(dt.date(2026, 1, 5), "09:00", 9, "Asia/Kolkata")
    assert kolkata[0] == (T("2026-01-05 03:30Z"), 30.0) and len(kolkata) == 18
    kathmandu = shift_utc_coverage(dt.date(2026, 1, 5), "09:00", 9, "Asia/Kathmandu")
    # 09:00 +05:45 = 03:15 UTC: 15 minutes of the 03:00 interval, 15 of the 12:00 one.
    assert kathmandu[0] == (T("2026-01-05 03:00Z"), 15.0)
    assert kathmandu[-1] == (T("2026-01-05 12:00Z"), 15.0)
    assert len(kathmandu) == 19


def test_quarter_past_start_on_a_half_hour_grid_is_not_rebucketed():
    cover = shift_utc_coverage(dt.date(2026, 1, 5), "07:15", 8, "UTC")
    assert cover[0] == (T("2026-01-05 07:00Z"), 15.0)
    assert cover[-1] == (T("2026-01-05 15:00Z"), 15.0)


@pytest.mark.parametrize("day,zone,count", [
    ("2026-03-29", "Europe/Dublin", 46), ("2026-10-25", "Europe/Dublin", 50),
    ("2026-03-08", "America/Chicago", 46), ("2026-11-01", "America/Chicago", 50),
    ("2026-04-05", "Australia/Lord_Howe", 49),  # 30-minute DST change
    ("2026-03-29", "Asia/Kolkata", 48), ("2026-03-29", "Asia/Kathmandu", 48),
])
def test_local_day_interval_counts(day, zone, count):
    starts = local_day_intervals(day, zone, 30)
    assert len(starts) == count
    assert starts[0].tz_convert(zone).strftime("%H:%M") == "00:00"


def test_day_whose_midnight_does_not_exist_starts_at_the_transition():
    # Chile springs forward at 24:00: 2026-09-06 00:00 does not exist, the day starts at 01:00 -03.
    starts = local_day_intervals("2026-09-06", "America/Santiago", 30)
    assert len(starts) == 46 and starts[0] == T("2026-09-06 04:00Z")


@settings(max_examples=60, deadline=None)
@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)), zone=st.sampled_from(ZONES))
def test_local_day_counts_match_day_length(day, zone):
    starts = local_day_intervals(day, zone, 30)
    nxt = local_day_intervals(day + dt.timedelta(days=1), zone, 30)[0]
    hours = (nxt - starts[0]).total_seconds() / 3600
    assert len(starts) == pytest.approx(hours * 2)
    assert set(starts[1:] - starts[:-1]) <= {pd.Timedelta(minutes=30)}


@settings(max_examples=150, deadline=None)
@given(day=st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)), zone=st.sampled_from(ZONES),
       hour=st.integers(0, 23), minute=st.sampled_from([0, 15, 30, 45, 7]),
       paid=st.floats(1, 16).map(lambda h: round(h * 4) / 4), interval=st.sampled_from([15, 30, 60]))
def test_covered_minutes_equal_paid_length(day, zone, hour, minute, paid, interval):
    cover = shift_utc_coverage(day, dt.time(hour, minute), paid, zone, interval)
    minutes = np.array([m for _, m in cover])
    np.testing.assert_allclose(minutes.sum(), paid * 60)
    assert (minutes > 0).all() and (minutes <= interval).all()
    starts = [t for t, _ in cover]
    assert all(t == t.floor(f"{interval}min") for t in starts)  # on the UTC grid
    assert all(b - a == pd.Timedelta(minutes=interval) for a, b in zip(starts, starts[1:]))
    assert (minutes[1:-1] == interval).all()  # only the ends may be partial


@settings(max_examples=40, deadline=None)
@given(zone=st.sampled_from(ZONES), start=st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 1)),
       days=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_grid_conversions_conserve_totals(zone, start, days, seed):
    rng = np.random.default_rng(seed)
    times = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=48 * days, freq="30min")
    frame = pd.concat([pd.DataFrame({"timestamp": times, "queue": q, "volume": rng.gamma(2, 50, len(times))})
                       for q in ("spam", "abuse")], ignore_index=True)
    local = utc_to_local_grid(frame, zone, 30)
    back = local_to_utc_grid(local, zone, 30)
    for data in (local, back):
        np.testing.assert_allclose(data.groupby("queue").volume.sum().sort_index(),
                                   frame.groupby("queue").volume.sum().sort_index(), rtol=1e-12)
    assert (local.timestamp.dt.minute % 30 == 0).all()  # local wall clock on the grid
    assert (back.timestamp.dt.minute % 30 == 0).all()
    naive = local.assign(timestamp=local.timestamp.dt.tz_localize(None))
    np.testing.assert_allclose(local_to_utc_grid(naive, zone, 30).volume.sum(), frame.volume.sum())


def test_aligned_zone_round_trip_is_exact():
    times = pd.date_range("2026-03-28", periods=144, freq="30min", tz="UTC", unit="ns")
    frame = pd.DataFrame({"timestamp": times, "queue": "spam", "volume": np.arange(144.0)})
    back = local_to_utc_grid(utc_to_local_grid(frame, "Europe/Dublin"), "Europe/Dublin")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), frame[["timestamp", "queue", "volume"]])
