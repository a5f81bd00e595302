"""Volume forecasting: history -> forecasts with prediction intervals (statsmodels).

Works on plain frames only (never imports ``planning``): see :mod:`forecasts.api` for
the inputs and outputs, :mod:`forecasts.registry` for the models, and
docs/forecasting.md for the design and the measured accuracy.
"""
from forecasts.api import ForecastRun, forecast_volume, infer_interval_minutes
from forecasts.events import HolidayCalendar
from forecasts.series import FORECAST_COLUMNS, ForecastConfig

__all__ = ["ForecastRun", "forecast_volume", "infer_interval_minutes", "HolidayCalendar",
           "FORECAST_COLUMNS", "ForecastConfig"]
