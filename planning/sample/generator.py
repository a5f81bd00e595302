"""Seeded generator of the built-in sample operation (``data/sample``).

A fictional but plausible Trust & Safety vendor operation: 11 queues, 6 markets, 7 sites
of 3 vendors in 7 time zones with 22 teams (``planning.sample.teams``), two years of 30-minute volume and an events calendar,
written exactly in the format of :mod:`planning.inputs.schema` (one CSV per table, the volume
as ``volume.csv.gz``).  Regenerating with the same seed gives byte-identical files: the
RNG is seeded, floats use fixed decimals and the gzip header carries no time or name.

The volume is sized so the operation is plannable: the workload (volume x AHT) of the
last four history weeks is ``TARGET_LOAD`` of the sites' productive capacity
(max_headcount x 40 h x (1 - shrinkage)).  Run ``python -m planning sample OUT_DIR``.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from planning.sample.teams import TEAM_SHIFTS, TEAMS, team_certification_rows


SEED = 20241118
HISTORY_START = pd.Timestamp("2024-11-18T00:00:00Z")
HISTORY_END = pd.Timestamp("2026-11-16T00:00:00Z")  # exclusive; a Monday
INTERVAL_MINUTES = 30
HOURS_PER_FTE_WEEK = 40.0  # paid hours of one full-time agent per week
TARGET_LOAD = 0.65  # workload hours / productive capacity hours, last 4 history weeks
SIZING_WEEKS = 4
HOLIDAY_FACTOR = 0.78  # volume on a market's public holiday vs a normal day
ANNUAL_AMPLITUDE = 0.04  # mild seasonality, peak in late December
DAILY_NOISE_SD = 0.04  # day-to-day lognormal wobble on top of the Poisson noise
AUTOMATION_STEP = ("spam", pd.Timestamp("2025-06-02T00:00:00Z"), 0.85)  # classifier v4

_Q = ("queue", "description", "sla_kind", "sla_target", "sla_within_seconds",
      "sla_within_hours", "sla_rest_within_hours", "aht_seconds", "patience_seconds",
      "max_occupancy", "severe", "priority")
QUEUES = [dict(zip(_Q, row)) for row in [
    ("live_video_escalations", "Live streams flagged for imminent harm", "live", 0.80, 60, None, None, 240, 600, 0.85, False, 2),
    ("priority_escalations", "Escalations from partners, press and law enforcement", "live", 0.90, 300, None, None, 600, None, 0.85, False, 2),
    ("spam", "Spam, scams and fake engagement", "deferred", 0.95, None, 24, 48, 20, None, 0.95, False, 5),
    ("abuse_harassment", "Abuse, bullying and harassment", "deferred", 0.90, None, 24, 48, 90, None, 0.95, False, 3),
    ("hate_speech", "Hateful conduct", "deferred", 0.90, None, 24, 48, 120, None, 0.95, False, 3),
    ("misinformation", "Misleading and harmful information", "deferred", 0.85, None, 48, None, 300, None, 0.95, False, 4),
    ("civic_integrity", "Election and civic-process integrity", "deferred", 0.90, None, 12, 24, 240, None, 0.95, False, 3),
    ("child_safety", "Child sexual exploitation (severe)", "deferred", 0.95, None, 1, 4, 180, None, 0.95, True, 1),
    ("violent_extremism", "Terrorist and violent extremist content (EU TCO: 1 h)", "deferred", 0.95, None, 1, 4, 200, None, 0.95, True, 1),
    ("graphic_media", "Graphic violence and gore (severe)", "deferred", 0.90, None, 4, 12, 60, None, 0.95, True, 2),
    ("appeals", "Account and content appeals", "deferred", 0.90, None, 72, 120, 1800, None, 0.95, False, 4),
]]

MARKETS = [dict(zip(("market", "description", "timezone", "holiday_country", "holiday_subdivision"), row)) for row in [
    ("NA-EN", "North America, English", "America/New_York", "US", None),
    ("LATAM-ES", "Latin America, Spanish", "America/Mexico_City", "MX", None),
    ("LATAM-PT", "Brazil, Portuguese", "America/Sao_Paulo", "BR", None),
    ("EMEA-DE", "DACH, German", "Europe/Berlin", "DE", None),
    ("EMEA-FR", "France, French", "Europe/Paris", "FR", None),
    ("APAC-JA", "Japan, Japanese", "Asia/Tokyo", "JP", None),
]]

_S = ("site", "vendor", "city", "timezone", "max_headcount", "min_headcount", "hourly_cost",
      "night_premium", "night_start", "night_end", "shrinkage")
SITES = [dict(zip(_S, row)) for row in [
    ("MNL-A", "Aster BPO", "Manila", "Asia/Manila", 350, 80, 9.00, 0.15, "22:00", "06:00", 0.32),
    ("HYD-A", "Aster BPO", "Hyderabad", "Asia/Kolkata", 300, 60, 8.00, 0.10, "22:00", "06:00", 0.34),
    ("LIS-A", "Aster BPO", "Lisbon", "Europe/Lisbon", 150, 30, 18.00, 0.25, "22:00", "07:00", 0.29),
    ("KUL-B", "Borealis CX", "Kuala Lumpur", "Asia/Kuala_Lumpur", 200, 40, 11.00, 0.12, "22:00", "06:00", 0.30),
    ("DUB-B", "Borealis CX", "Dublin", "Europe/Dublin", 140, 30, 28.00, 0.25, "22:00", "06:00", 0.30),
    ("SAO-C", "Cobalt Services", "Sao Paulo", "America/Sao_Paulo", 180, 40, 12.00, 0.20, "22:00", "05:00", 0.31),
    ("AUS-C", "Cobalt Services", "Austin", "America/Chicago", 130, 25, 30.00, 0.15, "22:00", "06:00", 0.28),
]]

_DEFERRED_LANG = ["spam", "abuse_harassment", "hate_speech"]
# site -> market -> queues it is certified for (language drives the market).
CERTIFIED: dict[str, dict[str, list[str]]] = {
    "MNL-A": {"NA-EN": _DEFERRED_LANG + ["misinformation", "appeals", "live_video_escalations",
                                         "priority_escalations", "graphic_media"],
              "APAC-JA": ["spam", "abuse_harassment", "live_video_escalations", "appeals"]},
    "KUL-B": {"NA-EN": _DEFERRED_LANG + ["misinformation", "civic_integrity", "appeals"],
              "APAC-JA": ["spam", "abuse_harassment", "live_video_escalations", "appeals"]},
    "HYD-A": {"NA-EN": _DEFERRED_LANG + ["misinformation", "appeals", "graphic_media", "child_safety"]},
    "SAO-C": {"NA-EN": ["spam", "abuse_harassment"],
              "LATAM-PT": _DEFERRED_LANG + ["civic_integrity", "appeals"],
              "LATAM-ES": _DEFERRED_LANG + ["misinformation", "civic_integrity", "appeals"]},
    "DUB-B": {"NA-EN": ["hate_speech", "misinformation", "civic_integrity", "priority_escalations",
                        "child_safety", "violent_extremism"],
              "EMEA-DE": _DEFERRED_LANG + ["violent_extremism", "appeals"],
              "EMEA-FR": list(_DEFERRED_LANG)},
    "AUS-C": {"NA-EN": ["misinformation", "civic_integrity", "appeals", "live_video_escalations",
                        "priority_escalations", "child_safety", "violent_extremism"],
              "LATAM-ES": _DEFERRED_LANG + ["misinformation", "civic_integrity", "appeals"]},
    "LIS-A": {"LATAM-PT": _DEFERRED_LANG + ["civic_integrity", "appeals"],
              "EMEA-DE": _DEFERRED_LANG + ["violent_extremism", "appeals"],
              "EMEA-FR": list(_DEFERRED_LANG)},
}

# site -> (shift, local start, paid hours)
SHIFTS = {
    "MNL-A": [("early", "06:00", 9), ("day", "10:00", 9), ("swing", "14:00", 9), ("late", "18:00", 9), ("night", "22:00", 9)],
    "HYD-A": [("early", "06:30", 9), ("day", "10:30", 9), ("swing", "14:30", 9), ("late", "18:30", 9), ("night", "22:30", 9)],
    "LIS-A": [("early", "07:00", 9), ("day", "13:00", 9), ("late", "17:00", 9), ("night", "23:00", 8)],
    "KUL-B": [("early", "07:00", 9), ("day", "11:00", 9), ("swing", "15:00", 9), ("night", "23:00", 9)],
    "DUB-B": [("early", "07:00", 9), ("day", "11:00", 9), ("late", "15:00", 9), ("night", "23:00", 8)],
    "SAO-C": [("early", "06:00", 8), ("day", "10:00", 8), ("late", "14:00", 8), ("night", "22:00", 8)],
    "AUS-C": [("early", "06:00", 10), ("day", "12:00", 10), ("late", "16:00", 10), ("night", "22:00", 10)],
}

_H = ("site", "current_headcount", "monthly_attrition", "recruiting_lead_weeks", "training_weeks",
      "nesting_weeks", "nesting_productivity", "class_min", "class_max", "max_hires_per_week",
      "hire_cost", "training_cost_per_week")
HIRING = [dict(zip(_H, row)) for row in [
    ("MNL-A", 285, 0.045, 4, 3, 4, 0.60, 10, 30, 40, 900, 360),
    ("HYD-A", 240, 0.050, 4, 3, 4, 0.55, 10, 30, 35, 700, 320),
    ("LIS-A", 120, 0.030, 6, 3, 4, 0.65, 8, 20, 15, 2200, 720),
    ("KUL-B", 160, 0.035, 5, 3, 4, 0.60, 8, 25, 25, 1100, 440),
    ("DUB-B", 110, 0.025, 6, 4, 3, 0.65, 8, 20, 12, 3500, 1120),
    ("SAO-C", 145, 0.040, 4, 3, 4, 0.60, 8, 25, 25, 1200, 480),
    ("AUS-C", 100, 0.030, 5, 3, 3, 0.70, 8, 20, 12, 3800, 1200),
]]

# Relative workload mix per queue x market (hours/week before scaling to TARGET_LOAD).
RELATIVE_WORKLOAD = {
    ("spam", "NA-EN"): 2600, ("abuse_harassment", "NA-EN"): 2500, ("hate_speech", "NA-EN"): 1700,
    ("misinformation", "NA-EN"): 1400, ("civic_integrity", "NA-EN"): 500, ("appeals", "NA-EN"): 2100,
    ("live_video_escalations", "NA-EN"): 700, ("priority_escalations", "NA-EN"): 700,
    ("graphic_media", "NA-EN"): 600, ("child_safety", "NA-EN"): 700, ("violent_extremism", "NA-EN"): 400,
    ("spam", "LATAM-ES"): 700, ("abuse_harassment", "LATAM-ES"): 700, ("hate_speech", "LATAM-ES"): 450,
    ("misinformation", "LATAM-ES"): 450, ("civic_integrity", "LATAM-ES"): 200, ("appeals", "LATAM-ES"): 500,
    ("spam", "LATAM-PT"): 650, ("abuse_harassment", "LATAM-PT"): 650, ("hate_speech", "LATAM-PT"): 400,
    ("civic_integrity", "LATAM-PT"): 250, ("appeals", "LATAM-PT"): 450,
    ("spam", "EMEA-DE"): 600, ("abuse_harassment", "EMEA-DE"): 650, ("hate_speech", "EMEA-DE"): 600,
    ("violent_extremism", "EMEA-DE"): 250, ("appeals", "EMEA-DE"): 450,
    ("spam", "EMEA-FR"): 500, ("abuse_harassment", "EMEA-FR"): 550, ("hate_speech", "EMEA-FR"): 500,
    ("spam", "APAC-JA"): 800, ("abuse_harassment", "APAC-JA"): 850,
    ("live_video_escalations", "APAC-JA"): 350, ("appeals", "APAC-JA"): 700,
}

# queue -> (growth per year, weekend/weekday ratio, diurnal amplitude 0-1)
QUEUE_SHAPE = {
    "live_video_escalations": (0.20, 0.95, 1.0), "priority_escalations": (0.05, 0.75, 0.9),
    "spam": (0.04, 0.90, 0.5), "abuse_harassment": (0.08, 0.85, 1.0), "hate_speech": (0.06, 0.85, 1.0),
    "misinformation": (0.05, 0.80, 1.0), "civic_integrity": (0.03, 0.70, 1.0),
    "child_safety": (0.10, 0.90, 0.8), "violent_extremism": (0.05, 0.85, 0.8),
    "graphic_media": (0.06, 0.90, 1.0), "appeals": (0.12, 0.70, 0.8),
}
MARKET_GROWTH = {"NA-EN": 0.0, "LATAM-ES": 0.03, "LATAM-PT": 0.03, "EMEA-DE": 0.0,
                 "EMEA-FR": 0.0, "APAC-JA": 0.05}

_E = ("event", "kind", "start", "end", "queue", "market", "volume_multiplier", "notes")
# Past events are baked into the volume; future ones are known uplifts for the forecast.
EVENTS = [dict(zip(_E, row)) for row in [
    ("Live-streamed attack re-uploads", "incident", "2025-03-14T18:00:00Z", "2025-03-15T00:00:00Z", "live_video_escalations", "NA-EN", 5.0, "past"),
    ("Viral graphic accident video", "incident", "2025-06-21T14:00:00Z", "2025-06-21T20:00:00Z", "graphic_media", "NA-EN", 4.0, "past"),
    ("Spam bot wave", "incident", "2025-09-09T01:00:00Z", "2025-09-09T09:00:00Z", "spam", "APAC-JA", 3.0, "past"),
    ("Footballer harassment pile-on", "incident", "2026-01-18T19:00:00Z", "2026-01-19T01:00:00Z", "abuse_harassment", "LATAM-ES", 3.5, "past"),
    ("Attack propaganda uploads", "incident", "2026-04-22T08:00:00Z", "2026-04-22T12:00:00Z", "violent_extremism", "EMEA-DE", 6.0, "past; EU TCO removal orders"),
    ("Hate raid after cup final", "incident", "2026-07-12T19:00:00Z", "2026-07-12T23:00:00Z", "hate_speech", "EMEA-FR", 3.0, "past"),
    ("Brazil general election, first round", "election", "2026-09-27T03:00:00Z", "2026-10-11T03:00:00Z", "civic_integrity", "LATAM-PT", 3.0, "past; vote on 2026-10-04"),
    ("Brazil general election, runoff", "election", "2026-10-22T03:00:00Z", "2026-10-29T03:00:00Z", "civic_integrity", "LATAM-PT", 1.8, "past; vote on 2026-10-25"),
    ("Live shopping launch", "launch", "2026-12-01T05:00:00Z", "2026-12-15T05:00:00Z", "*", "NA-EN", 1.3, "future"),
    ("Championship game live streams", "other", "2027-02-14T23:00:00Z", "2027-02-15T05:00:00Z", "live_video_escalations", "NA-EN", 2.0, "future"),
    ("Mexico federal midterm election", "election", "2027-05-24T06:00:00Z", "2027-06-14T06:00:00Z", "civic_integrity", "LATAM-ES", 2.5, "future; vote on 2027-06-06"),
]]

SETTINGS = [("interval_minutes", "30"), ("currency", "USD"), ("wellness_severe_share_max", "0.5"),
            ("planning_weeks", "1")]

# Fixed decimals per float column (default 2), so the text never depends on float repr.

def pairs() -> list[tuple[str, str]]:
    """The queue x market pairs that carry volume, sorted."""
    return sorted(RELATIVE_WORKLOAD)


def history_index() -> pd.DatetimeIndex:
    """UTC interval starts of the whole history (end exclusive)."""
    return pd.date_range(HISTORY_START, HISTORY_END, freq=f"{INTERVAL_MINUTES}min", inclusive="left")


def certification_rows() -> list[dict]:
    """Per team (``planning.sample.teams``): every site certification belongs to a team."""
    return team_certification_rows(CERTIFIED)


def site_certification_rows() -> list[dict]:
    """The site's certifications, whatever team takes them."""
    return [{"site": s, "queue": q, "market": m}
            for s, by_market in CERTIFIED.items() for m, qs in by_market.items() for q in qs]


def shift_rows() -> list[dict]:
    """The site's templates (every team's) and the few of one team."""
    return ([{"site": s, "shift": name, "start": start, "paid_hours": float(h)}
             for s, rows in SHIFTS.items() for name, start, h in rows]
            + [{"site": s, "shift": name, "start": start, "paid_hours": float(h), "team": team}
               for s, team, name, start, h in TEAM_SHIFTS])


def productive_capacity_hours() -> dict[str, float]:
    """Productive hours per week a site offers at max headcount [h/week]."""
    return {s["site"]: s["max_headcount"] * HOURS_PER_FTE_WEEK * (1 - s["shrinkage"]) for s in SITES}


def _clock_bump(hours: np.ndarray, centre: float, width: float) -> np.ndarray:
    d = np.abs(hours - centre)
    d = np.minimum(d, 24 - d)  # circular distance on the clock
    return np.exp(-0.5 * (d / width) ** 2)


def _raw_diurnal(hours: np.ndarray) -> np.ndarray:
    return 0.15 + 0.6 * _clock_bump(hours, 13.0, 3.5) + 1.0 * _clock_bump(hours, 21.0, 2.5)


def diurnal_shape(local_hours: np.ndarray) -> np.ndarray:
    """Relative volume by local clock hour (0-24): quiet before dawn, peaks ~13:00 and ~21:00.

    Normalised so the mean over one day's 30-minute grid is 1.
    """
    grid = np.arange(0, 24, INTERVAL_MINUTES / 60)
    return _raw_diurnal(np.asarray(local_hours, dtype=float)) / _raw_diurnal(grid).mean()


def _market_calendar(index: pd.DatetimeIndex, market: dict) -> dict[str, np.ndarray]:
    """Market-local clock hour, weekday, holiday flag and day number for each interval."""
    local = index.tz_convert(market["timezone"])
    naive = local.tz_localize(None)
    dates = naive.normalize()
    years = range(index[0].year, index[-1].year + 1)
    days_off = holidays.country_holidays(market["holiday_country"], subdiv=market["holiday_subdivision"],
                                         years=years)
    holiday = dates.isin(pd.DatetimeIndex(sorted(days_off)))
    day = ((dates - dates[0]) // pd.Timedelta(days=1)).to_numpy()
    return {"hour": (naive.hour + naive.minute / 60).to_numpy(), "weekday": naive.day_of_week.to_numpy(),
            "holiday": np.asarray(holiday), "day": day.astype(int)}


def _event_factor(index: pd.DatetimeIndex, queue: str, market: str) -> np.ndarray:
    factor = np.ones(len(index))
    for ev in EVENTS:
        if ev["queue"] not in ("*", queue) or ev["market"] not in ("*", market):
            continue
        inside = (index >= pd.Timestamp(ev["start"])) & (index < pd.Timestamp(ev["end"]))
        factor[inside] *= ev["volume_multiplier"]
    return factor


def expected_volume(index: pd.DatetimeIndex, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Expected items per interval for every pair (before Poisson noise), sized to TARGET_LOAD."""
    markets = {m["market"]: m for m in MARKETS}
    calendars = {m: _market_calendar(index, markets[m]) for m in sorted({m for _, m in pairs()})}
    aht = {q["queue"]: q["aht_seconds"] for q in QUEUES}
    years_to_end = ((index - HISTORY_END) / pd.Timedelta(days=365.25)).to_numpy()
    doy = index.day_of_year.to_numpy()
    annual = 1 + ANNUAL_AMPLITUDE * np.cos(2 * np.pi * (doy - 355) / 365.25)
    per_interval = 7 * 24 * 60 / INTERVAL_MINUTES
    lam = {}
    for queue, market in pairs():
        growth, weekend, amplitude = QUEUE_SHAPE[queue]
        cal = calendars[market]
        weekly_items = RELATIVE_WORKLOAD[(queue, market)] * 3600 / aht[queue]
        diurnal = 1 + amplitude * (diurnal_shape(cal["hour"]) - 1)
        week = np.where(cal["weekday"] >= 5, weekend, 1.0) * 7 / (5 + 2 * weekend)
        trend = (1 + growth + MARKET_GROWTH[market]) ** years_to_end
        daily = rng.lognormal(0.0, DAILY_NOISE_SD, cal["day"].max() + 1)[cal["day"]]
        x = weekly_items / per_interval * diurnal * week * trend * annual * daily
        x *= np.where(cal["holiday"], HOLIDAY_FACTOR, 1.0) * _event_factor(index, queue, market)
        if queue == AUTOMATION_STEP[0]:
            x *= np.where(index >= AUTOMATION_STEP[1], AUTOMATION_STEP[2], 1.0)
        lam[(queue, market)] = x
    tail = index >= HISTORY_END - pd.Timedelta(weeks=SIZING_WEEKS)
    workload = sum(lam[p][tail].sum() * aht[p[0]] / 3600 for p in lam) / SIZING_WEEKS
    scale = TARGET_LOAD * sum(productive_capacity_hours().values()) / workload
    return {p: x * scale for p, x in lam.items()}


def generate_volume(seed: int = SEED) -> pd.DataFrame:
    """The volume table: ``timestamp`` (UTC), ``queue``, ``market``, ``volume`` (Poisson counts)."""
    rng = np.random.default_rng(seed)
    index = history_index()
    lam = expected_volume(index, rng)
    frames = [pd.DataFrame({"timestamp": index, "queue": q, "market": m,
                            "volume": rng.poisson(lam[(q, m)]).astype(float)})
              for q, m in pairs()]
    return pd.concat(frames, ignore_index=True)


def sizing_summary(volume: pd.DataFrame) -> pd.DataFrame:
    """Workload vs productive capacity [h/week] per market and overall, last SIZING_WEEKS weeks.

    A market's capacity is that of every site certified for it (sites are shared, so the
    market rows overlap); the ``ALL`` row counts each site once.
    """
    hours = pair_workload_hours(volume).groupby(level="market").sum()
    capacity = productive_capacity_hours()
    rows = []
    for market in sorted(hours.index):
        sites = sorted({c["site"] for c in site_certification_rows() if c["market"] == market})
        rows.append((market, hours[market], sum(capacity[s] for s in sites), ", ".join(sites)))
    rows.append(("ALL", hours.sum(), sum(capacity.values()), ", ".join(sorted(capacity))))
    out = pd.DataFrame(rows, columns=["market", "workload_hours_week", "capacity_hours_week", "sites"])
    out["load"] = out["workload_hours_week"] / out["capacity_hours_week"]
    return out


def pair_workload_hours(volume: pd.DataFrame) -> pd.Series:
    """Mean workload [h/week] per (queue, market) over the last SIZING_WEEKS weeks."""
    aht = pd.Series({q["queue"]: q["aht_seconds"] for q in QUEUES})
    start = volume["timestamp"].max() - pd.Timedelta(weeks=SIZING_WEEKS) + pd.Timedelta(minutes=INTERVAL_MINUTES)
    tail = volume[volume["timestamp"] >= start]
    hours = tail["volume"] * tail["queue"].map(aht) / 3600 / SIZING_WEEKS
    return hours.groupby([tail["queue"], tail["market"]]).sum()


def balanced_site_load(workload: pd.Series) -> tuple[float, dict[str, float]]:
    """Least achievable max site utilisation when each pair's weekly workload goes to its
    certified sites (LP: minimise u s.t. sum_s x[p,s] = w_p, sum_p x[p,s] <= u * cap_s).

    Returns u and each site's utilisation at that optimum.  Averages only: no diurnal
    peaks, occupancy or SLA, so it is a lower bound on how tight a real plan is.
    """
    from scipy.optimize import linprog

    capacity = productive_capacity_hours()
    sites = sorted(capacity)
    arcs = [(p, s) for p in workload.index for s in sites if s in _certified_sites(*p)]
    n = len(arcs)
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    a_eq = np.zeros((len(workload), n + 1))
    a_ub = np.zeros((len(sites), n + 1))
    for j, (p, s) in enumerate(arcs):
        a_eq[list(workload.index).index(p), j] = 1.0
        a_ub[sites.index(s), j] = 1.0
    a_ub[:, -1] = [-capacity[s] for s in sites]
    res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(len(sites)), A_eq=a_eq, b_eq=workload.to_numpy(),
                  bounds=[(0, None)] * (n + 1), method="highs")
    if res.status != 0:
        raise RuntimeError(f"sizing LP failed: {res.message}")
    used = a_ub[:, :-1] @ res.x[:-1]
    return float(res.x[-1]), {s: float(used[i] / capacity[s]) for i, s in enumerate(sites)}


def _certified_sites(queue: str, market: str) -> set[str]:
    return {s for s, by_market in CERTIFIED.items() if queue in by_market.get(market, [])}


def write_gzip_deterministic(path: Path, text: str) -> None:
    """gzip with mtime 0 and no file name in the header: same text, same bytes."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                 compresslevel=6) as gz:
        gz.write(text.encode("utf-8"))
