"""One source of alerts: the Overview and the Monitor both call ``monitor_plan`` with the plan
of record's allocation (``planning.plan_record``), the actuals the person may see and the
same forecast (``forecast_weeks`` weeks of the base forecast after the history), so they list
the same alerts with the same causes."""
from __future__ import annotations

import pandas as pd

from planning.domain import Operation


def visible_actuals(actuals: pd.DataFrame, op: Operation) -> pd.DataFrame:
    """The rows of ``actuals`` on ``op``'s queue x market pairs and sites (site '' = pair level)."""
    keep = pd.MultiIndex.from_frame(actuals[["queue", "market"]].astype(str)).isin(list(op.pairs))
    keep &= actuals["site"].eq("") | actuals["site"].isin(list(op.sites))
    return actuals[keep].reset_index(drop=True)


def forecast_weeks(op: Operation, actuals: pd.DataFrame) -> int | None:
    """Weeks of forecast after the history needed to cover the actuals (None: they lie inside
    the history, there is nothing to forecast)."""
    span = actuals["timestamp"].max() - op.history_end
    if span < pd.Timedelta(0):
        return None
    step = pd.Timedelta(minutes=op.settings.interval_minutes)
    return max(1, int(-(-(span + step) // pd.Timedelta(weeks=1))))


def monitor_plan(op: Operation, actuals: pd.DataFrame, forecast: pd.DataFrame | None,
                 allocation: pd.DataFrame | None):
    """KPIs and alerts of the actuals against ``forecast`` and the plan's ``allocation``
    (``run_monitor`` on the visible actuals): the one call behind the Overview's and the
    Monitor's alerts."""
    from planning.monitor.actuals import run_monitor

    return run_monitor(op, visible_actuals(actuals, op), forecast, allocation)
