"""Shift-planner benchmark: the sample week, backends, scaling, and pyworkforce.

    .venv/bin/python bench/plan.py            # everything (about 15 minutes on 2 cores)
    .venv/bin/python bench/plan.py --quick    # sample week, teams + the two target rows
    .venv/bin/python bench/plan.py --teams    # the teams rows only (about 3 minutes)

Each measurement runs in a fresh child process (``--one``) so peak memory (ru_maxrss)
is that solve's own.  Requirements: the sample's last week repeated
(``seasonal_naive_forecast``) through ``compute_requirements``, so runs are
deterministic and do not depend on the forecast models.  Timings include model
building; the machine is shared, so treat them as indicative.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLE = ROOT / "data" / "sample"
# (label, sites, pairs, weeks, time limit s, gap target) for the scaling table
SCALING = [
    ("3 sites x 10 pairs x 1 wk", 3, 10, 1, 60, 0.005),
    ("7 x 34 x 1 (sample)", 7, 34, 1, 60, 0.005),
    ("12 x 60 x 1", 12, 60, 1, 120, 0.02),
    ("12 x 60 x 2 (target <= 2% in 120 s)", 12, 60, 2, 120, 0.02),
    ("7 x 34 x 4", 7, 34, 4, 240, 0.02),
]


def _requirements(op, weeks: int):
    from planning.staffing import compute_requirements, seasonal_naive_forecast

    return compute_requirements(op, seasonal_naive_forecast(op, weeks))


def one(spec: dict) -> dict:
    """Run one solve (in this process) and return its figures."""
    from planning.inputs import load_operation
    from planning.shiftplan import scaled_operation
    from planning.shiftplan import check_plan
    from planning.shiftplan import PlanOptions, solve_plan

    op, _ = load_operation(SAMPLE)
    if spec.get("teams") is False:  # every site one team (the sample before teams)
        op = dataclasses.replace(op, teams=[])
    req = _requirements(op, spec["weeks"])
    if spec.get("sites"):
        op, req = scaled_operation(op, req, spec["sites"], spec["pairs"])
    events = []
    t0 = time.perf_counter()
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=spec["limit"], gap_target=spec["gap"],
                                           backend=spec.get("backend", "SCIP"),
                                           method=spec.get("method", "auto")),
                      progress=lambda m: events.append((round(time.perf_counter() - t0, 1), m)))
    violations = check_plan(op, req, plan) if plan.ok else []
    agents = {}
    if spec.get("agents") and plan.ok:
        from planning.simulation import simulate_agents
        sim = simulate_agents(op, plan, req[["timestamp", "queue", "market", "volume", "aht_seconds"]],
                              replications=spec["agents"], seed=1)
        agents = {"agent_attainment": sim.attainment,
                  "agent_min_pair": float(sim.pairs["attainment"].min()),
                  "agent_min_pair_name": "/".join(sim.pairs.loc[sim.pairs["attainment"].idxmin(), ["queue", "market"]]),
                  "agent_seconds": sim.seconds_per_replication}
    return {**agents,"status": plan.status, "cost": plan.cost, "objective": plan.objective, "bound": plan.bound,
            "lp_bound": plan.lp_bound, "gap": plan.gap, "seconds": plan.seconds, "method": plan.backend,
            "unmet_agent_hours": plan.unmet_agent_hours, "variables": plan.model_size.get("variables"),
            "integers": plan.model_size.get("integer_variables"),
            "build_s": plan.model_size.get("build_seconds"),
            "checker_violations": len(violations),
            "first_violation": f"{violations[0].constraint}: {violations[0].message}" if violations else "",
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "child_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "events": events}


def run_child(spec: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True,
                         text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"status": f"crashed ({out.returncode})", "error": out.stderr.strip().splitlines()[-1:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pct(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def _row(label: str, r: dict) -> str:
    if r.get("first_violation"):
        print(f"<!-- checker: {r['first_violation']} -->")
    if "cost" not in r:
        return f"| {label} | {r['status']} | | | | | | | | |"
    return (f"| {label} | {r['variables']:,} ({r['integers']:,} int) | {r['method']} | {r['seconds']:.1f} | "
            f"{r['cost']:,.0f} | {r['lp_bound']:,.0f} | {r['bound']:,.0f} | {_pct(r['gap'])} | {r['peak_mb']:,.0f} | "
            f"{r.get('child_peak_mb', 0):,.0f} | "
            f"{r['checker_violations']} |")


HEADER = ("| case | variables | method | seconds | cost | LP bound | best bound | gap | peak MB | HiGHS child MB | checker |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|")


def sample_week() -> None:
    print("## Sample operation, one week at 30 minutes\n")
    print(HEADER)
    first = run_child({"weeks": 1, "limit": 120, "gap": 0.01})
    reached = first["seconds"] if first.get("gap", 1) <= 0.01 else None
    print(_row("to 1% gap (limit 120 s)", first))
    for limit in (30, 60):
        print(_row(f"time limit {limit} s (gap target 0)", run_child({"weeks": 1, "limit": limit, "gap": 0.0})))
    print(f"\ntime to reach 1% gap: {'not reached in 120 s' if reached is None else f'{reached:.1f} s'}\n")


def teams() -> None:
    """The sample with its teams against the same sample with every site one team (the
    price of realism), at 30 s, with the agent-level simulation of each plan."""
    print("## Teams within sites (sample week, 30 s, gap target 0)\n")
    print(HEADER)
    rows = {}
    for label, with_teams in (("no teams (each site one team)", False), ("22 teams in 7 sites", True)):
        rows[label] = run_child({"weeks": 1, "limit": 30, "gap": 0.0, "teams": with_teams, "agents": 2})
        print(_row(label, rows[label]))
    print()
    base, teamed = rows.values()
    if "cost" in base and "cost" in teamed:
        print(f"cost with teams vs without: {teamed['cost']:,.0f} vs {base['cost']:,.0f} "
              f"({teamed['cost'] / base['cost'] - 1:+.1%})")
    for label, r in rows.items():
        if "agent_attainment" in r:
            print(f"agent-level attainment ({label}): {r['agent_attainment']:.4f} of judged items "
                  f"(worst pair {r['agent_min_pair_name']} {r['agent_min_pair']:.3f}; "
                  f"{r['agent_seconds']:.1f} s per replication, 2 replications)")
    print()


def backends() -> None:
    print("## Backends on the sample week (60 s)\n")
    print(HEADER)
    for label, spec in [("SCIP MIP (direct)", {"method": "mip", "backend": "SCIP"}),
                        ("LP (HiGHS) + repaired rounding", {"method": "lp-round"})]:
        print(_row(label, run_child({"weeks": 1, "limit": 60, "gap": 0.005, **spec})))
    print()


def scaling(rows) -> None:
    print("## Scaling\n")
    print(HEADER)
    for label, sites, pairs, weeks, limit, gap in rows:
        print(_row(label, run_child({"weeks": weeks, "limit": limit, "gap": gap, "sites": sites,
                                     "pairs": pairs})), flush=True)
    print()


def pyworkforce_check() -> None:
    """Single site, single queue, shifts inside the day: our cost vs MinRequiredResources."""
    import numpy as np
    import pandas as pd
    from pyworkforce.scheduling import MinRequiredResources

    from planning.domain import Certification, Market, Operation, Queue, Settings, ShiftTemplate, Site
    from planning.shiftplan import PlanOptions, solve_plan

    rng = np.random.default_rng(7)
    days, periods = 7, 24
    hours = np.arange(periods)
    need = np.ceil(np.outer(rng.uniform(0.8, 1.2, days), 4 + 10 * np.exp(-((hours - 14) / 5.0) ** 2))).astype(int)
    starts = [0, 4, 8, 12, 16]
    coverage = {f"s{h:02d}": [1 if h <= p < h + 8 else 0 for p in range(periods)] for h in starts}
    mrr = MinRequiredResources(num_days=days, periods=periods, shifts_coverage=coverage,
                               required_resources=need.tolist(), max_period_concurrency=500,
                               max_shift_concurrency=200, cost_dict={k: 80 for k in coverage},
                               max_search_time=60.0, num_search_workers=2)
    theirs = mrr.solve()
    op = Operation(
        queues={"q": Queue(queue="q", sla_kind="live", sla_target=0.8, sla_within_seconds=60, aht_seconds=60,
                           priority=1)},
        markets={"M": Market(market="M", timezone="UTC", holiday_country="US")},
        sites={"S": Site(site="S", vendor="V", timezone="UTC", max_headcount=500, hourly_cost=10.0, shrinkage=0.0)},
        certifications=[Certification(site="S", queue="q", market="M")],
        shifts=[ShiftTemplate(site="S", shift=f"s{h:02d}", start=f"{h:02d}:00", paid_hours=8) for h in starts],
        volume=pd.DataFrame({"timestamp": [pd.Timestamp("2026-03-01T00:00Z")], "queue": ["q"], "market": ["M"],
                             "volume": [1.0]}),
        settings=Settings(interval_minutes=60))
    times = pd.date_range("2026-03-02T00:00Z", periods=days * periods, freq="60min")
    req = pd.DataFrame({"timestamp": times, "queue": "q", "market": "M", "sla_kind": "live",
                        "interval_minutes": 60, "volume": 0.0, "aht_seconds": 60.0,
                        "workload_hours": need.ravel() * 1.0, "required_agents": need.ravel() * 1.0})
    # shifts that would start on the day before / run past the last day are not offered there
    ours = solve_plan(op, req, PlanOptions(time_limit_seconds=60, gap_target=0.0))
    print("## Single site, single queue vs pyworkforce MinRequiredResources (7 days x 24 h)\n")
    print(f"pyworkforce: status {theirs.get('status')}, cost {theirs.get('cost')}")
    print(f"ours: status {ours.status}, cost {ours.cost:,.0f}, LP bound {ours.lp_bound:,.0f}, "
          f"unmet {ours.unmet_agent_hours:.2f} agent-h\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--teams", action="store_true", help="only the teams rows")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(json.loads(args.one)), default=float))
        return
    print(f"# bench/plan.py  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    if args.teams:
        teams()
        return
    sample_week()
    teams()
    if args.quick:
        scaling([r for r in SCALING if r[1] == 12 and r[3] == 2])
        return
    backends()
    scaling(SCALING)
    pyworkforce_check()


if __name__ == "__main__":
    main()
