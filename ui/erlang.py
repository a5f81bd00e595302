"""Erlang calculator: service level of a staffing, or agents needed for a target."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from planning.staffing import erlang as staffing
from ui import common
from ui import widgets
from ui import format as fmt

PAGE = {"title": "Erlang calculator", "icon": ":material/calculate:", "section": "Planning", "order": 20}


@st.cache_data(show_spinner=False, max_entries=64)
def _curve(volume: float, interval: float, aht: float, within: float, patience: float | None,
           keep: float, center: int) -> pd.DataFrame:
    """Service level, ASA and occupancy for whole agents around ``center``."""
    agents = np.arange(max(1, center - 8), center + 9)
    load = float(staffing.offered_load(volume, aht, interval))
    if patience is None:
        res = staffing.erlang_c(load, agents * keep, aht, within)
    else:
        res = staffing.erlang_a(load, agents * keep, aht, within, patience)
    return pd.DataFrame({"agents": agents, "service_level": res["service_level"],
                         "occupancy": res["occupancy"],
                         "asa_seconds": np.where(np.isfinite(res["asa_seconds"]), res["asa_seconds"], np.nan)})


def _inputs():
    c1, c2, c3, c4 = st.columns(4)
    volume = c1.number_input("Volume (items per interval)", min_value=0.0, value=100.0, step=10.0,
                             key="erlang_volume")
    interval = c2.selectbox("Interval (min)", [15, 30, 60], index=1, key="erlang_interval")
    aht = c3.number_input("AHT (s)", min_value=1.0, value=180.0, step=10.0, key="erlang_aht")
    within = c4.number_input("Answered within (s)", min_value=0.0, value=20.0, step=5.0,
                             key="erlang_within")
    c5, c6, c7, c8 = st.columns(4)
    mode = c5.radio("Calculate", ["Agents for a target", "Service level of a staffing"],
                    key="erlang_mode")
    if mode == "Agents for a target":
        target = c6.slider("Service-level target (%)", 50, 99, 80, key="erlang_target") / 100.0
        agents = None
    else:
        agents = c6.number_input("Agents", min_value=0.0, value=14.0, step=1.0, key="erlang_agents")
        target = None
    max_occ = c7.slider("Max occupancy (%)", 50, 100, 100, key="erlang_max_occ") / 100.0
    shrink = c8.slider("Shrinkage (%)", 0, 60, 0, key="erlang_shrinkage",
                       help="With shrinkage, agents are scheduled agents; productive = scheduled x (1 - shrinkage).")
    c9, c10 = st.columns(2)
    use_patience = c9.toggle("Callers abandon (Erlang A)", value=False, key="erlang_use_patience")
    patience = c10.number_input("Mean patience (s)", min_value=1.0, value=300.0, step=30.0,
                                key="erlang_patience", disabled=not use_patience)
    asa = st.number_input("ASA ceiling (s, 0 = none)", min_value=0.0, value=0.0, step=5.0,
                          key="erlang_asa", disabled=agents is not None)
    return dict(volume=volume, interval_minutes=float(interval), aht_seconds=aht,
                within_seconds=within, agents=agents, target=target,
                patience=patience if use_patience else None,
                asa_seconds=asa if (asa > 0 and agents is None) else None,
                max_occupancy=max_occ, shrinkage=(shrink / 100.0) or None)


def render() -> None:
    common.principal()
    st.title("Erlang calculator")
    st.caption("Erlang C (nobody abandons) or Erlang A (exponential patience). Service level = share of "
               "items answered within the deadline. Without shrinkage, agents are productive agents handling "
               "items. Formulas and sources: docs/staffing.md.")
    args = _inputs()
    try:
        out = staffing.calculator(**args)
    except staffing.UnreachableTarget as exc:
        widgets.error_box(str(exc), "Lower the target, or raise the occupancy cap or the ASA ceiling.")
        return
    details = out["details"]
    who = "scheduled agents" if args["shrinkage"] else "productive agents"
    cols = st.columns(5 if "p_abandon" in out else 4)
    cols[0].metric("Agents", fmt.fmt_number(out["agents"], who, 0 if isinstance(out["agents"], int) else 2),
                   help=(f"Fractional requirement {details['required_fractional']:.2f} {who}"
                         if "required_fractional" in details else None))
    cols[1].metric("Service level", fmt.fmt_share(out["service_level"]),
                   help=f"Answered within {args['within_seconds']:g} s")
    cols[2].metric("ASA", fmt.fmt_duration(out["asa_seconds"]), help="Average speed of answer [s]")
    cols[3].metric("Occupancy", fmt.fmt_share(out["occupancy"]))
    if "p_abandon" in out:
        cols[4].metric("Abandoned", fmt.fmt_share(out["p_abandon"]))
    st.caption(f"Offered load {details['load_erlangs']:.2f} Erlangs · probability of waiting "
               f"{fmt.fmt_share(out['p_wait'])} · productive agents {details['productive_agents']:.2f}")
    keep = 1.0 - (args["shrinkage"] or 0.0)
    curve = _curve(args["volume"], args["interval_minutes"], args["aht_seconds"], args["within_seconds"],
                   args["patience"], keep, int(round(out["agents"])))
    long = curve.melt("agents", ["service_level", "occupancy"], var_name="measure", value_name="share")
    long["measure"] = long["measure"].map({"service_level": "Service level", "occupancy": "Occupancy"})
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("agents:Q", title=f"Agents ({who})"),
        y=alt.Y("share:Q", title="Share (%)", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("agents:Q", title="Agents"), alt.Tooltip("measure:N"),
                 alt.Tooltip("share:Q", format=".1%", title="Value")])
    layers = [lines]
    if args["target"] is not None:
        layers.append(alt.Chart(pd.DataFrame({"target": [args["target"]]})).mark_rule(
            strokeDash=[4, 4], color="#64748b").encode(y="target:Q"))
    widgets.show_chart(alt.layer(*layers).properties(height=300, title="Service level and occupancy by agents"),
                      key="erlang_chart")
