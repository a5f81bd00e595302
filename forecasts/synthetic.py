"""Synthetic volume series with a known signal, for tests, the bench fallback and demos.

rate(t) = level x daily shape x weekly shape x (1 + trend t) x event uplift, and the
observed volume is Poisson(rate) (or the rate itself with ``noise=False``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_rate(index: pd.DatetimeIndex, level: float = 40.0, daily_amp: float = 0.6,
                  weekly_amp: float = 0.25, trend_per_week: float = 0.0, phase_hours: float = 0.0) -> np.ndarray:
    """Expected count per interval [items/interval] at the given interval starts."""
    hours = (index.hour + index.minute / 60.0 + phase_hours).to_numpy()
    days = index.day_of_week.to_numpy() + hours / 24.0
    weeks = ((index - index[0]) / pd.Timedelta(weeks=1)).to_numpy()
    daily = 1 + daily_amp * np.sin(2 * np.pi * (hours - 8) / 24)
    weekly = 1 + weekly_amp * np.cos(2 * np.pi * days / 7)
    return level * daily * weekly * np.maximum(1 + trend_per_week * weeks, 0.05)


def make_volume(series: list[tuple[str, str]] | None = None, weeks: int = 12, freq_minutes: int = 30,
                end: str = "2026-03-02", seed: int = 0, noise: bool = True, **rate_kwargs) -> pd.DataFrame:
    """A tidy volume frame ``timestamp, queue, market, volume`` with Poisson noise."""
    rng = np.random.default_rng(seed)
    series = series or [("spam", "NA-EN")]
    index = pd.date_range(end=pd.Timestamp(end, tz="UTC"), periods=weeks * 7 * 24 * 60 // freq_minutes + 1,
                          freq=f"{freq_minutes}min", inclusive="both")[:-1]
    frames = []
    for i, (queue, market) in enumerate(series):
        kwargs = {"level": 20.0 + 15 * i, "phase_hours": 3.0 * i, **rate_kwargs}
        rate = seasonal_rate(index, **kwargs)
        volume = rng.poisson(rate).astype(float) if noise else rate
        frames.append(pd.DataFrame({"timestamp": index, "queue": queue, "market": market, "volume": volume}))
    return pd.concat(frames, ignore_index=True)
