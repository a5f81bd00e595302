"""Vendor workforce and capacity planner for Trust & Safety operations (core, no UI)."""

__version__ = "0.1.0"
