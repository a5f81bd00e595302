"""Weekly plan cost vs capacity plan cost on a hand-computed case, and the weeks at risk that
no hire can reach."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from planning.capacity.reconcile import reconcile, weeks_within_lead

WEEKS = pd.date_range("2027-01-04", periods=4, freq="7D", tz="UTC")


def _capacity_weekly():
    salary = {"A": [9000, 9000, 9500, 10000], "B": [8000, 8000, 8500, 10000]}  # totals 17k 17k 18k 20k
    return pd.concat([pd.DataFrame({"week_start": WEEKS, "site": s, "salary_cost": v,
                                    "hiring_cost": [0, 1000, 1000, 0] if s == "A" else 0.0})
                      for s, v in salary.items()], ignore_index=True)


def test_reconciliation_by_hand():
    # two weeks of plan: A 800 paid h at 10 + 400 night premium, B 400 paid h at 20
    plan = pd.DataFrame({"site": ["A", "B"], "paid_hours": [800.0, 400.0], "cost": [8400.0, 8000.0]})
    rec = reconcile(plan, 2.0, {"A": 10.0, "B": 20.0}, _capacity_weekly(), 74000.0, 4, "USD")
    assert rec.weekly_cost == pytest.approx(8200.0)          # (8400 + 8000) / 2
    assert rec.capacity_cost == pytest.approx(18500.0)       # 74000 / 4
    parts = {p.name.split(" (")[0]: p.amount for p in rec.parts}
    assert parts == pytest.approx({
        "night premium in the weekly plan": -200.0,          # 8200 - (800x10 + 400x20) / 2
        "payroll in the capacity plan's first week vs the plan week's scheduled paid hours": 9000.0,  # 17000 - 8000
        "payroll change over the 4 weeks": 1000.0,           # mean 18000 - 17000
        "hiring and training": 500.0})                       # 2000 / 4
    assert sum(parts.values()) == pytest.approx(rec.difference) == pytest.approx(10300.0)
    head, *lines = rec.lines()
    assert "USD 8,200 / week" in head and "USD 18,500 / week" in head and "USD +10,300 / week" in head
    assert "over 4 weeks" in head and len(lines) == 4


def test_unexplained_capacity_cost_is_named_not_hidden():
    plan = pd.DataFrame({"site": ["A"], "paid_hours": [400.0], "cost": [4000.0]})
    rec = reconcile(plan, 1.0, {"A": 10.0, "B": 20.0}, _capacity_weekly(), 74400.0, 4, "EUR")
    assert rec.parts[-1].name == "other capacity cost (not split)"
    assert rec.parts[-1].amount == pytest.approx(100.0)     # 74400/4 - 18000 - 500
    assert sum(p.amount for p in rec.parts) == pytest.approx(rec.difference)


def _plan(lead_weeks: int, training_weeks: int = 1):
    supply = [SimpleNamespace(recruiting_lead_weeks=lead_weeks, training_weeks=training_weeks)] * 3
    problem = SimpleNamespace(
        weeks=pd.DatetimeIndex(WEEKS), T=4, freeze_weeks=0, supply=supply, sites=["A", "B", "C"],
        pairs=[("q", "M")], certified=[(0, 0), (1, 0)], hours_per_fte=lambda s: 30.0)
    weekly = pd.DataFrame({
        "week_start": list(WEEKS) * 3, "site": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
        "vendor": ["V1"] * 4 + ["V2"] * 4 + ["V3"] * 4,
        "demand_fte": [12, 12, 10, 10] + [5] * 4 + [2] * 4,
        "supply_fte": [10, 10, 10, 10] + [6.5] * 4 + [9] * 4,
        "short_fte": [2, 2, 0, 0] + [0] * 4 + [0] * 4,
        "headcount": [12.0] * 4 + [8.0] * 4 + [10.0] * 4})
    totals = pd.DataFrame({"week_start": WEEKS, "demand_fte": [19, 19, 17, 17], "short_fte": [2, 2, 0, 0]})
    pairs = pd.DataFrame({"week_start": WEEKS, "queue": "q", "market": "M", "short_fte": [2, 2, 0, 0]})
    return SimpleNamespace(problem=problem, weekly=weekly, totals=totals, pairs=pairs)


def test_weeks_inside_the_lead_time_say_what_can_cover_them():
    got = weeks_within_lead(_plan(lead_weeks=1))  # first hire productive in week index 2
    assert list(got["week_start"]) == list(WEEKS[:2])
    first = got.iloc[0]
    assert first["reach_week"] == WEEKS[2]
    assert first["short_hours"] == pytest.approx(2 * 30.0)
    assert first["overtime_hours_per_agent"] == pytest.approx(60.0 / 12.0)
    # B is certified for the short pair with 1.5 FTE room; C has room but no certification
    assert first["spare_fte"] == pytest.approx(1.5) and first["spare_sites"] == "B (V2) 1.5 FTE"


def test_weeks_hiring_can_reach_are_not_listed():
    # no lead time, one training week: hires are productive from the second week
    assert list(weeks_within_lead(_plan(lead_weeks=0))["week_start"]) == [WEEKS[0]]
    assert weeks_within_lead(_plan(lead_weeks=0, training_weeks=0)).empty
