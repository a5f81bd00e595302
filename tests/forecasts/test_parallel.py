"""Fan-out over processes and Dask gives the serial answer; progress and the disk cache work."""
from __future__ import annotations

import pytest
from pandas.testing import assert_frame_equal

from forecasts import ForecastConfig, forecast_volume
from forecasts import cache
from forecasts.parallel import fan_out
from forecasts.synthetic import make_volume

PWEEK = 336
FAST = ForecastConfig(window_weeks=3, candidates=("snaive_week", "mean_4w", "ets_weekly"))
SERIES = [("spam", "NA-EN"), ("abuse", "EMEA-DE"), ("hate", "APAC-JA")]


def _square(x):
    return x * x


def test_fan_out_keeps_input_order_and_reports_progress():
    seen = []
    out = fan_out(_square, list(range(7)), backend="process", workers=2,
                  progress=lambda done, total, msg: seen.append((done, total)))
    assert out == [x * x for x in range(7)]
    assert [d for d, _ in seen] == list(range(1, 8)) and {t for _, t in seen} == {7}
    with pytest.raises(ValueError, match="unknown backend"):
        fan_out(_square, [1, 2], backend="spark")


def test_process_backend_matches_serial_and_cache_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    volume = make_volume(SERIES, weeks=6, seed=9)
    serial = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False)
    calls = []
    pooled = forecast_volume(volume, PWEEK, config=FAST, backend="process", workers=2,
                             progress=lambda d, t, m: calls.append((d, t, m)))
    assert_frame_equal(serial.forecast, pooled.forecast)
    assert calls[-1][:2] == (3, 3) and all(" x " in m for _, _, m in calls)
    assert len(list((tmp_path / "forecasts").glob("*.pkl"))) == 3
    again = forecast_volume(volume, PWEEK, config=FAST, backend="process")
    assert again.timings["cached"] == 3
    assert_frame_equal(again.forecast, pooled.forecast)
    # a changed history misses the cache for that series only
    changed = volume.copy()
    changed.loc[changed.queue == "spam", "volume"] += 1
    partial = forecast_volume(changed, PWEEK, config=FAST, backend="serial")
    assert partial.timings["cached"] == 2


def test_refresh_reuses_the_selection_without_backtesting():
    volume = make_volume(SERIES[:2], weeks=6, seed=10)
    first = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False)
    refreshed = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False,
                                selection=first.selection)
    assert refreshed.backtest.empty
    assert_frame_equal(refreshed.forecast, first.forecast)


def test_dask_backend_on_a_local_cluster_matches_serial():
    from dask.distributed import LocalCluster

    volume = make_volume(SERIES[:2], weeks=5, seed=12)
    serial = forecast_volume(volume, PWEEK, config=FAST, backend="serial", use_cache=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        seen = []
        distributed = forecast_volume(volume, PWEEK, config=FAST, backend="dask", use_cache=False,
                                      dask_address=cluster.scheduler_address,
                                      progress=lambda d, t, m: seen.append(d))
    assert_frame_equal(serial.forecast, distributed.forecast)
    assert seen == [1, 2]


def test_cache_prunes_the_oldest_entries(tmp_path):
    import os

    for i in range(5):
        cache.store(f"k{i}", i, tmp_path)
        os.utime(tmp_path / f"k{i}.pkl", (i, i))
    cache.prune(tmp_path, keep=3)
    assert sorted(p.stem for p in tmp_path.glob("*.pkl")) == ["k2", "k3", "k4"]
    assert cache.load("k4", tmp_path) == 4 and cache.load("k0", tmp_path) is None


class _Planted:
    """Unpickling this runs code: it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_an_unsigned_forecast_cache_entry_is_never_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "ran"
    (tmp_path / "k.pkl").write_bytes(pickle.dumps(_Planted(marker)))
    assert pickle.loads(pickle.dumps(_Planted(tmp_path / "probe"))) is not None  # the payload does run
    assert (tmp_path / "probe").exists()
    assert cache.load("k", tmp_path) is None
    assert not marker.exists()
    cache.store("k", {"ok": 1}, tmp_path)  # a signed entry replaces it and reads back
    assert cache.load("k", tmp_path) == {"ok": 1}
