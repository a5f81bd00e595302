"""The Scenarios page's lever form: one widget per lever field, choices from the operation,
and the list of levers in the draft.
"""
from __future__ import annotations

import datetime as dt
import json
import typing

import streamlit as st
from pydantic import ValidationError

from planning.scenarios import LEVER_KINDS, LeverError, explain, lever_date_defaults, lever_reach, parse_lever, plan_horizon
# Runs go to a child process: Stop kills it at once, and a native solver crash cannot
# take the server down (same arguments and result as planning.scenarios.scenario.run_scenario).
from ui import widgets
from ui import format as fmt
from ui.scenario_state import CHOICE_FIELDS, LAST_RUN, _draft


# ---------------------------------------------------------------- lever form
def _choices(op, field: str, required: bool) -> list[str]:
    values = list(getattr(op, CHOICE_FIELDS[field])) if op is not None else []
    values = sorted(values)
    return values if required else ["*", *values]


def _horizon(op):
    """The plan horizon of the draft's settings (None without a base operation)."""
    if op is None:
        return None
    s = _draft()["settings"]
    start = dt.date.fromisoformat(s["start"]) if s.get("start") else None
    return plan_horizon(op, int(s.get("weeks") or 1), start)


def _date_defaults(op) -> dict:
    if op is None:
        return {}
    s = _draft()["settings"]
    start = dt.date.fromisoformat(s["start"]) if s.get("start") else None
    return lever_date_defaults(op, int(s.get("weeks") or 1), start)


def _field_widget(kind: str, name: str, info, op):
    key = f"scn_lv_{kind}_{name}"
    label = name.replace("_", " ") + (f" — {info.description}" if info.description else "")
    annotation = info.annotation
    args = set(typing.get_args(annotation)) or {annotation}
    optional = type(None) in args
    if name in CHOICE_FIELDS and str in args and op is not None:
        return st.selectbox(label, _choices(op, name, info.is_required()), key=key,
                            help="* = every one")
    if dt.datetime in args:
        # defaults inside the plan horizon (it starts where the history ends), not today
        default = None if optional else _date_defaults(op).get(name, dt.date.today())
        hint = (" (UTC date, end exclusive: the first day NOT included)" if name == "end"
                else " (UTC date, included)")
        h = _horizon(op)
        day = st.date_input(label + hint, value=default, key=key,
                            help=("Empty = open-ended. " if optional else "")
                            + (f"The plan horizon is {h.label()} (end exclusive)." if h else ""))
        return None if day is None else day.isoformat()
    if float in args or int in args:
        default = info.default if isinstance(info.default, (int, float)) else 0
        step = 1 if int in args else 0.01 if "rate" in name or name == "change" else 1.0
        value = st.number_input(label, value=type(step)(default) if not optional else None, step=step, key=key)
        return value
    if str in args:
        return st.text_input(label, value=info.default if isinstance(info.default, str) else "", key=key)
    example = {"site": {"site": "NEW", "vendor": "Vendor Z", "timezone": "Europe/Lisbon", "max_headcount": 50,
                        "hourly_cost": 18.0, "shrinkage": 0.3},
               "certifications": [{"queue": "spam", "market": "EU-PT"}],
               "shifts": [{"shift": "day", "start": "08:00", "paid_hours": 8}]}.get(name, {})
    text = st.text_area(f"{label} (JSON)", value=json.dumps(example), key=key)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _lever_builder(op) -> None:
    kinds = list(LEVER_KINDS)
    kind = st.selectbox("Lever", kinds, key="scn_kind",
                        format_func=lambda k: f"{k.replace('_', ' ')} — "
                        f"{LEVER_KINDS[k].summary()}")
    h = _horizon(op)
    if h is not None:
        st.caption(f"Plan horizon: {fmt.plain(h.label())} (UTC, end exclusive): the history ends "
                   f"{fmt.fmt_utc(op.history_end)}. Dated levers count only inside it.")
    with st.form(f"scn_form_{kind}", clear_on_submit=False, border=True):
        values = {"kind": kind}
        for name, info in LEVER_KINDS[kind].model_fields.items():
            if name != "kind":
                values[name] = _field_widget(kind, name, info, op)
        if st.form_submit_button("Add lever", icon=":material/add:"):
            values = {k: v for k, v in values.items() if v is not None and v != ""}
            try:
                lever = parse_lever(values)
                if op is not None:
                    lever.apply_operation(op)  # checks the names it refers to
            except ValidationError as exc:
                widgets.error_box(explain(exc), "Fix the fields above and add the lever again.")
            except LeverError as exc:
                widgets.error_box(str(exc))
            else:
                _draft()["levers"].append(json.loads(lever.model_dump_json()))
                st.session_state.pop(LAST_RUN, None)
                st.rerun()


def _lever_list(op=None) -> None:
    draft = _draft()
    if not draft["levers"]:
        st.caption("No levers yet: this scenario is the baseline.")
    h = _horizon(op)
    for i, data in enumerate(list(draft["levers"])):
        lever = parse_lever(data)
        c1, c2 = st.columns([8, 2], vertical_alignment="center")
        c1.markdown(f"{i + 1}\\. {fmt.plain(lever.describe())}")
        reach = lever_reach(lever, op, h) if h is not None else None
        if reach is not None and reach.message:  # before the run: it changes nothing (or part of it)
            c1.warning(fmt.plain(reach.message), icon=":material/event_busy:")
        if c2.button("Remove", icon=":material/delete:", key=f"scn_rm_{i}", help="remove this lever"):
            draft["levers"].pop(i)
            st.session_state.pop(LAST_RUN, None)
            st.rerun()
