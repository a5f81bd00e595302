"""Synthetic backtest frames drawn from a known error model, for recovery tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.errors import BACKTEST_COLUMNS

WEEK = 336  # 30-minute intervals


def weekly_shape(level: float) -> np.ndarray:
    """A diurnal shape over one week of 30-minute intervals with mean ``level`` [items]."""
    t = np.arange(WEEK)
    return level * (1 + 0.5 * np.sin(2 * np.pi * (t % 48) / 48)) * (1 + 0.1 * np.cos(2 * np.pi * t / WEEK))


def synthetic_backtest(markets: dict[str, int], weeks: int, within: float, across: float = 0.0,
                       level_sd: float = 0.03, bias: float = 0.0, alpha: float = 0.002, phi: float = 0.9,
                       level: float = 80.0, seed: int = 0, start: str = "2026-01-05") -> pd.DataFrame:
    """A backtest frame (BACKTEST_COLUMNS) whose actuals follow the documented error model.

    markets : market -> number of pairs (queues q0, q1, ...).
    within / across : true correlation of the weekly level errors within / across markets.
    """
    rng = np.random.default_rng(seed)
    pairs = [(f"q{i}", m) for m, k in markets.items() for i in range(k)]
    glob = rng.standard_normal(weeks)
    mfac = {m: rng.standard_normal(weeks) for m in markets}
    frames = []
    s2 = np.log1p(alpha)
    for queue, market in pairs:
        z = np.sqrt(across) * glob + np.sqrt(within - across) * mfac[market] + np.sqrt(1 - within) * rng.standard_normal(weeks)
        f = weekly_shape(level)
        for w in range(weeks):
            eta = np.empty(WEEK)
            eta[0] = np.sqrt(s2) * rng.standard_normal()
            for t in range(1, WEEK):
                eta[t] = phi * eta[t - 1] + np.sqrt((1 - phi ** 2) * s2) * rng.standard_normal()
            lam = f * np.exp(bias + level_sd * z[w] + eta - s2 / 2)
            origin = pd.Timestamp(start, tz="UTC") + pd.Timedelta(weeks=w)
            stamps = pd.date_range(origin, periods=WEEK, freq="30min")
            frames.append(pd.DataFrame({
                "origin": origin, "timestamp": stamps, "queue": queue, "market": market, "model": "synthetic",
                "lead_week": 1, "forecast": f, "lo_80": f * 0.8, "hi_80": f * 1.2, "lo_95": f * 0.7,
                "hi_95": f * 1.3, "actual": rng.poisson(lam).astype(float)}))
    return pd.concat(frames, ignore_index=True)[BACKTEST_COLUMNS]
