"""Excel and CSV output: the plan workbook, vendor packs and their round trip, and the one
neutralising helper for cells.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "frames": ["shift_rows", "vendors"],
    "layout": ["Col", "Layout", "NOTE_FONT", "effective_print_pt", "finish_sheet", "page_headers", "sheet_text"],
    "roundtrip": ["RoundTripError", "import_vendor_sheet", "roundtrip_limits"],
    "safe": ["clean_text", "header_text", "is_risky", "neutralise_frame", "neutralise_text", "put", "safe_csv_bytes",
        "safe_sheet_title", "write_csv", "write_sheets"],
    "vendor_frames": ["plan_week", "team_matrix", "week_shift_rows", "workload_by_day", "workload_by_hour"],
    "workbook": ["build_workbook", "plan_summary", "vendor_files", "vendor_files_for", "vendor_pack_bytes",
        "vendor_sheet_titles", "workbook_bytes", "write_vendor_pack", "write_workbook", "zip_files"],
})
