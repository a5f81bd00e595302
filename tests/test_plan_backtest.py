"""Plan backtests (planning.plan_backtest): what a planner knew at an origin, and how the
plan fared on the volume that arrived.  Hand-checked cases on a small operation whose
weeks repeat exactly, so the seasonal naive forecast is the truth unless we change it."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from planning.domain import Event
from planning.plan_backtest import actual_volume, backtest_origin, default_origins, operation_as_of
from planning.plan_backtest_runs import backtest_origins
from tests.test_pipeline import START, small_operation


def repeating_operation(weeks=6):
    """Every week the same volume as the first (so last week repeated = what arrives)."""
    op = small_operation(weeks_of_history=1)
    week = op.volume
    frames = [week.assign(timestamp=week["timestamp"] + pd.Timedelta(weeks=k)) for k in range(weeks)]
    return dataclasses.replace(op, volume=pd.concat(frames, ignore_index=True))


def test_origins_end_where_the_volume_ends_and_the_past_is_cut_there():
    op = repeating_operation()
    origins = default_origins(op, 3)
    assert origins[-1] + pd.Timedelta(weeks=1) == op.history_end == START + pd.Timedelta(weeks=6)
    assert [o.day_of_week for o in origins] == [0, 0, 0] and origins == sorted(origins)
    incident = Event(event="raid", kind="incident", start=origins[-1] + pd.Timedelta(days=2),
                     end=origins[-1] + pd.Timedelta(days=3), volume_multiplier=3.0)
    election = Event(
        event="vote", kind="election", start=incident.start, end=incident.end, volume_multiplier=2.0)
    known = operation_as_of(dataclasses.replace(op, events=[incident, election]), origins[-1])
    assert known.history_end == origins[-1]
    assert [e.event for e in known.events] == ["vote"]  # an incident after the origin was not known
    real = actual_volume(op, origins[-1], op.history_end)
    assert len(real) == 2 * 7 * 24 and real["timestamp"].min() == origins[-1]


def test_a_week_that_repeats_is_claimed_as_it_arrives():
    """Forecast = actual (naive on a repeating history): the same volume, the same random
    numbers, so the figure on real volume equals the claimed one, and the error is 0."""
    op = repeating_operation()
    r = backtest_origin(op, default_origins(op, 1)[0], time_limit=20, replications=2, naive=True)
    p = r.pairs
    assert r.plan.ok and len(p) == 2
    np.testing.assert_allclose(p["forecast_error"], 0.0, atol=1e-12)
    np.testing.assert_allclose(p["actual"], p["claimed"], atol=1e-12)
    assert r.met_on_forecast == r.met_on_actual == 2 and (p["days_below_target"] == 0).all()


def test_more_volume_than_forecast_shows_as_a_miss_and_no_lookahead():
    """The last week brings twice the spam of every week before: the plan, made before it,
    is the same plan (no lookahead), and on the volume that arrived spam falls short (the
    plan's slack, whole shifts and pooled agents, absorbs +60% but not +100%)."""
    op = repeating_operation()
    origin = default_origins(op, 1)[0]
    surge = op.volume.copy()
    late = (surge["timestamp"] >= origin) & (surge["queue"] == "spam")
    surge.loc[late, "volume"] *= 2.0
    hot = dataclasses.replace(op, volume=surge)
    calm = backtest_origin(op, origin, time_limit=20, replications=2, naive=True)
    r = backtest_origin(hot, origin, time_limit=20, replications=2, naive=True)
    assert r.cost == pytest.approx(calm.cost)  # the plan did not see the week it was made for
    pd.testing.assert_frame_equal(r.plan.shifts, calm.plan.shifts)
    spam = r.pairs.set_index("queue").loc["spam"]
    assert spam["forecast_error"] == pytest.approx(1.0, abs=1e-9)
    assert spam["actual"] < spam["target"] <= spam["claimed"] and spam["days_below_target"] >= 1
    assert r.met_on_actual < r.met_on_forecast


def test_finished_origins_are_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    op = repeating_operation()
    said = []
    first = backtest_origins(op, default_origins(op, 1), time_limit=20, replications=2, naive=True)
    again = backtest_origins(op, default_origins(op, 1), time_limit=20, replications=2, naive=True,
                             progress=lambda m, f: said.append(m))
    assert any("read from the cache" in m for m in said)
    pd.testing.assert_frame_equal(first[0].pairs, again[0].pairs)


def test_the_origin_is_planned_as_the_operation_plans_at_its_sla_confidence():
    """With enough history before the origin the plan is staffed at the sla_confidence
    quantile of the workload (never below the point plan); at 0.5 it is the point plan."""
    from planning.plan_backtest import plan_at

    op = repeating_operation(weeks=12)
    origin = default_origins(op, 1)[0]
    known = operation_as_of(op, origin)
    risky = plan_at(known, origin, time_limit=20, replications=1, naive=True)
    neutral = plan_at(dataclasses.replace(known, settings=known.settings.model_copy(update={"sla_confidence": 0.5})),
                      origin, time_limit=20, replications=1, naive=True)
    assert risky.risk["confidence"] == pytest.approx(0.95) and neutral.risk["method"] == "point forecast"
    assert risky.risk["method"] == "weekly quantile", risky.risk["notes"]
    assert (risky.risk["ratios"]["planned_ratio"] >= 1.0).all()
    assert risky.plan.kpis["paid_hours"] >= neutral.plan.kpis["paid_hours"] - 1e-9
