"""The plan of record in the app (not a page): which plan every page shows, and publishing.

``plan_of_record(op, who)`` is the published plan (``planning.plan_record``) or, before any
publication, the baseline; pages show ``caption(record)`` saying which.  ``publish_button``
is the explicit "Publish as plan of record" action; the core checks the role and every error
is shown with what went wrong and what to do.
"""
from __future__ import annotations

import streamlit as st

from planning import plan_record
from planning.access import Forbidden, Principal, can
from planning.domain import Operation
from planning.scenarios import StoreError
from ui import common
from ui import widgets
from ui.format import plain


# Decoding a stored plan takes ~0.7 s; it is read-only afterwards, so one copy per
# publication and person is shared across sessions.
@st.cache_resource(show_spinner="Reading the plan of record…", max_entries=8)
def _published(key: str, record_id: int, who_label: str, _op: Operation, _who: Principal):
    return plan_record.current(key, _op, who=_who)


def plan_of_record(op: Operation, who: Principal, compute: bool = True) -> plan_record.PlanRecord | None:
    """The plan of record of the current inputs as ``who`` may see it (None: no plan at all).

    ``compute=False``: before any publication, only a baseline already computed is used (a
    caption need not start the first-open baseline run)."""
    key = common.load_inputs().digest
    try:
        record_id = plan_record.latest_id(key, who=who) if key else None
        if record_id is not None:
            return _published(key, int(record_id), who.label, op, who)
    except (StoreError, plan_record.PlanRecordError) as exc:
        widgets.error_box(f"The plan of record could not be read ({exc})",
                          "The baseline is shown instead; check the scenario database (WFM_DB) or publish again.")
    if compute:
        baseline = common.plan_result(op)
    else:
        from planning.pipeline import peek_baseline

        baseline = st.session_state.get(common.PLAN_RESULT_KEY) or peek_baseline(op, weeks=common.BASELINE_WEEKS)
    if baseline is None or getattr(baseline, "plan", None) is None:
        return None
    return plan_record.baseline_record(key or "none", baseline, op, who)


def caption(record: plan_record.PlanRecord | None) -> None:
    if record is None:
        st.caption("Plan of record: none yet (the baseline could not be computed)")
    else:
        st.caption(plain(record.caption()))


def publish_button(result, who: Principal, *, kind: str, label: str = "", key: str,
                   text: str = "Publish as plan of record") -> plan_record.PlanRecord | None:
    """A button that makes ``result`` the plan of record; errors shown, never swallowed."""
    if not can(who, "publish"):
        st.caption(f"Only planners publish the plan of record ({plain(who.label)} may not).")
        return None
    if not st.button(text, key=key, icon=":material/verified:"):
        return None
    try:
        record = plan_record.publish(common.load_inputs().digest, result, who=who, kind=kind, label=label)
    except Forbidden as exc:
        widgets.error_box(f"Not allowed: {exc}.")
        return None
    except (StoreError, plan_record.PlanRecordError) as exc:
        widgets.error_box(f"The plan could not be published ({exc})",
                          "Check the scenario database (WFM_DB): disk space, permissions; then press Publish again.")
        return None
    except Exception as exc:  # a bug: say so, with the type, instead of a traceback or silence
        widgets.error_box(f"Publishing failed unexpectedly ({type(exc).__name__}: {exc}); this is a bug, please "
                          "report it", "Solve again and press Publish; the previous plan of record stays.")
        return None
    st.success(plain(f"Published. {record.caption()}"), icon=":material/verified:")
    st.caption(headcount_line(result))
    return record


def headcount_line(result) -> str:
    """'Peak daily headcount by site (agents, busiest day of each site): AUS-A 46, AUS-B 30'."""
    by_site = result.plan.cost_by_site
    if by_site is None or not len(by_site):
        return "No shifts in this plan."
    parts = [f"{plain(s)} {int(n):,}" for s, n in zip(by_site["site"], by_site["peak_daily_headcount"])]
    return "Peak daily headcount by site (agents, busiest day of each site): " + ", ".join(parts)


# --- the monitor over the plan of record (Overview and Monitor pages) ------------------

@st.cache_data(show_spinner="Forecasting over the actuals…", max_entries=4)
def forecast_for(digest: str, who: str, weeks: int, _op: Operation):
    from planning.pipeline import base_forecast

    return base_forecast(_op, weeks)


@st.cache_data(show_spinner="Computing KPIs and alerts…", max_entries=4)
def _monitor(digest: str, who: str, actuals_key: str, plan_key: str, _op, _actuals, _forecast, _allocation):
    from planning.monitor import monitor_plan

    return monitor_plan(_op, _actuals, _forecast, _allocation)


def plan_key(found) -> str:
    if found is None or found.result is None:
        return "noplan"
    return f"{found.operation_key}:{found.record_id or 'baseline'}"


def sample_actuals(op: Operation):
    """The sample's actuals (read against the whole operation), or None."""
    from planning.monitor import load_actuals

    loaded = common.load_inputs()
    if loaded.source != "sample" or not (common.SAMPLE_DIR / "actuals.csv.gz").exists():
        return None
    frame, _report = load_actuals(common.SAMPLE_DIR, loaded.operation)
    return frame


def monitor_result(op: Operation, found, who: Principal, actuals=None, actuals_key: str = "sample"):
    """The monitor's result for ``actuals`` (default: the sample's) against the plan of record:
    the Overview and the Monitor call this with the same arguments, so they list the same
    alerts (one cache entry)."""
    from planning.monitor import forecast_weeks, visible_actuals

    if actuals is None:
        actuals = sample_actuals(op)
        if actuals is None:
            return None
    actuals = visible_actuals(actuals, op)
    if actuals.empty:
        return None
    digest = common.load_inputs().digest
    weeks = forecast_weeks(op, actuals)
    forecast = forecast_for(digest, who.label, weeks, op) if weeks else None
    allocation = found.result.plan.allocation if found is not None and found.result is not None else None
    return _monitor(digest, who.label, f"{digest}:{actuals_key}", plan_key(found), op, actuals, forecast,
                    allocation)


# --- weekly plan vs capacity plan -------------------------------------------------------

CAPACITY_KEY = "capacity_plan"  # set by the Capacity & hiring page


def reconciliation(op: Operation, found, who: Principal, capacity=None) -> None:
    """The reconciliation line: the plan of record's cost per week beside the capacity plan's."""
    from planning.capacity.reconcile import reconcile_plans

    capacity = capacity if capacity is not None else st.session_state.get(CAPACITY_KEY)
    st.markdown("**Weekly plan vs capacity plan cost**")
    if found is None or found.result is None:
        st.caption("No plan of record yet, so nothing to reconcile.")
        return
    if capacity is None:
        st.caption("Open **Capacity & hiring** and compute the plan: the two costs are then reconciled here.")
        return
    try:
        rec = reconcile_plans(found.result, capacity)
    except (ValueError, KeyError) as exc:
        widgets.error_box(f"The two plans could not be reconciled ({exc})",
                          "Recompute the capacity plan for the same inputs.")
        return
    head, *parts = rec.lines()
    st.markdown(plain(head))
    st.markdown("\n".join(f"- {plain(p)}" for p in parts))
