"""Long-range capacity and hiring: weekly demand, supply after attrition and ramp-up, the hiring
model and its check.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "check": ["Evaluation", "certified_links", "check_plan", "evaluate", "simulate", "split_classes"],
    "demand": ["DEFAULT_SCHEDULING_EFFICIENCY", "demand_hours", "fallback_weekly_volume", "horizon_weeks",
        "long_range_weekly_volume", "scheduling_efficiency"],
    "model": ["CUT_WEEKS", "ModelResult", "build", "class_weeks", "relax_and_fix", "solve"],
    "plan": ["CapacityPlan", "SHORT_WEEK_FTE", "SHORT_WEEK_SHARE", "UNCERTIFIED", "apply_levers_weekly",
        "cost_by_vendor_quarter", "monthly_totals", "plan_capacity", "plan_from_problem", "short_weeks",
        "write_excel"],
    "problem": ["CapacityProblem", "build_problem"],
    "room": ["add_room_cuts", "add_site_caps", "base_headcount", "room_inflow", "site_room"],
    "supply": ["PAID_HOURS_PER_FTE_WEEK", "SiteSupply", "SupplyLevers", "apply_supply_levers",
        "first_class_week", "productivity_at", "productivity_curve", "supply_from_table", "supply_units",
        "weekly_retention"],
})
