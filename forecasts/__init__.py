"""Volume forecasting: history -> forecasts with prediction intervals (statsmodels)."""
