"""The discrete-event simulation against Erlang C and Erlang A (stationary cases)."""
from __future__ import annotations

import numpy as np
import pytest

from planning.simulation import simulate_queue
from planning.staffing import erlang_a, erlang_c, offered_load


def _steady(result, warmup=2):
    """Pooled SL per replication after a warm-up, then mean and a 99% CI half-width."""
    sl = result.replication_sl[:, warmup:]
    per_rep = np.nanmean(sl, axis=1)
    half = 2.98 * per_rep.std(ddof=1) / np.sqrt(per_rep.size)  # t(0.995, 9)
    return per_rep.mean(), half


@pytest.mark.parametrize("volume, aht, agents, within", [
    (100, 180, 14, 20),   # Call Centre Helper example: SL 0.8884
    (30, 300, 7, 60),     # small queue, long AHT
    (400, 60, 16, 10),    # fast items
])
def test_simulation_agrees_with_erlang_c(volume, aht, agents, within):
    res = simulate_queue(np.full(24, float(volume)), agents, 30, aht, within,
                         replications=10, seed=11)
    mean, half = _steady(res)
    expected = float(erlang_c(offered_load(volume, aht, 30), agents, aht, within)["service_level"])
    assert abs(mean - expected) <= half + 0.005, (mean, half, expected)


@pytest.mark.parametrize("volume, aht, agents, within, patience", [
    (100, 180, 12, 20, 120),  # overloaded without abandonment (load 10, 12 agents)
    (120, 180, 11, 30, 300),  # load 12 > 11 agents: only stable thanks to abandonment
])
def test_simulation_agrees_with_erlang_a(volume, aht, agents, within, patience):
    res = simulate_queue(np.full(24, float(volume)), agents, 30, aht, within,
                         patience_seconds=patience, replications=10, seed=5)
    mean, half = _steady(res)
    exact = erlang_a(offered_load(volume, aht, 30), agents, aht, within, patience)
    assert abs(mean - float(exact["service_level"])) <= half + 0.005
    assert abs(res.intervals["p_abandon"][2:].mean() - float(exact["p_abandon"])) < 0.02


def test_shift_end_agents_finish_their_item_and_fractional_agents():
    # 10 agents for one interval, then none: items in service finish, the backlog stays
    res = simulate_queue(np.array([100.0, 0.0]), np.array([10.0, 0.0]), 30, 180, 20,
                         replications=3, seed=1, drain=False)
    assert (res.intervals["backlog"].iloc[1] >= 0)
    # a partial agent raises SL between the whole-agent values
    sl = [simulate_queue(np.full(12, 100.0), n, 30, 180, 20, replications=6, seed=2,
                         fractional="split").overall_sl for n in (13.0, 13.5, 14.0)]
    assert sl[0] < sl[1] < sl[2]


def test_seeded_and_reproducible():
    a = simulate_queue(np.full(4, 50.0), 6, 30, 180, 20, replications=3, seed=9)
    b = simulate_queue(np.full(4, 50.0), 6, 30, 180, 20, replications=3, seed=9)
    np.testing.assert_array_equal(a.replication_sl, b.replication_sl)
    assert len(a.days) == 1 and 0 <= a.days["service_level"].iloc[0] <= 1


def test_shift_end_semantics_after_a_staffing_drop():
    # 20 agents through a busy interval, then 12: with overtime the leavers finish their
    # items and the 12 who stay are soon free; in the pool convention the new level
    # counts agents still busy with carried-over work, so the next interval does worse
    volume, agents = np.array([100.0, 50.0]), np.array([20.0, 11.0])
    res = {mode: simulate_queue(volume, agents, 30, 300, 20, replications=20, seed=3,
                                shift_end=mode) for mode in ("overtime", "pool")}
    after = {mode: r.intervals["service_level"].iloc[1] for mode, r in res.items()}
    assert after["overtime"] > after["pool"] + 0.02, after
    # nobody drops work: every item is answered eventually (drain with the last staffing)
    assert res["overtime"].intervals["backlog"].iloc[-1] >= 0
    with pytest.raises(ValueError):
        simulate_queue(volume, agents, 30, 300, 20, shift_end="nope")


def test_lognormal_handle_times_follow_allen_cunneen():
    # Allen-Cunneen (Allen 1990, Probability, Statistics and Queueing Theory): M/G/N
    # mean wait ~ Erlang C mean wait x (1 + cv^2) / 2.  Less variable handle times wait
    # less; cv 0.5 should be within 15% of the approximation.
    expected = float(erlang_c(offered_load(100, 180, 30), 13, 180, 20)["asa_seconds"])
    waits = {cv: simulate_queue(np.full(24, 100.0), 13, 30, 180, 20, replications=10, seed=1,
                                service="lognormal", cv=cv).intervals["asa_seconds"][2:].mean()
             for cv in (0.5, 1.5)}
    assert waits[0.5] < waits[1.5]
    assert abs(waits[0.5] - expected * (1 + 0.25) / 2) <= 0.15 * expected * (1 + 0.25) / 2


# ------------------------------------------------ fast engine against the event engine
def _both(rng_seed, arrivals, agents, aht, patience, shift_end="overtime", fractional="random"):
    from planning.simulation.pairs import _event_replication, _fifo_replication

    out = []
    for engine in (_fifo_replication, _event_replication):
        out.append(engine(np.random.default_rng(rng_seed), arrivals, agents, 1800.0,
                          np.broadcast_to(float(aht), arrivals.shape), patience, "exponential",
                          1.0, True, fractional, shift_end))
    return out


@pytest.mark.parametrize("patience", [None, 240.0])
def test_fifo_engine_matches_event_engine_item_by_item_with_constant_staffing(patience):
    # same random inputs, constant staffing (no shift ends to choose): the recursion
    # "start = max(arrival, earliest free agent)" must give the event engine's start
    # times and abandonments exactly, item by item
    arrivals = np.array([80.0, 130.0, 160.0, 60.0, 0.0, 120.0])
    fast, slow = _both(7, arrivals, np.full(6, 11.0), 180, patience)
    assert fast[0].size > 400
    np.testing.assert_array_equal(fast[2], slow[2])  # start times (inf = never started)
    np.testing.assert_array_equal(fast[3], slow[3])  # abandoned
    if patience:
        assert slow[3].sum() > 5  # the case does exercise abandonment


@pytest.mark.parametrize("shift_end", ["overtime", "pool"])
def test_fifo_engine_agrees_with_event_engine_in_distribution_when_staffing_varies(shift_end):
    # staffing ramps and drops with fractional agents: which agents leave is random, so
    # the engines draw differently; per-interval service level and backlog must agree
    # within their confidence intervals (means over 30 replications each)
    volume = np.array([60.0, 140.0, 180.0, 90.0, 40.0, 150.0, 60.0, 20.0])
    agents = np.array([6.5, 14.0, 12.3, 5.0, 9.7, 15.0, 4.4, 2.0])
    res = {engine: simulate_queue(volume, agents, 30, 120, 60, replications=30, seed=21,
                                  shift_end=shift_end, engine=engine)
           for engine in ("fifo", "events")}
    fast, slow = res["fifo"], res["events"]
    if shift_end == "pool":  # no random choice of leavers: the same draws give the same run
        np.testing.assert_array_equal(fast.replication_sl, slow.replication_sl)
    diff = np.abs(np.nanmean(fast.replication_sl, 1).mean() - np.nanmean(slow.replication_sl, 1).mean())
    se = np.hypot(np.nanmean(fast.replication_sl, 1).std(ddof=1),
                  np.nanmean(slow.replication_sl, 1).std(ddof=1)) / np.sqrt(30)
    assert diff <= 3 * se + 0.005, (diff, se)
    for r in (fast, slow):  # the case is not trivial: it queues and it varies
        assert 0.2 < r.overall_sl < 0.95
    # interval by interval: the CIs overlap (a 95% CI pair misses ~never by chance here)
    a, b = fast.intervals, slow.intervals
    assert ((a["sl_lo"] <= b["sl_hi"] + 0.02) & (b["sl_lo"] <= a["sl_hi"] + 0.02)).all()
    assert np.allclose(a["backlog"], b["backlog"], rtol=0.25, atol=3.0)


def test_oldest_waiting_vectorised_matches_a_direct_scan():
    from planning.simulation.pairs import _oldest_waiting

    rng = np.random.default_rng(4)
    for _ in range(200):
        n = int(rng.integers(0, 40))
        times = np.sort(rng.uniform(0, 10, n))
        left = times + rng.exponential(2, n)
        left[rng.uniform(size=n) < 0.15] = np.inf  # never started
        left[rng.uniform(size=n) < 0.2] -= 1.0  # abandoned earlier than later starts
        left = np.maximum(left, times)
        bounds = np.arange(1.0, 12.0)
        direct = [min((t for t, l in zip(times, left) if t <= b < l), default=np.inf) for b in bounds]
        np.testing.assert_array_equal(_oldest_waiting(times, left, bounds), direct)
