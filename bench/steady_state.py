"""Open vs cyclic (steady-state) weeks on the sample week: cost, paid hours, deferred work planned.

    .venv/bin/python bench/steady_state.py [--limit 30]

Each mode solves in a fresh child process (as ``bench/plan.py``), same requirements (the
sample's last week repeated through ``compute_requirements``), gap target 0.  "Deferred
work planned" = sum over deferred pairs of allocated agents x max occupancy x interval
hours: the work the plan's agents can do; the week's deferred work is the requirement's.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "data" / "sample"


def one(mode: str, limit: float) -> dict:
    from planning.inputs import load_operation
    from planning.shiftplan import PlanOptions, check_plan, simulate_plan, solve_plan
    from planning.staffing import compute_requirements, seasonal_naive_forecast

    op, _ = load_operation(SAMPLE)
    req = compute_requirements(op, seasonal_naive_forecast(op, 1))
    plan = solve_plan(op, req, PlanOptions(time_limit_seconds=limit, gap_target=0.0, horizon_mode=mode))
    hours = float(req["interval_minutes"].iloc[0]) / 60.0
    deferred = [q for q, x in op.queues.items() if x.sla_kind.value == "deferred"]
    work = req[req["queue"].isin(deferred)].groupby("queue")["workload_hours"].sum()
    alloc = plan.allocation[plan.allocation["queue"].isin(deferred)]
    planned = (alloc.groupby("queue")["agents"].sum() * hours
               * alloc.groupby("queue")["queue"].first().map(lambda q: op.queues[q].max_occupancy))
    t0 = time.perf_counter()
    simulate_plan(op, req, plan)
    sim_s = time.perf_counter() - t0
    violations = check_plan(op, req, plan)
    q = plan.queues[plan.queues["sla_kind"] == "deferred"]
    return {"mode": mode, "status": plan.status, "backend": plan.backend, "seconds": plan.seconds,
            "cost": plan.cost, "objective": plan.objective, "lp_bound": plan.lp_bound, "bound": plan.bound,
            "gap": plan.gap, "paid_hours": plan.kpis["paid_hours"], "occupancy": plan.kpis["occupancy"],
            "unmet_agent_hours": plan.unmet_agent_hours, "variables": plan.model_size.get("variables"),
            "integers": plan.model_size.get("integer_variables"),
            "deferred_work": float(work.sum()), "deferred_planned": float(planned.sum()),
            "per_queue": {k: [float(work[k]), float(planned.get(k, 0.0))] for k in work.index},
            "predicted_min": float(q["predicted"].min()), "simulated_min": float(q["simulated"].min()),
            "judged_pairs": int(q["predicted"].notna().sum()), "pairs": len(q),
            "simulate_seconds": sim_s, "checker_violations": len(violations),
            "first_violation": f"{violations[0].constraint}: {violations[0].message}" if violations else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("--one")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.limit)))
        return
    rows = []
    for mode in ("open", "cyclic"):
        out = subprocess.run([sys.executable, __file__, "--one", mode, "--limit", str(args.limit)],
                             capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            print(out.stderr[-2000:])
            raise SystemExit(out.returncode)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"#### bench/steady_state.py  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"sample week, {args.limit:.0f} s)\n")
    print("| mode | variables | backend | seconds | cost | paid hours | deferred work-h planned / week's | "
          "occupancy | LP bound | best bound | gap | unmet agent-h | deferred pairs judged | min predicted | "
          "min simulated | checker |")
    print("|" + "---|" * 16)
    for r in rows:
        print(f"| {r['mode']} | {r['variables']:,} ({r['integers']} int) | {r['backend']} | {r['seconds']:.1f} | "
              f"{r['cost']:,.0f} | {r['paid_hours']:,.0f} | {r['deferred_planned']:,.0f} / {r['deferred_work']:,.0f} "
              f"({r['deferred_planned'] / r['deferred_work']:.1%}) | {r['occupancy']:.3f} | {r['lp_bound']:,.0f} | "
              f"{r['bound']:,.0f} | {r['gap']:.2%} | {r['unmet_agent_hours']:.1f} | {r['judged_pairs']}/{r['pairs']} | "
              f"{r['predicted_min']:.3f} | {r['simulated_min']:.3f} | {r['checker_violations']} |")
    print("\nPer deferred queue: work-hours planned / arriving (open -> cyclic)\n")
    for k in rows[0]["per_queue"]:
        (w, a), (_, b) = rows[0]["per_queue"][k], rows[1]["per_queue"][k]
        print(f"- {k}: {a:,.0f} -> {b:,.0f} of {w:,.0f} ({a / w:.1%} -> {b / w:.1%})")
    for r in rows:
        if r["first_violation"]:
            print(f"\n{r['mode']} first violation: {r['first_violation']}")
        print(f"\n{r['mode']}: simulate_plan {r['simulate_seconds']:.1f} s")


if __name__ == "__main__":
    main()
