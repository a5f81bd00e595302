"""The built-in sample operation: a seeded generator of history, the operation tables and a week
of actuals.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "actuals": ["generate_actuals", "write_actuals"],
    "generator": ["EVENTS", "HIRING", "MARKETS", "QUEUES", "SEED", "SETTINGS", "SITES",
        "balanced_site_load", "certification_rows", "generate_volume", "pair_workload_hours", "shift_rows",
        "sizing_summary", "write_gzip_deterministic"],
    "write": ["SampleOutput", "write_sample"],
})
