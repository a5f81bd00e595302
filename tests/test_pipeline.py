"""The pipeline end to end on a small operation: forecast -> levers -> requirements -> plan.

References are independent of the stages: the forecast horizon is counted from the
settings, the plan's paid hours must cover the requirement's workload, and a +50%
volume lever must cost more than the base (more work, same prices).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning.domain import Certification, Market, Operation, Queue, Settings, ShiftTemplate, Site
from planning.scenarios import VolumeChange
from planning.pipeline import fingerprint, run_pipeline

START = pd.Timestamp("2026-01-05T00:00:00Z")  # a Monday


def small_operation(weeks_of_history: int = 4, seed: int = 3) -> Operation:
    rng = np.random.default_rng(seed)
    times = pd.date_range(START, periods=weeks_of_history * 7 * 24, freq="60min")
    hour = times.hour.to_numpy()
    shape = 1.0 + 0.6 * np.sin((hour - 8) / 24 * 2 * np.pi)
    frames = []
    for queue, base in [("spam", 120.0), ("live", 30.0)]:
        frames.append(pd.DataFrame({"timestamp": times, "queue": queue, "market": "M",
                                    "volume": rng.poisson(base * shape).astype(float)}))
    queues = {
        "spam": Queue(queue="spam", sla_kind="deferred", sla_target=0.9, sla_within_hours=4,
                      aht_seconds=60, max_occupancy=0.95),
        "live": Queue(queue="live", sla_kind="live", sla_target=0.8, sla_within_seconds=60,
                      aht_seconds=120, max_occupancy=0.85, priority=2),
    }
    sites = {"S1": Site(site="S1", vendor="V", timezone="Europe/Dublin", max_headcount=200,
                        hourly_cost=20, shrinkage=0.2)}
    shifts = [ShiftTemplate(site="S1", shift=f"h{h:02d}", start=f"{h:02d}:00", paid_hours=8)
              for h in (0, 8, 16)]
    certs = [Certification(site="S1", queue=q, market="M") for q in queues]
    return Operation(queues=queues, markets={"M": Market(market="M", timezone="UTC", holiday_country="IE")},
                     sites=sites, certifications=certs, shifts=shifts,
                     volume=pd.concat(frames, ignore_index=True),
                     settings=Settings(interval_minutes=60, solver_time_limit_seconds=20))


@pytest.fixture(scope="module")
def base():
    op = small_operation()
    return op, run_pipeline(op, weeks=1, time_limit=20)


def test_pipeline_runs_every_stage(base):
    op, result = base
    horizon = 7 * 24  # one week of 60-minute intervals
    for (_, _), g in result.forecast.groupby(["queue", "market"]):
        assert len(g) == horizon
        assert g["timestamp"].min() == op.history_end
    assert set(result.requirements["queue"]) == {"spam", "live"}
    assert result.plan.ok
    kpis = result.kpis
    workload_hours = result.requirements["workload_hours"].sum()
    productive_paid = kpis["paid_hours"] * (1 - op.sites["S1"].shrinkage)
    assert productive_paid >= workload_hours  # the plan pays for at least the work
    assert kpis["cost"] == pytest.approx(kpis["paid_hours"] * 20, rel=0.35)  # night premium 0 here
    assert kpis["headcount_by_vendor"] == {"V": kpis["headcount_by_site"]["S1"]}
    assert {a["queue"] for a in kpis["attainment"]} == {"spam", "live"}
    assert set(result.timings) >= {"forecast_s", "requirements_s", "plan_s"}


def test_volume_lever_costs_more_and_reuses_forecast(base):
    op, result = base
    more = run_pipeline(op, weeks=1, time_limit=20, levers=[VolumeChange(percent=50)])
    assert more.kpis["cost"] > result.kpis["cost"]
    assert more.requirements["workload_hours"].sum() == pytest.approx(
        1.5 * result.requirements["workload_hours"].sum(), rel=1e-6)
    assert more.timings["forecast_s"] < 1.0  # the base forecast came from the cache


def test_fingerprint_tracks_content():
    a, b = small_operation(), small_operation()
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(small_operation(seed=4))


def test_baseline_is_kept_on_disk_and_survives_a_damaged_file(tmp_path, monkeypatch):
    from planning import pipeline

    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    op = small_operation(weeks_of_history=3)
    first = pipeline.baseline(op, weeks=1, time_limit=10)
    files = list(tmp_path.glob("baseline-*.pkl"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr(pipeline, "run_pipeline", lambda *a, **k: calls.append(1))
    again = pipeline.baseline(op, weeks=1)
    assert calls == [] and again.kpis == first.kpis  # read from disk, nothing recomputed
    files[0].write_bytes(b"not a pickle")
    pipeline.baseline(op, weeks=1)
    assert calls == [1]  # damaged file: recomputed, not trusted


def test_prune_baselines_keeps_the_newest_of_the_current_format(tmp_path, monkeypatch):
    import os

    from planning import pipeline as pl

    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path))
    current = f"baseline-v{pl._BASELINE_FORMAT}-"
    old_format = tmp_path / "baseline-v0-abc-1w.pkl"
    old_format.write_bytes(b"x")
    fresh = []
    for i in range(pl.BASELINES_KEPT + 2):
        p = tmp_path / f"{current}{i:02d}-1w.pkl"
        p.write_bytes(b"x")
        os.utime(p, (1000 + i, 1000 + i))  # i = 0 is the oldest
        fresh.append(p)
    other = tmp_path / "inputs-abc.pkl"  # not a baseline: never touched
    other.write_bytes(b"x")
    deleted = set(pl.prune_baselines(keep=fresh[0]))
    # 8 of the current format: the 6 newest (2..7) stay, 1 goes, 0 is the one just written
    assert deleted == {old_format, fresh[1]}
    assert fresh[0].exists() and other.exists()
    assert all(p.exists() for p in fresh[2:])


# --- the cache is signed, never blindly unpickled (issue 17) ---------------------------

class _Planted:  # unpickling it would create a file: the stand-in for running an attacker's code
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WFM_CACHE_KEY_FILE", str(tmp_path / "var" / "cache.key"))
    return tmp_path


def test_a_tampered_baseline_is_refused_unread_and_recomputed(private_cache, monkeypatch):
    import pickle

    from forecasts import cachefile
    from planning import pipeline

    op = small_operation(weeks_of_history=3)
    first = pipeline.baseline(op, weeks=1, time_limit=10)
    [path] = (private_cache / "cache").glob("baseline-*.pkl")
    key = private_cache / "var" / "cache.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    assert path.read_bytes().startswith(cachefile.MAGIC)
    marker = private_cache / "code-ran"
    planted = pickle.dumps(_Planted(marker))
    calls = []
    monkeypatch.setattr(pipeline, "run_pipeline", lambda *a, **k: calls.append(1) or first)
    for forged in (planted,  # a bare pickle, as the old cache wrote them
                   cachefile.MAGIC + b"\0" * 32 + planted,  # the header with a wrong signature
                   path.read_bytes()[:40] + planted):  # a real signature over other contents
        path.write_bytes(forged)
        assert pipeline.peek_baseline(op, weeks=1) is None
        pipeline.baseline(op, weeks=1)
        assert not marker.exists(), "a tampered cache file was unpickled"
    assert calls == [1, 1, 1]  # each refused file recomputed (and written again, signed)
    assert pipeline.peek_baseline(op, weeks=1).kpis == first.kpis  # the re-signed file is trusted again


def test_an_unsafe_key_file_disables_the_cache(private_cache):
    from forecasts import cachefile

    key = private_cache / "var" / "cache.key"
    cachefile.dump({"a": 1}, private_cache / "x.pkl")
    assert cachefile.load(private_cache / "x.pkl") == {"a": 1}
    key.chmod(0o644)  # readable by others: anyone could sign
    with pytest.raises(cachefile.CacheRefused, match="0600"):
        cachefile.load(private_cache / "x.pkl")
    with pytest.raises(cachefile.CacheRefused):
        cachefile.dump({"a": 2}, private_cache / "y.pkl")
