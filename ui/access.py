"""Who is using the app (not a page): optional OIDC sign-in and roles.

Without an ``[auth]`` section in ``.streamlit/secrets.toml`` the app is open to one
local user (a planner, or the role in ``[access] local_role``); run it on localhost
only. With ``[auth]`` configured, people sign in through ``st.login`` and their e-mail
(or the claim in ``[access] identity_claim``) is looked up exactly in the roles
(``[access.users]`` in the secrets or a roles file); an e-mail must be verified by the provider. The
restriction itself lives in ``planning.access``; this module only gathers the facts.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from planning.access import (
    LOCAL_USER,
    DEFAULT_IDENTITY_CLAIM,
    AccessError,
    Principal,
    SignInRefused,
    parse_role,
    resolve_principal,
    roles_from_file,
    roles_from_mapping,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROLES_FILE = ROOT / ".streamlit" / "roles.toml"
ROLES_FILE_ENV = "PLANNER_ROLES_FILE"


def _secret(section: str) -> dict:
    """A secrets section as a plain dict; {} when there are no secrets at all."""
    try:
        if section in st.secrets:
            return dict(st.secrets[section])
    except Exception:  # no secrets.toml: Streamlit raises on access; that means "not configured"
        pass
    return {}


def auth_configured() -> bool:
    return bool(_secret("auth"))


@st.cache_data(show_spinner=False, ttl=60)
def _roles_file(path: str, mtime: float) -> dict[str, Principal]:
    return roles_from_file(path)


def _roles(settings: dict) -> dict[str, Principal]:
    roles: dict[str, Principal] = {}
    path = settings.get("roles_file") or os.environ.get(ROLES_FILE_ENV)
    path = Path(path) if path else (DEFAULT_ROLES_FILE if DEFAULT_ROLES_FILE.exists() else None)
    if path is not None:
        if not path.is_absolute():
            path = ROOT / path
        mtime = path.stat().st_mtime if path.exists() else 0.0
        roles.update(_roles_file(str(path), mtime))
    if settings.get("users"):
        roles.update(roles_from_mapping(settings["users"]))
    return roles


def _local_user(settings: dict) -> Principal:
    if not settings.get("local_role"):
        return LOCAL_USER
    return Principal(name="local user", role=parse_role(settings["local_role"]),
                     vendor=settings.get("local_vendor") or None)


def current_principal() -> Principal:
    """The signed-in person, or the local user; stops the page when nobody may see it."""
    settings = _secret("access")
    configured = auth_configured()
    try:
        if configured and not st.user.is_logged_in:
            st.title("T&S Workforce Planner")
            st.info("Sign in with your company account to see the plans.", icon=":material/lock:")
            st.button("Sign in", key="access_login", on_click=st.login, type="primary")
            st.stop()
        user_info = st.user.to_dict() if configured else None
        principal = resolve_principal(configured, user_info, _roles(settings),
                                      settings.get("default_role"), _local_user(settings),
                                      claim=str(settings.get("identity_claim") or DEFAULT_IDENTITY_CLAIM))
    except SignInRefused as exc:
        st.error(f"Sign-in refused: {exc}.", icon=":material/block:")
        st.button("Sign out", key="access_logout_refused", on_click=st.logout)
        st.stop()
    except AccessError as exc:
        st.error(f"The access configuration has a problem: {exc}. Fix `.streamlit/secrets.toml` "
                 "or the roles file, then reload.", icon=":material/error:")
        st.stop()
    if principal is None:
        st.error("Your account has no role in this planner yet. Ask a planner to add your e-mail "
                 "to the roles file.", icon=":material/block:")
        st.button("Sign out", key="access_logout_denied", on_click=st.logout)
        st.stop()
    return principal


def sidebar_identity(principal: Principal) -> None:
    """Who is signed in, in the sidebar (plain text, never HTML)."""
    with st.sidebar:
        st.caption(f"Signed in as {principal.label}" if auth_configured() else f"Open local session: {principal.label}")
        if auth_configured():
            st.button("Sign out", key="access_logout", on_click=st.logout)
