"""Typed domain objects of a Trust & Safety vendor operation.

Everything the planner reasons about is one of these: queues (policy areas with an
SLA), markets (language regions), vendor sites, certifications (which site may work
which queue x market), teams within sites, shift templates in the site's local time, known events, and the
planning settings.  Validation that concerns one object lives on the object; checks
that span files (unknown references, gaps in the volume) live in
``planning.inputs.validation``.

Units are in the field names: ``aht_seconds``, ``sla_within_seconds``,
``hourly_cost`` (currency per paid hour, currency in ``Settings.currency``).
Shares (shrinkage, occupancy, SLA targets) are fractions 0-1, never percent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Wildcard used in events and levers to mean "every queue" / "every market".
ALL = "*"


class SlaKind(str, Enum):
    """Live: X% answered within T seconds. Deferred: X% actioned within H hours."""

    live = "live"
    deferred = "deferred"


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"'{name}' is not an IANA time zone; use a name such as 'Europe/Dublin' or 'Asia/Kolkata'"
        ) from None
    return name


def _parse_hhmm(value: str) -> dt.time:
    try:
        hours, minutes = str(value).strip().split(":")[:2]
        return dt.time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ValueError(f"'{value}' is not a time of day; write it as HH:MM, e.g. 07:30") from None


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Queue(_Model):
    """A policy area worked by humans, with its SLA.

    aht_seconds : average handle time [s]
    sla_target : share of items that must meet the deadline (0-1)
    sla_within_seconds : live deadline T [s]  (live queues only)
    sla_within_hours : deferred deadline H [h] (deferred queues only)
    sla_rest_within_hours : optional second deadline for the remaining items [h]
    patience_seconds : mean patience for Erlang A abandonment [s] (live, optional)
    max_occupancy : cap on occupancy of agents on this queue (0-1)
    severe : disturbing content, counted against the wellness cap
    priority : 1 = most important; drives shortfall penalties
    """

    queue: str = Field(min_length=1)
    description: str = ""
    sla_kind: SlaKind
    sla_target: float = Field(gt=0, lt=1)
    sla_within_seconds: float | None = Field(default=None, gt=0)
    sla_within_hours: float | None = Field(default=None, gt=0)
    sla_rest_within_hours: float | None = Field(default=None, gt=0)
    aht_seconds: float = Field(gt=0)
    patience_seconds: float | None = Field(default=None, gt=0)
    max_occupancy: float = Field(default=0.85, gt=0, le=1)
    severe: bool = False
    priority: int = Field(default=3, ge=1, le=9)

    @model_validator(mode="after")
    def _deadline_matches_kind(self) -> "Queue":
        if self.sla_kind is SlaKind.live and self.sla_within_seconds is None:
            raise ValueError("a live queue needs sla_within_seconds (e.g. 60)")
        if self.sla_kind is SlaKind.deferred and self.sla_within_hours is None:
            raise ValueError("a deferred queue needs sla_within_hours (e.g. 24)")
        if self.sla_rest_within_hours is not None and self.sla_within_hours is not None:
            if self.sla_rest_within_hours < self.sla_within_hours:
                raise ValueError("sla_rest_within_hours must be at least sla_within_hours")
        return self

    @property
    def deadline_seconds(self) -> float:
        """The SLA deadline in seconds whatever the kind."""
        if self.sla_kind is SlaKind.live:
            return float(self.sla_within_seconds)
        return float(self.sla_within_hours) * 3600.0


class Market(_Model):
    """A region / language market. Its time zone shapes the diurnal volume curve."""

    market: str = Field(min_length=1)
    description: str = ""
    timezone: str
    holiday_country: str = Field(min_length=2, max_length=3)
    holiday_subdivision: str | None = None

    _zone = field_validator("timezone")(classmethod(lambda cls, v: _check_zone(v)))


class Site(_Model):
    """A vendor site (a BPO location).

    hourly_cost : cost per paid agent hour [currency/h]
    night_premium : extra share of hourly_cost paid for hours in the local night (0-1+)
    night_start / night_end : local night window, HH:MM
    shrinkage : share of paid time not available for queue work (0-1)
    """

    site: str = Field(min_length=1)
    vendor: str = Field(min_length=1)
    city: str = ""
    timezone: str
    max_headcount: int = Field(ge=0)
    min_headcount: int = Field(default=0, ge=0)
    hourly_cost: float = Field(ge=0)
    night_premium: float = Field(default=0.0, ge=0, le=2)
    night_start: dt.time = dt.time(22, 0)
    night_end: dt.time = dt.time(6, 0)
    shrinkage: float = Field(ge=0, lt=1)

    _zone = field_validator("timezone")(classmethod(lambda cls, v: _check_zone(v)))

    @field_validator("night_start", "night_end", mode="before")
    @classmethod
    def _time(cls, v):
        return v if isinstance(v, dt.time) else _parse_hhmm(v)

    @model_validator(mode="after")
    def _min_below_max(self) -> "Site":
        if self.min_headcount > self.max_headcount:
            raise ValueError(
                f"min_headcount {self.min_headcount} is above max_headcount {self.max_headcount}"
            )
        return self


class Team(_Model):
    """A team (line of business) within a site: the unit a vendor staffs, bills and trains.

    max_headcount / min_headcount : the team's cap and contract minimum [agents]; the
        site's own cap and minimum still bound the sum of its teams
    hourly_cost : cost per paid agent hour [currency/h]; None = the site's
    shrinkage : share of paid time not available for queue work (0-1); None = the site's
    languages, notes : free text for people (the planner uses the certifications)
    """

    site: str
    team: str = Field(min_length=1)
    max_headcount: int = Field(ge=0)
    min_headcount: int = Field(default=0, ge=0)
    hourly_cost: float | None = Field(default=None, ge=0)
    shrinkage: float | None = Field(default=None, ge=0, lt=1)
    languages: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _min_below_max(self) -> "Team":
        if self.min_headcount > self.max_headcount:
            raise ValueError(
                f"min_headcount {self.min_headcount} is above max_headcount {self.max_headcount}"
            )
        return self


class Certification(_Model):
    """Site ``site`` may work queue ``queue`` for market ``market``: team ``team`` of it,
    or every team of the site when ``team`` is None (a site without teams is one team)."""

    site: str
    queue: str
    market: str
    team: str | None = None


class ShiftTemplate(_Model):
    """A shift a site offers, in the site's local time.

    start : local start, HH:MM
    paid_hours : paid length [h]; the shift covers exactly this many hours of clock time
    """

    site: str
    shift: str = Field(min_length=1)
    start: dt.time
    paid_hours: float = Field(gt=0, le=16)
    team: str | None = None  # None: every team of the site works it

    @field_validator("start", mode="before")
    @classmethod
    def _time(cls, v):
        return v if isinstance(v, dt.time) else _parse_hhmm(v)


class Event(_Model):
    """A known event (election, launch, incident, holiday) with its expected uplift.

    start / end : tz-aware timestamps (end exclusive)
    queue / market : affected scope; ``*`` means all
    volume_multiplier : expected volume relative to normal (3.0 = triples)
    """

    event: str = Field(min_length=1)
    kind: str = "event"
    start: dt.datetime
    end: dt.datetime
    queue: str = ALL
    market: str = ALL
    volume_multiplier: float = Field(default=1.0, gt=0)
    notes: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "Event":
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("event start and end need a UTC offset, e.g. 2026-03-01T00:00:00Z")
        if self.end <= self.start:
            raise ValueError("event end must be after its start")
        return self


class Settings(_Model):
    """Planning settings (the optional ``settings`` file: key,value rows)."""

    interval_minutes: int = 30
    currency: str = "USD"
    wellness_severe_share_max: float = Field(default=0.5, gt=0, le=1)
    concentration_max_share: float | None = Field(default=None, gt=0, le=1)
    planning_weeks: int = Field(default=1, ge=1, le=8)
    solver_time_limit_seconds: float = Field(default=30.0, gt=0)
    solver_gap_target: float = Field(default=0.005, ge=0, lt=1)
    # What-if scenario runs use a shorter solver limit (a quick answer; the gap is shown
    # beside every scenario's KPIs; a scenario's own limit overrides it).
    scenario_time_limit_seconds: float = Field(default=10.0, gt=0)
    random_seed: int = 7
    max_upload_mb: float = Field(default=50.0, gt=0)
    # Risk-aware staffing: the probability that a pair's weekly attainment meets its SLA
    # target, against the forecast-error paths (forecasts.errors; docs/risk.md). Below
    # one half would plan for less than the median week.
    sla_confidence: float = Field(default=0.95, ge=0.5, lt=1)
    # Nothing here reaches infrastructure: where forecasting runs, a Dask scheduler, a
    # database or a dataset path come from the server only (SERVER_SETTINGS below).

    @field_validator("interval_minutes")
    @classmethod
    def _interval(cls, v: int) -> int:
        if v not in (15, 30, 60):
            raise ValueError("interval_minutes must be 15, 30 or 60")
        return v


# Settings that reach infrastructure: never from an uploaded settings table (an upload
# could otherwise send volume series to any Dask scheduler and unpickle its answers).
# key -> environment variable; the same key also works under [server] in
# .streamlit/secrets.toml (planning.forecasting.server_setting reads both).
SERVER_SETTINGS = {
    "forecast_backend": "WFM_FORECAST_BACKEND",
    "dask_scheduler": "WFM_DASK_SCHEDULER",
    "database_url": "WFM_DB",
    "scenario_db": "WFM_DB",
    "cache_dir": "WFM_CACHE_DIR",
    "base_dataset": "the scenario's --inputs / the Data page",
    "data_dir": "the scenario's --inputs / the Data page",
}


def server_setting_ignored(key: str) -> str:
    """The validation warning for an uploaded setting that only the server may set."""
    where = SERVER_SETTINGS[key]
    if where.startswith("WFM_"):
        where = f"environment variable {where}, or {key} under [server] in .streamlit/secrets.toml"
    return (f"setting {key} is ignored: it points the planner at infrastructure, so it comes only "
            f"from the server configuration ({where}), never from uploaded inputs")


@dataclass
class Operation:
    """One loaded operation: the typed objects plus the tidy volume frame.

    volume columns: ``timestamp`` (UTC, tz-aware, interval start), ``queue``, ``market``,
    ``volume`` (float, items reaching human review in the interval).
    """

    queues: dict[str, Queue]
    markets: dict[str, Market]
    sites: dict[str, Site]
    certifications: list[Certification]
    shifts: list[ShiftTemplate]
    volume: pd.DataFrame
    events: list[Event] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    source: str = ""
    # Date-bound site changes from scenario levers (outages, capacity caps, training
    # weeks): columns ``site, start, end`` (UTC, end exclusive), ``max_headcount``
    # (nullable int: cap while active, 0 = outage) and ``shrinkage`` (nullable share:
    # replaces the site's shrinkage while active). The shift planner honours them.
    site_adjustments: pd.DataFrame | None = None
    # The optional ``hiring`` table (columns as in planning.inputs.schema), parsed; None if absent.
    hiring: pd.DataFrame | None = None
    # The optional ``teams`` table: teams within sites (planning.teams resolves them); a
    # site without rows here is one team named after the site.
    teams: list[Team] = field(default_factory=list)

    @property
    def vendors(self) -> list[str]:
        return sorted({s.vendor for s in self.sites.values()})

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """The queue x market pairs that have volume."""
        keys = self.volume[["queue", "market"]].drop_duplicates()
        return sorted(map(tuple, keys.itertuples(index=False, name=None)))

    def certified_sites(self, queue: str, market: str) -> list[str]:
        return sorted(
            c.site for c in self.certifications if c.queue == queue and c.market == market
        )

    @property
    def history_end(self) -> pd.Timestamp:
        """The start of the interval after the last history interval (UTC)."""
        last = self.volume["timestamp"].max()
        return last + pd.Timedelta(minutes=self.settings.interval_minutes)
