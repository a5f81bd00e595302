"""Export figures: the staffing workbook for the sample week, and the end-to-end ``run``.

    .venv/bin/python bench/export.py [--weeks 1] [--repeats 3] [--e2e] [--result FILE.pkl]

1. Plans the built-in sample (``run_pipeline``; the forecast comes from the disk cache when
   warm) unless ``--result`` gives a pickled PipelineResult, then times, ``repeats`` times:
   building + saving the full workbook (wall and CPU seconds, size), the vendor pack, and
   reading the workbook back with openpyxl.  Targets: <= 10 s and <= 10 MB.
2. With ``--e2e``: ``python -m planning run data/sample`` in a subprocess with an empty
   forecast cache (cold): wall seconds and the child's CPU seconds.  Target: <= 3 min on 2 cores.

Wall times on a shared machine are noisy; CPU seconds say what the work costs.
"""
from __future__ import annotations

import argparse
import io
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(work):
    t0, c0 = time.perf_counter(), time.process_time()
    out = work()
    return out, time.perf_counter() - t0, time.process_time() - c0


def sample_result(weeks: int, path: str | None):
    if path:
        with open(path, "rb") as f:
            return pickle.load(f)
    from planning.inputs import load_operation
    from planning.pipeline import run_pipeline

    op, _ = load_operation(ROOT / "data" / "sample")
    result, wall, _ = timed(lambda: run_pipeline(op, weeks=weeks))
    print(f"planned the sample ({weeks} week(s)) in {wall:.0f} s: {result.plan.status}")
    return result


def workbook_figures(result, repeats: int) -> None:
    import openpyxl

    from planning.export import vendor_pack_bytes, workbook_bytes

    cells = sum(len(f) for f in (result.requirements, result.forecast, result.plan.coverage))
    print(f"frames: {len(result.plan.shifts)} shifts, {len(result.plan.allocation):,} allocation rows, "
          f"{len(result.plan.coverage):,} coverage rows, ~{cells:,} long-table rows")
    print(f"{'what':<28}{'wall s':>9}{'CPU s':>9}{'size MB':>10}")
    for name, work in (("full workbook", lambda: workbook_bytes(result, scenario="Sample week")),
                       ("vendor pack (zip)", lambda: vendor_pack_bytes(result, scenario="Sample week"))):
        for k in range(repeats):
            data, wall, cpu = timed(work)
            print(f"{name + f' #{k + 1}':<28}{wall:>9.2f}{cpu:>9.2f}{len(data) / 1e6:>10.2f}")
    data = workbook_bytes(result, scenario="Sample week")
    _, wall, cpu = timed(lambda: openpyxl.load_workbook(io.BytesIO(data)))
    print(f"{'read back (openpyxl)':<28}{wall:>9.2f}{cpu:>9.2f}")


def end_to_end(weeks: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**__import__("os").environ, "PLANNER_CACHE_DIR": tmp}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "planning", "run", str(ROOT / "data" / "sample"),
                               "--weeks", str(weeks), "--out", f"{tmp}/plan.xlsx", "--vendor-pack",
                               f"{tmp}/pack", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = Path(f"{tmp}/plan.xlsx").stat().st_size / 1e6 if done.returncode == 0 else float("nan")
    print(f"end-to-end run (cold forecast cache): exit {done.returncode}, wall {wall:.0f} s, "
          f"CPU {cpu:.0f} s (all processes), workbook {size:.2f} MB")
    if done.returncode:
        print(done.stderr[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--e2e", action="store_true", help="also time 'python -m planning run' cold")
    parser.add_argument("--result", help="a pickled PipelineResult to export instead of planning")
    args = parser.parse_args()
    workbook_figures(sample_result(args.weeks, args.result), args.repeats)
    if args.e2e:
        end_to_end(args.weeks)


if __name__ == "__main__":
    main()
