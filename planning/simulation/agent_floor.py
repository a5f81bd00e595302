"""Agents of a plan and when each is on the floor (for ``planning.simulation.agents``).

Every row of the plan's ``shifts`` frame (``headcount`` agents of one site on one shift
and date) becomes that many agents.  Shifts are clipped to the judged horizon and the
clipped horizon is repeated before it (warm-up) and after it (cool-down): a shift that
crosses the horizon's end is, in the repeated week, two pieces worked by two agents.

In every floor segment (an interval of the grid, cut at the shift's start and end) a
random rounding of n x (1 - shrinkage) of the n agents of a shift are on the floor, a
uniformly random subset of them (drawn independently per segment).  With routing
"plan", each agent on the floor is given one pair per segment, drawn with the plan's
allocation shares of his site in that interval (his group's pairs when the allocation
has none there).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_EPS = 1e-9


@dataclass
class Floor:
    """Agents and their floor events (times in seconds from the horizon start).

    agents : one row per agent (``copy`` = repeat of the horizon, 0 = judged, -1 =
        warm-up, 1.. = cool-down; ``group``, ``site``, ``shift``, ``date_local``,
        ``start``, ``end`` [s], ``floor_seconds``)
    events_* : floor changes sorted by time, an ``off`` (set -1) before an ``on`` at the
        same time; ``events_set`` is the skill set the agent works from then on
    """

    agents: pd.DataFrame
    events_t: np.ndarray
    events_agent: np.ndarray
    events_set: np.ndarray


def shift_instances(shifts: pd.DataFrame, origin: pd.Timestamp, period: float,
                    copies: range, group_column: str) -> pd.DataFrame:
    """The plan's shifts clipped to [0, period) and repeated ``copies`` times (seconds)."""
    rows = shifts[shifts["headcount"] > 0]
    start = (pd.to_datetime(rows["start_utc"], utc=True) - origin).dt.total_seconds().to_numpy()
    end = (pd.to_datetime(rows["end_utc"], utc=True) - origin).dt.total_seconds().to_numpy()
    start, end = np.clip(start, 0.0, period), np.clip(end, 0.0, period)
    keep = end > start + _EPS
    base = pd.DataFrame({
        "group": rows[group_column].astype(str).to_numpy()[keep],
        "site": rows["site"].astype(str).to_numpy()[keep],
        "shift": rows["shift"].astype(str).to_numpy()[keep],
        "date_local": rows["date_local"].to_numpy()[keep],
        "headcount": rows["headcount"].to_numpy(np.int64)[keep],
        "start": start[keep], "end": end[keep],
    })
    parts = []
    for k in copies:
        part = base.copy()
        part["copy"] = k
        part["start"] += k * period
        part["end"] += k * period
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def build_floor(instances: pd.DataFrame, interval_s: float, n_intervals: int,
                shrinkage: np.ndarray, site_index: dict, group_set: dict,
                rng: np.random.Generator, allocation_share: np.ndarray | None = None,
                pair_set_base: int = 0) -> Floor:
    """Draw who is on the floor in every segment and turn it into floor events.

    shrinkage : (sites x n_intervals) share off the floor per interval of the horizon
        (repeated copies use the same interval of the horizon)
    group_set : group name -> its skill set id
    allocation_share : (sites x n_intervals x pairs) allocation shares, cumulative along
        the pairs axis, or None (every agent works his group's pairs)
    pair_set_base : skill set id of pair 0's one-pair set (routing "plan")
    """
    n = instances["headcount"].to_numpy(np.int64)
    s = instances["start"].to_numpy(float)
    e = instances["end"].to_numpy(float)
    first = np.floor(s / interval_s + _EPS).astype(np.int64)
    last = np.ceil(e / interval_s - _EPS).astype(np.int64)
    n_seg = last - first
    inst_of_seg = np.repeat(np.arange(len(instances)), n_seg)
    offset = np.arange(inst_of_seg.size) - np.repeat(np.cumsum(n_seg) - n_seg, n_seg)
    grid = first[inst_of_seg] + offset  # interval of the (extended) grid
    seg_start = np.maximum(s[inst_of_seg], grid * interval_s)
    seg_end = np.minimum(e[inst_of_seg], (grid + 1) * interval_s)
    horizon_j = np.mod(grid, n_intervals)
    site = instances["site"].map(site_index).to_numpy(np.int64)[inst_of_seg]
    share_on = 1.0 - shrinkage[site, horizon_j]
    want = n[inst_of_seg] * share_on
    on_count = np.floor(want + _EPS)
    on_count += rng.uniform(size=want.size) < want - on_count

    # agent rows: every segment x every agent of its shift; a random rank per segment
    seg_of_row = np.repeat(np.arange(inst_of_seg.size), n[inst_of_seg])
    agent_base = np.cumsum(n) - n
    local = np.arange(seg_of_row.size) - np.repeat(np.cumsum(n[inst_of_seg]) - n[inst_of_seg],
                                                   n[inst_of_seg])
    agent = agent_base[inst_of_seg[seg_of_row]] + local
    key = rng.uniform(size=seg_of_row.size)
    order = np.lexsort((key, seg_of_row))
    rank = np.empty(order.size, np.int64)
    seg_first_row = np.cumsum(n[inst_of_seg]) - n[inst_of_seg]
    rank[order] = np.arange(order.size) - seg_first_row[seg_of_row[order]]
    on = rank < on_count[seg_of_row]

    group_of_inst = instances["group"].map(group_set).to_numpy(np.int64)
    row_set = group_of_inst[inst_of_seg[seg_of_row]]
    if allocation_share is not None:
        cum = allocation_share[site[seg_of_row], horizon_j[seg_of_row]]  # rows x pairs
        total = cum[:, -1] if cum.shape[1] else np.zeros(cum.shape[0])
        u = rng.uniform(size=seg_of_row.size) * total
        pick = (u[:, None] >= cum).sum(axis=1)
        has = (total > _EPS) & on
        row_set = np.where(has, pair_set_base + np.minimum(pick, max(cum.shape[1] - 1, 0)), row_set)

    # per agent in time order (segments of one shift are consecutive and ordered)
    by_agent = np.lexsort((seg_of_row, agent))
    agent_sorted = agent[by_agent]
    on_sorted = on[by_agent]
    set_sorted = row_set[by_agent]
    seg_sorted = seg_of_row[by_agent]
    same_prev = np.zeros(by_agent.size, bool)
    same_prev[1:] = ((agent_sorted[1:] == agent_sorted[:-1]) & on_sorted[:-1]
                     & (set_sorted[1:] == set_sorted[:-1]))
    same_next = np.zeros(by_agent.size, bool)
    same_next[:-1] = same_prev[1:] & on_sorted[1:]
    starts = on_sorted & ~same_prev
    ends = on_sorted & ~same_next
    ev_t = np.concatenate([seg_start[seg_sorted[ends]], seg_start[seg_sorted[starts]]])
    ev_agent = np.concatenate([agent_sorted[ends], agent_sorted[starts]])
    ev_set = np.concatenate([np.full(int(ends.sum()), -1, np.int64), set_sorted[starts]])
    ev_t[: int(ends.sum())] = seg_end[seg_sorted[ends]]
    ev_order = np.lexsort((ev_set >= 0, ev_t))

    floor_seconds = np.bincount(agent[on], (seg_end - seg_start)[seg_of_row[on]],
                                minlength=int(n.sum()))
    inst_of_agent = np.repeat(np.arange(len(instances)), n)
    agents = instances.iloc[inst_of_agent][["copy", "group", "site", "shift", "date_local",
                                             "start", "end"]].reset_index(drop=True)
    agents["floor_seconds"] = floor_seconds
    return Floor(agents, ev_t[ev_order], ev_agent[ev_order].astype(np.int64),
                 ev_set[ev_order].astype(np.int64))
