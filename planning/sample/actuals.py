"""Seeded generator of the sample operation's actuals (``data/sample/actuals.csv.gz``).

The week after the sample's history (2026-11-16 ... 2026-11-22, UTC) as it "happened":
incoming volume from the same expected-volume model as the history
(:func:`planning.sample.generator.expected_volume`, Poisson noise on top), automation in front
of the human queues, agents staffed per site x pair for the expected workload, and a
fluid backlog per pair that those agents work down.  Three problems are planted
(:data:`PLANTED`); ``planted=False`` writes the clean copy used by the false-alarm test.

Rows (table ``actuals`` in :mod:`planning.inputs.schema`):

* pair rows, ``site`` blank: every column for the queue x market as a whole;
* site rows, ``site`` set: the site's share of that pair's work: ``total_solved`` =
  ``manual_solved`` (items it handled), ``aht_seconds``, ``staffed_agents``; the incoming,
  backlog and SLA columns are blank.  ``team`` is blank (the whole site) except where a
  site reports a market by team (:data:`TEAM_ROWS`: markets only one team of the site
  works, so a team row is the site's row for that pair).

Same seed, same bytes: fixed decimals and a gzip header without time or name.
Run ``python -m planning.sample.actuals OUT_DIR [--clean]``.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from planning.sample import generator as sg
from planning.staffing import erlang as staffing

SEED = 20261116
START = sg.HISTORY_END  # actuals follow the history directly
DAYS = 7
INTERVAL_MINUTES = sg.INTERVAL_MINUTES
FILE_NAME = "actuals.csv.gz"

# Share of total incoming actioned by automation before human review (assumption per queue).
AUTOMATION_RATE = {
    "live_video_escalations": 0.25, "priority_escalations": 0.0, "spam": 0.80,
    "abuse_harassment": 0.35, "hate_speech": 0.40, "misinformation": 0.30, "civic_integrity": 0.20,
    "child_safety": 0.55, "violent_extremism": 0.50, "graphic_media": 0.60, "appeals": 0.10,
}
STAFFING_OCCUPANCY = 0.85  # deferred queues: rostered for the expected workload at this occupancy
LIVE_TARGET_MARGIN = 0.10  # live queues: rostered (Erlang C) for the SLA target + this, at most 0.97
WORKING_OCCUPANCY = 0.95  # the most of their time agents can actually spend on items
STAFFING_NOISE_SD = 0.04  # relative interval-to-interval wobble of staffed agents
AHT_NOISE_SD = 0.03  # relative wobble of the measured AHT per site x pair x interval
# (site, market) -> the team whose rows the site reports for that market: Manila's Japanese
# work is the JA team's alone (planning.sample.teams.WORK), and Manila reports it by team.
TEAM_ROWS = {("MNL-A", "APAC-JA"): "JA"}
ACTUALS_COLUMNS = ["timestamp", "queue", "market", "site", "team", "total_incoming", "manual_incoming",
                   "total_solved", "manual_solved", "aht_seconds", "backlog_items", "within_sla_share",
                   "staffed_agents"]


@dataclass(frozen=True)
class Planted:
    """One planted problem: what the monitor must find (``*`` = any)."""

    kind: str  # volume | aht | staffing
    queue: str
    market: str
    site: str
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    factor: float  # volume multiplier, final AHT ratio or staffed-agents ratio
    note: str
    team: str = "*"  # staffing: only this team's rows (TEAM_ROWS) of the site


PLANTED = [
    Planted("volume", "hate_speech", "EMEA-DE", "*", pd.Timestamp("2026-11-18T17:00Z"),
            pd.Timestamp("2026-11-18T23:00Z"), 2.5, "hate raid after a televised debate in Germany"),
    Planted("aht", "*", "*", "HYD-A", pd.Timestamp("2026-11-17T00:00Z"), pd.Timestamp("2026-11-23T00:00Z"),
            1.35, "new policy guidance at Hyderabad: AHT drifts up to +35% over the week"),
    Planted("staffing", "*", "*", "SAO-C", pd.Timestamp("2026-11-20T01:00Z"),
            pd.Timestamp("2026-11-20T09:00Z"), 0.45, "Cobalt Services, Sao Paulo night shift: 55% no-shows"),
    Planted("staffing", "*", "*", "MNL-A", pd.Timestamp("2026-11-19T01:00Z"), pd.Timestamp("2026-11-19T07:00Z"),
            0.6, "Manila's Japanese team (09:00-15:00 local): a product training pulls 40% off the floor",
            team="JA"),
]


def actuals_index() -> pd.DatetimeIndex:
    return pd.date_range(START, periods=DAYS * 24 * 60 // INTERVAL_MINUTES, freq=f"{INTERVAL_MINUTES}min")


def expected_manual_volume(rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Expected items reaching review per interval over the actuals week, sized like the history.

    samplegen sizes the volume on the last 4 history weeks of whatever index it is given;
    here the index is those 4 weeks plus the actuals week, rescaled to the same target.
    """
    full = pd.date_range(START - pd.Timedelta(weeks=sg.SIZING_WEEKS), actuals_index()[-1],
                         freq=f"{INTERVAL_MINUTES}min")
    lam = sg.expected_volume(full, rng)
    aht = {q["queue"]: q["aht_seconds"] for q in sg.QUEUES}
    tail = full < START
    workload = sum(x[tail].sum() * aht[p[0]] / 3600 for p, x in lam.items()) / sg.SIZING_WEEKS
    scale = sg.TARGET_LOAD * sum(sg.productive_capacity_hours().values()) / workload
    return {p: x[~tail] * scale for p, x in lam.items()}


def _sites_of(queue: str, market: str) -> list[str]:
    return sorted(sg._certified_sites(queue, market))


def _rostered_agents(q: dict, expected: np.ndarray) -> np.ndarray:
    """Productive agents rostered for a pair's expected volume (before the planted problems)."""
    seconds = INTERVAL_MINUTES * 60.0
    if q["sla_kind"] == "live":
        load = staffing.offered_load(expected, q["aht_seconds"], INTERVAL_MINUTES)
        return staffing.required_agents(load, q["aht_seconds"], q["sla_within_seconds"],
                                        min(0.97, q["sla_target"] + LIVE_TARGET_MARGIN), max_occupancy=0.85)
    return expected * q["aht_seconds"] / (seconds * STAFFING_OCCUPANCY)


def _window(index: pd.DatetimeIndex, p: Planted) -> np.ndarray:
    return np.asarray((index >= p.start) & (index < p.end))


def generate_actuals(seed: int = SEED, planted: bool = True) -> pd.DataFrame:
    """The actuals table (typed: floats with NaN for blanks, site '' on pair rows)."""
    rng = np.random.default_rng(seed)
    index = actuals_index()
    n = len(index)
    seconds = INTERVAL_MINUTES * 60.0
    lam = expected_manual_volume(rng)
    queues = {q["queue"]: q for q in sg.QUEUES}
    problems = PLANTED if planted else []
    drift = {p.site: p for p in problems if p.kind == "aht"}
    short = [p for p in problems if p.kind == "staffing"]
    pair_rows, site_rows = [], []
    for queue, market in sg.pairs():
        q = queues[queue]
        base = lam[(queue, market)]
        spike = np.ones(n)
        for p in problems:
            if p.kind == "volume" and p.queue == queue and p.market == market:
                spike[_window(index, p)] = p.factor
        manual_in = rng.poisson(base * spike).astype(float)
        auto = AUTOMATION_RATE[queue]
        total_in = manual_in + rng.poisson(base * spike * auto / (1 - auto))
        sites = _sites_of(queue, market)
        need = _rostered_agents(q, base) / len(sites)  # rostered on the expected volume
        staffed, aht = {}, {}
        for site in sites:
            s = need * rng.lognormal(0.0, STAFFING_NOISE_SD, n)
            ratio = rng.lognormal(0.0, AHT_NOISE_SD, n)
            for p in short:
                if p.site == site and p.team in ("*", TEAM_ROWS.get((site, market))):
                    s = np.where(_window(index, p), s * p.factor, s)
            if site in drift:
                p = drift[site]
                frac = np.clip((index - p.start) / (p.end - p.start), 0.0, 1.0)
                ratio = ratio * (1 + (p.factor - 1) * np.asarray(frac))
            staffed[site], aht[site] = s, q["aht_seconds"] * ratio
        capacity = {s: staffed[s] * seconds * WORKING_OCCUPANCY / aht[s] for s in sites}  # items/interval
        solved = {s: np.zeros(n) for s in sites}
        backlog, sla = np.zeros(n), np.zeros(n)
        deadline_h = (q["sla_within_hours"] if q["sla_kind"] == "deferred" else q["sla_within_seconds"] / 3600)
        carried = 0.0
        for t in range(n):
            work = carried + manual_in[t]
            cap = sum(capacity[s][t] for s in sites)
            done = min(work, cap)
            for s in sites:
                solved[s][t] = done * capacity[s][t] / cap if cap > 0 else 0.0
            carried = work - done
            backlog[t] = carried
            # Age of the oldest waiting item ~ backlog / solve rate (Little's law), in hours.
            wait_h = carried / max(cap, 1e-9) * INTERVAL_MINUTES / 60
            late = np.clip((wait_h - 0.5 * deadline_h) / deadline_h, 0.0, 1.0)
            sla[t] = min(0.995, q["sla_target"] + 0.03) * (1 - late)
        if q["sla_kind"] == "live":  # answered within seconds: Erlang C on what came in and who was there
            mean_aht = sum(aht[s] * staffed[s] for s in sites) / np.maximum(sum(staffed.values()), 1e-9)
            level = staffing.service_level(manual_in, mean_aht, sum(staffed.values()), q["sla_within_seconds"],
                                           INTERVAL_MINUTES)
            sla = np.minimum(level, 0.995) * np.minimum(1.0, sum(capacity.values()) / np.maximum(manual_in, 1e-9))
        sla = np.clip(sla + rng.normal(0.0, 0.005, n), 0.0, 1.0)
        site_solved = {s: np.round(solved[s]) for s in sites}
        manual_solved = sum(site_solved.values())
        total_solved = manual_solved + (total_in - manual_in)
        handled_seconds = sum(site_solved[s] * aht[s] for s in sites)
        pair_aht = np.where(manual_solved > 0, handled_seconds / np.maximum(manual_solved, 1), q["aht_seconds"])
        pair_rows.append(pd.DataFrame({
            "timestamp": index, "queue": queue, "market": market, "site": "", "team": "", "total_incoming": total_in,
            "manual_incoming": manual_in, "total_solved": total_solved, "manual_solved": manual_solved,
            "aht_seconds": pair_aht, "backlog_items": np.round(backlog), "within_sla_share": sla,
            "staffed_agents": sum(staffed.values())}))
        for s in sites:
            site_rows.append(pd.DataFrame({
                "timestamp": index, "queue": queue, "market": market, "site": s,
                "team": TEAM_ROWS.get((s, market), ""), "total_incoming": np.nan,
                "manual_incoming": np.nan, "total_solved": site_solved[s], "manual_solved": site_solved[s],
                "aht_seconds": aht[s], "backlog_items": np.nan, "within_sla_share": np.nan,
                "staffed_agents": staffed[s]}))
    frame = pd.concat(pair_rows + site_rows, ignore_index=True)
    return frame.sort_values(["queue", "market", "site", "timestamp"], kind="stable").reset_index(drop=True)


_DECIMALS = {"total_incoming": 0, "manual_incoming": 0, "total_solved": 0, "manual_solved": 0,
             "aht_seconds": 1, "backlog_items": 0, "within_sla_share": 4, "staffed_agents": 2}


def actuals_text(frame: pd.DataFrame) -> str:
    """CSV text with fixed decimals (blank for NaN), so the bytes never depend on float repr."""
    parts = [frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"), frame["queue"], frame["market"], frame["site"],
             frame["team"]]
    for col, decimals in _DECIMALS.items():
        values = frame[col].to_numpy(dtype=float)
        text = pd.Series(np.char.mod(f"%.{decimals}f", np.nan_to_num(values)), index=frame.index)
        parts.append(text.where(~np.isnan(values), ""))
    lines = parts[0].str.cat(parts[1:], sep=",")
    return ",".join(ACTUALS_COLUMNS) + "\n" + "\n".join(lines) + "\n"


def write_actuals(out_dir: Path | str, seed: int = SEED, planted: bool = True) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE_NAME
    sg.write_gzip_deterministic(path, actuals_text(generate_actuals(seed, planted)))
    return path


def oracle_forecast(seed: int = SEED) -> pd.DataFrame:
    """The forecast a perfect forecaster would make for the actuals week (contract frame).

    ``forecast`` is the generator's expected manual volume; the bands add Poisson noise
    and a day-level wobble of ``samplegen.DAILY_NOISE_SD``.  Tests use it to judge the
    monitor's rules apart from any real forecaster's error.
    """
    from scipy.stats import norm

    rng = np.random.default_rng(seed)
    lam = expected_manual_volume(rng)
    index = actuals_index()
    parts = []
    for (queue, market), x in sorted(lam.items()):
        sd = np.sqrt(x + (sg.DAILY_NOISE_SD * x) ** 2)
        part = {"timestamp": index, "queue": queue, "market": market, "model": "oracle", "forecast": x}
        for level in (80, 95):
            z = norm.ppf(0.5 + level / 200)
            part[f"lo_{level}"] = np.maximum(x - z * sd, 0.0)
            part[f"hi_{level}"] = x + z * sd
        parts.append(pd.DataFrame(part))
    return pd.concat(parts, ignore_index=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the sample's actuals (planted problems unless --clean).")
    parser.add_argument("out_dir")
    parser.add_argument("--clean", action="store_true", help="no planted problems (false-alarm copy)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    print(write_actuals(args.out_dir, args.seed, planted=not args.clean))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
