"""Forecast error: learned from the rolling-origin backtest, drawn as sample paths.

API (docs/risk.md has the model, the choices and the measured figures)::

    bt = rolling_backtest(volume, weeks=1, origins=26, events=events, calendars=calendars)
    model = fit_error_model(bt)                 # fit_error_model(bt, before=origin): no lookahead
    paths = model.sample_paths(forecast, n=200, seed=0)
    plan = planning_quantile(model_or_paths, forecast, confidence=0.95)   # forecasts.errors.risk
    scenarios = saa_scenarios(model, forecast, n=30, confidence=0.95)     # forecasts.errors.risk

Frames (UTC tz-aware timestamps):
- backtest: ``origin, timestamp, queue, market, model, lead_week, forecast, lo_80, hi_80,
  lo_95, hi_95, actual`` (:data:`BACKTEST_COLUMNS`)
- paths: ``path, timestamp, queue, market, volume`` [items per interval] (:data:`PATH_COLUMNS`)
- planning quantile: ``timestamp, queue, market, forecast, planned_volume, planned_ratio,
  confidence, method``
- ``ErrorModel.levels`` / ``.noise`` / ``.correlation``: see :mod:`forecasts.errors.model`.
"""
from forecasts.errors.backtest import BACKTEST_COLUMNS, known_events, rolling_backtest
from forecasts.errors.model import ErrorConfig, ErrorModel, fit_error_model, weekly_errors
from forecasts.errors.paths import PATH_COLUMNS, path_bands, path_intervals, sample_array, sample_paths
from forecasts.errors.risk import ScenarioSet, planning_quantile, saa_scenarios

__all__ = ["BACKTEST_COLUMNS", "known_events", "rolling_backtest", "ErrorConfig", "ErrorModel",
           "fit_error_model", "weekly_errors", "PATH_COLUMNS", "path_bands", "path_intervals", "sample_array",
           "sample_paths", "ScenarioSet", "planning_quantile", "saa_scenarios"]
