"""An independent checker: re-verify a finished plan against every hard constraint.

Written from the rules (docs/shiftplan.md), not from the model: it rebuilds shift times
with ``zoneinfo`` directly (not ``planning.inputs.timezones``), recomputes on-shift agents,
productive capacity, backlogs and deadlines from the plan's frames, and compares.
``check_plan`` returns a list of ``Violation``; an empty list means the plan is valid.

Cyclic plans (``PlanOptions.horizon_mode="cyclic"``, the default) are checked as the
pattern repeated week after week: every shift must start inside the horizon and the part
past its end covers the horizon's first intervals; local dates one horizon apart are one
day for the daily and weekly caps; the deferred backlog is replayed over the horizon
repeated and every item arriving in one pass is judged at its deadline, also when that
falls in the next repeat.  Deferred queues with a deadline of at most
``SHORT_DEADLINE_HOURS`` also need their requirement as a floor on their agents.

Teams (``planning.teams``): every rule that is per site holds per team (its cap, minimum,
shrinkage, certifications and the wellness share), and a site with teams also keeps its
own cap and minimum over the sum of its teams (``site_team_totals``).  A plan frame
without a ``team`` column is read as one team per site.

Tolerance: ``TOL`` absolute on agent and work-hour quantities (solver round-off).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.teams import TeamIndex, unit_column, unit_operation

TOL = 1e-4
SHORT_DEADLINE_HOURS = 2.0  # deferred deadlines this short have their requirement as a floor on agents


@dataclass(frozen=True)
class Violation:
    constraint: str
    message: str


def _shift_start_utc(day: dt.date, start: dt.time, tz: str) -> pd.Timestamp:
    """Local wall time -> UTC: the earlier instant if ambiguous; if in the spring-forward
    gap, the first instant after the gap."""
    zone = ZoneInfo(tz)
    wall = dt.datetime.combine(day, start)
    for fold in (0, 1):
        aware = wall.replace(tzinfo=zone, fold=fold)
        utc = aware.astimezone(dt.timezone.utc)
        if utc.astimezone(zone).replace(tzinfo=None) == wall:
            return pd.Timestamp(utc)
    # gap: walk forward minute by minute to the first existing local time
    probe = wall.replace(tzinfo=zone, fold=0).astimezone(dt.timezone.utc) - dt.timedelta(hours=3)
    while probe.astimezone(zone).replace(tzinfo=None) < wall:
        probe += dt.timedelta(minutes=1)
    return pd.Timestamp(probe)


def _grid(requirements: pd.DataFrame) -> tuple[pd.DatetimeIndex, int]:
    minutes = int(requirements["interval_minutes"].iloc[0])
    ts = pd.DatetimeIndex(requirements["timestamp"]).tz_convert("UTC")
    return pd.date_range(ts.min(), ts.max(), freq=f"{minutes}min"), minutes


def _whole_days(times: pd.DatetimeIndex, minutes: int) -> int | None:
    span = (times[-1] - times[0]).total_seconds() / 60 + minutes
    return int(span // 1440) if span % 1440 == 0 else None


def _mode(plan, times: pd.DatetimeIndex, minutes: int, horizon_mode: str | None) -> bool:
    """Whether to check ``plan`` as a repeating (cyclic) horizon."""
    mode = horizon_mode or getattr(getattr(plan, "options", None), "horizon_mode", "cyclic")
    return mode == "cyclic" and _whole_days(times, minutes) is not None


def _same_day(site_tz: str, day: dt.date, times: pd.DatetimeIndex, minutes: int, cyclic: bool) -> dt.date:
    """Cyclic: the local date of the first repeat that ``day`` stands for."""
    days = _whole_days(times, minutes) if cyclic else None
    if not days:
        return day
    first = times[0].tz_convert(site_tz).date()
    return first + dt.timedelta(days=(day - first).days % days)


def _on_shift(op: Operation, shifts: pd.DataFrame, times: pd.DatetimeIndex, minutes: int,
              out: list[Violation], cyclic: bool = False) -> tuple[dict, dict]:
    """(site -> agents x covered share per interval, site -> agents touching each interval).
    Cyclic: a shift must start inside the horizon; intervals past its end wrap to its start."""
    templates = {(s.site, s.shift): s for s in op.shifts}
    n = len(times)
    share, touching = defaultdict(lambda: np.zeros(n)), defaultdict(lambda: np.zeros(n))
    t0 = times[0].value
    step = minutes * 60 * 10**9
    for row in shifts.itertuples(index=False):
        template = templates.get((row.site, row.shift))
        if template is None:
            out.append(Violation("shift_template", f"{row.site} has no shift '{row.shift}'"))
            continue
        heads = row.headcount
        if heads < 0 or abs(heads - round(heads)) > 1e-9:
            out.append(Violation("integer_headcount", f"{row.site} {row.shift} {row.date_local}: headcount {heads}"))
        day = row.date_local if isinstance(row.date_local, dt.date) else pd.Timestamp(row.date_local).date()
        start = _shift_start_utc(day, template.start, op.sites[row.site].timezone)
        end = start + pd.Timedelta(hours=template.paid_hours)
        if abs((pd.Timestamp(row.start_utc) - start).total_seconds()) > 1 or \
                abs((pd.Timestamp(row.end_utc) - end).total_seconds()) > 1:
            out.append(Violation("shift_times", f"{row.site} {row.shift} {day}: UTC {row.start_utc}-"
                                 f"{row.end_utc}, expected {start}-{end}"))
        if cyclic and not t0 <= start.value < t0 + n * step:
            out.append(Violation("cyclic_shift_start", f"{row.site} {row.shift} {day}: starts {start}, "
                                 f"outside the repeating horizon"))
            continue
        first = max(0, (start.value - t0) // step)
        last = (end.value - 1 - t0) // step if cyclic else min(n - 1, (end.value - 1 - t0) // step)
        for t in range(int(first), int(last) + 1):
            lo, hi = max(t0 + t * step, start.value), min(t0 + (t + 1) * step, end.value)
            if hi > lo:
                share[row.site][t % n] += heads * (hi - lo) / step
                touching[row.site][t % n] += heads
    return share, touching


def _shrinkage(op: Operation, times: pd.DatetimeIndex) -> dict:
    out = {s: np.full(len(times), site.shrinkage) for s, site in op.sites.items()}
    adj = op.site_adjustments
    if adj is not None and len(adj) and "shrinkage" in adj:
        for row in adj.to_dict("records"):
            value = row.get("shrinkage")
            if row["site"] in out and value is not None and not pd.isna(value):
                inside = (times >= pd.Timestamp(row["start"])) & (times < pd.Timestamp(row["end"]))
                out[row["site"]][np.asarray(inside)] = float(value)
    return out


def check_plan(op: Operation, requirements: pd.DataFrame, plan, horizon_mode: str | None = None) -> list[Violation]:
    """Every hard-constraint violation of ``plan`` (a PlanResult or anything with
    ``shifts``, ``allocation`` and ``coverage`` frames).  ``horizon_mode``: "cyclic" or
    "open"; default ``plan.options.horizon_mode``, else cyclic (a horizon of partial days
    is always checked open)."""
    out: list[Violation] = []
    times, minutes = _grid(requirements)
    n, hours = len(times), minutes / 60.0
    cyclic = _mode(plan, times, minutes, horizon_mode)
    pos = {ts: i for i, ts in enumerate(times)}
    source, (op, index) = op, unit_operation(op)  # one "site" per team
    shifts, alloc = _per_unit(plan.shifts, index, out), _per_unit(plan.allocation, index, out)
    share, touching = _on_shift(op, shifts, times, minutes, out, cyclic)
    shrink = _shrinkage(op, times)
    certified = {(c.site, c.queue, c.market) for c in op.certifications}

    by_site = defaultdict(lambda: np.zeros(n))
    severe = defaultdict(lambda: np.zeros(n))
    by_pair = defaultdict(lambda: np.zeros(n))
    per_site_pair = defaultdict(float)
    for row in alloc.itertuples(index=False):
        if row.agents < -TOL:
            out.append(Violation("nonnegative_allocation", f"{row.site} {row.queue} {row.market} {row.timestamp}: {row.agents}"))
        if (row.site, row.queue, row.market) not in certified and row.agents > TOL:
            out.append(Violation("certification", f"{row.site} works {row.queue} {row.market} without certification"))
        t = pos[pd.Timestamp(row.timestamp)]
        by_site[row.site][t] += row.agents
        by_pair[(row.queue, row.market)][t] += row.agents
        per_site_pair[(row.site, row.queue, row.market)] += row.agents
        if op.queues[row.queue].severe:
            severe[row.site][t] += row.agents

    for site, used in by_site.items():
        productive = share[site] * (1 - shrink[site])
        bad = np.flatnonzero(used > productive + TOL)
        for t in bad[:5]:
            out.append(Violation("site_capacity", f"{site} {times[t]}: {used[t]:.3f} allocated > "
                                 f"{productive[t]:.3f} productive"))
        limit = op.settings.wellness_severe_share_max
        bad = np.flatnonzero(severe[site] > limit * productive + TOL)
        for t in bad[:5]:
            out.append(Violation("wellness_cap", f"{site} {times[t]}: {severe[site][t]:.3f} on severe > "
                                 f"{limit:.0%} of {productive[t]:.3f}"))

    _check_headcounts(op, shifts, times, minutes, cyclic, out)
    _check_adjustments(op, touching, times, minutes, out)
    if any(index.has_teams(site) for site in source.sites):
        _check_site_totals(source, index, shifts, touching, times, minutes, cyclic, out)
    _check_demand(op, requirements, plan.coverage, by_pair, times, pos, hours, cyclic, out)
    by_site_pair = defaultdict(float)
    for (unit, q, m), v in per_site_pair.items():
        by_site_pair[(index.site_of(unit), q, m)] += v
    _check_concentration(source, by_site_pair, out)
    return out


def _per_unit(frame: pd.DataFrame, index: TeamIndex, out: list[Violation]) -> pd.DataFrame:
    """``frame`` with ``site`` replaced by the row's planning unit (its team); rows naming
    a team the site does not have are reported and dropped."""
    if frame is None or not len(frame) or "site" not in frame:
        return frame
    units = unit_column(frame, index)
    known = units.isin(list(index.units)).to_numpy()
    for row in frame[~known].drop_duplicates(["site", "team"] if "team" in frame else ["site"]).itertuples(index=False):
        out.append(Violation("team", f"{row.site} has no team '{getattr(row, 'team', '')}'"))
    return frame[known].assign(site=units[known])


def _check_site_totals(source, index, shifts, touching, times, minutes, cyclic, out):
    """Sites with teams: the site's cap and minimum over the sum of its teams, and a scenario
    cap above 0 over all its teams on shift."""
    teamed = [s for s in source.sites if index.has_teams(s)]
    if len(shifts):
        by_site = shifts.assign(site=[index.site_of(u) for u in shifts["site"]])
    else:
        by_site = pd.DataFrame(columns=["site", "date_local", "headcount"])
    dated = by_site.assign(date_local=[
        _same_day(source.sites[r.site].timezone, r.date_local if isinstance(r.date_local, dt.date)
                  else pd.Timestamp(r.date_local).date(), times, minutes, cyclic)
        for r in by_site.itertuples(index=False)]) if len(by_site) else by_site
    days = dated.groupby(["site", "date_local"], as_index=False)["headcount"].sum() if len(dated) else dated
    for name in teamed:
        site = source.sites[name]
        mine = days[days["site"] == name] if len(days) else days
        for row in mine.itertuples(index=False):
            if row.headcount > site.max_headcount:
                out.append(Violation("site_daily_headcount_cap", f"{name} {row.date_local}: {row.headcount} > "
                                     f"{site.max_headcount} (all its teams)"))
        first = times[0].tz_convert(site.timezone).date()
        last = times[-1].tz_convert(site.timezone).date()
        week = 0
        while first + dt.timedelta(days=7 * week + 6) <= last:
            block = {first + dt.timedelta(days=7 * week + j) for j in range(7)}
            agent_days = float(mine[mine["date_local"].isin(block)]["headcount"].sum()) if len(mine) else 0.0
            if agent_days > 5 * site.max_headcount:
                out.append(Violation("site_weekly_agent_days_cap", f"{name} week {week}: {agent_days} agent-days"))
            if agent_days < 5 * site.min_headcount:
                out.append(Violation("site_contract_minimum", f"{name} week {week}: {agent_days:.0f} agent-days "
                                     f"< 5 x {site.min_headcount} (all its teams)"))
            week += 1
    adj = source.site_adjustments
    if adj is None or not len(adj) or "max_headcount" not in adj:
        return
    step = pd.Timedelta(minutes=minutes)
    for row in adj.to_dict("records"):
        cap = row.get("max_headcount")
        if row["site"] not in teamed or cap is None or pd.isna(cap):
            continue
        inside = np.asarray((times + step > pd.Timestamp(row["start"])) & (times < pd.Timestamp(row["end"])))
        on = sum((touching[u] for u in index.by_site[row["site"]] if u in touching), np.zeros(len(times)))[inside]
        if len(on) and on.max() > cap + TOL:
            out.append(Violation("site_adjustment_cap", f"{row['site']}: {on.max():.0f} on shift (all its teams) "
                                 f"during {row['start']}-{row['end']} > cap {cap}"))


def _check_headcounts(op, shifts, times, minutes, cyclic, out):
    if not len(shifts):
        days = pd.DataFrame(columns=["site", "date_local", "headcount"])
    else:
        dated = shifts.assign(date_local=[
            _same_day(op.sites[r.site].timezone, r.date_local if isinstance(r.date_local, dt.date)
                      else pd.Timestamp(r.date_local).date(), times, minutes, cyclic)
            for r in shifts.itertuples(index=False)])
        days = dated.groupby(["site", "date_local"], as_index=False)["headcount"].sum()
    for row in days.itertuples(index=False):
        cap = op.sites[row.site].max_headcount
        if row.headcount > cap:
            out.append(Violation("daily_headcount_cap", f"{row.site} {row.date_local}: {row.headcount} > {cap}"))
    end = times[-1]
    for name, site in op.sites.items():
        first = times[0].tz_convert(site.timezone).date()
        last = end.tz_convert(site.timezone).date()
        week = 0
        while first + dt.timedelta(days=7 * week + 6) <= last:
            block = {first + dt.timedelta(days=7 * week + j) for j in range(7)}
            mine = days[(days["site"] == name) & days["date_local"].isin(block)]
            agent_days = float(mine["headcount"].sum())
            if agent_days > 5 * site.max_headcount:
                out.append(Violation("weekly_agent_days_cap", f"{name} week {week}: {agent_days} agent-days"))
            if agent_days < 5 * site.min_headcount:
                out.append(Violation("contract_minimum", f"{name} week {week}: {agent_days:.0f} agent-days < "
                                     f"5 x {site.min_headcount}"))
            week += 1


def _check_adjustments(op, touching, times, minutes, out):
    adj = op.site_adjustments
    if adj is None or not len(adj) or "max_headcount" not in adj:
        return
    step = pd.Timedelta(minutes=minutes)
    for row in adj.to_dict("records"):
        cap = row.get("max_headcount")
        if cap is None or pd.isna(cap) or row["site"] not in touching:
            continue
        inside = (times + step > pd.Timestamp(row["start"])) & (times < pd.Timestamp(row["end"]))
        on = touching[row["site"]][np.asarray(inside)]
        if len(on) and on.max() > cap + TOL:
            out.append(Violation("site_adjustment_cap", f"{row['site']}: {on.max():.0f} on shift during "
                                 f"{row['start']}-{row['end']} > cap {cap}"))


def _check_demand(op, requirements, coverage, by_pair, times, pos, hours, cyclic, out):
    cov = coverage.set_index(["queue", "market", "timestamp"])
    for (q, m), g in requirements.groupby(["queue", "market"]):
        queue = op.queues[q]
        idx = [pos[pd.Timestamp(t)] for t in g["timestamp"]]
        required, work = np.zeros(len(times)), np.zeros(len(times))
        required[idx] = g["required_agents"].to_numpy(float)
        work[idx] = g["workload_hours"].to_numpy(float)
        planned = by_pair[(q, m)]
        try:
            rows = cov.loc[(q, m)].reindex(times)
        except KeyError:
            out.append(Violation("coverage_rows", f"{q} {m}: missing from the coverage frame"))
            continue
        if np.any(np.abs(rows["planned"].fillna(0).to_numpy() - planned) > 1e-3):
            out.append(Violation("coverage_rows", f"{q} {m}: coverage 'planned' differs from the allocation"))
        shortfall = rows["shortfall"].fillna(0).to_numpy()
        if queue.sla_kind.value == "live":
            bad = np.flatnonzero(planned + shortfall < required - 1e-3)
            for t in bad[:5]:
                out.append(Violation("live_coverage", f"{q} {m} {times[t]}: planned {planned[t]:.2f} + "
                                     f"shortfall {shortfall[t]:.2f} < required {required[t]:.2f}"))
            continue
        if queue.sla_within_hours <= SHORT_DEADLINE_HOURS:
            # a 1-2 hour deadline: the requirement (its stochastic floor) is also a floor on
            # the agents, less the reported shortfall (open: from the first arrival on)
            first = 0 if cyclic or not np.any(work > 1e-9) else int(np.argmax(work > 1e-9))
            bad = first + np.flatnonzero(planned[first:] + shortfall[first:] < required[first:] - 1e-3)
            for t in bad[:5]:
                out.append(Violation("short_deadline_floor", f"{q} {m} {times[t]}: planned {planned[t]:.2f} + "
                                     f"shortfall {shortfall[t]:.2f} < required {required[t]:.2f}"))
        # deferred: replay the FIFO backlog from the allocation (idle capacity is allowed:
        # the allocation may exceed the work).  Cyclic: over the horizon repeated, judging
        # the arrivals of one pass after a warm-up long enough for every deadline.
        n = len(times)
        longest = max(int(math.floor(h / hours + 1e-9)) for h in
                      (queue.sla_within_hours, queue.sla_rest_within_hours or 0))
        repeats = -(-longest // n) if cyclic else 0
        first_judged = max(1, repeats) * n if cyclic else 0
        total = first_judged + n + repeats * n
        work_ext = np.resize(work, total)
        capacity = np.resize(planned * queue.max_occupancy * hours, total)
        backlog, done_total, arrived_total = 0.0, np.zeros(total), np.cumsum(work_ext)
        for t in range(total):
            backlog = backlog + work_ext[t] - min(capacity[t], backlog + work_ext[t])
            done_total[t] = arrived_total[t] - backlog
        late = rows["late_work_hours"].fillna(0).to_numpy() if "late_work_hours" in rows else \
            shortfall * queue.max_occupancy * hours
        for deadline, target in ((queue.sla_within_hours, queue.sla_target),
                                 (queue.sla_rest_within_hours, 1.0)):
            if not deadline:
                continue
            # items of interval tau are due at tau's start + H: check at the end of the last
            # interval that ends by then (never before tau's own end)
            per = int(math.floor(deadline / hours + 1e-9))
            for tau in range(first_judged, first_judged + n):
                t = tau + max(per - 1, 0)
                if t >= total:
                    break
                if work_ext[tau] <= 1e-9:  # nothing arrived then: nothing to be late
                    continue
                earlier = arrived_total[tau] - work_ext[tau]
                due = earlier + target * work_ext[tau]
                if done_total[t] + late[t % n] < due - 1e-3 * max(1.0, due):
                    out.append(Violation("deferred_deadline", f"{q} {m}: items of {times[tau % n]} done "
                                         f"{done_total[t] - earlier:.2f} h of {work_ext[tau]:.2f} h by "
                                         f"{times[t % n]}{' (next repeat)' if t >= first_judged + n else ''} "
                                         f"+ reported late {late[t % n]:.2f} h < {target:.0%} (within {deadline} h)"))
                    break


def _check_concentration(op, per_site_pair, out):
    limit = op.settings.concentration_max_share
    if limit is None or limit >= 1:
        return
    totals = defaultdict(float)
    sites = defaultdict(set)
    for (s, q, m), v in per_site_pair.items():
        totals[(q, m)] += v
        sites[(q, m)].add(s)
    for (s, q, m), v in per_site_pair.items():
        certified = len(op.certified_sites(q, m))
        if certified >= math.ceil(1 / limit - 1e-9) and v > limit * totals[(q, m)] + 1e-3:
            out.append(Violation("concentration_limit", f"{s} carries {v / totals[(q, m)]:.0%} of {q} {m} "
                                 f"> {limit:.0%}"))
