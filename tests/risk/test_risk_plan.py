"""Risk-aware staffing (planning.risk, planning.confidence.plan_at_confidence): a higher
sla_confidence never buys less, 0.5 is the point plan, the probability of meeting target
on cases whose answer is known by hand, and no lookahead in the error model."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from forecasts.errors import ErrorConfig, ErrorModel
from planning.confidence import plan_at_confidence
from planning.risk import error_model_for, quantile_forecast, target_probability, wilson
from planning.shiftplan import PlanOptions, solve_plan
from planning.staffing import compute_requirements
from tests import plan_cases as pc

PAIRS = [("spam", "M"), ("hate", "M")]


def known_model(level_sd: float = 0.05, bias: float = 0.0, pairs=PAIRS) -> ErrorModel:
    """An error model written by hand: weekly log level N(bias, level_sd^2), no extra noise."""
    levels = pd.DataFrame([{"queue": q, "market": m, "lead_week": 1, "weeks": 26, "mean_log_error": bias,
                            "raw_sd": level_sd, "noise_sd": 0.0, "level_sd": level_sd, "bias": bias}
                           for q, m in pairs])
    noise = pd.DataFrame([{"queue": q, "market": m, "intervals": 1000, "bursts": 0, "alpha": 0.0, "phi": 0.0}
                          for q, m in pairs])
    return ErrorModel(ErrorConfig(), levels, noise, pd.DataFrame(), 0.0, 0.0,
                      {"levels": {1: (bias, level_sd)}, "alpha": 0.0, "phi": 0.0})


def tiny_operation(max_headcount: int = 100):
    queues = [pc.queue("spam", sla_target=0.8, aht_seconds=120.0),
              pc.queue("hate", sla_target=0.8, aht_seconds=300.0, priority=2)]
    shifts = [("S1", f"h{h:02d}", f"{h:02d}:00", 8) for h in (0, 4, 8, 12, 16)]
    return pc.operation(queues, [pc.site("S1", max_headcount=max_headcount)],
                        [("S1", "spam"), ("S1", "hate")], shifts)


def forecast_of(per_hour: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for q, values in per_hour.items():
        for h, v in enumerate(values):
            rows.append({"timestamp": pc.START + pd.Timedelta(hours=h), "queue": q, "market": "M", "forecast": v})
    frame = pd.DataFrame(rows)
    frame["timestamp"] = frame["timestamp"].astype("datetime64[ns, UTC]")
    return frame


DAY = {"spam": [20 + 60 * math.sin(math.pi * h / 24) for h in range(24)],
       "hate": [5 + 15 * math.sin(math.pi * h / 24) ** 2 for h in range(24)]}


def _capacity(plan) -> pd.Series:
    return plan.coverage.groupby(["queue", "market"])["planned"].sum()


def test_a_higher_confidence_never_lowers_headcount():
    op, fc, model = tiny_operation(), forecast_of(DAY), known_model(0.08)
    options = PlanOptions(time_limit_seconds=20)
    seen = []
    for c in (0.5, 0.7, 0.9, 0.99):
        req, plan, risk = plan_at_confidence(op, fc, sla_confidence=c, options=options, simulate=False,
                                             error_model=model)
        assert plan.ok and plan.status == "optimal"
        seen.append((c, req["required_agents"].sum(), plan.kpis["paid_hours"], _capacity(plan), risk))
    for (c0, r0, h0, cap0, _), (c1, r1, h1, cap1, risk1) in zip(seen, seen[1:]):
        assert r1 >= r0 - 1e-9, (c0, c1)
        assert h1 >= h0 - 1e-9, (c0, c1, h0, h1)
        assert (cap1.reindex(cap0.index) >= cap0 - 1e-6).all(), (c0, c1)
        assert risk1["method"] == "weekly quantile"
    # the safety is real: at 0.99 (z = 2.33, sd 8%) the workload is ~+20%, and so are the hours
    assert seen[-1][2] > seen[0][2] * 1.05
    # the ratio is the 99% quantile of the lognormal level with the day's Poisson spread
    for row in seen[-1][4]["ratios"].itertuples():
        total = sum(DAY[row.queue])
        assert row.planned_ratio == pytest.approx(math.exp(2.326 * math.sqrt(0.08 ** 2 + 1 / total)), rel=0.03)


def test_half_is_the_point_plan():
    op, fc = tiny_operation(), forecast_of(DAY)
    options = PlanOptions(time_limit_seconds=20)
    req, plan, risk = plan_at_confidence(op, fc, sla_confidence=0.5, options=options, simulate=False,
                                         error_model=known_model(0.08, bias=0.05))
    point_req = compute_requirements(op, fc)
    point = solve_plan(op, point_req, options)
    pd.testing.assert_frame_equal(req, point_req)
    assert plan.cost == pytest.approx(point.cost)
    pd.testing.assert_series_equal(_capacity(plan), _capacity(point))
    assert risk["method"] == "point forecast" and risk["ratios"] is None


def test_quantile_ratio_matches_the_lognormal_quantile():
    fc = forecast_of(DAY)
    _, ratios = quantile_forecast(known_model(0.1, bias=0.02), fc, 0.9, seed=3)
    # 1000 paths of a lognormal level with sd 0.1 (Poisson on ~900 items/day adds ~3%)
    want = math.exp(0.02 + 1.2816 * math.sqrt(0.1 ** 2 + 1 / 900))
    assert ratios.loc[ratios["queue"] == "spam", "planned_ratio"].iloc[0] == pytest.approx(want, rel=0.02)


def test_wilson_interval_by_hand():
    lo, hi = wilson(20, 20)
    z2 = 1.959964 ** 2
    assert lo == pytest.approx(20 / (20 + z2)) and hi == pytest.approx(1.0)
    lo, hi = wilson(0, 20)
    assert lo == 0.0 and hi == pytest.approx(z2 / (20 + z2))
    from statsmodels.stats.proportion import proportion_confint  # an independent implementation

    for k, n in ((10, 40), (17, 20), (3, 25)):
        assert wilson(k, n) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), rel=1e-6)


def _hand_plan(op, agents: float):
    """``agents`` productive agents on spam and hate in hours 0-8 (the 00:00 shift)."""
    profile = {q: [agents] * 8 + [0.0] * 16 for q in ("spam", "hate")}
    req = pc.requirements(op, profile, workload={q: [1.0] * 8 + [0.0] * 16 for q in profile})
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=20))
    assert plan.ok
    return req, plan


def test_probability_is_one_with_ample_capacity_and_zero_far_beyond_it():
    op = tiny_operation(max_headcount=20)
    req, plan = _hand_plan(op, 10.0)  # 10 agents each on two queues: 20, the site's cap
    fc = forecast_of({"spam": [6.0] * 8 + [0.0] * 16, "hate": [3.0] * 8 + [0.0] * 16})
    # ~6 items an hour at AHT 2 min with 10 agents: nobody waits; every path meets 80%
    frame, runs, _ = target_probability(op, plan, known_model(0.05), fc, req, confidence=0.95, paths=8)
    assert runs == 8 and (frame["target_paths"] == 8).all()
    assert (frame["p_target"] == 1.0).all()
    assert frame["p_target_lo"].iloc[0] == pytest.approx(wilson(8, 8)[0])
    assert (frame["risk_note"] == "").all()
    # 300x the volume (1,800 items an hour on 10 agents who handle 300): no path meets target,
    # and the site is at its cap, so the words say the confidence is unreachable
    frame, runs, _ = target_probability(op, plan, known_model(0.05, bias=math.log(300)), fc, req,
                                        confidence=0.95, paths=6)
    assert (frame["p_target"] == 0.0).all() and (frame["target_paths"] == 6).all()
    assert frame["risk_note"].str.contains("caps make 95% unreachable").all()
    assert frame["risk_note"].str.contains("S1 20").all()


def test_probability_paths_use_seeds_distinct_from_the_quantiles():
    from forecasts.errors.paths import sample_array
    from planning.risk import TARGET_SEED_OFFSET

    fc, model = forecast_of(DAY), known_model(0.08)
    _, plan_rates = sample_array(model, fc, 5, 7, counts=False)
    _, prob_rates = sample_array(model, fc, 5, 7 + TARGET_SEED_OFFSET, counts=False)
    assert not np.allclose(plan_rates, prob_rates)


# --- no lookahead: the error model for an origin sees only the volume before it ------------

def _history_operation(weeks: int = 11):
    rng = np.random.default_rng(5)
    stamps = pd.date_range("2026-01-05", periods=weeks * 168, freq="60min", tz="UTC")
    h = np.asarray(stamps.hour)
    mean = 30 * (1 + 0.6 * np.sin(2 * np.pi * h / 24))
    level = np.repeat(np.exp(0.05 * rng.standard_normal(weeks)), 168)
    volume = pd.DataFrame({"timestamp": stamps, "queue": "spam", "market": "M",
                           "volume": rng.poisson(mean * level).astype(float)})
    op = tiny_operation()
    return dataclasses.replace(op, volume=volume)


def test_error_model_does_not_see_volume_after_the_origin(tmp_path, monkeypatch):
    import planning.risk as risk

    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setattr(risk, "_MODELS", type(risk._MODELS)())
    op = _history_operation()
    origin = pd.Timestamp("2026-03-16T00:00:00Z")  # 10 weeks in; one more week follows
    model, note = error_model_for(op, origin, origins=4, folder=tmp_path / "a")
    assert model is not None and "history before 2026-03-16" in note
    fc = forecast_of({"spam": DAY["spam"]}).assign(timestamp=lambda f: f["timestamp"] - pc.START + origin)
    _, ratios = quantile_forecast(model, fc, 0.95, seed=1)

    later = op.volume.copy()
    after = later["timestamp"] >= origin
    later.loc[after, "volume"] *= 3.0  # the future changes ...
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "b"))  # ... and nothing cached helps
    monkeypatch.setattr(risk, "_MODELS", type(risk._MODELS)())
    model_b, _ = error_model_for(dataclasses.replace(op, volume=later), origin, origins=4, folder=tmp_path / "b")
    pd.testing.assert_frame_equal(model.levels, model_b.levels)
    pd.testing.assert_frame_equal(ratios, quantile_forecast(model_b, fc, 0.95, seed=1)[1])

    # the test can fail: a change before the origin does move the model
    earlier = op.volume.copy()
    last_week = (earlier["timestamp"] >= origin - pd.Timedelta(weeks=1)) & (earlier["timestamp"] < origin)
    earlier.loc[last_week, "volume"] *= 1.5
    monkeypatch.setattr(risk, "_MODELS", type(risk._MODELS)())
    model_c, _ = error_model_for(dataclasses.replace(op, volume=earlier), origin, origins=4)
    assert not np.allclose(model.levels["mean_log_error"], model_c.levels["mean_log_error"])


def test_short_history_plans_on_the_point_forecast_and_says_so():
    op = dataclasses.replace(tiny_operation(), volume=_history_operation(3).volume)
    model, note = error_model_for(op, pd.Timestamp("2026-01-26T00:00:00Z"))
    assert model is None and "staffed on the point forecast" in note


def test_a_wall_too_close_skips_the_probability_and_says_how_much_time_it_needs(monkeypatch):
    """A what-if's limit is a wall: when the volume paths cannot fit before it, none runs, the
    plan carries no probability and the note names the seconds missing; without a wall the
    same plan gets its probability (the paths' cost is what the estimate says, 10 s each)."""
    import time

    import planning.risk as risk_module

    op, fc, model = tiny_operation(), forecast_of(DAY), known_model(0.08)
    monkeypatch.setattr(risk_module, "path_seconds_estimate", lambda requirements: 10.0)
    options = PlanOptions(time_limit_seconds=20)
    _, walled, info = plan_at_confidence(op, fc, sla_confidence=0.9, options=options, error_model=model,
                                         wall=time.perf_counter() + 30.0)  # 5 paths need 50 s
    assert walled.ok and "p_target" not in walled.queues
    note = walled.kpis["probability_note"]
    assert note.startswith("probability of meeting target not measured") and "raise the time limit by" in note
    missing = float(note.split("raise the time limit by ")[1].split(" s")[0])
    assert 20 <= missing <= 50  # 50 s needed, at most 30 s left
    assert info["target_paths"] == 0 and note in info["notes"]
    _, free, info = plan_at_confidence(op, fc, sla_confidence=0.9, options=options, error_model=model)
    assert free.queues["p_target"].notna().all() and info["target_paths"] >= risk_module.MIN_TARGET_PATHS


@pytest.mark.parametrize("minutes, weeks, limit, expected", [
    (30, 1, 30.0, 30),   # the Plan page's default: full resolution
    (30, 1, 10.0, 60),   # a what-if's default 10 s cannot hold a 30-minute week (15 s measured)
    (30, 1, 15.0, 30),
    (30, 2, 200.0, 30),  # a long limit keeps the intervals
    (30, 2, 25.0, 60),   # two weeks within a what-if limit: 60 minutes
    (15, 1, 20.0, 30),   # 672 intervals: coarsened once, 336 fit in 20 s
    (15, 1, 10.0, 60),   # ... and once more for 10 s
    (60, 1, 5.0, 60),    # never coarser than 60 minutes
])
def test_short_limits_plan_at_coarser_intervals(minutes, weeks, limit, expected):
    from planning.pipeline import coarse_interval_minutes

    assert coarse_interval_minutes(minutes, weeks, limit) == expected
