"""Roles and the data-layer restriction (planning/access.py).

The reference is a hand-built operation where we know, row by row, what a vendor manager
of each vendor may see.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planning.access import (MUTATING_ACTIONS, Forbidden, require, SignInRefused, vendor_scope, operator,
    LOCAL_USER,
    AccessError,
    Principal,
    Role,
    can,
    resolve_principal,
    restrict_frame,
    restrict_operation,
    roles_from_file,
    roles_from_mapping,
    scope_for,
)
from planning.domain import Certification, Event, Market, Operation, Queue, ShiftTemplate, Site

UTC = dt.timezone.utc


def _op() -> Operation:
    queues = {
        "spam": Queue(queue="spam", sla_kind="deferred", sla_target=0.9, sla_within_hours=24, aht_seconds=30),
        "child_safety": Queue(queue="child_safety", sla_kind="deferred", sla_target=0.95,
                              sla_within_hours=1, aht_seconds=600, severe=True),
        "live": Queue(queue="live", sla_kind="live", sla_target=0.8, sla_within_seconds=60, aht_seconds=120),
    }
    markets = {
        "NA-EN": Market(market="NA-EN", timezone="America/New_York", holiday_country="US"),
        "APAC-JA": Market(market="APAC-JA", timezone="Asia/Tokyo", holiday_country="JP"),
    }
    site = dict(max_headcount=100, hourly_cost=10, shrinkage=0.3)
    sites = {
        "MNL": Site(site="MNL", vendor="Vendor A", timezone="Asia/Manila", **site),
        "HYD": Site(site="HYD", vendor="Vendor A", timezone="Asia/Kolkata", **site),
        "DUB": Site(site="DUB", vendor="Vendor B", timezone="Europe/Dublin", **site),
    }
    certs = [
        Certification(site="MNL", queue="spam", market="APAC-JA"),
        Certification(site="HYD", queue="spam", market="NA-EN"),
        Certification(site="DUB", queue="spam", market="NA-EN"),
        Certification(site="DUB", queue="child_safety", market="NA-EN"),
        Certification(site="DUB", queue="live", market="APAC-JA"),
    ]
    shifts = [ShiftTemplate(site=s, shift="early", start="06:00", paid_hours=9) for s in sites]
    ts = pd.Timestamp("2026-01-05T00:00Z")
    volume = pd.DataFrame(
        [(ts, q, m, 10.0) for q in queues for m in markets], columns=["timestamp", "queue", "market", "volume"]
    )
    events = [
        Event(event="election", start=dt.datetime(2026, 3, 1, tzinfo=UTC), end=dt.datetime(2026, 3, 8, tzinfo=UTC),
              queue="live", market="APAC-JA", volume_multiplier=3),
        Event(event="holiday", start=dt.datetime(2026, 1, 1, tzinfo=UTC), end=dt.datetime(2026, 1, 2, tzinfo=UTC)),
        Event(event="na spam wave", start=dt.datetime(2026, 2, 1, tzinfo=UTC),
              end=dt.datetime(2026, 2, 2, tzinfo=UTC), queue="spam", market="NA-EN"),
    ]
    adjustments = pd.DataFrame({"site": ["DUB", "MNL"], "start": [ts, ts], "end": [ts, ts],
                                "max_headcount": [0, 10], "shrinkage": [None, None]})
    return Operation(queues=queues, markets=markets, sites=sites, certifications=certs, shifts=shifts,
                     volume=volume, events=events, site_adjustments=adjustments)


VM_A = Principal("ana@vendor-a.com", Role.vendor_manager, "Vendor A")
VM_B = Principal("bo@vendor-b.com", Role.vendor_manager, "Vendor B")


def test_vendor_manager_sees_only_own_sites_and_tied_rows():
    op = _op()
    mine = restrict_operation(op, VM_A)
    assert set(mine.sites) == {"MNL", "HYD"}
    assert {c.site for c in mine.certifications} == {"MNL", "HYD"}
    assert {s.site for s in mine.shifts} == {"MNL", "HYD"}
    # pairs certified at Vendor A: spam x APAC-JA, spam x NA-EN -> never child_safety / live
    assert set(mine.queues) == {"spam"}
    assert set(mine.markets) == {"NA-EN", "APAC-JA"}
    assert set(map(tuple, mine.volume[["queue", "market"]].values)) == {("spam", "APAC-JA"), ("spam", "NA-EN")}
    assert [e.event for e in mine.events] == ["holiday", "na spam wave"]
    assert list(mine.site_adjustments["site"]) == ["MNL"]
    # the original is untouched
    assert set(op.sites) == {"MNL", "HYD", "DUB"} and len(op.volume) == 6


def test_other_vendor_gets_the_complement():
    mine = restrict_operation(_op(), VM_B)
    assert set(mine.sites) == {"DUB"}
    assert set(mine.queues) == {"spam", "child_safety", "live"}
    assert set(map(tuple, mine.volume[["queue", "market"]].values)) == {
        ("spam", "NA-EN"), ("child_safety", "NA-EN"), ("live", "APAC-JA")}
    assert [e.event for e in mine.events] == ["election", "holiday", "na spam wave"]


@pytest.mark.parametrize("role", [Role.planner, Role.viewer])
def test_planner_and_viewer_see_everything(role):
    op = _op()
    assert restrict_operation(op, Principal("x", role)) is op


def test_unknown_vendor_sees_nothing():
    mine = restrict_operation(_op(), Principal("z", Role.vendor_manager, "Vendor Z"))
    assert not mine.sites and not mine.queues and mine.volume.empty and mine.events == []


def test_restrict_frame_on_plan_frames():
    op = _op()
    scope = scope_for(op, VM_A)
    shifts = pd.DataFrame({"vendor": ["Vendor A", "Vendor B", "Vendor A"], "site": ["MNL", "DUB", "HYD"],
                           "headcount": [5, 7, 9]})
    assert restrict_frame(shifts, scope)["headcount"].tolist() == [5, 9]
    coverage = pd.DataFrame({"queue": ["spam", "live", "spam"], "market": ["NA-EN", "APAC-JA", "APAC-JA"],
                             "planned": [1, 2, 3]})
    assert restrict_frame(coverage, scope)["planned"].tolist() == [1, 3]
    # a vendor column alone is enough to filter (cost by vendor)
    cost = pd.DataFrame({"vendor": ["Vendor A", "Vendor B"], "cost": [1.0, 2.0]})
    assert restrict_frame(cost, scope)["cost"].tolist() == [1.0]
    # a spoofed site name on another vendor's row does not leak it
    mixed = pd.DataFrame({"vendor": ["Vendor B"], "site": ["MNL"], "x": [1]})
    assert restrict_frame(mixed, scope).empty


def test_actions_per_role():
    assert can(LOCAL_USER, "upload") and can(LOCAL_USER, "solve")
    assert not can(Principal("v", Role.viewer), "upload") and can(Principal("v", Role.viewer), "view")
    assert can(VM_A, "export") and not can(VM_A, "run")


@pytest.mark.parametrize("action", sorted(MUTATING_ACTIONS))
def test_only_planners_may_change_anything(action):
    assert require(LOCAL_USER, action) is LOCAL_USER
    for who in (Principal("v", Role.viewer), VM_A):
        with pytest.raises(Forbidden, match=f"may not {action}"):
            require(who, action)
    with pytest.raises(Forbidden, match="sign in"):
        require(None, action)


def test_an_unknown_action_is_a_bug_not_a_refusal():
    with pytest.raises(ValueError, match="unknown action"):
        can(LOCAL_USER, "sovle")


def _signed_in(email, verified=True, **extra):
    return {"is_logged_in": True, "email": email, "email_verified": verified, **extra}


def test_resolve_principal():
    roles = roles_from_mapping({"ana@vendor-a.com": {"role": "vendor manager", "vendor": "Vendor A"},
                                "lead@x.com": "viewer"})
    assert resolve_principal(False, None, roles) is LOCAL_USER
    assert resolve_principal(True, _signed_in("ana@vendor-a.com"), roles).vendor == "Vendor A"
    assert resolve_principal(True, _signed_in("lead@x.com"), roles).role is Role.viewer
    assert resolve_principal(True, _signed_in("stranger@x.com"), roles) is None  # no default: no access
    assert resolve_principal(True, _signed_in("stranger@x.com"), roles, default_role="viewer").role is Role.viewer
    assert resolve_principal(True, None, roles) is None
    assert resolve_principal(True, {"is_logged_in": True}, roles) is None  # no e-mail claim at all
    # Cognito sends the flag as a string
    assert resolve_principal(True, _signed_in("lead@x.com", "true"), roles).role is Role.viewer


PLANNER_ROLES = {"ana@example.com": "planner"}


@pytest.mark.parametrize("verified", [False, None, "false", "True", 1, "yes"])
def test_unverified_email_cannot_sign_in_as_anyone(verified):
    """The attack: register ana@example.com (unverified) at the provider and sign in as the planner."""
    roles = roles_from_mapping(PLANNER_ROLES)
    info = _signed_in("ana@example.com", verified)
    if verified is None:
        del info["email_verified"]  # a provider that does not say at all
    with pytest.raises(SignInRefused, match="not confirm that ana@example.com is verified"):
        resolve_principal(True, info, roles, default_role="viewer")


@pytest.mark.parametrize("variant", ["Ana@example.com", "ANA@EXAMPLE.COM", " ana@example.com", "ana@example.com "])
def test_a_case_or_blank_variant_is_another_person(variant):
    """The attack: a (verified) case variant of the planner's address. It is not the planner:
    without a default role no access, with one only that role, never the planner's."""
    roles = roles_from_mapping(PLANNER_ROLES)
    assert resolve_principal(True, _signed_in(variant), roles) is None
    who = resolve_principal(True, _signed_in(variant), roles, default_role="viewer")
    assert who.role is Role.viewer and who.name == variant
    # and an unverified variant is refused before any lookup
    with pytest.raises(SignInRefused):
        resolve_principal(True, _signed_in(variant, False), roles)


def test_configured_claim_is_matched_exactly_without_email_verification():
    roles = roles_from_mapping({"google-oauth2|1234": "planner"})
    info = {"is_logged_in": True, "sub": "google-oauth2|1234", "email": "x@example.com", "email_verified": False}
    assert resolve_principal(True, info, roles, claim="sub").role is Role.planner
    assert resolve_principal(True, {**info, "sub": "GOOGLE-OAUTH2|1234"}, roles, claim="sub") is None


def test_roles_keep_the_case_they_are_written_in():
    roles = roles_from_mapping({"Ana@Example.com": "planner", "ana@example.com": "viewer"})
    assert roles["Ana@Example.com"].role is Role.planner and roles["ana@example.com"].role is Role.viewer


def test_role_errors_say_how_to_fix():
    with pytest.raises(AccessError, match="one of: viewer, planner, vendor_manager"):
        roles_from_mapping({"a@x.com": "admin"})
    with pytest.raises(AccessError, match="without a vendor"):
        roles_from_mapping({"a@x.com": {"role": "vendor_manager"}})


def test_roles_files(tmp_path):
    toml = tmp_path / "roles.toml"
    toml.write_text('[users]\n"a@x.com" = "planner"\n"b@x.com" = {role = "vendor_manager", vendor = "Vendor B"}\n')
    roles = roles_from_file(toml)
    assert roles["a@x.com"].role is Role.planner and roles["b@x.com"].vendor == "Vendor B"
    csv = tmp_path / "roles.csv"
    csv.write_text("email,role,vendor\na@x.com,viewer,\nb@x.com,vendor_manager,Vendor A\n")
    roles = roles_from_file(csv)
    assert roles["a@x.com"].role is Role.viewer and roles["a@x.com"].vendor is None
    assert roles["b@x.com"].vendor == "Vendor A"
    with pytest.raises(AccessError, match="cannot read"):
        roles_from_file(tmp_path / "missing.toml")
