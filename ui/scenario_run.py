"""Running a scenario from the Scenarios page: the draft as a ``Scenario``, its baseline KPIs,
and the run in a child process with live progress and a Stop button.
"""
from __future__ import annotations

import json
import time

import streamlit as st

from planning.access import Forbidden, restrict_operation
from planning.scenarios import LeverError
from planning.scenarios.scenario import (PlanSettings, Scenario, ScenarioInputError)
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.scenario.run_scenario).
from planning.jobs import SolverCrashed
from planning.jobs import run_scenario_isolated as run_scenario
from ui import widgets
from ui import format as fmt
from ui.scenario_state import STOPPED, UNNAMED, _draft, base_operation


def _scenario_from_draft(run_only: bool = False) -> Scenario:
    """The draft as a Scenario; a run needs no name (only saving does)."""
    d = _draft()
    name = d["name"] if d["name"].strip() or not run_only else UNNAMED
    return Scenario(id=d["id"], name=name, base=d["base"], notes=d["notes"], levers=d["levers"],
                    settings=PlanSettings(**d["settings"]), parent_id=d["parent_id"])


def _signature(scenario: Scenario) -> str:
    """What a run's KPIs depend on (base, levers, settings): a saved result must match it."""
    return json.dumps({"base": scenario.base, "levers": scenario.levers_json(),
                       "settings": scenario.settings.model_dump(mode="json")}, sort_keys=True)


def _baseline_kpis(op, scenario: Scenario, who, progress) -> dict | None:
    """KPIs of the scenario's reference: the same base, horizon, first day, time limit and
    settings without levers (``planning.scenarios.reference``), computed now if not kept."""
    from planning.scenarios.reference import reference_kpis

    return reference_kpis(scenario, who=who, operation=op, run=run_scenario, progress=progress)


def _stop() -> None:
    st.session_state[STOPPED] = True


def _run(scenario: Scenario, who, key: str = "scn_stop") -> dict | None:
    """Run the scenario with progress; the outcome holds its KPIs and the baseline's."""
    with st.status("Running the scenario (forecast, levers, requirements, plan, simulation)...",
                   expanded=True) as status:
        st.button("Stop", icon=":material/stop_circle:", key=key,
                  on_click=_stop,
                  help="Stops the run within about a second (its process is ended); "
                       "the last result stays.")
        bar = st.progress(0.0, text="Starting...")
        try:
            op = restrict_operation(base_operation(scenario.base), who)
            t0 = time.perf_counter()
            result = run_scenario(scenario, who=who, operation=op, progress=lambda message, f: bar.progress(
                min(max(float(f), 0.0), 1.0), text=fmt.plain(message)))
            seconds = time.perf_counter() - t0
            if not scenario.levers:  # a no-lever run is its own reference
                from planning.scenarios.reference import remember_reference
                remember_reference(scenario, op, result.kpis)
            baseline = _baseline_kpis(op, scenario, who, lambda message, f: bar.progress(
                min(max(float(f), 0.0), 1.0), text=fmt.plain(f"Baseline (no levers, same settings): {message}")))
        except Forbidden as exc:
            problem, fix = f"Not allowed: {exc}.", None
        except ScenarioInputError as exc:
            problem, fix = str(exc), "Fix the base dataset (see the Data page) or pick another one."
        except LeverError as exc:
            problem, fix = str(exc), "Edit or remove the lever that names it."
        except SolverCrashed as exc:
            problem = f"The planning process stopped unexpectedly ({exc})."
            fix = "Run it again; if it happens again, shorten the horizon or lower the time limit."
        except Exception as exc:  # never a traceback on the page
            problem, fix = exc, None
        else:
            status.update(label=f"Scenario run finished in {seconds:.1f} s", state="complete", expanded=False)
            return {"kpis": result.kpis, "seconds": seconds, "baseline": baseline,
                    "signature": _signature(scenario),
                    "limit": scenario.settings.time_limit_seconds or op.settings.scenario_time_limit_seconds}
        status.update(label="The scenario run failed", state="error", expanded=False)
    widgets.error_box(problem, fix)
    return None
