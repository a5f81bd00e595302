"""Headcount of a plan by site, with its teams nested: the Plan page's "Headcount" tab.

``team_headcount(op, shifts)`` returns one row per site (``level == "site"``) followed by
one row per team of that site (``level == "team"``).  A site without a teams table is one
team named after the site (``planning.teams``).  Columns:

* ``agent_days``: agents x shifts started in the horizon [agent-days]; ``paid_hours``:
  agents x paid hours of those shifts [h].  Both add up: a site's row is the sum of its
  teams' rows.
* ``peak_daily_headcount``: the most agents starting a shift on one local date [agents]
  (the quantity the daily cap bounds, ``constraints.daily_headcount_cap``).  A site's peak
  is the peak of its teams' daily sum, so it is at most the sum of its teams' peaks.
* ``max_headcount`` / ``min_headcount``: the cap and contract minimum [agents] (a team's
  own; a site's over all its teams); ``utilisation`` = peak / cap (NaN when the cap is 0).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.domain import Operation
from planning.teams import team_index, unit_column

COLUMNS = ["level", "vendor", "site", "team", "label", "agent_days", "paid_hours", "peak_daily_headcount",
           "max_headcount", "min_headcount", "utilisation"]


def _row(level, vendor, site, team, label, rows: pd.DataFrame, cap: int, minimum: int) -> dict:
    daily = rows.groupby("date_local")["headcount"].sum() if len(rows) else pd.Series(dtype=float)
    peak = int(daily.max()) if len(daily) else 0
    return {"level": level, "vendor": vendor, "site": site, "team": team, "label": label,
            "agent_days": int(rows["headcount"].sum()) if len(rows) else 0,
            "paid_hours": float((rows["headcount"] * rows["paid_hours"]).sum()) if len(rows) else 0.0,
            "peak_daily_headcount": peak, "max_headcount": int(cap), "min_headcount": int(minimum),
            "utilisation": peak / cap if cap > 0 else np.nan}


def team_headcount(op: Operation, shifts: pd.DataFrame) -> pd.DataFrame:
    """The plan's headcount per site, then per team of the site (module docstring)."""
    index = team_index(op)
    teams = {(t.site, t.team): t for t in getattr(op, "teams", None) or []}
    frame = shifts if shifts is not None else pd.DataFrame(columns=["site", "date_local", "headcount", "paid_hours"])
    units = unit_column(frame, index) if len(frame) else pd.Series([], dtype=object)
    out = []
    for site_id, site in op.sites.items():
        at_site = frame[frame["site"] == site_id] if len(frame) else frame
        out.append(_row("site", site.vendor, site_id, "", site_id, at_site, site.max_headcount, site.min_headcount))
        for unit in index.by_site.get(site_id, []):
            u = index.units[unit]
            rows = frame[units == unit] if len(frame) else frame
            if u.implicit:
                cap, minimum = site.max_headcount, site.min_headcount
            else:
                cap, minimum = teams[(site_id, u.team)].max_headcount, teams[(site_id, u.team)].min_headcount
            out.append(_row("team", site.vendor, site_id, u.team, index.label(unit) if not u.implicit
                            else f"{site_id} (no teams)", rows, cap, minimum))
    return pd.DataFrame(out, columns=COLUMNS)
