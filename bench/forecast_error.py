"""Forecast-error bench: the error model fitted on the sample's rolling backtest, its coverage
on held-out weeks, and what the planning quantiles cost and deliver.

Run: ``.venv/bin/python bench/forecast_error.py [INPUTS] [--origins 26] [--paths 400] [--workers 2]``.

Prints the fitted weekly level error per pair, the correlation summary, the coverage of
the paths' 80/95% intervals on held-out weeks (interleaved: fit on every other origin,
score the rest; forward: fit on all but the last 4 origins, score those), the same for the
forecasting layer's own bands, the planning quantiles' realised confidence and safety
margin, and wall times.  Coverage per interval is the mid-PIT share (ties between the
discrete counts split), "band" the plain share inside [lo, hi].
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def evaluate(backtest, train, test, paths, seed=1):
    """Held-out figures for a model fitted on ``train`` origins and scored on ``test`` origins."""
    from forecasts.errors import fit_error_model, path_intervals, sample_array
    from forecasts.errors.paths import coverage, pit_coverage, share_inside

    model = fit_error_model(backtest[backtest["origin"].isin(train)])
    acc: dict[str, list] = {}

    def add(key, value):
        acc.setdefault(key, []).append(value)

    for origin, rows in backtest[backtest["origin"].isin(test)].groupby("origin"):
        fc = rows.sort_values(["queue", "market", "timestamp"], ignore_index=True)
        keys, values = sample_array(model, fc, paths, seed)
        bands = path_intervals(keys, values)
        actual = fc["actual"].to_numpy(float)
        for level in (80, 95):
            lo, hi = bands[f"lo_{level}"].to_numpy(), bands[f"hi_{level}"].to_numpy()
            add(f"pit{level}", pit_coverage(values, actual, level))
            add(f"band{level}", coverage(actual, lo, hi))
            add(f"self{level}", float(share_inside(values, lo, hi).mean()))
            app_lo, app_hi = fc[f"lo_{level}"].to_numpy(), fc[f"hi_{level}"].to_numpy()
            add(f"app{level}", coverage(actual, app_lo, app_hi))
            add(f"in_app{level}", float(share_inside(values, app_lo, app_hi).mean()))
            tail = (1 - level / 100) / 2
            for _, idx in keys.groupby(["queue", "market"]).indices.items():
                total = values[:, idx].sum(axis=1)
                add(f"week{level}", float(np.quantile(total, tail) <= actual[idx].sum() <= np.quantile(total, 1 - tail)))
    return model, {key: float(np.mean(v)) for key, v in acc.items()}


def risk_figures(backtest, model, test, paths, confidences=(0.8, 0.9, 0.95, 0.99)):
    """Per confidence and method: share of held-out pair-weeks (intervals) at or under the
    planned volume, and the mean safety margin over the forecast."""
    from forecasts.errors import sample_array
    from forecasts.errors.risk import planning_quantile

    rows = []
    for origin, fc in backtest[backtest["origin"].isin(test)].groupby("origin"):
        fc = fc.sort_values(["queue", "market", "timestamp"], ignore_index=True)
        keys, values = sample_array(model, fc, paths, 7)
        for method in ("weekly", "interval"):
            for c in confidences:
                q = planning_quantile(model, fc, c, method=method, n=paths, seed=7)
                joined = q.assign(actual=fc["actual"].to_numpy())
                if method == "weekly":
                    week = joined.groupby(["queue", "market"])[["planned_volume", "actual", "forecast"]].sum()
                    met = float((week["actual"] <= week["planned_volume"]).mean())
                else:
                    met = float((joined["actual"] <= joined["planned_volume"]).mean())
                margin = joined["planned_volume"].sum() / joined["forecast"].sum() - 1
                rows.append((method, c, met, margin))
        # pooling: the sum of per-pair 95% weekly quantiles vs the 95% quantile of the market's sum
        for market, idx in keys.groupby("market").indices.items():
            pair_sum = sum(np.quantile(values[:, j].sum(axis=1), 0.95)
                           for _, j in keys.iloc[idx].groupby("queue").indices.items() for j in [idx[j]])
            pooled = np.quantile(values[:, idx].sum(axis=1), 0.95)
            rows.append(("pooling", market, pooled / pair_sum, 0.0))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="?", default=str(ROOT / "data" / "sample"))
    parser.add_argument("--origins", type=int, default=26)
    parser.add_argument("--paths", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", action="store_true", help="use the forecast cache (default: cold, in a temp dir)")
    args = parser.parse_args(argv)

    import pandas as pd

    from forecasts.errors import rolling_backtest
    from planning.forecasting import calendars, events_frame
    from planning.inputs.loading import load_operation

    if not args.cache:
        os.environ["PLANNER_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-forecast-error-")
    op, report = load_operation(args.inputs)
    if op is None:
        print("\n".join(report.lines()))
        return 1
    started = time.perf_counter()
    backtest = rolling_backtest(op.volume, weeks=1, origins=args.origins, events=events_frame(op),
                                calendars=calendars(op), workers=args.workers,
                                interval_minutes=op.settings.interval_minutes)
    t_backtest = time.perf_counter() - started
    origins = sorted(backtest["origin"].unique())
    print(f"forecast error bench: {args.inputs}, {backtest[['queue', 'market']].drop_duplicates().shape[0]} pairs, "
          f"{len(origins)} weekly origins {origins[0]:%Y-%m-%d} .. {origins[-1]:%Y-%m-%d}, 1-week horizon, "
          f"{args.paths} paths (load average {os.getloadavg()[0]:.1f})")

    t0 = time.perf_counter()
    from forecasts.errors import fit_error_model
    full = fit_error_model(backtest)
    t_fit = time.perf_counter() - t0
    table = full.levels.merge(full.noise, on=["queue", "market"])
    table = table[["queue", "market", "weeks", "raw_sd", "noise_sd", "level_sd", "bias", "alpha", "phi"]]
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print("\nweekly level error per pair (log scale; raw_sd = sd of log(actual/forecast) weekly totals, "
              "noise_sd = the part interval noise explains, level_sd/bias = what paths use), interval noise alpha, phi:")
        print(table.round(4).to_string(index=False))
        print("\ncorrelation of weekly level errors (pooled '*' is used; per market for reading):")
        print(full.correlation.round(3).to_string(index=False))
    print(f"used: within market {full.within_market:.3f}, across markets {full.across_markets:.3f}")

    t0 = time.perf_counter()
    splits = {"interleaved": (origins[0::2], origins[1::2]), "forward": (origins[:-4], origins[-4:])}
    results = {}
    for name, (train, test) in splits.items():
        model, figures = evaluate(backtest, train, test, args.paths)
        results[name] = (model, test)
        print(f"\nheld out ({name}: fit on {len(train)} origins, score {len(test)}):")
        print(f"  paths, per interval (mid-PIT): 80% {figures['pit80']:.3f}  95% {figures['pit95']:.3f}   "
              f"(target within +-0.03)")
        print(f"  paths, per interval, inside band: 80% {figures['band80']:.3f} (paths' own share {figures['self80']:.3f})"
              f"  95% {figures['band95']:.3f} ({figures['self95']:.3f})")
        print(f"  paths, weekly totals per pair: 80% {figures['week80']:.3f}  95% {figures['week95']:.3f}")
        print(f"  forecast bands (lo_80..hi_95) on actuals: 80% {figures['app80']:.3f}  95% {figures['app95']:.3f};"
              f"  share of paths inside them: 80% {figures['in_app80']:.3f}  95% {figures['in_app95']:.3f}")
    t_eval = time.perf_counter() - t0

    t0 = time.perf_counter()
    model, test = results["interleaved"]
    rows = risk_figures(backtest, model, test, args.paths)
    frame = pd.DataFrame(rows, columns=["method", "confidence", "met", "margin"])
    summary = frame[frame["method"] != "pooling"].groupby(["method", "confidence"])[["met", "margin"]].mean()
    print("\nplanning quantiles on the interleaved held-out weeks (met: share of pair-weeks whose weekly total "
          "(weekly) / intervals (interval) stayed at or under the plan; margin: planned / forecast - 1):")
    print(summary.round(3).to_string())
    pooling = frame[frame["method"] == "pooling"].groupby("confidence")["met"].mean()
    print("pooling at 95%: quantile of a market's total / sum of its pairs' quantiles: "
          + ", ".join(f"{m} {v:.3f}" for m, v in pooling.items()))
    t_risk = time.perf_counter() - t0
    print(f"\nseconds: rolling backtest {t_backtest:.1f} ({len(origins)} origins, cold={not args.cache}), "
          f"fit {t_fit:.2f}, held-out evaluation {t_eval:.1f}, planning quantiles {t_risk:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
