"""Upload limits for the pages. Every uploaded file goes through the one core path, in
memory: ``planning.inputs.load_upload`` (Data page), ``planning.monitor.load_actuals_upload``
(Monitor) and ``planning.export.import_vendor_sheet`` (Export). They check the role, the
size (the ``max_upload_mb`` setting), the type by content, and the inflated size of all
parts in total and their ratios; no user-supplied file name ever becomes a path.
"""
from __future__ import annotations

from dataclasses import dataclass

from planning.inputs import Limits, sniff  # noqa: F401  (sniff: what the bytes are, for pages and tests)

# The ceiling of every upload [MB] (an assumption, one place). The operation's settings
# (max_upload_mb) may lower it, never raise it.
MAX_UPLOAD_MB = 50.0


@dataclass(frozen=True)
class UploadProblem:
    """Same shape as a validation problem, for problems found before the loader runs."""

    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    severity: str = "error"


def upload_limit_mb(settings=None) -> float:
    """The upload limit [MB]: the operation's ``max_upload_mb`` setting, at most ``MAX_UPLOAD_MB``."""
    configured = getattr(settings, "max_upload_mb", None)
    return min(MAX_UPLOAD_MB, float(configured)) if configured else MAX_UPLOAD_MB


def upload_limits(settings=None, **changes) -> Limits:
    """``planning.inputs.Limits`` for an upload under ``upload_limit_mb(settings)``."""
    return Limits.for_upload(upload_limit_mb(settings), **changes)
