"""planning.scenarios.reach: does a lever touch the plan's horizon?  Hand cases on the small
three-site operation of test_levers (history ends 2026-03-02 00:00 UTC)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planning.scenarios import parse_lever
from planning.scenarios.reach import (INSIDE, NOTHING, OUTSIDE, PARTIAL, lever_date_defaults, lever_reach,
                                      plan_horizon, reach_warnings, span)
from tests.scenarios.test_levers import DAY, small_op
from tests.team_cases import team_operation, live


def test_horizon_starts_where_history_ends_and_honours_a_later_first_day():
    op = small_op()
    assert op.history_end == DAY
    h = plan_horizon(op, 2)
    assert (h.start, h.end) == (DAY, DAY + pd.Timedelta(days=14))
    later = plan_horizon(op, 2, dt.date(2026, 3, 5))
    assert later.start == pd.Timestamp("2026-03-05", tz="UTC") and later.end == h.end
    assert h.label() == "Mar 2–16"
    assert lever_date_defaults(op, 2) == {"start": dt.date(2026, 3, 2), "week_start": dt.date(2026, 3, 2),
                                          "end": dt.date(2026, 3, 16)}


def test_span_formats():
    assert span("2026-11-16", "2026-11-30") == "Nov 16–30"
    assert span("2026-11-28", "2026-12-02") == "Nov 28–Dec 2"
    assert span("2026-12-30", "2027-01-02") == "2026-12-30–2027-01-02"


@pytest.mark.parametrize("data, status", [
    # inside: the outage lies in Mar 2-16
    ({"kind": "site_outage", "site": "A", "start": "2026-03-03", "end": "2026-03-06"}, INSIDE),
    # outside: after the horizon, and before it
    ({"kind": "site_outage", "site": "A", "start": "2026-03-20", "end": "2026-03-23"}, OUTSIDE),
    ({"kind": "surge", "event": "x", "queue": "spam", "start": "2026-02-01", "end": "2026-02-03",
      "multiplier": 3}, OUTSIDE),
    # the end is exclusive: ending on the first day touches nothing
    ({"kind": "site_cap", "site": "B", "start": "2026-02-25", "end": "2026-03-02", "max_headcount": 1}, OUTSIDE),
    # partial: straddles the end
    ({"kind": "volume_change", "queue": "spam", "percent": 10, "start": "2026-03-14", "end": "2026-03-20"}, PARTIAL),
    ({"kind": "training", "site": "A", "week_start": "2026-03-12", "hours_per_agent": 4}, PARTIAL),
    ({"kind": "aht_change", "queue": "spam", "start": "2026-03-20", "percent": 10}, OUTSIDE),
    ({"kind": "aht_change", "queue": "spam", "start": "2026-03-10", "percent": 10}, INSIDE),
    # undated levers touch the whole horizon
    ({"kind": "cost_change", "site": "A", "percent": 10}, INSIDE),
    # a pair without volume, a wrong site
    ({"kind": "volume_change", "queue": "spam", "market": "EU-DE", "percent": 10}, NOTHING),
    ({"kind": "site_outage", "site": "ZZZ", "start": "2026-03-03", "end": "2026-03-06"}, NOTHING),
])
def test_lever_reach_hand_cases(data, status):
    op = small_op()
    r = lever_reach(parse_lever(data), op, plan_horizon(op, 2))
    assert r.status == status, r.message
    assert r.touches == (status in (INSIDE, PARTIAL))
    assert (r.message == "") == (status == INSIDE)


def test_outside_message_names_the_lever_and_both_periods():
    op = small_op()
    lever = parse_lever({"kind": "site_outage", "site": "A", "start": "2026-03-20", "end": "2026-03-23"})
    [text] = reach_warnings([parse_lever({"kind": "cost_change", "percent": 5}), lever], op, plan_horizon(op, 2))
    assert text == ("Lever 2: A outage Mar 20–23 (end exclusive) is outside the plan horizon Mar 2–16: "
                    "it changes nothing.")
    partial = lever_reach(parse_lever({"kind": "volume_change", "percent": 10, "start": "2026-03-14",
                                       "end": "2026-03-20"}), op, plan_horizon(op, 2))
    assert "only Mar 14–16 is planned" in partial.message


def test_wrong_team_touches_nothing():
    op = team_operation([("EN", 10), ("JA", 5)], [("spam", "EN", "EN")], [live("spam")])
    h = plan_horizon(op, 1)
    assert lever_reach(parse_lever({"kind": "team_cap", "site": "S1", "team": "EN", "max_headcount": 3}), op, h).touches
    r = lever_reach(parse_lever({"kind": "team_cap", "site": "S1", "team": "KO", "max_headcount": 3}), op, h)
    assert r.status == NOTHING and "no team KO" in r.message and "EN, JA" in r.message
