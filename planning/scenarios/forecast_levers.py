"""Levers on the forecast: volume changes, surges, automation rate and AHT changes.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from planning.domain import ALL
from planning.scenarios.lever_base import _Dated, _Lever, _need_market, _need_queue, _row_mask, _scale_volume, _scope, _utc, _when


# ---------------------------------------------------------------- forecast levers
class VolumeChange(_Dated):
    """Volume up or down by ``percent`` for a queue/market and date range."""

    kind: Literal["volume_change"] = "volume_change"
    queue: str = ALL
    market: str = ALL
    percent: float = Field(gt=-100, le=1000, description="change in volume [%], e.g. 20 = +20 %")

    def describe(self) -> str:
        return f"Volume {self.percent:+g}% for {_scope(self.queue, self.market)} {_when(self.start, self.end)}"

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, 1 + self.percent / 100)


class Surge(_Dated):
    """A named surge event: volume x ``multiplier`` for a bounded period."""

    kind: Literal["surge"] = "surge"
    event: str = Field(min_length=1, description="what happens, e.g. 'Brazil general election'")
    queue: str = ALL
    market: str = ALL
    start: dt.datetime
    end: dt.datetime
    multiplier: float = Field(gt=0, le=50, description="volume vs normal, 3 = triples")

    def describe(self) -> str:
        return (f"Surge '{self.event}': volume x{self.multiplier:g} for {_scope(self.queue, self.market)} "
                f"{_when(self.start, self.end)}")

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, self.multiplier)


class AutomationChange(_Dated):
    """Automation catches a different share of incoming items.

    Human volume = incoming x (1 - rate), so human volume scales by
    (1 - new_rate) / (1 - current_rate).
    """

    kind: Literal["automation_change"] = "automation_change"
    queue: str = ALL
    market: str = ALL
    current_rate: float = Field(ge=0, lt=1, description="share of incoming automated today (0-1)")
    new_rate: float = Field(ge=0, lt=1, description="share of incoming automated in the scenario (0-1)")

    @property
    def factor(self) -> float:
        return (1 - self.new_rate) / (1 - self.current_rate)

    def describe(self) -> str:
        return (f"Automation rate {self.current_rate:.0%} -> {self.new_rate:.0%} for "
                f"{_scope(self.queue, self.market)} {_when(self.start, self.end)} "
                f"(human volume x{self.factor:.3g})")

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        mask = _row_mask(frame, self.queue, self.market, self.start, self.end)
        return _scale_volume(frame, mask, self.factor)


class AhtChange(_Lever):
    """AHT changes by ``percent`` from ``start`` (a new policy); the extra decays linearly
    to ``lasting_percent`` over ``learning_weeks`` (0 = no learning, the change stays)."""

    kind: Literal["aht_change"] = "aht_change"
    queue: str = ALL
    market: str = ALL
    start: dt.datetime
    percent: float = Field(gt=-90, le=500, description="AHT change at start [%]")
    learning_weeks: float = Field(default=0, ge=0, le=104, description="weeks for the change to decay [weeks]")
    lasting_percent: float = Field(default=0, gt=-90, le=500, description="AHT change left after learning [%]")

    _start = field_validator("start", mode="before")(classmethod(lambda cls, v: _utc(v)))

    def describe(self) -> str:
        text = f"AHT {self.percent:+g}% for {_scope(self.queue, self.market)} from {self.start:%Y-%m-%d}"
        if self.learning_weeks:
            text += f", easing to {self.lasting_percent:+g}% over {self.learning_weeks:g} weeks"
        return text

    def multiplier(self, timestamps: pd.Series) -> pd.Series:
        """AHT multiplier per timestamp (1 before start)."""
        weeks = (timestamps - pd.Timestamp(self.start)).dt.total_seconds() / (7 * 86400)
        if self.learning_weeks:
            left = np.clip(1 - weeks / self.learning_weeks, 0, 1)
            pct = self.lasting_percent + (self.percent - self.lasting_percent) * left
        else:
            pct = pd.Series(self.percent, index=timestamps.index)
        return pd.Series(np.where(weeks >= 0, 1 + pct / 100, 1.0), index=timestamps.index)

    def apply_forecast(self, frame, op):
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        out = frame.copy()
        if "aht_seconds" not in out.columns:
            base = {q: obj.aht_seconds for q, obj in op.queues.items()}
            out["aht_seconds"] = out["queue"].map(base).astype(float)
        mask = _row_mask(out, self.queue, self.market, self.start)
        out.loc[mask, "aht_seconds"] = out.loc[mask, "aht_seconds"] * self.multiplier(out.loc[mask, "timestamp"])
        return out
