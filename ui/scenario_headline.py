"""The headline of a scenario against its reference, the per-site headcount moves in words, and
the comparison table formatted for reading (units, currency, noise hidden).

Numbers come from ``planning.scenarios.headline``; this module only words and formats them.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from planning.scenarios.headline import UNMET_NOISE_AGENT_HOURS, gap_share, headline, site_moves
from ui import format as fmt

WITHIN_GAP = "within solver gap"


def headline_text(h: dict) -> str:
    """'+USD 38.3k (+4.4%) a fortnight; +212 agent-shifts; SLA met 34/34 -> 33/34'."""
    cur = h["currency"]
    parts = []
    cost = h.get("cost")
    if cost:
        if cost["within_gap"]:
            parts.append(f"cost {WITHIN_GAP} (±{fmt.fmt_money_compact(cost['noise'], cur)}) {h['period']}")
        else:
            parts.append(f"{fmt.fmt_money_compact(cost['delta'], cur, signed=True)} "
                         f"({fmt.fmt_pct_change(cost['pct'])}) {h['period']}")
    shifts = h.get("agent_shifts")
    if shifts:
        parts.append(f"agent-shifts {WITHIN_GAP}" if shifts["within_gap"]
                     else fmt.fmt_delta(shifts["delta"], "agent-shifts"))
    unmet = h.get("unmet_agent_hours")
    if unmet and not unmet["within_gap"]:
        parts.append(f"unmet workload {fmt.fmt_delta(unmet['delta'], 'agent-h', 1)}")
    sla = h.get("sla")
    if sla:
        (a, n), (b, m) = sla["base"], sla["new"]
        parts.append(f"SLA met {a}/{n} -> {b}/{m} queue x markets (agent-level simulation)")
    return "; ".join(parts)


def render_headline(base: dict, kpis: dict, *, op=None, levers=(), label: str = "this scenario") -> None:
    """The headline and the site moves of ``kpis`` against ``base``."""
    h = headline(base, kpis)
    st.markdown(f"**{fmt.plain(label)} vs baseline: {fmt.plain(headline_text(h))}**")
    moves = site_moves(base, kpis, op=op, levers=levers)
    if moves:
        lines = [f"- {fmt.plain(m['site'])}: {m['base']:,.0f} -> {m['new']:,.0f} agents "
                 f"({fmt.fmt_delta(m['delta'], 'agents')}, busiest day): {fmt.plain('; '.join(m['reasons']))}"
                 for m in moves]
        st.markdown("Headcount moves by site:\n" + "\n".join(lines))


_METRIC_LABELS = {"cost": "Cost", "paid_hours": "Paid hours", "unmet_agent_hours": "Unmet workload",
                  "headcount_site": "Headcount, site (busiest day)",
                  "headcount_vendor": "Headcount, vendor (busiest day)",
                  "attainment_predicted": "SLA attainment, predicted (fluid model)",
                  "attainment_simulated": "SLA attainment, simulated (agent level)",
                  "attainment_target": "SLA target"}


def _value(x, unit: str, currency: str) -> str:
    if unit == "currency":
        return fmt.fmt_money(x, currency)
    if unit == "share":
        return fmt.fmt_share(x, 1)
    return fmt.fmt_number(x, unit, 1 if unit == "agent-h" else 0)


def _change(d, unit: str, currency: str) -> str:
    if unit == "currency":
        return fmt.fmt_delta(d, digits=0, currency=currency)
    if unit == "share":
        return fmt.fmt_delta(None if d is None else 100 * d, "points", 1)
    return fmt.fmt_delta(d, unit, 1 if unit == "agent-h" else 0)


def readable_compare(table: pd.DataFrame, kpis: list[dict], names: list[str]) -> pd.DataFrame:
    """``compare``'s tidy table as one text row per KPI: every number formatted with its unit
    and currency, and a delta smaller than the solver's noise shown as 'within solver gap'."""
    currency = next((k.get("currency") for k in kpis if k.get("currency")), "")
    base = kpis[0]
    rows = []
    for (metric, scope, unit), g in table.groupby(["metric", "scope", "unit"], sort=False):
        row = {"KPI": _METRIC_LABELS.get(metric, metric), "Scope": scope}
        by = g.set_index("scenario")
        for name, k in zip(names, kpis):
            if name not in by.index:
                continue
            value, delta = by.at[name, "value"], by.at[name, "delta"]
            row[name] = _value(None if pd.isna(value) else float(value), unit, currency)
            if name == names[0]:
                continue
            share = gap_share(base, k)
            ref = by.at[names[0], "value"] if names[0] in by.index else None
            if pd.isna(delta):
                text = "–"
            elif metric == "unmet_agent_hours" and abs(delta) < UNMET_NOISE_AGENT_HOURS:
                text = "±0 (rounding)"
            elif metric in ("cost", "paid_hours", "headcount_site", "headcount_vendor") and ref is not None \
                    and not pd.isna(ref) and abs(delta) <= share * abs(float(ref)) and delta != 0:
                text = WITHIN_GAP
            else:
                text = _change(float(delta), unit, currency)
            row[f"Δ {name}"] = text
        rows.append(row)
    return pd.DataFrame(rows)
