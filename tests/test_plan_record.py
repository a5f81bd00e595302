"""The plan of record (planning.plan_record): the baseline before any publication, publish and
read back exactly, who and when, the latest publication wins, and the roles: only planners
publish; a vendor manager reads only his vendor's rows, with their cost."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planning import plan_record as pr
from planning.access import Forbidden, Principal, Role, restrict_operation
from planning.scenarios import Store
from tests.export_cases import EVIL_VENDOR, tiny_result

PLANNER = Principal("ana@example.com", Role.planner)
VIEWER = Principal("lee@example.com", Role.viewer)
VENDOR_A = Principal("bo@example.com", Role.vendor_manager, vendor="Vendor A")
KEY = "abc123def456"
WHEN = dt.datetime(2026, 12, 4, 7, 10, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def result():
    return tiny_result()


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "plans.db")


def test_before_any_publish_the_plan_of_record_is_the_baseline(store, result):
    assert pr.latest_id(KEY, who=PLANNER, store=store) is None
    assert pr.current(KEY, result.operation, who=PLANNER, store=store) is None
    rec = pr.baseline_record(KEY, result, result.operation, PLANNER)
    assert rec.is_baseline and rec.result is result and rec.published_by is None
    days = result.requirements["timestamp"].nunique() / 24  # hourly intervals
    assert rec.weeks == pytest.approx(days / 7, abs=1e-3)
    per_week = result.plan.cost / (days / 7)
    assert rec.caption() == (f"Plan of record: the baseline (nothing published yet, USD {per_week:,.0f} / week"
                             f" ({days / 7:.3g} weeks planned))")


def test_publish_then_read_gives_back_exactly_what_was_published(store, result):
    published = pr.publish(KEY, result, who=PLANNER, store=store, now=WHEN)
    got = pr.current(KEY, result.operation, who=VIEWER, store=store)
    assert got.record_id == published.record_id and got.kind == "solved"
    assert got.published_by == "ana@example.com" and got.published_at == WHEN
    assert got.cost == result.plan.cost
    for name in pr.PLAN_FRAMES:
        want = getattr(result.plan, name)
        if want is None:
            assert getattr(got.result.plan, name) is None
        else:
            pd.testing.assert_frame_equal(getattr(got.result.plan, name), want)
    pd.testing.assert_frame_equal(got.result.requirements, result.requirements)
    pd.testing.assert_frame_equal(got.result.forecast, result.forecast)
    assert got.result.kpis == result.kpis and got.result.plan.options == result.plan.options
    assert got.result.plan.status == result.plan.status and got.result.plan.gap == result.plan.gap
    # the shifts with their headcounts, as published
    assert got.result.plan.shifts["headcount"].tolist() == result.plan.shifts["headcount"].tolist()
    per_week = result.plan.cost / got.weeks
    assert got.caption().startswith("Plan of record: solved plan published by ana@example.com at "
                                    f"2026-12-04 07:10 UTC, USD {per_week:,.0f} / week")


def test_the_latest_publication_wins_and_operations_are_separate(store, result):
    pr.publish(KEY, result, who=PLANNER, store=store, now=WHEN)
    later = pr.publish(KEY, result, who=PLANNER, store=store, kind="scenario", label="Surge +20%",
                       now=WHEN + dt.timedelta(hours=1))
    got = pr.current(KEY, result.operation, who=PLANNER, store=store)
    assert got.record_id == later.record_id and got.kind == "scenario" and got.label == "Surge +20%"
    assert "scenario's plan 'Surge +20%' published by" in got.caption()
    assert pr.current("another0key", result.operation, who=PLANNER, store=store) is None
    # durable: a new Store on the same file reads the same record
    again = pr.current(KEY, result.operation, who=PLANNER, store=Store(store.url))
    assert again.record_id == later.record_id


@pytest.mark.parametrize("who", [VIEWER, VENDOR_A], ids=["viewer", "vendor_manager"])
def test_only_planners_publish(store, result, who):
    with pytest.raises(Forbidden, match="may not publish"):
        pr.publish(KEY, result, who=who, store=store)
    assert pr.latest_id(KEY, who=PLANNER, store=store) is None


def test_vendor_manager_reads_only_his_vendors_rows(store, result):
    pr.publish(KEY, result, who=PLANNER, store=store, now=WHEN)
    mine = restrict_operation(result.operation, VENDOR_A)
    got = pr.current(KEY, mine, who=VENDOR_A, store=store)
    sites = {s for s, info in result.operation.sites.items() if info.vendor == "Vendor A"}
    assert sites == {"S1", "KTM"}
    plan = got.result.plan
    for name in ("shifts", "allocation", "cost_by_site"):
        assert set(getattr(plan, name)["site"]) <= sites, name
    assert EVIL_VENDOR not in set(plan.shifts["vendor"]) | set(plan.cost_by_site["vendor"])
    full = result.plan.cost_by_site
    assert got.cost == pytest.approx(float(full.loc[full["site"].isin(sites), "cost"].sum()))
    assert got.cost < result.plan.cost
    assert set(got.result.kpis["headcount_by_site"]) <= sites
    assert got.vendor_scope == "Vendor A" and got.caption().endswith("; Vendor A's sites only")
    # the planner still reads the whole plan
    assert pr.current(KEY, result.operation, who=PLANNER, store=store).cost == result.plan.cost


def test_bad_keys_and_unsolved_plans_are_refused(store, result):
    with pytest.raises(pr.PlanRecordError, match="operation key"):
        pr.publish("../../etc/passwd", result, who=PLANNER, store=store)
    import dataclasses

    failed = dataclasses.replace(result, plan=dataclasses.replace(result.plan, status="infeasible"))
    with pytest.raises(pr.PlanRecordError, match="only a solved plan"):
        pr.publish(KEY, failed, who=PLANNER, store=store)
