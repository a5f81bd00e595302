"""Who may see and do what: roles, and role-based filtering of an Operation.

Three roles:

- ``planner``: sees everything, may upload inputs, run plans and scenarios, export.
- ``viewer`` (leadership, read-only): sees everything, changes nothing.
- ``vendor_manager``: restricted to one vendor. Sees only that vendor's sites and the
  rows tied to them (certifications, shifts, site adjustments, any per-site table), and
  only the queue x market pairs those sites are certified for (volume, queues, markets,
  events). May export their plan.

The restriction is applied here, to the data, not by hiding pages: the UI asks
``restrict_operation`` for the operation it renders, and ``restrict_frame`` for every
plan frame, so a page that forgets to hide something still cannot show another vendor's
rows.  Nothing here imports streamlit; ``ui.access`` gathers who is signed in.
"""
from __future__ import annotations

import csv
import dataclasses
import getpass
import io
import os
import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Mapping

import pandas as pd

from planning.domain import ALL, Operation


class Role(str, Enum):
    viewer = "viewer"
    planner = "planner"
    vendor_manager = "vendor_manager"


# What each role may do.  Every mutating action goes through ``require(principal, action)``
# in the core (the store, the job runner, the upload path); pages call ``can`` only to decide
# which controls to offer.
MUTATING_ACTIONS = frozenset({"upload", "solve", "run", "save", "delete", "duplicate", "publish"})
ACTIONS: dict[Role, frozenset[str]] = {
    Role.planner: frozenset({"view", "export"}) | MUTATING_ACTIONS,
    Role.viewer: frozenset({"view"}),
    Role.vendor_manager: frozenset({"view", "export"}),
}
KNOWN_ACTIONS = frozenset().union(*ACTIONS.values())


class AccessError(ValueError):
    """A role configuration that cannot be honoured (message says how to fix it)."""


@dataclass(frozen=True)
class Principal:
    """The person using the app. ``vendor`` is required for vendor managers."""

    name: str
    role: Role
    vendor: str | None = None

    def __post_init__(self):
        if self.role is Role.vendor_manager and not self.vendor:
            raise AccessError(
                f"'{self.name}' is a vendor_manager without a vendor; add vendor = \"...\" to their role entry"
            )

    @property
    def label(self) -> str:
        extra = f" ({self.vendor})" if self.vendor else ""
        return f"{self.name}: {self.role.value.replace('_', ' ')}{extra}"


# The open, unconfigured app on localhost: one user who may do everything.
LOCAL_USER = Principal(name="local user", role=Role.planner)


def operator(name: str | None = None) -> Principal:
    """Whoever runs the command line on the server: shell access to the data is planner access.
    Named ``name``, else ``$WFM_USER``, else the login name."""
    if not name:
        try:
            name = os.environ.get("WFM_USER") or getpass.getuser()
        except (KeyError, OSError):  # no login name (containers)
            name = "unknown"
    return Principal(name=name, role=Role.planner)


class Forbidden(PermissionError):
    """A signed-in person tried an action their role does not allow (message in words)."""


def can(principal: Principal, action: str) -> bool:
    if action not in KNOWN_ACTIONS:
        raise ValueError(f"unknown action '{action}'; use one of: {', '.join(sorted(KNOWN_ACTIONS))}")
    return action in ACTIONS[principal.role]


def require(principal: Principal | None, action: str) -> Principal:
    """``principal`` if their role allows ``action``; otherwise raise ``Forbidden``.

    Call it in the core, where the action happens, never only before showing a button."""
    if principal is None:
        raise Forbidden(f"sign in to {action}")
    if not can(principal, action):
        role = principal.role.value.replace("_", " ")
        raise Forbidden(f"{principal.name} ({role}) may not {action}; ask a planner")
    return principal


def parse_role(value: str) -> Role:
    text = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return Role(text)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise AccessError(f"unknown role '{value}'; use one of: {allowed}") from None


def roles_from_mapping(mapping: dict) -> dict[str, Principal]:
    """Role entries keyed by the identity claim's value, exactly as the provider sends it.

    Keys are matched exactly (no case folding): ``Ana@x.com`` and ``ana@x.com`` are two
    different people, because a provider may issue both.  Surrounding blanks in the file
    are dropped.  Accepted shapes (TOML / st.secrets): ``{"ana@x.com": "planner"}`` or
    ``{"bo@x.com": {"role": "vendor_manager", "vendor": "Vendor A"}}``.
    """
    out: dict[str, Principal] = {}
    for email, entry in dict(mapping).items():
        if isinstance(entry, str):
            role, vendor = entry, None
        elif hasattr(entry, "get"):
            role, vendor = entry.get("role", ""), entry.get("vendor")
        else:
            raise AccessError(f"role entry for '{email}' must be a role name or a table with role and vendor")
        key = str(email).strip()
        out[key] = Principal(name=key, role=parse_role(role), vendor=(str(vendor).strip() or None) if vendor else None)
    return out


def roles_from_text(text: str, suffix: str) -> dict[str, Principal]:
    """Parse a roles file: ``.toml`` (a [users] table) or ``.csv`` (email,role,vendor)."""
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AccessError(f"roles file is not valid TOML: {exc}") from None
        return roles_from_mapping(data.get("users", data))
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and not {"email", "role"} <= set(rows[0]):
            raise AccessError("roles CSV needs the columns email,role (and vendor for vendor managers)")
        return roles_from_mapping({r["email"]: {"role": r["role"], "vendor": r.get("vendor")} for r in rows})
    raise AccessError("roles file must end in .toml or .csv")


def roles_from_file(path: str | Path) -> dict[str, Principal]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AccessError(f"cannot read roles file {path}: {exc.strerror}") from None
    return roles_from_text(text, path.suffix.lower())


class SignInRefused(Forbidden):
    """The identity provider signed someone in, but not in a way we may trust (unverified e-mail)."""


DEFAULT_IDENTITY_CLAIM = "email"


def _verified(value) -> bool:
    # Some providers (AWS Cognito) send the claim as the string "true".
    return value is True or (isinstance(value, str) and value == "true")


def resolve_principal(
    auth_configured: bool,
    user_info: Mapping | None,
    roles: dict[str, Principal],
    default_role: str | None = None,
    local: Principal = LOCAL_USER,
    claim: str = DEFAULT_IDENTITY_CLAIM,
) -> Principal | None:
    """Who is this? ``None`` means signed in but not allowed in.

    Without sign-in configured the app is single-user: ``local`` (a planner unless the
    secrets say otherwise).  With sign-in, ``user_info`` is what the identity provider
    says about the person (``st.user``); the value of ``claim`` is looked up in ``roles``
    exactly, without case folding or trimming.  When the claim is the e-mail, the
    provider must also say ``email_verified`` is true, otherwise anyone who can register
    an unverified address (or a case variant of one) at the provider would sign in as
    its owner: ``SignInRefused``.  An unknown identity gets ``default_role`` if one is
    configured, otherwise no access.
    """
    if not auth_configured:
        return local
    if not user_info:
        return None
    key = user_info.get(claim)
    if not isinstance(key, str) or not key:
        return None
    if claim == "email" and not _verified(user_info.get("email_verified")):
        raise SignInRefused(
            f"the sign-in service did not confirm that {key} is verified (email_verified is not true); "
            "verify the address with the sign-in service, then sign in again")
    if key in roles:
        return dataclasses.replace(roles[key], name=key)
    if default_role:
        role = parse_role(default_role)
        if role is Role.vendor_manager:
            raise AccessError("default_role cannot be vendor_manager (a vendor manager needs a vendor)")
        return Principal(name=key, role=role)
    return None


def vendor_scope(principal: Principal) -> str | None:
    """The vendor whose data alone this principal works on; ``None`` = unrestricted."""
    return principal.vendor if principal.role is Role.vendor_manager else None


# --- data-layer restriction -------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """What a principal may see: ``None`` in a field means unrestricted."""

    vendors: frozenset[str] | None
    sites: frozenset[str] | None
    pairs: frozenset[tuple[str, str]] | None

    @property
    def unrestricted(self) -> bool:
        return self.sites is None


def scope_for(op: Operation, principal: Principal) -> Scope:
    if principal.role is not Role.vendor_manager:
        return Scope(None, None, None)
    sites = frozenset(s.site for s in op.sites.values() if s.vendor == principal.vendor)
    pairs = frozenset((c.queue, c.market) for c in op.certifications if c.site in sites)
    return Scope(frozenset({principal.vendor}), sites, pairs)


def restrict_frame(frame: pd.DataFrame | None, scope: Scope) -> pd.DataFrame | None:
    """Keep only the rows of ``frame`` the scope may see.

    Rows are matched on whichever of ``vendor``, ``site`` and ``queue``+``market`` the
    frame has (all that apply must match). A frame with none of these columns carries
    nothing vendor-specific and is returned whole.
    """
    if frame is None or scope.unrestricted:
        return frame
    keep = pd.Series(True, index=frame.index)
    if "vendor" in frame.columns:
        keep &= frame["vendor"].isin(scope.vendors)
    if "site" in frame.columns:
        keep &= frame["site"].isin(scope.sites)
    if {"queue", "market"} <= set(frame.columns) and "site" not in frame.columns:
        pairs = pd.MultiIndex.from_tuples(sorted(scope.pairs), names=["queue", "market"]) if scope.pairs else None
        if pairs is None:
            keep &= False
        else:
            keep &= pd.MultiIndex.from_frame(frame[["queue", "market"]].astype(str)).isin(pairs)
    elif "queue" in frame.columns and "site" not in frame.columns:
        keep &= frame["queue"].isin({q for q, _ in scope.pairs})
    elif "market" in frame.columns and "site" not in frame.columns:
        keep &= frame["market"].isin({m for _, m in scope.pairs})
    return frame.loc[keep].reset_index(drop=True)


def _event_visible(queue: str, market: str, scope: Scope) -> bool:
    return any((queue in (ALL, q)) and (market in (ALL, m)) for q, m in scope.pairs)


def restrict_operation(op: Operation, principal: Principal) -> Operation:
    """The operation as ``principal`` may see it (a new object; ``op`` is unchanged)."""
    scope = scope_for(op, principal)
    if scope.unrestricted:
        return op
    queues = {q for q, _ in scope.pairs}
    markets = {m for _, m in scope.pairs}
    changes = dict(
        queues={k: v for k, v in op.queues.items() if k in queues},
        markets={k: v for k, v in op.markets.items() if k in markets},
        sites={k: v for k, v in op.sites.items() if k in scope.sites},
        certifications=[c for c in op.certifications if c.site in scope.sites],
        shifts=[s for s in op.shifts if s.site in scope.sites],
        teams=[t for t in op.teams if t.site in scope.sites],
        volume=restrict_frame(op.volume, scope),
        events=[e for e in op.events if _event_visible(e.queue, e.market, scope)],
    )
    # Any other table the loader attaches (hiring, site adjustments, actuals, ...) is
    # filtered by its columns, so a new per-site table is restricted without edits here.
    for f in dataclasses.fields(op):
        value = getattr(op, f.name)
        if f.name not in changes and isinstance(value, pd.DataFrame):
            changes[f.name] = restrict_frame(value, scope)
    restricted = dataclasses.replace(op, **changes)
    for name, value in vars(op).items():  # attributes set outside the dataclass fields
        if name not in changes and isinstance(value, pd.DataFrame) and name not in {f.name for f in dataclasses.fields(op)}:
            setattr(restricted, name, restrict_frame(value, scope))
    return restricted
