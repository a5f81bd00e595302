"""The scenario store on SQLite and on a real PostgreSQL server (tests/pg.py).

Independent checks: round trips compare with the objects we wrote; concurrency and
crash tests count rows with plain SQL written here, not with the store's own readers;
the migration test builds the version-1 database with raw SQL.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from planning.access import Principal, Role
from planning.scenarios import store as store_mod
from planning.scenarios import Scenario
from planning.scenarios import Store, StoreError
from tests.pg import INSTALL_HINT, fresh_database, pg_server
from tests.store_workers import KILL_WORKER, WORKER

ROOT = Path(__file__).resolve().parents[2]
PLANNER = Principal("pm@example.com", Role.planner)
PY = sys.executable


@pytest.fixture(scope="module")
def pg_admin_url():
    try:
        with pg_server() as url:
            yield url
    except RuntimeError as exc:  # missing PostgreSQL is a failure, never a skip
        pytest.fail(f"{exc}\n{INSTALL_HINT}")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'scenarios.db'}"
    return fresh_database(request.getfixturevalue("pg_admin_url"))


def _scenario(name="Election surge", **extra) -> Scenario:
    data = dict(
        name=name, base="data/sample", notes="line 1\nline 2 — 'quoted' \"double\" ; DROP TABLE scenarios; --",
        levers=[
            {"kind": "surge", "event": "Brazil election", "queue": "civic_integrity", "market": "LATAM-PT",
             "start": "2026-10-01", "end": "2026-10-15", "multiplier": 3},
            {"kind": "aht_change", "start": "2026-10-05T06:00:00+02:00", "percent": 20, "learning_weeks": 4},
            {"kind": "site_outage", "site": "MNL-A", "start": "2026-10-02", "end": "2026-10-05"},
            {"kind": "add_site", "site": {"site": "NEW", "vendor": "Vendor Z", "timezone": "Europe/Lisbon",
                                          "max_headcount": 40, "hourly_cost": 21.5, "shrinkage": 0.3,
                                          "night_start": "23:00"},
             "certifications": [{"queue": "spam", "market": "EU-PT"}],
             "shifts": [{"shift": "day", "start": "08:00", "paid_hours": 8.5}]},
        ],
        settings={"weeks": 3, "start": "2026-10-01", "time_limit_seconds": 12.5},
    )
    data.update(extra)
    return Scenario(**data)


def _count(url: str, sql: str, **params):
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()


def test_round_trip_keeps_every_field(db_url):
    store = Store(db_url)
    parent_id = store.save(_scenario("parent"), who=PLANNER)
    original = _scenario("  Wahl '26 \"Überraschung\" 🗳  ", parent_id=parent_id)
    sid = store.save(original, who=PLANNER)
    back = store.get(sid, who=PLANNER)
    fields = set(Scenario.model_fields) - {"id", "created_at", "created_by", "vendor_scope"}
    assert back.model_dump(include=fields) == original.model_dump(include=fields)
    assert back.id == sid and back.created_by == "pm@example.com: planner" and back.parent_id == parent_id
    assert back.created_at.tzinfo is not None
    assert abs((dt.datetime.now(dt.timezone.utc) - back.created_at).total_seconds()) < 120
    assert [lever.describe() for lever in back.levers] == [lever.describe() for lever in original.levers]
    assert store.find(original.name, who=PLANNER).id == sid and store.find(f"#{sid}", who=PLANNER).id == sid
    kpis = {"cost": 1234.5, "paid_hours": 80.0, "headcount_by_site": {"MNL-A": 10},
            "attainment": [{"queue": "spam", "market": "NA-EN", "target": 0.9, "predicted": 0.93,
                            "simulated": float("nan")}]}
    store.save_result(sid, kpis, seconds=3.25, who=PLANNER)
    latest = store.latest_result(sid, who=PLANNER)
    assert latest["kpis"]["cost"] == 1234.5 and latest["kpis"]["attainment"][0]["simulated"] is None
    assert latest["seconds"] == 3.25
    summary = {row["id"]: row for row in store.list(who=PLANNER)}
    assert summary[sid]["levers"] == 4 and summary[sid]["runs"] == 1 and summary[parent_id]["runs"] == 0


def test_update_and_delete(db_url):
    store = Store(db_url)
    parent = store.save(_scenario("parent"), who=PLANNER)
    child = store.save(_scenario("child", parent_id=parent), who=PLANNER)
    store.save_result(child, {"cost": 1.0}, who=PLANNER)
    edited = store.get(child, who=PLANNER).model_copy(update={"notes": "edited", "levers": []})
    store.update(edited, who=PLANNER)
    again = store.get(child, who=PLANNER)
    assert again.notes == "edited" and again.levers == [] and store.latest_result(child, who=PLANNER) is None
    assert store.delete(parent, who=PLANNER) and not store.delete(parent, who=PLANNER)
    assert store.get(child, who=PLANNER).parent_id is None
    with pytest.raises(StoreError):
        store.get(parent, who=PLANNER)
    assert _count(db_url, "SELECT count(*) FROM levers WHERE scenario_id = :p", p=parent)[0][0] == 0




def test_eight_processes_save_concurrently_without_losses(db_url, tmp_path):
    Store(db_url)  # create the schema once, as the app does on start
    workers, per_worker = 8, 100
    go = tmp_path / "go"
    procs = [subprocess.Popen([PY, "-c", WORKER, db_url, str(w), str(per_worker), str(go)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w in range(workers)]
    for proc in procs:  # every worker has imported and opened the store: start together
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    failures = [e for r in reports for e in r["errors"]]
    assert failures == [] and sum(r["ok"] for r in reports) == workers * per_worker
    names = {row[0] for row in _count(db_url, "SELECT name FROM scenarios")}
    assert names == {f"w{w}-{i}" for w in range(workers) for i in range(per_worker)}  # 0 lost
    lever_rows = _count(db_url, "SELECT count(*) FROM levers")[0][0]
    assert lever_rows == 3 * workers * per_worker
    print(f"\nconcurrent saves [{db_url.split(':')[0]}]: attempted {workers * per_worker}, "
          f"found {len(names)}, lost {workers * per_worker - len(names)}, failed {len(failures)}")




def test_sigkill_mid_save_leaves_no_partial_scenario(db_url):
    Store(db_url)
    rounds, size = 8, 150
    rng = random.Random(11)
    for r in range(rounds):
        proc = subprocess.Popen([PY, "-c", KILL_WORKER, db_url, str(r), str(size)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        time.sleep(rng.uniform(0.15, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    per_scenario = _count(db_url, "SELECT s.id, s.name, count(l.position), min(l.position), max(l.position) "
                                  "FROM scenarios s LEFT JOIN levers l ON l.scenario_id = s.id "
                                  "GROUP BY s.id, s.name")
    assert len(per_scenario) >= rounds  # every round saved something before it was killed
    partial = [row for row in per_scenario if tuple(row[2:]) != (size, 0, size - 1)]
    assert partial == []
    orphans = _count(db_url, "SELECT count(*) FROM levers l WHERE NOT EXISTS "
                             "(SELECT 1 FROM scenarios s WHERE s.id = l.scenario_id)")[0][0]
    assert orphans == 0
    store = Store(db_url)
    assert store.integrity_check() == "ok"
    assert len(store.get(per_scenario[-1][0], who=PLANNER).levers) == size  # and the store still reads and writes
    store.save(_scenario("after the kills"), who=PLANNER)
    print(f"\nSIGKILL [{db_url.split(':')[0]}]: {rounds} kills survived, {len(per_scenario)} complete "
          f"scenarios, 0 partial")


def test_migration_from_v1_keeps_every_scenario(db_url):
    engine = create_engine(db_url)
    old = [
        ("baseline", "[]", None),
        ("surge 'quoted'\n", json.dumps([{"kind": "volume_change", "percent": 25, "queue": "spam"},
                                         {"kind": "site_cap", "site": "MNL-A", "start": "2026-03-01",
                                          "end": "2026-03-02", "max_headcount": 10}]),
         json.dumps({"cost": 99.5})),
        ("no kpis", json.dumps([{"kind": "remove_site", "site": "AUS-B"}]), None),
    ]
    with engine.begin() as conn:
        store_mod.create_v1_schema(conn)
        for i, (name, lever_json, kpis) in enumerate(old):
            conn.execute(text("INSERT INTO scenarios (name, base, settings, notes, parent_id, created_at, "
                              "levers, kpis) VALUES (:n, 'data/sample', :s, :notes, :p, :c, :l, :k)"),
                         dict(n=name, s=json.dumps({"weeks": 2}), notes=f"note {i}", p=1 if i else None,
                              c=dt.datetime(2026, 1, 1 + i, tzinfo=dt.timezone.utc), l=lever_json, k=kpis))
    engine.dispose()
    store = Store(db_url)
    assert store.version == 4 and "plan_records" in inspect(engine).get_table_names()
    rows = sorted(store.list(who=PLANNER), key=lambda r: r["id"])
    assert [r["name"] for r in rows] == [name for name, _, _ in old]
    for row, (name, lever_json, kpis) in zip(rows, old):
        got = store.get(row["id"], who=PLANNER)
        assert [lever.model_dump(mode="json", exclude_defaults=True) for lever in got.levers] == \
            [Scenario(name="x", base="x", levers=json.loads(lever_json)).levers[i].model_dump(
                mode="json", exclude_defaults=True) for i in range(len(json.loads(lever_json)))]
        assert got.settings.weeks == 2 and got.created_by == ""
        result = store.latest_result(row["id"], who=PLANNER)
        assert (result and result["kpis"]) == (json.loads(kpis) if kpis else None)
    assert rows[1]["parent_id"] == rows[0]["id"]
    new_id = store.save(_scenario("after upgrade"), who=PLANNER)
    assert store.get(new_id, who=PLANNER).name == "after upgrade"


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'future.db'}"
    Store(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    store_mod._READY.clear()
    with pytest.raises(StoreError, match="schema version 99"):
        Store(url)


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WFM_DB", str(tmp_path / "sub" / "dir" / "s.db"))
    store = Store()
    assert store.url == f"sqlite:///{tmp_path / 'sub' / 'dir' / 's.db'}"
    assert (tmp_path / "sub" / "dir" / "s.db").exists()
    assert store_mod.database_url("postgresql://u@h/db").startswith("postgresql+psycopg://")


def test_sqlite_is_in_wal_mode_and_writes_begin_immediate(tmp_path):
    store = Store(tmp_path / "w.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    # A write transaction holds the write lock from its first statement: a second writer
    # with a short timeout cannot even begin.
    import sqlite3

    with store.engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
        other = sqlite3.connect(tmp_path / "w.db", timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
