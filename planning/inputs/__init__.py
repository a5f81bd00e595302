"""Input tables: the schema, reading files and workbooks, validation with locations and fixes,
the blank template, local time.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "loading": ["load_operation", "load_upload"],
    "reading": ["Budget", "Limits", "MB", "inflate_upload", "read_csv_bytes"],
    "report": ["EXCERPT_CHARS", "MAX_ITEMISED", "Problem", "RawTable", "ValidationReport", "close_matches",
        "did_you_mean", "excerpt"],
    "schema": ["Column", "TABLES", "Table"],
    "sources": ["check_workbook_bytes", "read_tables", "read_upload", "sniff", "upload_too_large"],
    "template": ["format_markdown", "write_template"],
    "timezones": ["local_day_intervals", "local_to_utc_grid", "localize", "shift_utc_coverage",
        "shift_utc_span", "utc_to_local_grid"],
    "validation": ["check_columns", "check_references", "check_unique", "ns_to_index", "parse_column",
        "parse_number", "parse_timestamps", "pydantic_problems"],
    "volume_checks": ["check_volume"],
})
