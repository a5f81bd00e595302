"""The model registry: every forecasting model by name, and the default candidate set."""
from __future__ import annotations

from forecasts.baselines import DailyNaive, Flat, MeanOfWeeks, SeasonalNaive
from forecasts.ets import EtsWeekly
from forecasts.harmonic import HarmonicSarimax
from forecasts.models import Model
from forecasts.mstl import MstlArima, MstlEts

MODELS: dict[str, type[Model]] = {
    cls.name: cls
    for cls in (SeasonalNaive, MeanOfWeeks, MstlEts, MstlArima, HarmonicSarimax, EtsWeekly, DailyNaive, Flat)
}
BASELINES = [name for name, cls in MODELS.items() if cls.is_baseline]
# Backtested for every series (order only breaks exact ties).
DEFAULT_CANDIDATES = ("snaive_week", "mean_4w", "mstl_arima", "harmonic_sarimax", "ets_weekly")
# Used without backtest when the history is too short for the candidates.
SHORT_HISTORY_FALLBACKS = ("snaive_day", "flat")


def make(name: str) -> Model:
    try:
        return MODELS[name]()
    except KeyError:
        raise ValueError(f"unknown forecasting model '{name}'; known: {', '.join(MODELS)}") from None
