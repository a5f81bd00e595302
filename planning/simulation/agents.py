"""Agent-level discrete-event simulation of a shift plan: every plan is judged by it.

Beside the per-pair engine (``planning.simulation.pairs``, a fast check with
interchangeable agents per queue x market), this one simulates the people:

* **agents**: each row of the plan's ``shifts`` frame gives ``headcount`` agents of a
  site (``planning.simulation.agent_floor``); in every interval a random rounding of
  n x (1 - shrinkage) of the n on shift are on the floor, a random subset; an agent going
  off finishes his item first and takes no new one;
* **certification**: an agent works only the queue x market pairs of his group (default:
  the group is his team when the ``shifts`` frame has a ``team`` column (his team's pairs
  and shrinkage, ``planning.teams``), else his site with ``op.certifications``; pass
  ``certifications={group: pairs}`` and ``group_column`` for other groupings);
* **routing** (``ROUTING``):
  - ``"deadline"`` (default): a free agent takes, among the pairs he may work, the
    waiting item with the earliest due time that can still meet it (queue priority
    breaks ties); items that can no longer meet it come after all others, by queue
    priority, then oldest due time.  The due time is the latest start that meets the
    SLA: arrival + T for live queues, arrival + H - AHT for deferred ones;
  - ``"plan"``: every agent on the floor is given one pair per interval, drawn with the
    plan's ``allocation`` shares of his site (his group's pairs where it has none);
  - ``late_items="in_order"`` keeps late items in due order instead (pure EDF: FIFO on
    one pair, the per-pair engine's model);
* **wellness**: an agent never takes a severe item (``Queue.severe``) that would take
  his severe seconds over ``op.settings.wellness_severe_share_max`` x his floor time in
  that shift (the cap is enforced with the item's actual handle time);
* **items**: Poisson arrivals per interval (uniform times) from a volume frame
  (``timestamp, queue, market, volume``, optional ``aht_seconds``), exponential handle
  times with the queue's AHT (or the row's), exponential patience for live queues with
  ``patience_seconds``.  Live items meet the SLA when answered within T (abandoned ones
  never do); deferred items when finished within H hours;
* **steady state**: the horizon (the plan's coverage timestamps, else the volume's) is
  repeated ``warmup_repeats`` times before it and after it until every judged item's
  deadline has passed; **judged items are those arriving inside the horizon**;
* **common random numbers**: replication r of pair (queue, market) draws its items from
  its own stream (seed, r, pair), so two plans see the same items; the floor draws have
  their own stream.

The event loop is ``planning.simulation.agent_engine.run_events`` (numba).
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from planning.simulation.agent_engine import HAVE_NUMBA, run_events
from planning.simulation.agent_floor import build_floor, shift_instances
from planning.simulation.pairs import _mean_ci

ROUTING = ("deadline", "plan")
LATE_ITEMS = ("last", "in_order")
SIM_THREADS = max(1, min(2, os.cpu_count() or 1))
_FLOOR_STREAM = 0xF1005  # spawn key of the floor draws (pairs use a crc32 of their name)

INTERVAL_COLUMNS = ["timestamp", "queue", "market", "items_judged", "met", "attainment"]
PAIR_COLUMNS = ["queue", "market", "sla_kind", "target", "attainment", "attainment_lo",
                "attainment_hi", "items_judged", "abandoned", "mean_wait_seconds"]


@dataclass
class AgentSimResult:
    """What ``simulate_agents`` returns.  Judged items are those arriving inside
    [``judged_start``, ``judged_end``); every figure is about them.

    pairs : one row per queue x market: ``queue, market, sla_kind, target``,
        ``attainment`` (share of judged items within SLA, mean over replications),
        ``attainment_lo`` / ``attainment_hi`` (95% t-interval over replications; NaN
        with one replication), ``items_judged`` and ``abandoned`` (mean per replication),
        ``mean_wait_seconds`` (arrival to start, items started, mean over replications)
    days : the same per UTC day of arrival (``date`` column added)
    agents : one row per simulated agent and replication: ``replication, copy`` (0 =
        the judged horizon, -1 warm-up, 1.. cool-down), ``group, site, shift,
        date_local``, ``floor_hours``, ``busy_hours``, ``severe_hours``,
        ``severe_share`` (severe hours / floor hours; 0 with no floor time)
    intervals : one row per queue x market x UTC interval of arrival (judged items):
        ``timestamp, queue, market``, ``items_judged`` and ``met`` (mean per replication),
        ``attainment`` (met / items_judged, pooled over replications)
    """

    pairs: pd.DataFrame
    days: pd.DataFrame
    agents: pd.DataFrame
    intervals: pd.DataFrame
    attainment: float  # all judged items, mean over replications
    attainment_lo: float
    attainment_hi: float
    replications: int
    seed: int
    routing: str
    late_items: str
    judged_start: pd.Timestamp
    judged_end: pd.Timestamp
    simulated_start: pd.Timestamp
    simulated_end: pd.Timestamp
    items_simulated: int  # per replication, warm-up and cool-down included (mean)
    agents_simulated: int  # per replication, warm-up and cool-down included
    seconds_per_replication: float
    compiled: bool = HAVE_NUMBA
    notes: list[str] = field(default_factory=list)

    @property
    def severe_share_max(self) -> float:
        return float(self.agents["severe_share"].max()) if len(self.agents) else 0.0


def default_certifications(op) -> dict[str, list[tuple[str, str]]]:
    """Site -> the queue x market pairs it is certified for (``op.certifications``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for c in op.certifications:
        out.setdefault(c.site, []).append((c.queue, c.market))
    return out


def _pair_seed(seed: int, replication: int, queue: str, market: str) -> np.random.SeedSequence:
    key = zlib.crc32(f"{queue}\x1f{market}".encode())
    return np.random.SeedSequence(int(seed), spawn_key=(int(replication), key))


def _grid(volume: pd.DataFrame, plan, interval_s: float, horizon):
    if horizon is not None:
        start, end = (pd.Timestamp(x) for x in horizon)
    else:
        coverage = getattr(plan, "coverage", None)
        stamps = coverage["timestamp"] if coverage is not None and len(coverage) else volume["timestamp"]
        start, end = stamps.min(), stamps.max() + pd.Timedelta(seconds=interval_s)
    start = start.tz_localize("UTC") if start.tzinfo is None else start.tz_convert("UTC")
    end = end.tz_localize("UTC") if end.tzinfo is None else end.tz_convert("UTC")
    n_int = int(round((end - start).total_seconds() / interval_s))
    if n_int <= 0:
        raise ValueError("the horizon is empty: give a plan with coverage or a volume frame")
    return start, n_int


def simulate_agents(op, plan, volume: pd.DataFrame, *, replications: int = 5, seed: int = 0,
                    routing: str = "deadline", late_items: str = "last",
                    certifications: Mapping[str, Iterable[tuple[str, str]]] | None = None,
                    group_column: str | None = None, warmup_repeats: int = 1,
                    horizon: tuple | None = None, threads: int | None = None) -> AgentSimResult:
    """Simulate ``plan`` (a ``PlanResult``, or its ``shifts`` frame) against ``volume``.

    op : the ``Operation`` (queues, sites' shrinkage, certifications, settings)
    volume : ``timestamp, queue, market, volume`` (+ optional ``aht_seconds``) on the
        operation's interval grid: the forecast (column ``forecast`` is accepted for
        ``volume``) or real volume
    routing : "deadline" or "plan" (needs ``plan.allocation``); late_items : "last" or
        "in_order"; certifications : group -> pairs (default: per site, from ``op``);
        group_column : the ``shifts`` column naming an agent's group (default: "team" when
        the shifts have a team column, else "site"; by team, groups and ``certifications``
        keys are the team's unit id, ``planning.teams``, and ``agents`` gains ``team``);
        warmup_repeats : horizons simulated before the judged one; horizon : (start, end)
        to judge instead of the plan's coverage timestamps; threads : replications run
        side by side on this many threads (default: ``SIM_THREADS``, the machine's cores up to
        2; the results do not depend on it: every replication has its own streams).
    See the module docstring for the model and ``AgentSimResult`` for the output."""
    if routing not in ROUTING:
        raise ValueError(f"routing must be one of {ROUTING}")
    if late_items not in LATE_ITEMS:
        raise ValueError(f"late_items must be one of {LATE_ITEMS}")
    if replications < 1:
        raise ValueError("replications must be at least 1")
    shifts = plan if isinstance(plan, pd.DataFrame) else plan.shifts
    allocation = None if isinstance(plan, pd.DataFrame) else getattr(plan, "allocation", None)
    if routing == "plan" and (allocation is None or not len(allocation)):
        raise ValueError("routing='plan' needs a plan with an allocation frame")
    if "volume" not in volume and "forecast" in volume:
        volume = volume.rename(columns={"forecast": "volume"})
    teams = None
    if group_column == "team" or (group_column is None and "team" in shifts):
        from planning.teams import team_view  # the agent's group is his team
        op, shifts, allocation, teams = team_view(op, shifts, allocation)
    group_column = "site" if group_column in (None, "team") else group_column
    interval_s = op.settings.interval_minutes * 60.0
    origin, n_int = _grid(volume, None if isinstance(plan, pd.DataFrame) else plan, interval_s, horizon)
    period = n_int * interval_s
    setup = _Setup(op, shifts, allocation, volume, origin, n_int, interval_s, routing,
                   certifications, group_column, warmup_repeats)
    t0 = time.perf_counter()
    workers = max(1, min(int(threads or SIM_THREADS), replications))
    if workers > 1:  # the event loop releases the GIL (numba nogil)
        with ThreadPoolExecutor(workers) as pool:
            per_rep = list(pool.map(lambda r: setup.replicate(seed, r, late_items == "last"),
                                    range(replications)))
    else:
        per_rep = [setup.replicate(seed, r, late_items == "last") for r in range(replications)]
    seconds = (time.perf_counter() - t0) / replications
    result = _summarise(setup, per_rep, replications, seed, routing, late_items, origin, period, seconds)
    if teams is not None:
        from planning.teams import team_agents
        result.agents = team_agents(result.agents, teams)
    return result


class _Setup:
    """Everything that does not change between replications: pairs, rates, groups, skill
    sets, shrinkage and allocation on the horizon, the repeated shift instances."""

    def __init__(self, op, shifts, allocation, volume, origin, n_int, interval_s, routing,
                 certifications, group_column, warmup_repeats):
        self.op, self.origin, self.n_int, self.interval_s = op, origin, n_int, interval_s
        self.period = n_int * interval_s
        vol = volume.copy()
        vol["timestamp"] = pd.to_datetime(vol["timestamp"], utc=True)
        j = np.rint((vol["timestamp"] - origin).dt.total_seconds().to_numpy() / interval_s)
        vol["j"] = j.astype(np.int64)
        vol = vol[(vol["j"] >= 0) & (vol["j"] < n_int)]
        unknown = sorted(set(vol["queue"]) - set(op.queues))
        if unknown:
            raise ValueError(f"volume names queues the operation does not have: {unknown}")
        pairs = set(map(tuple, vol.loc[vol["volume"] > 0, ["queue", "market"]].itertuples(index=False)))
        if routing == "plan":
            pairs |= {p for p in map(tuple, allocation[["queue", "market"]].itertuples(index=False))
                      if p[0] in op.queues}
        self.pairs = sorted(pairs)
        index = {p: k for k, p in enumerate(self.pairs)}
        n_p = len(self.pairs)
        self.rate = np.zeros((n_p, n_int))
        self.aht = np.array([[op.queues[q].aht_seconds] * n_int for q, _ in self.pairs]).reshape(n_p, n_int)
        k = vol[["queue", "market"]].apply(tuple, axis=1).map(index)
        rows = vol[k.notna()]
        kk = k[k.notna()].to_numpy(np.int64)
        np.add.at(self.rate, (kk, rows["j"].to_numpy()), rows["volume"].to_numpy(float))
        if "aht_seconds" in rows:
            has = rows["aht_seconds"].notna().to_numpy()
            self.aht[kk[has], rows["j"].to_numpy()[has]] = rows["aht_seconds"].to_numpy(float)[has]
        queues = [op.queues[q] for q, _ in self.pairs]
        self.live = np.array([q.sla_kind.value == "live" for q in queues], bool)
        self.deadline = np.array([q.deadline_seconds for q in queues], float)
        self.patience = [q.patience_seconds if q.sla_kind.value == "live" else None for q in queues]
        self.prio = np.array([q.priority for q in queues], np.int64)
        self.severe = np.array([q.severe for q in queues], np.bool_)
        self.max_deadline = float(self.deadline.max()) if n_p else 0.0
        self.t_end = self.period + self.max_deadline
        self.warmup = int(warmup_repeats)
        cooldown = max(1, math.ceil(self.max_deadline / self.period)) if n_p else 0
        self.ext_first = -self.warmup * n_int
        self.ext_last = n_int + int(math.ceil(self.max_deadline / interval_s))

        # groups and skill sets: 0..G-1 a group's pairs, G + p the one pair p ("plan")
        certs = default_certifications(op) if certifications is None else certifications
        if group_column not in shifts:
            raise ValueError(f"the shifts frame has no column '{group_column}'")
        self.groups = sorted(shifts[group_column].astype(str).unique())
        group_pairs = [sorted({index[tuple(p)] for p in certs.get(g, ()) if tuple(p) in index})
                       for g in self.groups]
        sets = group_pairs + [[p] for p in range(n_p)]
        self.set_ptr = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
        self.set_pairs = np.array([p for s in sets for p in s], np.int64)
        pair_sets = [[g for g, s in enumerate(group_pairs) if p in s] + [len(self.groups) + p]
                     for p in range(n_p)]
        self.pairset_ptr = np.concatenate([[0], np.cumsum([len(s) for s in pair_sets])]).astype(np.int64)
        self.pairset_sets = np.array([s for ss in pair_sets for s in ss], np.int64)
        self.group_set = {g: k for k, g in enumerate(self.groups)}

        sites = sorted(shifts["site"].astype(str).unique())
        missing = [s for s in sites if s not in op.sites]
        if missing:
            raise ValueError(f"the plan names sites the operation does not have: {missing}")
        self.site_index = {s: k for k, s in enumerate(sites)}
        self.shrinkage = np.array([[op.sites[s].shrinkage] * n_int for s in sites]).reshape(len(sites), n_int)
        adj = op.site_adjustments
        if adj is not None and len(adj) and "shrinkage" in adj:
            grid = origin + pd.to_timedelta(np.arange(n_int) * interval_s, unit="s")
            for row in adj[adj["shrinkage"].notna()].itertuples(index=False):
                if row.site in self.site_index:
                    active = (grid >= pd.Timestamp(row.start)) & (grid < pd.Timestamp(row.end))
                    self.shrinkage[self.site_index[row.site], np.asarray(active)] = float(row.shrinkage)
        self.allocation_share = None
        if routing == "plan":
            share = np.zeros((len(sites), n_int, max(n_p, 1)))
            a = allocation.copy()
            a["k"] = a[["queue", "market"]].apply(tuple, axis=1).map(index)
            a["s"] = a["site"].map(self.site_index)
            a["j"] = np.rint((pd.to_datetime(a["timestamp"], utc=True) - origin).dt.total_seconds()
                             / interval_s)
            a = a[a["k"].notna() & a["s"].notna() & (a["j"] >= 0) & (a["j"] < n_int) & (a["agents"] > 0)]
            np.add.at(share, (a["s"].to_numpy(np.int64), a["j"].to_numpy(np.int64),
                              a["k"].to_numpy(np.int64)), a["agents"].to_numpy(float))
            self.allocation_share = np.cumsum(share, axis=2)
        inst = shift_instances(shifts, origin, self.period, range(-self.warmup, 1 + cooldown), group_column)
        self.instances = inst[inst["start"] < self.t_end].reset_index(drop=True)
        n_agents = int(self.instances["headcount"].sum())
        group_size = self.instances.groupby("group")["headcount"].sum()
        caps = [int(group_size.get(g, 0)) for g in self.groups] + [n_agents] * n_p
        self.pool_ptr = np.concatenate([[0], np.cumsum(caps)]).astype(np.int64)
        self.n_days = int(math.ceil(self.period / 86400.0))

    def draw_items(self, seed, replication):
        """Items of every pair (own stream per pair), sorted by arrival [s from origin]."""
        n_int, dt = self.n_int, self.interval_s
        j = np.arange(self.ext_first, self.ext_last)
        parts = []
        for p, (queue, market) in enumerate(self.pairs):
            rng = np.random.default_rng(_pair_seed(seed, replication, queue, market))
            counts = rng.poisson(self.rate[p, np.mod(j, n_int)])
            jj = np.repeat(j, counts)
            t = (jj + rng.uniform(size=jj.size)) * dt
            mean = self.aht[p, np.mod(jj, n_int)]
            handle = rng.exponential(mean)
            patience = self.patience[p]
            give_up = t + rng.exponential(patience, t.size) if patience else np.full(t.size, np.inf)
            due = t + (self.deadline[p] if self.live[p] else self.deadline[p] - mean)
            parts.append((t, np.full(t.size, p, np.int64), handle, give_up, due))
        cols = [np.concatenate([part[c] for part in parts]) if parts else np.zeros(0) for c in range(5)]
        order = np.argsort(cols[0], kind="stable")
        return [c[order] for c in cols]

    def replicate(self, seed, replication, late_last):
        t, pair, handle, give_up, due = self.draw_items(seed, replication)
        floor_rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(replication), _FLOOR_STREAM)))
        floor = build_floor(self.instances, self.interval_s, self.n_int, self.shrinkage, self.site_index,
                            self.group_set, floor_rng, self.allocation_share, len(self.groups))
        share_max = self.op.settings.wellness_severe_share_max
        severe_cap = share_max * floor.agents["floor_seconds"].to_numpy(float)
        n_p = len(self.pairs)
        pair_ptr = np.concatenate([[0], np.cumsum(np.bincount(pair, minlength=n_p))]).astype(np.int64)
        pair_items = np.argsort(pair, kind="stable").astype(np.int64)
        start, abandoned, severe_used, busy = run_events(
            t, pair, handle, give_up, due, pair_ptr, pair_items, self.prio, self.severe,
            self.set_ptr, self.set_pairs, self.pairset_ptr, self.pairset_sets, self.pool_ptr,
            severe_cap, floor.events_t, floor.events_agent, floor.events_set, self.t_end, late_last)
        # never started: abandoned if the patience ran out before the end
        abandoned = abandoned | (~np.isfinite(start) & (give_up <= self.t_end))
        wait = start - t
        met = ~abandoned & np.where(self.live[pair], wait <= self.deadline[pair] + 1e-9,
                                    wait + handle <= self.deadline[pair] + 1e-9)
        judged = (t >= 0) & (t < self.period)
        p, day = pair[judged], (t[judged] // 86400.0).astype(np.int64)
        started = np.isfinite(start[judged])
        cell = p * self.n_days + day
        size = n_p * self.n_days
        counts = {
            "n": np.bincount(cell, minlength=size),
            "met": np.bincount(cell, met[judged], minlength=size),
            "abandoned": np.bincount(cell, abandoned[judged], minlength=size),
            "started": np.bincount(cell, started, minlength=size),
            "wait": np.bincount(cell[started], wait[judged][started], minlength=size),
        }
        j = np.floor(t[judged] / self.interval_s).astype(np.int64)
        icell = p * self.n_int + j
        isize = n_p * self.n_int
        by_interval = {"n": np.bincount(icell, minlength=isize).reshape(n_p, self.n_int).astype(float),
                       "met": np.bincount(icell, met[judged], minlength=isize).reshape(n_p, self.n_int)}
        agents = floor.agents.drop(columns=["start", "end"])
        agents.insert(0, "replication", replication)
        agents["floor_hours"] = agents.pop("floor_seconds") / 3600.0
        agents["busy_hours"] = busy / 3600.0
        agents["severe_hours"] = severe_used / 3600.0
        with np.errstate(invalid="ignore", divide="ignore"):
            agents["severe_share"] = np.where(agents["floor_hours"] > 0,
                                              agents["severe_hours"] / agents["floor_hours"], 0.0)
        return {k: v.reshape(n_p, self.n_days).astype(float) for k, v in counts.items()}, agents, int(
            (t <= self.t_end).sum()), by_interval


def _summarise(setup, per_rep, replications, seed, routing, late_items, origin, period, seconds):
    counts = {k: np.stack([rep[0][k] for rep in per_rep]) for k in per_rep[0][0]}  # reps x pairs x days
    queues = [setup.op.queues[q] for q, _ in setup.pairs]
    base = pd.DataFrame({"queue": [q for q, _ in setup.pairs], "market": [m for _, m in setup.pairs],
                         "sla_kind": [q.sla_kind.value for q in queues],
                         "target": [q.sla_target for q in queues]})

    def table(c):  # c: reps x rows counts
        with np.errstate(invalid="ignore", divide="ignore"):
            att = c["met"] / c["n"]
            wait = c["wait"] / c["started"]
        mean, lo, hi = _mean_ci(np.where(c["n"] > 0, att, np.nan))
        return pd.DataFrame({"attainment": mean, "attainment_lo": lo, "attainment_hi": hi,
                             "items_judged": c["n"].mean(0), "abandoned": c["abandoned"].mean(0),
                             "mean_wait_seconds": _nanmean0(wait)})

    pairs = pd.concat([base, table({k: v.sum(2) for k, v in counts.items()})], axis=1)
    pairs = pairs[pairs["items_judged"] > 0].reset_index(drop=True)
    n_p, n_days = len(setup.pairs), setup.n_days
    days = pd.concat([base.loc[np.repeat(np.arange(n_p), n_days)].reset_index(drop=True),
                      table({k: v.reshape(replications, n_p * n_days) for k, v in counts.items()})], axis=1)
    days.insert(2, "date", np.tile((origin + pd.to_timedelta(np.arange(n_days), unit="D")).date, n_p))
    days = days[days["items_judged"] > 0].reset_index(drop=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = counts["met"].sum((1, 2)) / counts["n"].sum((1, 2))
    o_mean, o_lo, o_hi = _mean_ci(total[:, None])
    agents = pd.concat([rep[1] for rep in per_rep], ignore_index=True)
    n_int = setup.n_int
    i_n = np.stack([rep[3]["n"] for rep in per_rep]).sum(0)  # pairs x intervals, over reps
    i_met = np.stack([rep[3]["met"] for rep in per_rep]).sum(0)
    intervals = pd.DataFrame({
        "timestamp": np.tile(origin + pd.to_timedelta(np.arange(n_int) * setup.interval_s, unit="s"), n_p),
        "queue": np.repeat([q for q, _ in setup.pairs], n_int),
        "market": np.repeat([m for _, m in setup.pairs], n_int),
        "items_judged": i_n.ravel() / replications,
        "met": i_met.ravel() / replications})
    with np.errstate(invalid="ignore", divide="ignore"):
        intervals["attainment"] = np.where(intervals["items_judged"] > 0,
                                           intervals["met"] / intervals["items_judged"], np.nan)
    intervals = intervals[intervals["items_judged"] > 0].reset_index(drop=True)
    notes = [f"judged: items arriving in [{origin}, {origin + pd.Timedelta(seconds=period)}); "
             f"warm-up {setup.warmup} repeat(s) of the horizon before, cool-down to "
             f"{setup.max_deadline / 3600:.2f} h after its end (the longest deadline)"]
    if not HAVE_NUMBA:
        notes.append("numba is not installed: the event loop ran as plain Python (slow)")
    return AgentSimResult(
        pairs=pairs[PAIR_COLUMNS], days=days[["date", *PAIR_COLUMNS]], agents=agents,
        intervals=intervals[INTERVAL_COLUMNS],
        attainment=float(o_mean[0]), attainment_lo=float(o_lo[0]), attainment_hi=float(o_hi[0]),
        replications=replications, seed=seed, routing=routing, late_items=late_items,
        judged_start=origin, judged_end=origin + pd.Timedelta(seconds=period),
        simulated_start=origin + pd.Timedelta(seconds=setup.ext_first * setup.interval_s),
        simulated_end=origin + pd.Timedelta(seconds=setup.t_end),
        items_simulated=int(np.mean([rep[2] for rep in per_rep])),
        agents_simulated=int(setup.instances["headcount"].sum()),
        seconds_per_replication=seconds, notes=notes)


def _nanmean0(values):
    with np.errstate(invalid="ignore"):
        count = np.sum(~np.isnan(values), 0)
        return np.where(count > 0, np.nansum(values, 0) / np.maximum(count, 1), np.nan)
