"""What the scenario store says when it cannot be used: ``StoreError`` for the request (unknown
scenario, newer schema) and ``StoreUnavailable`` for the database itself, with the cause in
words (disk full, read-only, unreachable) and what to do (``explain_database_error``).
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError



class StoreError(RuntimeError):
    """The store cannot be used (newer schema, unknown scenario); the message says why."""


class StoreUnavailable(StoreError):
    """The database itself failed (disk full, read-only, unreachable): the environment, not
    the request; the message says what is wrong and how to fix it."""


def explain_database_error(exc: BaseException, url: str) -> str:
    """What is wrong with the database behind ``url`` and how to fix it, in words."""
    parsed = make_url(url)
    where = parsed.database if url.startswith("sqlite") else parsed.render_as_string(hide_password=True)
    detail = str(getattr(exc, "orig", None) or exc).strip()
    found = detail.lower()
    if any(m in found for m in ("disk is full", "no space left", "could not extend file", "disk full")):
        return (f"the scenario database ({where}) cannot be written: the disk is full. Free space on that "
                "disk (or move the database with WFM_DB), then try again; nothing was saved")
    if any(m in found for m in ("readonly", "read-only", "read only", "permission denied")):
        return (f"the scenario database ({where}) is read-only for this server. Make the file and its "
                "folder writable by the server's user, or point WFM_DB at a writable database (on "
                "PostgreSQL a primary, not a read replica), then try again; nothing was saved")
    if any(m in found for m in ("unable to open", "connection refused", "could not connect", "timeout",
                                "timed out", "could not translate host", "name or service not known",
                                "connection to server", "server closed the connection")):
        return (f"the scenario database ({where}) cannot be reached. Check that the database server is "
                "running and reachable and that WFM_DB (a file path or a postgresql:// URL) is right, "
                "then try again")
    return f"the scenario database ({where}) failed: {detail}"


@contextmanager
def _explained(url: str):
    try:
        yield
    except DBAPIError as exc:  # the driver's own errors (OperationalError and kin)
        raise StoreUnavailable(explain_database_error(exc, url)) from exc
