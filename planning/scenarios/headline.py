"""The headline of a comparison: what a scenario changes against its reference, in the
operation's currency and units, with the solver's noise taken out.

Each plan is within its gap of its own optimum, so a cost difference smaller than the two
gaps together (``gap_a x cost_a + gap_b x cost_b``) can come from the solver alone: such a
delta is reported as "within solver gap", never as a change.  The same relative noise is
applied to paid hours, agent-shifts and a site's headcount (the solver trades them for
cost).  Unmet workload below ``UNMET_NOISE_AGENT_HOURS`` is rounding (the LP's 1e-12s).

``headline(base, new)`` returns numbers; the page formats them (``ui.format``).
``site_moves`` explains, per site, why its headcount moved.
"""
from __future__ import annotations

import math

UNMET_NOISE_AGENT_HOURS = 0.5  # unmet workload below this is rounding, not a shortfall [agent-h]
HEADCOUNT_NOISE_AGENTS = 1.0  # a site moving by less than one agent has not moved [agents]


def _num(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def period(weeks) -> str:
    """'a week', 'a fortnight', 'over 3 weeks' (the horizon the totals cover)."""
    weeks = int(weeks or 1)
    return {1: "a week", 2: "a fortnight"}.get(weeks, f"over {weeks} weeks")


def gap_share(base: dict, new: dict) -> float:
    """The two plans' gaps added (a share of the objective; 0 when neither says)."""
    return sum(g for g in (_num(base.get("gap")), _num(new.get("gap"))) if g is not None)


def _delta(a, b, noise: float) -> dict | None:
    a, b = _num(a), _num(b)
    if a is None or b is None:
        return None
    d = b - a
    return {"base": a, "new": b, "delta": d, "pct": (100.0 * d / a) if a else None,
            "noise": noise, "within_gap": abs(d) <= noise}


def headline(base: dict, new: dict) -> dict:
    """The deltas of ``new`` against ``base`` (two KPI dicts of ``planning.pipeline.summarise``).

    Keys: ``currency``, ``weeks``, ``period``; ``cost``, ``paid_hours``, ``agent_shifts``,
    ``unmet_agent_hours``: ``{base, new, delta, pct, noise, within_gap}`` (None when a side
    lacks it); ``sla``: ``{base: (met, judged), new: (met, judged)}`` or None."""
    share = gap_share(base, new)
    cost_noise = sum((_num(k.get("gap")) or 0.0) * abs(_num(k.get("cost")) or 0.0) for k in (base, new))
    out = {"currency": new.get("currency") or base.get("currency") or "",
           "weeks": new.get("weeks") or base.get("weeks") or 1}
    out["period"] = period(out["weeks"])
    out["cost"] = _delta(base.get("cost"), new.get("cost"), cost_noise)
    for key in ("paid_hours", "agent_shifts"):
        ref = abs(_num(base.get(key)) or 0.0)
        out[key] = _delta(base.get(key), new.get(key), share * ref)
    out["unmet_agent_hours"] = _delta(base.get("unmet_agent_hours"), new.get("unmet_agent_hours"),
                                      UNMET_NOISE_AGENT_HOURS)
    sla = None
    if base.get("pairs_judged") and new.get("pairs_judged"):
        sla = {"base": (int(base.get("pairs_meeting_target") or 0), int(base["pairs_judged"])),
               "new": (int(new.get("pairs_meeting_target") or 0), int(new["pairs_judged"]))}
    out["sla"] = sla
    return out


def _rate(kpis: dict, site: str, op=None) -> float | None:
    hours = _num((kpis.get("paid_hours_by_site") or {}).get(site))
    cost = _num((kpis.get("cost_by_site") or {}).get(site))
    if hours and cost is not None:
        return cost / hours
    if op is not None and site in op.sites:
        return float(op.sites[site].hourly_cost)
    return None


def _lever_names(lever, site: str, op=None) -> bool:
    if getattr(lever, "site", None) == site:
        return True
    site_obj = getattr(lever, "site", None)
    if getattr(site_obj, "site", None) == site:  # add_site carries a Site
        return True
    vendor = getattr(lever, "vendor", None)
    return bool(vendor and op is not None and site in op.sites and op.sites[site].vendor == vendor)


def site_moves(base: dict, new: dict, *, op=None, levers=()) -> list[dict]:
    """Sites whose busiest-day headcount moved beyond noise, each with the reasons in words.

    Returns ``[{site, base, new, delta, reasons}]`` (largest moves first).  Reasons, in
    order: a lever that names the site (or its vendor); the site at its cap; work moving
    to a cheaper (or another) site that grew; less or more work overall; else the solver's
    choice among near-equal plans.  ``op`` (the scenario's operation) gives caps and rates."""
    a, b = base.get("headcount_by_site") or {}, new.get("headcount_by_site") or {}
    share = gap_share(base, new)
    currency = new.get("currency") or base.get("currency") or ""
    deltas = {s: float(b.get(s, 0)) - float(a.get(s, 0)) for s in sorted(set(a) | set(b))}
    noise = {s: max(HEADCOUNT_NOISE_AGENTS, share * float(a.get(s, 0))) for s in deltas}
    moved = {s: d for s, d in deltas.items() if abs(d) >= noise[s]}
    hours = headline(base, new)["paid_hours"]
    out = []
    for site, d in sorted(moved.items(), key=lambda kv: -abs(kv[1])):
        reasons = [f"lever: {lever.describe()}" for lever in levers if _lever_names(lever, site, op)]
        if site not in b:
            reasons.append("the site is not in this scenario")
        cap = op.sites[site].max_headcount if op is not None and site in op.sites else None
        if cap is not None and d > 0 and float(b.get(site, 0)) >= cap - 0.5:
            reasons.append(f"it is at its cap of {cap:,} agents")
        if d < 0:
            mine = _rate(new, site, op)
            gainers = [s for s, x in moved.items() if x > 0 and s != site]
            for other in gainers:
                theirs = _rate(new, other, op)
                if mine is not None and theirs is not None and theirs < mine - 1e-9:
                    reasons.append(f"its work moved to cheaper {other} (+{moved[other]:,.0f} agents; "
                                   f"{currency} {theirs:,.2f}/h there vs {currency} {mine:,.2f}/h here)")
                else:
                    reasons.append(f"work moved to {other} (+{moved[other]:,.0f} agents)")
        if hours and not hours["within_gap"] and (hours["delta"] < 0) == (d < 0) and hours["pct"] is not None:
            reasons.append(f"{'less' if hours['delta'] < 0 else 'more'} work overall "
                           f"(paid hours {hours['pct']:+.1f}%)")
        if not reasons:
            reasons.append("the solver's choice among plans of near-equal cost")
        out.append({"site": site, "base": float(a.get(site, 0)), "new": float(b.get(site, 0)), "delta": d,
                    "reasons": reasons})
    return out
