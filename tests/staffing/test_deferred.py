"""Deferred backlog evaluation and least capacity profile against hand cases and the DES."""
from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from planning.staffing.deferred import (
    DeferredTargetError,
    agents_from_capacity,
    capacity_from_agents,
    evaluate_backlog,
    least_capacity_profile,
)
from planning.simulation import simulate_queue


def test_hand_computed_case():
    # 100 items in hour 0, nothing after; capacity 50 items per hour.
    # Items arrive uniformly over hour 0; the backlog at the end of hour 0 is 50 and
    # the queue empties at 2 h. FIFO: the item arriving at s (h) leaves at 2s, so its
    # delay is s: all items wait < 1 h -> within 1 h share is 1, within 0.5 h is 0.5.
    ev = evaluate_backlog([100, 0, 0], [50, 50, 50], 60, 1.0)
    assert_allclose(ev.intervals["backlog"], [50, 0, 0])
    assert_allclose(ev.share_within, 1.0)
    assert_allclose(evaluate_backlog([100, 0, 0], [50, 50, 50], 60, 0.5).share_within, 0.5)
    # oldest waiting item at 1 h arrived at 0.5 h -> age 0.5 h
    assert_allclose(ev.intervals["oldest_age_hours"].iloc[0], 0.5)


def test_censored_items_at_the_end_are_not_counted_as_met():
    ev = evaluate_backlog([100, 100], [0, 0], 60, 1.0)
    # nothing handled; first hour's items are older than 1 h at the end -> missed,
    # second hour's items are censored
    assert ev.share_within == 0.0
    assert ev.intervals["censored"].iloc[1] > 0


def test_evaluator_agrees_with_simulation():
    arrivals = 200 + 150 * np.sin(np.arange(96) / 48 * 2 * np.pi)
    agents = np.full(96, 6.0)
    ev = evaluate_backlog(arrivals, capacity_from_agents(agents, 60, 30), 30, 2.0)
    sim = simulate_queue(arrivals, agents, 30, 60, 2 * 3600, replications=4, seed=3)
    assert abs(ev.share_within - sim.overall_sl) < 0.02
    # fluid vs stochastic backlog: the simulation loses a little capacity to idle moments
    # while the queue is near critical (first hours); within 1% of the day's arrivals
    gap = np.abs(ev.intervals["backlog"] - sim.intervals["backlog"])
    assert gap.max() <= 0.01 * arrivals.sum()
    assert abs(ev.max_oldest_age_hours - sim.intervals["oldest_age_seconds"].max() / 3600) < 0.3


@pytest.mark.parametrize("target, h, h2", [(0.9, 2.0, 4.0), (0.8, 4.0, None)])
def test_least_profile_meets_target_in_simulation_and_is_least(target, h, h2):
    arrivals = 200 + 150 * np.sin(np.arange(96) / 48 * 2 * np.pi)
    profile, ev = least_capacity_profile(arrivals, 30, h, target, rest_within_hours=h2)
    assert ev.share_within >= target - 1e-6
    if h2:
        assert ev.share_within_rest >= 1 - 1e-6
    # 3% less at the peak misses the target (least)
    from planning.staffing import capped_profile
    worse = evaluate_backlog(np.r_[arrivals, np.zeros(20)],
                             capped_profile(np.r_[arrivals, np.zeros(20)], profile.max() * 0.97),
                             30, h, h2)
    assert worse.share_within < target or (h2 and worse.share_within_rest < 1)
    # Simulation (AHT 60 s). The fluid profile has no slack (100% occupancy whenever
    # there is work), so a stochastic queue lands near, not above, the target; with a 2%
    # occupancy margin (max_occupancy 0.98, how requirements use it) it meets it.
    agents = agents_from_capacity(profile, 60, 30)
    bare = simulate_queue(arrivals, agents, 30, 60, h * 3600, replications=6, seed=1)
    assert bare.overall_hi >= target  # not significantly below the target
    margin = simulate_queue(arrivals, agents / 0.98, 30, 60, h * 3600, replications=6, seed=1)
    assert margin.overall_sl >= target - 0.005


def test_bad_targets():
    with pytest.raises(DeferredTargetError):
        least_capacity_profile([10, 10], 30, 1.0, 1.5)
    with pytest.raises(DeferredTargetError):
        least_capacity_profile([10, 10], 30, 2.0, 0.9, rest_within_hours=1.0)
