"""Benchmark: the operations monitor on the sample (target: monitor <= 10 s).

    .venv/bin/python bench/monitor.py

Loads the sample, forecasts the actuals week with the real forecaster (cached on disk
after the first run), then runs the monitor on the planted actuals and on the clean copy,
once with the real forecast and once with the generator's oracle forecast.  Prints the
time of each step, alerts found / planted and the alerts on the clean copy.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from planning.sample import actuals as actualsgen  # noqa: E402
from planning.inputs import load_operation
from planning.monitor import load_actuals, run_monitor  # noqa: E402
from planning.monitor.intraday import intraday  # noqa: E402
from planning.pipeline import base_forecast  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TARGET_S = 10.0


def found(alerts: pd.DataFrame) -> int:
    n = 0
    for p in actualsgen.PLANTED:
        hit = alerts[(alerts["kind"] == p.kind) & (alerts["start"] < p.end) & (alerts["end"] > p.start)]
        for field in ("queue", "market", "site", "team"):
            if getattr(p, field) != "*":
                hit = hit[hit[field] == getattr(p, field)]
        n += bool(len(hit))
    return n


def main() -> int:
    t0 = time.perf_counter()
    op, report = load_operation(SAMPLE)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    actuals, _ = load_actuals(SAMPLE, op)
    actuals_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    forecast = base_forecast(op, 1)
    forecast_s = time.perf_counter() - t0
    clean = actualsgen.generate_actuals(planted=False)
    oracle = actualsgen.oracle_forecast()
    print(f"load sample {load_s:.1f} s, read+validate actuals ({len(actuals):,} rows) {actuals_s:.2f} s, "
          f"forecast (cached after the first run) {forecast_s:.1f} s")
    ok = True
    for label, fc in (("real forecast", forecast), ("oracle forecast", oracle)):
        t0 = time.perf_counter()
        planted = run_monitor(op, actuals, fc)
        seconds = time.perf_counter() - t0
        quiet = run_monitor(op, clean, fc)
        kinds = quiet.alerts["kind"].value_counts().to_dict()
        print(f"{label}: monitor {seconds:.2f} s (target <= {TARGET_S:.0f} s); planted found "
              f"{found(planted.alerts)}/{len(actualsgen.PLANTED)}; alerts on planted copy {len(planted.alerts)}; "
              f"alerts on clean copy {len(quiet.alerts)} {kinds}")
        for a in quiet.alerts.itertuples(index=False):
            print(f"    clean: {a.kind} {a.signal} {a.queue} x {a.market} {a.site} {a.start:%m-%d %H:%M}: {a.message}")
        ok &= seconds <= TARGET_S
    t0 = time.perf_counter()
    intraday(op, forecast, actuals, pd.Timestamp("2026-11-18T12:00Z"))
    print(f"intraday re-forecast from 2026-11-18 12:00 UTC to the week's end: {time.perf_counter() - t0:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
