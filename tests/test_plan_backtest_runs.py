"""Many plan backtest origins (planning.plan_backtest_runs): parallel = serial, resumable in
two stages, the hindsight reference, and the summary's arithmetic, on the small
repeating operation of tests/test_plan_backtest.py."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import planning.staffing as staffing
from planning.plan_backtest import default_origins
from planning.plan_backtest_runs import backtest_origins, summarise
from tests.test_plan_backtest import repeating_operation

FAST = dict(time_limit=20, replications=2, naive=True)


def test_parallel_and_serial_backtests_agree(tmp_path, monkeypatch):
    """Two origins on two worker processes (each on one core) give what one process gives."""
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    op = repeating_operation(weeks=7)
    origins = default_origins(op, 2)
    said = []
    serial = backtest_origins(op, origins, backend="serial", use_cache=False, **FAST)
    parallel = backtest_origins(op, origins, backend="process", workers=2, use_cache=False,
                                progress=lambda m, f: said.append((m, f)), **FAST)
    assert any("2 process worker(s)" in m for m, _ in said) and said[-1][1] == pytest.approx(1.0)
    assert any("planning and checking" in m for m, _ in said)  # the workers' own progress, relayed
    assert [r.origin for r in parallel] == [r.origin for r in serial] == origins
    for a, b in zip(serial, parallel):
        pd.testing.assert_frame_equal(a.pairs, b.pairs)
        assert (a.cost, a.hindsight_cost) == (b.cost, b.hindsight_cost)
        pd.testing.assert_frame_equal(a.plan.shifts, b.plan.shifts)


def test_second_run_reads_the_disk_and_later_volume_only_rejudges(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    op = repeating_operation()
    origin = default_origins(op, 1)
    first = backtest_origins(op, origin, **FAST)[0]
    said = []
    again = backtest_origins(op, origin, progress=lambda m, f: said.append(m), **FAST)[0]
    assert any("read from the cache" in m for m in said)
    pd.testing.assert_frame_equal(first.pairs, again.pairs)

    # The week after the origin brings twice the spam: nothing known at the origin
    # changed, so the decision is read back (forecasting again would fail here) and only
    # the judgement and the hindsight plan move.
    late = (op.volume["timestamp"] >= origin[0]) & (op.volume["queue"] == "spam")
    busier = dataclasses.replace(op, volume=op.volume.assign(volume=np.where(late, op.volume["volume"] * 2.0,
                                                                              op.volume["volume"])))

    def no_forecast(*args, **kwargs):
        raise AssertionError("the plan made at the origin was recomputed")

    monkeypatch.setattr(staffing, "seasonal_naive_forecast", no_forecast)
    moved = backtest_origins(busier, origin, **FAST)[0]
    assert moved.plan_from_cache and not first.plan_from_cache
    assert moved.cost == first.cost
    pd.testing.assert_series_equal(moved.pairs["forecast_volume"], first.pairs["forecast_volume"])
    spam = moved.pairs["queue"] == "spam"
    np.testing.assert_allclose(moved.pairs.loc[spam, "actual_volume"], 2.0 * first.pairs.loc[spam, "actual_volume"])
    np.testing.assert_allclose(moved.pairs.loc[spam, "forecast_error"], 1.0, atol=1e-9)
    assert (moved.pairs.loc[spam, "actual"] < first.pairs.loc[spam, "actual"]).all()
    assert moved.hindsight_cost > first.hindsight_cost  # the hindsight plan saw the busier week


def test_the_hindsight_plan_costs_the_plan_when_the_forecast_was_right(tmp_path, monkeypatch):
    """Naive on a repeating history: the forecast is the volume that arrived, so the
    hindsight plan is the same problem and costs the same; the cost shares add up to it."""
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    op = repeating_operation()
    r = backtest_origins(op, default_origins(op, 1), use_cache=False, **FAST)[0]
    assert r.hindsight_status in ("optimal", "feasible") and r.cost > 0
    assert r.hindsight_cost == pytest.approx(r.cost, rel=1e-9) and r.cost_ratio == pytest.approx(1.0)
    assert r.pairs["cost_share"].sum() == pytest.approx(r.cost, rel=1e-9)
    assert r.pairs["hindsight_cost_share"].sum() == pytest.approx(r.hindsight_cost, rel=1e-9)
    s = summarise([r], sla_confidence=0.9)
    assert s["pair_weeks"] == 2 and s["reached"] == r.reached_on_actual == 2 and s["share"] == 1.0
    assert s["calibration_points"] == pytest.approx(10.0) and s["cost_ratio"] == pytest.approx(1.0)
    assert s["population"] == "2 pairs x 1 weekly origins, judged on the volume that arrived"


def test_summary_counts_pair_weeks_by_hand():
    """Three judged pair-weeks, one below target and one not judged: 2 of 3 reach target."""
    from planning.plan_backtest import OriginResult

    pairs = pd.DataFrame({"queue": ["a", "b", "c", "d"], "market": "X", "target": 0.9,
                          "actual": [0.95, 0.90, 0.85, np.nan], "actual_lo": np.nan,
                          "actual_hi": [0.97, 0.92, 0.88, np.nan]})
    r1 = OriginResult(pd.Timestamp("2026-01-05", tz="UTC"), None, pairs, 110.0, 10.0, 1, 1.0, 0.5,
                      hindsight_cost=100.0)
    r2 = OriginResult(pd.Timestamp("2026-01-12", tz="UTC"), None, pairs.iloc[:0], 50.0, 5.0, 1, 1.0, 0.5)
    s = summarise([r1, r2], sla_confidence=0.95)
    assert (s["pair_weeks"], s["reached"], s["not_significantly_below"]) == (3, 2, 2)
    assert s["share"] == pytest.approx(2 / 3)
    assert s["calibration_points"] == pytest.approx((2 / 3 - 0.95) * 100)
    assert (s["cost"], s["hindsight_cost"], s["cost_ratio"]) == (110.0, 100.0, pytest.approx(1.1))  # r2: no reference
