"""What every scenario lever shares: the base models (``_Lever``, ``_Dated``), the scope and
date helpers, and the checks that a lever names a queue, market or site the operation has
(conventions in :mod:`planning.scenarios.levers`).
"""
from __future__ import annotations

import re

import dataclasses
import datetime as dt

import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from planning.domain import ALL, Operation, Site


# Assumptions, in one place.
MAX_SHRINKAGE = 0.95  # a lever never pushes shrinkage above this share
DEFAULT_PAID_HOURS_PER_WEEK = 40.0  # paid hours of one agent in a week [h]
VOLUME_COLUMNS = ("forecast", "lo_80", "hi_80", "lo_95", "hi_95", "volume")
ADJUSTMENT_COLUMNS = ("site", "start", "end", "max_headcount", "shrinkage")


class LeverError(ValueError):
    """A lever refers to something the operation does not have (a planner-readable message)."""


def _utc(value):
    if value is None or value == "":
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.to_pydatetime()


def _scope(queue: str = ALL, market: str = ALL) -> str:
    q = "all queues" if queue == ALL else f"queue {queue}"
    m = "all markets" if market == ALL else f"market {market}"
    return f"{q}, {m}"


def _when(start: dt.datetime | None, end: dt.datetime | None) -> str:
    fmt = lambda d: d.strftime("%Y-%m-%d %H:%M UTC") if (d.hour or d.minute) else d.strftime("%Y-%m-%d")  # noqa: E731
    if start is None and end is None:
        return "over the whole horizon"
    if end is None:
        return f"from {fmt(start)}"
    if start is None:
        return f"until {fmt(end)}"
    return f"from {fmt(start)} to {fmt(end)} (end exclusive)"


class _Lever(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def describe(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        """What this kind of lever does, for a planner: the docstring's first paragraph, whole
        (never cut at the first '.', which may be 'e.g.' or '+0.05'), without code markup."""
        first = (cls.__doc__ or "").strip().split("\n\n")[0]
        return re.sub(r"\s+", " ", first.replace("``", "")).strip()

    def apply_operation(self, op: Operation) -> Operation:
        return op

    def apply_forecast(self, frame: pd.DataFrame, op: Operation) -> pd.DataFrame:
        return frame

    @property
    def touches_forecast(self) -> bool:
        return type(self).apply_forecast is not _Lever.apply_forecast


class _Dated(_Lever):
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    _dates = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _utc(v)))

    @model_validator(mode="after")
    def _ordered(self):
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")
        return self


def _row_mask(frame: pd.DataFrame, queue=ALL, market=ALL, start=None, end=None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    if queue != ALL:
        mask &= frame["queue"] == queue
    if market != ALL:
        mask &= frame["market"] == market
    if start is not None:
        mask &= frame["timestamp"] >= pd.Timestamp(start)
    if end is not None:
        mask &= frame["timestamp"] < pd.Timestamp(end)
    return mask


def _scale_volume(frame: pd.DataFrame, mask: pd.Series, factor) -> pd.DataFrame:
    out = frame.copy()
    for col in VOLUME_COLUMNS:
        if col in out.columns:
            out[col] = out[col].astype(float)
            out.loc[mask, col] = out.loc[mask, col] * (factor[mask] if isinstance(factor, pd.Series) else factor)
    return out


def _need_queue(op: Operation, queue: str, wildcard: bool = True) -> None:
    if queue == ALL and wildcard:
        return
    if queue not in op.queues:
        raise LeverError(f"queue '{queue}' is not in this operation (known: {', '.join(sorted(op.queues))})")


def _need_market(op: Operation, market: str) -> None:
    if market != ALL and market not in op.markets:
        raise LeverError(f"market '{market}' is not in this operation (known: {', '.join(sorted(op.markets))})")


def _need_site(op: Operation, site: str, wildcard: bool = True) -> None:
    if site == ALL and wildcard:
        return
    if site not in op.sites:
        raise LeverError(f"site '{site}' is not in this operation (known: {', '.join(sorted(op.sites))})")


def _sites_in_scope(op: Operation, site: str = ALL, vendor: str = ALL) -> list[str]:
    _need_site(op, site)
    if vendor != ALL and vendor not in op.vendors:
        raise LeverError(f"vendor '{vendor}' is not in this operation (known: {', '.join(op.vendors)})")
    return sorted(s for s, obj in op.sites.items()
                  if (site == ALL or s == site) and (vendor == ALL or obj.vendor == vendor))


def _with_sites(op: Operation, changes: dict[str, dict]) -> Operation:
    sites = dict(op.sites)
    for name, update in changes.items():
        # model_validate, not model_copy: the changed site must pass the Site checks.
        sites[name] = Site.model_validate({**sites[name].model_dump(), **update})
    return dataclasses.replace(op, sites=sites)


def _add_adjustments(op: Operation, rows: list[dict]) -> Operation:
    new = pd.DataFrame(rows, columns=list(ADJUSTMENT_COLUMNS))
    new["start"] = pd.to_datetime(new["start"], utc=True)
    new["end"] = pd.to_datetime(new["end"], utc=True)
    # float with NaN = "no cap" (whole numbers otherwise): every consumer reads NaN as missing,
    # while pandas' <NA> (Int64) breaks plain float()/comparison code.
    new["max_headcount"] = pd.to_numeric(new["max_headcount"], errors="coerce").astype(float)
    new["shrinkage"] = new["shrinkage"].astype(float)
    old = op.site_adjustments
    frame = new if old is None or old.empty else pd.concat([old, new], ignore_index=True)
    return dataclasses.replace(op, site_adjustments=frame.reset_index(drop=True))
