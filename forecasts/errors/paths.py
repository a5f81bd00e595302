"""Sample paths of volume from a fitted :class:`~forecasts.errors.model.ErrorModel`.

For each path: one standard-normal global factor, one per market and one per pair make
the pairs' weekly level errors (correlations ``across_markets`` and ``within_market``);
each pair then gets its AR(1) interval noise and Poisson counts.  The same standardised
level draw is used for every lead week of a path (a path that runs high in week 1 runs
high in week 2: the conservative choice for multi-week plans).

Random numbers are **common per key**: the global factor comes from ``seed``, a market's
factor from ``seed`` and the market's name, a pair's draws from ``seed`` and the pair's
names.  A pair's paths therefore do not change when other pairs are added or removed,
and two scenarios sampled with one seed differ only by their forecasts (common random
numbers).
"""
from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
from scipy.signal import lfilter

PATH_COLUMNS = ["path", "timestamp", "queue", "market", "volume"]
INTERVAL_COLUMNS = ["timestamp", "queue", "market", "mean", "lo_80", "hi_80", "lo_95", "hi_95"]
LEVELS = (80, 95)


def _rng(seed: int, *names: str) -> np.random.Generator:
    keys = [zlib.crc32(name.encode()) for name in names]
    return np.random.default_rng(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, len(keys), *keys]))


def _lead_weeks(timestamps: pd.Series, origin: pd.Timestamp) -> np.ndarray:
    return ((timestamps - origin) // pd.Timedelta(weeks=1)).to_numpy(int) + 1


def _ar1(rng: np.random.Generator, n: int, length: int, sd: float, phi: float) -> np.ndarray:
    """n stationary Gaussian AR(1) series of ``length`` (variance sd^2, lag-one correlation phi)."""
    if sd <= 0 or length == 0:
        return np.zeros((n, length))
    eps = rng.standard_normal((n, length))
    if phi <= 0:
        return sd * eps
    start = phi * sd * rng.standard_normal((n, 1))  # y_-1 drawn from the stationary law
    return lfilter([np.sqrt(1 - phi ** 2) * sd], [1.0, -phi], eps, axis=1, zi=start)[0]


def sample_array(model, forecast: pd.DataFrame, n: int = 200, seed: int = 0, *,
                 counts: bool = True) -> tuple[pd.DataFrame, np.ndarray]:
    """The paths as an array: (keys, volumes) with keys ``timestamp, queue, market, forecast,
    lead_week`` (the forecast's rows sorted by queue, market, timestamp) and volumes of shape
    (n, len(keys)).  :func:`sample_paths` is the tidy frame of the same draws.
    ``counts=False`` returns the paths' arrival **rates** (items per interval, before the
    Poisson draw; the same level and noise draws): for a simulator that draws its own
    Poisson arrivals."""
    if n < 1:
        raise ValueError("n must be at least 1 path")
    keys = forecast[["timestamp", "queue", "market", "forecast"]].copy()
    keys["timestamp"] = pd.to_datetime(keys["timestamp"], utc=True).dt.as_unit("ns")
    keys = keys.sort_values(["queue", "market", "timestamp"], ignore_index=True)
    origin = keys["timestamp"].min()
    keys["lead_week"] = _lead_weeks(keys["timestamp"], origin)
    rho_w, rho_a = model.within_market, model.across_markets
    glob = _rng(seed, "global").standard_normal(n)
    market_factor = {m: _rng(seed, "market", m).standard_normal(n) for m in keys["market"].unique()}
    out = np.empty((n, len(keys)))
    f_all = np.clip(keys["forecast"].to_numpy(float), 0.0, None)
    lead_all = keys["lead_week"].to_numpy(int)
    bounds = keys.groupby(["queue", "market"], sort=False).indices
    for (queue, market), idx in bounds.items():
        rng = _rng(seed, "pair", str(queue), str(market))
        z = (np.sqrt(rho_a) * glob + np.sqrt(max(rho_w - rho_a, 0.0)) * market_factor[market]
             + np.sqrt(1.0 - rho_w) * rng.standard_normal(n))
        f, lead = f_all[idx], lead_all[idx]
        level = np.empty((n, len(idx)))
        for k in np.unique(lead):
            bias, sd = model.level(queue, market, int(k))
            level[:, lead == k] = (bias + sd * z)[:, None]
        alpha, phi = model.interval_noise(queue, market)
        s2 = float(np.log1p(alpha))
        eta = _ar1(rng, n, len(idx), float(np.sqrt(s2)), phi)
        rate = f[None, :] * np.exp(level + eta - s2 / 2)
        out[:, idx] = rng.poisson(rate) if counts else rate
    return keys, out


def sample_paths(model, forecast: pd.DataFrame, n: int = 200, seed: int = 0) -> pd.DataFrame:
    """``path, timestamp, queue, market, volume`` for n paths (path 0 .. n-1) of the forecast's
    intervals: volume in items per interval, integer-valued floats, seeded and reproducible.

    forecast : the forecast frame (``timestamp, queue, market, forecast`` at least) for the
        coming week(s); its first timestamp is the origin (lead week 1 starts there).
    """
    keys, values = sample_array(model, forecast, n, seed)
    rows = len(keys)
    return pd.DataFrame({
        "path": np.repeat(np.arange(n), rows),
        "timestamp": np.tile(keys["timestamp"].to_numpy(), n),
        "queue": np.tile(keys["queue"].to_numpy(), n),
        "market": np.tile(keys["market"].to_numpy(), n),
        "volume": values.reshape(-1),
    })[PATH_COLUMNS]


def paths_to_array(paths: pd.DataFrame, forecast: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """A tidy paths frame back to (keys, volumes) aligned with the forecast's sorted rows."""
    keys = forecast[["timestamp", "queue", "market", "forecast"]].copy()
    keys["timestamp"] = pd.to_datetime(keys["timestamp"], utc=True).dt.as_unit("ns")
    keys = keys.sort_values(["queue", "market", "timestamp"], ignore_index=True)
    keys["lead_week"] = _lead_weeks(keys["timestamp"], keys["timestamp"].min())
    wide = paths.pivot_table(index=["queue", "market", "timestamp"], columns="path", values="volume")
    index = pd.MultiIndex.from_frame(keys[["queue", "market", "timestamp"]])
    wide = wide.reindex(index)
    if wide.isna().to_numpy().any():
        raise ValueError("the paths do not cover every interval of the forecast")
    return keys, wide.to_numpy(float).T


def path_intervals(keys: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    """Per interval: the paths' mean and their central 80% / 95% ranges (``INTERVAL_COLUMNS``)."""
    out = keys[["timestamp", "queue", "market"]].copy()
    out["mean"] = values.mean(axis=0)
    for level in LEVELS:
        tail = (1 - level / 100) / 2
        out[f"lo_{level}"] = np.quantile(values, tail, axis=0)
        out[f"hi_{level}"] = np.quantile(values, 1 - tail, axis=0)
    return out[INTERVAL_COLUMNS]


def share_inside(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per interval: the share of paths inside [lo, hi] (how well given bands match the paths)."""
    return ((values >= lo[None, :] - 1e-9) & (values <= hi[None, :] + 1e-9)).mean(axis=0)


def coverage(actual: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actual values inside [lo, hi] (NaN actuals ignored)."""
    actual = np.asarray(actual, float)
    ok = np.isfinite(actual)
    return float(np.mean((actual[ok] >= lo[ok] - 1e-9) & (actual[ok] <= hi[ok] + 1e-9)))


def mid_pit(values: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Per interval: the randomised-PIT midpoint of the actual among the paths,
    (P(Y < y) + P(Y <= y)) / 2.  Uniform on held-out data when the paths are calibrated;
    unlike "inside the band" it does not reward counts for being discrete (ties split)."""
    actual = np.asarray(actual, float)[None, :]
    return ((values < actual).mean(axis=0) + (values <= actual).mean(axis=0)) / 2


def pit_coverage(values: np.ndarray, actual: np.ndarray, level: int) -> float:
    """Share of (finite) actuals whose mid-PIT lies in the central ``level``% [0-1]."""
    actual = np.asarray(actual, float)
    ok = np.isfinite(actual)
    pit = mid_pit(values[:, ok], actual[ok])
    return float(np.mean(np.abs(pit - 0.5) <= level / 200 + 1e-12))


def path_bands(model, forecast: pd.DataFrame, n: int = 1000, seed: int = 0) -> pd.DataFrame:
    """The forecast frame with ``lo_80 … hi_95`` from the model's paths instead of the
    forecasting layer's calibrated log-normal bands (same rows and columns, sorted by
    queue, market, timestamp; lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95 kept)."""
    keys, values = sample_array(model, forecast, n, seed)
    bands = path_intervals(keys, values)
    out = forecast.copy()
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True).dt.as_unit("ns")
    out = out.sort_values(["queue", "market", "timestamp"], ignore_index=True)
    point = out["forecast"].to_numpy(float)
    for level in LEVELS:
        out[f"lo_{level}"] = np.minimum(bands[f"lo_{level}"].to_numpy(), point)
        out[f"hi_{level}"] = np.maximum(bands[f"hi_{level}"].to_numpy(), point)
    out["lo_95"] = np.minimum(out["lo_95"], out["lo_80"])
    out["hi_95"] = np.maximum(out["hi_95"], out["hi_80"])
    return out
