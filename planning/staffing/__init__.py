"""Staffing maths: Erlang C / A for live queues, deferred backlog capacity, per-interval
requirements.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "abandonment": ["erlang_a", "erlang_a_int"],
    "basics": ["MAX_AGENTS", "UnreachableTarget", "erlang_b", "offered_load", "productive_agents",
        "scheduled_agents"],
    "deferred": ["DeferredTargetError", "agents_from_capacity", "capacity_from_agents", "capped_profile",
        "evaluate_backlog", "least_capacity_profile"],
    "erlang": ["calculator", "erlang_c", "required_agents", "service_level"],
    "requirements": ["COLUMNS", "INLINE_MODEL", "RequirementsError", "attainment_report",
        "compute_requirements", "seasonal_naive_forecast", "time_varying_requirements"],
})
