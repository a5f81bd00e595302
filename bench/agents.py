"""Benchmark: the agent-level simulation of the sample week's baseline plan.

    .venv/bin/python bench/agents.py [--replications R] [--routing deadline|plan]

Builds (or reads from the cache) the pipeline's baseline plan of data/sample (a first
solve takes minutes), simulates it against its forecast, and prints seconds per
replication, items and agents simulated (warm-up and cool-down included) and per pair
the simulated attainment with its 95% CI beside the plan's claimed figure: the
volume-weighted ``predicted_service_level`` of its coverage frame.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planning.inputs import load_operation  # noqa: E402
from planning.pipeline import baseline  # noqa: E402
from planning.simulation import simulate_agents  # noqa: E402


def claimed(plan, requirements) -> pd.DataFrame:
    cov = plan.coverage.merge(requirements[["timestamp", "queue", "market", "volume"]],
                              on=["timestamp", "queue", "market"])
    cov = cov[cov["predicted_service_level"].notna() & (cov["volume"] > 0)]
    cov["_met"] = cov["predicted_service_level"] * cov["volume"]
    per = cov.groupby(["queue", "market"])[["_met", "volume"]].sum()
    return (per["_met"] / per["volume"]).rename("claimed").reset_index()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--routing", default="deadline", choices=["deadline", "plan"])
    args = parser.parse_args(argv)
    op, report = load_operation(Path(__file__).resolve().parents[1] / "data" / "sample")
    if op is None:
        print(report)
        return 1
    t0 = time.perf_counter()
    base = baseline(op, weeks=1)
    print(f"baseline plan: {time.perf_counter() - t0:.1f} s ({base.plan.status})")
    t0 = time.perf_counter()
    simulate_agents(op, base.plan, base.forecast, replications=1, seed=99)  # numba compile / load
    print(f"first call (compiles or loads the event loop, 1 replication): {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    res = simulate_agents(op, base.plan, base.forecast, replications=args.replications,
                          routing=args.routing)
    wall = time.perf_counter() - t0
    print(f"routing {res.routing}, late items {res.late_items}, {res.replications} replications: "
          f"{res.seconds_per_replication:.2f} s per replication ({wall:.1f} s with the summary; "
          f"target <= 10 s), compiled={res.compiled}")
    print(f"per replication: {res.items_simulated:,} items, {res.agents_simulated:,} agents "
          f"simulated from {res.simulated_start} to {res.simulated_end}")
    print(res.notes[0])
    wellness = op.settings.wellness_severe_share_max
    print(f"largest severe share of an agent: {res.severe_share_max:.4f} (cap {wellness})")
    table = res.pairs.merge(claimed(base.plan, base.requirements), on=["queue", "market"], how="left")
    table["gap"] = table["attainment"] - table["claimed"]
    cols = ["queue", "market", "sla_kind", "target", "claimed", "attainment", "attainment_lo",
            "attainment_hi", "items_judged", "abandoned", "mean_wait_seconds", "gap"]
    with pd.option_context("display.width", 200, "display.max_rows", 200,
                           "display.float_format", "{:.4f}".format):
        print(table[cols].to_string(index=False))
    below = table[table["attainment_hi"] < table["target"]]
    print(f"attainment over all judged items: {res.attainment:.4f} "
          f"[{res.attainment_lo:.4f}, {res.attainment_hi:.4f}]; "
          f"{len(below)} of {len(table)} pairs below target (CI upper end)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
