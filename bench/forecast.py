"""Forecast benchmark on the sample operation: accuracy per model and of the selection, and wall time.

Run: ``.venv/bin/python bench/forecast.py [INPUTS] [--weeks 2] [--workers 2]``.
Prints per-model and selected MASE, WAPE, bias and 80/95% coverage from the rolling-origin
backtest (3 origins, 2-week horizon, all series), and the wall time of
backtest + selection + forecast (cold, cache off) and of a refresh that reuses the
selection.  Targets: selected MASE <= 0.85 x weekly seasonal naive; 95% coverage 90-98%;
full run <= 120 s; refresh <= 30 s (2 cores).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def holdout_selection(backtest):
    """Selection without peeking: choose on the older origins, score on the last one."""
    from forecasts.selection import choose

    chosen, naive = [], []
    for _, rows in backtest.groupby(["queue", "market"]):
        last = rows["origin"].max()
        older, newest = rows[rows["origin"] < last], rows[rows["origin"] == last].set_index("model")
        if older.empty:
            continue
        model = choose(older).model
        chosen.append(newest.loc[model, "mase"])
        naive.append(newest.loc["snaive_week", "mase"])
    return sum(chosen) / len(chosen), sum(naive) / len(naive)


def long_range_holdout(op, weeks: int = 26) -> dict:
    """Fit the long range on all but the last ``weeks`` weeks and score its weekly totals."""
    import pandas as pd

    from forecasts.longrange import long_range
    from planning.forecasting import calendars, events_frame

    volume = op.volume
    cut = volume["timestamp"].max() - pd.Timedelta(weeks=weeks)
    history, future = volume[volume["timestamp"] <= cut], volume[volume["timestamp"] > cut]
    run = long_range(history, months=weeks // 4 + 1, events=events_frame(op), calendars=calendars(op))
    day = future["timestamp"].dt.normalize()
    week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    actual = future.assign(period_start=week).groupby(["queue", "market", "period_start"], as_index=False)["volume"].sum()
    j = run.weekly.merge(actual, on=["queue", "market", "period_start"])
    err = j["forecast"] - j["volume"]
    return {"points": len(j), "wape": err.abs().sum() / j["volume"].sum(), "bias": err.sum() / j["volume"].sum(),
            "cov80": ((j.volume >= j.lo_80) & (j.volume <= j.hi_80)).mean(),
            "cov95": ((j.volume >= j.lo_95) & (j.volume <= j.hi_95)).mean()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="?", default=str(ROOT / "data" / "sample"))
    parser.add_argument("--weeks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from planning.forecasting import long_range_operation, run_forecast
    from planning.inputs import load_operation

    op, report = load_operation(args.inputs)
    if op is None:
        print("\n".join(report.lines()), file=sys.stderr)
        return 1
    series = len(op.pairs)
    t0 = time.perf_counter()
    run = run_forecast(op, args.weeks, workers=args.workers, use_cache=False)
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_forecast(op, args.weeks, workers=args.workers, selection=run.selection, use_cache=False)
    refresh = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PLANNER_CACHE_DIR"] = tmp
        run_forecast(op, args.weeks, workers=args.workers)  # fills the cache
        t0 = time.perf_counter()
        run_forecast(op, args.weeks, workers=args.workers)
        cached = time.perf_counter() - t0

    t0 = time.perf_counter()
    long_run = long_range_operation(op, 18)
    long_seconds = time.perf_counter() - t0
    intraday = run.forecast.assign(day=run.forecast["timestamp"].dt.normalize())
    first_days = intraday.groupby(["queue", "market", "day"], as_index=False)["forecast"].sum()
    overlap = first_days.merge(long_run.daily.rename(columns={"period_start": "day", "forecast": "long"})
                               [["queue", "market", "day", "long"]], on=["queue", "market", "day"])
    totals = overlap.groupby(["queue", "market"])[["forecast", "long"]].sum()
    rel = ((totals["long"] - totals["forecast"]).abs() / totals["forecast"]).describe()

    lr_holdout = long_range_holdout(op)

    scores = run.scores()
    per_model = scores.groupby("model")[["mase", "wape", "bias", "coverage_80", "coverage_95",
                                         "calibrated_coverage_80", "calibrated_coverage_95"]].mean()
    chosen = scores[scores["chosen"]]
    selected = chosen[per_model.columns].mean().rename("SELECTED")
    table = per_model.sort_values("mase")
    table.loc["SELECTED"] = selected
    table.insert(0, "chosen_for", [int((chosen.model == m).sum()) for m in table.index[:-1]] + [len(chosen)])
    table.columns = ["series", "MASE", "WAPE", "bias", "cov80_raw", "cov95_raw", "cov80", "cov95"]
    naive = per_model.loc["snaive_week", "mase"]
    holdout, holdout_naive = holdout_selection(run.backtest)
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"forecast bench: {args.inputs}, {series} series, {args.weeks}-week horizon, "
          f"3 rolling origins, {args.workers} workers on {cores} cores (load average {load:.1f})")
    print("MASE/WAPE/bias: mean over series x origins; cov80/cov95: calibrated, leave-one-origin-out; "
          "*_raw: model's own intervals")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"selected MASE / weekly seasonal naive MASE = {selected['mase'] / naive:.3f}  (target <= 0.85)")
    print(f"held-out check (choose on origins 1-2, score origin 3): selected MASE {holdout:.3f} vs "
          f"naive {holdout_naive:.3f} = {holdout / holdout_naive:.3f}")
    print(f"selected 95% coverage = {selected['calibrated_coverage_95']:.3f}  (target 0.90-0.98)")
    print(f"wall time, backtest + selection + forecast (cold) = {full:.1f} s  (target <= 120 s)")
    print(f"wall time, forecast refresh without re-selection = {refresh:.1f} s  (target <= 30 s)")
    print(f"wall time, re-run with every series cached = {cached:.1f} s")
    print(f"long range, 18 months, all series = {long_seconds:.1f} s; its daily totals vs the intraday "
          f"forecast over the {args.weeks}-week overlap: median |difference| {rel['50%']:.1%}, max {rel['max']:.1%}")
    print("long range held out (fit to 26 weeks before the end, forecast them): weekly totals WAPE "
          f"{lr_holdout['wape']:.3f}, bias {lr_holdout['bias']:+.3f}, 80% coverage {lr_holdout['cov80']:.3f}, "
          f"95% coverage {lr_holdout['cov95']:.3f} ({lr_holdout['points']} series-weeks)")
    if len(run.warnings):
        print(f"{len(run.warnings)} series warnings, e.g. {run.warnings.message.iloc[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
