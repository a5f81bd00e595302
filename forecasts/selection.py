"""Per-series model choice from backtest scores.

Rule: rank candidates by mean MASE over the origins.  The best statistical model is
chosen only if its MASE is at least ``margin`` (2%) below the best baseline's; otherwise
the best baseline is chosen.  On some contact-centre data nothing beats the weekly
seasonal naive at two weeks, and then that is what we use.  Coverage does not enter the
choice: intervals are calibrated afterwards (see :func:`calibrate`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecasts.backtest import OriginResult, calibration_scale, score, standardized_errors
from forecasts.models import LEVELS
from forecasts.registry import MODELS

SELECTION_MARGIN = 0.02


@dataclass
class Choice:
    model: str
    reason: str
    scale: dict[int, float] = field(default_factory=lambda: {level: 1.0 for level in LEVELS})


def score_table(results: list[OriginResult]) -> pd.DataFrame:
    """One row per model x origin: mase, wape, bias, raw and calibrated coverage.

    Calibrated coverage of an origin uses the widening factor learned on the *other*
    origins (leave-one-origin-out), so it is an honest out-of-sample figure.
    """
    rows = []
    by_model: dict[str, list[OriginResult]] = {}
    for r in results:
        by_model.setdefault(r.model, []).append(r)
    for model, runs in by_model.items():
        errors = {r.origin: standardized_errors(r) for r in runs}
        for r in runs:
            raw = score(r)
            others = [errors[o] for o in errors if o != r.origin]
            scale = calibration_scale(np.concatenate(others)) if others else None
            calibrated = score(r, scale)
            rows.append({"model": model, "origin": r.origin, **raw,
                         **{f"calibrated_coverage_{lv}": calibrated[f"coverage_{lv}"] for lv in LEVELS}})
    return pd.DataFrame(rows)


def choose(table: pd.DataFrame, margin: float = SELECTION_MARGIN) -> Choice:
    means = table.groupby("model")["mase"].mean()
    is_base = means.index.map(lambda m: MODELS[m].is_baseline).to_numpy(bool)
    if not is_base.any():
        best = means.idxmin()
        return Choice(best, f"no baseline could be backtested; {best} had the lowest MASE {means[best]:.3f}")
    base = means[is_base].idxmin()
    if (~is_base).any():
        model = means[~is_base].idxmin()
        if means[model] < means[base] * (1 - margin):
            gain = 1 - means[model] / means[base]
            return Choice(model, f"MASE {means[model]:.3f} beats the best baseline {base} "
                                 f"({means[base]:.3f}) by {gain:.0%}")
        return Choice(base, f"no model beat the baselines by {margin:.0%}: best model {model} MASE "
                            f"{means[model]:.3f} vs {base} {means[base]:.3f}")
    return Choice(base, f"only baselines could be backtested; {base} MASE {means[base]:.3f}")


def calibrate(choice: Choice, results: list[OriginResult]) -> Choice:
    """Widen / narrow the chosen model's intervals to the coverage seen in the backtest."""
    errors = [standardized_errors(r) for r in results if r.model == choice.model]
    if errors:
        choice.scale = calibration_scale(np.concatenate(errors))
    return choice
