"""Input tables: the schema, reading files and workbooks, validation with locations and fixes,
the blank template, local time.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "loading": ["load_operation"],
    "reading": ["Limits", "MB", "read_csv_bytes"],
    "report": ["MAX_ITEMISED", "Problem", "RawTable", "ValidationReport", "close_matches", "did_you_mean"],
    "schema": ["Column", "TABLES", "Table"],
    "sources": ["read_tables"],
    "template": ["format_markdown", "write_template"],
    "timezones": ["local_day_intervals", "local_to_utc_grid", "localize", "shift_utc_coverage",
        "shift_utc_span", "utc_to_local_grid"],
    "validation": ["check_columns", "check_references", "check_unique", "ns_to_index", "parse_column",
        "parse_number", "parse_timestamps", "pydantic_problems"],
    "volume_checks": ["check_volume"],
})
