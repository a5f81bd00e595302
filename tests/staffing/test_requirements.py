"""Requirements frame, the time-varying live method (checked by simulation) and deferred."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from planning.staffing import capacity_from_agents, evaluate_backlog
from planning.domain import Market, Operation, Queue, Settings
from planning.staffing.requirements import (
    COLUMNS,
    RequirementsError,
    attainment_report,
    compute_requirements,
    time_varying_requirements,
)
from planning.simulation import simulate_queue
from planning.staffing import offered_load, required_agents

HOURS = (np.arange(48) + 0.5) / 2
# a day with a late-morning peak and an evening peak [items per 30 min at AHT 180 s]
DAY = 60 + 340 * np.exp(-0.5 * ((HOURS - 11) / 1.5) ** 2) + 200 * np.exp(-0.5 * ((HOURS - 19) / 1.0) ** 2)


def _op(aht=600.0):
    queues = {
        "live": Queue(queue="live", sla_kind="live", sla_target=0.8, sla_within_seconds=20,
                      aht_seconds=aht, max_occupancy=1.0),
        "backlog": Queue(queue="backlog", sla_kind="deferred", sla_target=0.9, sla_within_hours=2,
                         sla_rest_within_hours=4, aht_seconds=60, max_occupancy=0.98),
    }
    markets = {"EN": Market(market="EN", timezone="UTC", holiday_country="US")}
    return Operation(queues=queues, markets=markets, sites={}, certifications=[], shifts=[],
                     volume=pd.DataFrame(columns=["timestamp", "queue", "market", "volume"]),
                     settings=Settings(interval_minutes=30, random_seed=3))


def _forecast(queue, values, start="2026-03-02T00:00:00Z"):
    ts = pd.date_range(start, periods=len(values), freq="30min")
    return pd.DataFrame({"timestamp": ts, "queue": queue, "market": "EN", "model": "test",
                         "forecast": values})


def test_frame_contract_and_aht_override():
    op = _op()
    fc = pd.concat([_forecast("live", DAY * 0.3), _forecast("backlog", DAY * 3)], ignore_index=True)
    req = compute_requirements(op, fc)
    assert list(req.columns) == COLUMNS
    assert len(req) == 96 and str(req["timestamp"].dt.tz) == "UTC"
    assert set(req["sla_kind"]) == {"live", "deferred"}
    live = req[req["queue"] == "live"]
    assert_allclose(live["workload_hours"], DAY * 0.3 * 600 / 3600)
    assert (live["required_agents"] % 1 != 0).any()  # fractional, never rounded
    # a per-row AHT override (learning curve) raises the requirement where it is longer
    fc2 = fc.copy()
    fc2["aht_seconds"] = np.where(fc2["queue"] == "live", 720.0, 60.0)
    req2 = compute_requirements(op, fc2)
    more = req2[req2["queue"] == "live"]["required_agents"].to_numpy()
    assert np.all(more >= live["required_agents"].to_numpy() - 1e-9)
    assert_allclose(req2[req2["queue"] == "live"]["aht_seconds"], 720.0)


def test_stationary_method_is_per_interval_erlang_c():
    op = _op(aht=180.0)
    req = compute_requirements(op, _forecast("live", DAY), method="stationary")
    expected = required_agents(offered_load(DAY, 180.0, 30), 180.0, 20, 0.8)
    assert_allclose(req["required_agents"], expected)


def test_time_varying_holds_interval_by_interval_in_simulation():
    """An interval "misses" when the target is above the upper 95% confidence limit of
    its simulated service level (30 seeded replications): a plan aimed exactly at the
    target lands below it in about half the intervals by chance, so the confidence limit
    is the fair judge.  Under the M_t/M/s_t convention (``shift_end="pool"``: a lower
    staffing level counts agents still busy with carried-over work) stationary Erlang C
    per interval misses the target just after the peaks; the time-varying method holds
    there and when leaving agents finish their item as overtime (the default)."""
    aht, within, target = 600.0, 20.0, 0.8
    volume = DAY * 180 / aht
    tv = time_varying_requirements(volume[None, :], aht, 30, within, target)[0]
    st = required_agents(offered_load(volume, aht, 30), aht, within, target)
    missed = {}
    for name, agents in (("time_varying", tv), ("stationary", st)):
        for shift_end in ("pool", "overtime"):
            sim = simulate_queue(volume, agents, 30, aht, within, replications=30, seed=4,
                                 shift_end=shift_end)
            missed[name, shift_end] = int((sim.intervals["sl_hi"] < target).sum())
            if name == "time_varying":
                assert sim.overall_sl >= target - 0.005
    assert missed["time_varying", "pool"] <= 0.05 * 48, missed
    assert missed["time_varying", "overtime"] <= 0.05 * 48, missed
    assert missed["stationary", "pool"] >= 3, missed  # the problem the method solves is real
    # the price: under 1% more agent hours than stationary Erlang C
    assert tv.sum() <= 1.01 * st.sum()


def test_attainment_report_and_deferred_requirement():
    op = _op()
    fc = pd.concat([_forecast("live", DAY * 0.3), _forecast("backlog", DAY * 3)], ignore_index=True)
    req = compute_requirements(op, fc)
    report = attainment_report(op, req, replications=4, seed=1)
    assert {"predicted_service_level", "simulated_service_level", "sl_lo", "sl_hi", "hit",
            "hit_ci"} <= set(report.columns)
    live = report[report["queue"] == "live"]
    assert live["hit_ci"].mean() >= 0.9
    # deferred: the requirement's capacity meets 90% within 2 h and all within 4 h
    back = req[req["queue"] == "backlog"]
    cap = capacity_from_agents(back["required_agents"].to_numpy(), 60.0, 30)
    ev = evaluate_backlog(back["volume"].to_numpy(), cap, 30, 2.0, rest_within_hours=4.0)
    assert ev.share_within >= 0.9 and ev.share_within_rest >= 1 - 1e-6
    sim_back = report[report["queue"] == "backlog"]["simulated_service_level"]
    assert np.nanmean(sim_back) >= 0.9 - 0.02


def test_bad_forecast_gives_clear_error():
    op = _op()
    with pytest.raises(RequirementsError, match="not in the queues"):
        compute_requirements(op, _forecast("nope", DAY))
    with pytest.raises(RequirementsError, match="lacks columns"):
        compute_requirements(op, _forecast("live", DAY).drop(columns="forecast"))


def _write_inputs(folder):
    folder.mkdir()
    (folder / "queues.csv").write_text(
        "queue,sla_kind,sla_target,sla_within_seconds,sla_within_hours,aht_seconds,max_occupancy\n"
        "chat,live,0.8,20,,180,0.9\nspam,deferred,0.9,,4,30,0.95\n")
    (folder / "markets.csv").write_text("market,timezone,holiday_country\nEN,UTC,US\n")
    (folder / "sites.csv").write_text(
        "site,vendor,timezone,max_headcount,hourly_cost,shrinkage\nS1,V,UTC,100,10,0.3\n")
    (folder / "certifications.csv").write_text("site,queue,market\nS1,chat,EN\nS1,spam,EN\n")
    (folder / "shifts.csv").write_text("site,shift,start,paid_hours\nS1,day,08:00,8\n")
    ts = pd.date_range("2026-03-02", periods=14 * 48, freq="30min", tz="UTC")
    day = np.tile(np.round(DAY * 0.3), 14)
    rows = [f"{t:%Y-%m-%dT%H:%M:%SZ},{q},EN,{v * k:g}" for t, v in zip(ts, day)
            for q, k in (("chat", 1), ("spam", 5))]
    (folder / "volume.csv").write_text("timestamp,queue,market,volume\n" + "\n".join(rows) + "\n")


def test_cli_requirements_writes_the_frame(tmp_path, capsys):
    from planning.cli import main

    _write_inputs(tmp_path / "ops")
    out = tmp_path / "req.csv"
    code = main(["requirements", str(tmp_path / "ops"), "--weeks", "1", "--out", str(out), "--naive"])
    assert code == 0, capsys.readouterr().err
    frame = pd.read_csv(out)
    assert list(frame.columns) == COLUMNS and len(frame) == 2 * 7 * 48
    chat = frame[frame["queue"] == "chat"]["required_agents"].to_numpy()
    expected = time_varying_requirements(np.round(DAY * 0.3)[None, :], 180.0, 30, 20, 0.8,
                                         max_occupancy=0.9)[0]
    assert_allclose(chat[:48], expected, rtol=1e-4)
    # bad inputs: exit 1 with the problems listed, never a traceback
    (tmp_path / "ops" / "queues.csv").write_text("queue,sla_kind\nchat,live\n")
    code = main(["requirements", str(tmp_path / "ops"), "--weeks", "1", "--out", str(out), "--naive"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err


def test_deferred_small_team_short_deadline_meets_target_in_simulation():
    # 95% within 1 h at AHT 200 s and ~1-4 agents: the fluid profile alone (at 95%
    # occupancy) simulates near 0.88 -- few agents queue far longer than a fluid; the
    # Erlang C floor with deadline H fixes it.
    op = _op()
    small = Queue(queue="small", sla_kind="deferred", sla_target=0.95, sla_within_hours=1,
                  sla_rest_within_hours=4, aht_seconds=200, max_occupancy=0.95)
    op.queues["small"] = small
    req = compute_requirements(op, _forecast("small", DAY * 0.1))
    report = attainment_report(op, req, replications=6, seed=2)
    sl = (report["simulated_service_level"] * report["volume"]).sum() / report["volume"].sum()
    assert sl >= 0.95 - 0.01, sl
    fluid_only = req["workload_hours"].sum() * 2 / 0.95  # agents x intervals at 95% occupancy
    assert req["required_agents"].sum() > fluid_only  # the floor added agents


def test_requirements_page_renders_heatmap_for_the_sample():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string("import ui.requirements as page\npage.render()", default_timeout=240)
    at.run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Peak requirement"].endswith("agents")
    market = at.selectbox(key="requirements_market")
    market.set_value(market.options[1]).run()
    assert not at.exception
    assert {m.label for m in at.metric} == {"Peak requirement", "Agent hours", "Workload"}


def test_patience_queue_uses_erlang_a_and_holds_in_simulation():
    # Mean patience 180 s: abandonment lowers the requirement (Erlang A / Erlang C factor),
    # and the lower plan still meets 80/20 (answered within 20 s over offered) interval by
    # interval in a simulation where callers abandon.
    op = _op(aht=300.0)
    live = op.queues["live"].model_copy(update={"patience_seconds": 180.0})
    op.queues["live"] = live
    volume = DAY * 180 / 300.0
    req = compute_requirements(op, _forecast("live", volume))
    without = time_varying_requirements(volume[None, :], 300.0, 30, 20, 0.8)[0]
    agents = req["required_agents"].to_numpy()
    assert np.all(agents <= without + 1e-9) and agents.sum() < 0.95 * without.sum()
    sim = simulate_queue(volume, agents, 30, 300.0, 20, patience_seconds=180.0,
                         replications=30, seed=4, shift_end="pool")
    assert int((sim.intervals["sl_hi"] < 0.8).sum()) <= 0.05 * 48
    assert sim.overall_sl >= 0.8 - 0.005


def test_series_cache_reuses_untouched_series_and_recomputes_changed_ones():
    # the per-series cache must be invisible: warm results equal cold ones, and a change
    # to one queue's volume or SLA recomputes that queue (same as with an empty cache)
    import dataclasses

    import planning.staffing.requirements as rq

    op = _op(aht=180.0)
    fc = pd.concat([_forecast("live", DAY * 0.5), _forecast("backlog", DAY * 3)], ignore_index=True)
    rq._SERIES_CACHE.clear()
    cold = compute_requirements(op, fc)
    assert len(rq._SERIES_CACHE) == 2
    pd.testing.assert_frame_equal(compute_requirements(op, fc), cold)
    more = fc.copy()
    more.loc[more["queue"] == "backlog", "forecast"] *= 1.2
    tighter = dataclasses.replace(op, queues={**op.queues, "live": op.queues["live"].model_copy(
        update={"sla_target": 0.9})})
    for changed_op, changed_fc, queue in ((op, more, "backlog"), (tighter, fc, "live")):
        warm = compute_requirements(changed_op, changed_fc)
        rq._SERIES_CACHE.clear()
        fresh = compute_requirements(changed_op, changed_fc)
        pd.testing.assert_frame_equal(warm, fresh)
        moved = warm[warm["queue"] == queue]["required_agents"].to_numpy()
        before = cold[cold["queue"] == queue]["required_agents"].to_numpy()
        assert moved.sum() > before.sum()  # more volume / a higher target needs more
