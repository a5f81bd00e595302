"""Operations monitor: actuals against forecast and plan, KPIs, alerts and the intraday re-
forecast.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "actuals": ["ActualsError", "KPI_FORMULAS", "REFERENCE_OCCUPANCY", "open_alerts", "run_monitor"],
    "loading": ["load_actuals", "load_actuals_upload", "validate_actuals"],
    "alerts": ["cusum", "find_alerts", "runs"],
    "intraday": ["CREDIBILITY_ITEMS", "replan_from_now"],
    "shared": ["forecast_weeks", "monitor_plan", "visible_actuals"],
})
