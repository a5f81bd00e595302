"""Roles and vendor scopes in the scenario store and the scenario runners (issue 17).

Each test performs the attack a tester ran against a real server and asserts it fails
safely: the refusal is ``Forbidden`` (or the scenario is "missing"), and the database,
counted with plain SQL written here, is unchanged.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, event, text

from planning import access
from planning.access import Forbidden, Principal, Role
from planning.scenarios import Scenario, Store, StoreError
from planning.scenarios import store_errors
from tests.pg import INSTALL_HINT, fresh_database, pg_server

PLANNER = Principal("pm@example.com", Role.planner)
VIEWER = Principal("lead@example.com", Role.viewer)
ASTER = Principal("bo@aster.example", Role.vendor_manager, vendor="Aster BPO")
BOREALIS = Principal("cy@borealis.example", Role.vendor_manager, vendor="Borealis CX")
READ_ONLY = [VIEWER, ASTER, BOREALIS]

# What planners wrote about other vendors: none of it may reach a vendor manager.
SECRETS = ["Aster BPO MNL-A renegotiation", "9.00 → 8.10/h", "Cobalt SAO-C exit Q3", "DUB-B", "KUL-B",
           "303703", "Cobalt"]
KPIS = {"cost": 303703.0, "paid_hours": 5000.0, "unmet_agent_hours": 0.0,
        "headcount_by_site": {"DUB-B": 40, "KUL-B": 25, "SAO-C": 12},
        "headcount_by_vendor": {"Cobalt": 12, "Dagda": 65}}


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


def _rows(url: str, sql: str):
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def _snapshot(url: str) -> tuple:
    return (_rows(url, "SELECT id, name, notes, created_by, vendor_scope FROM scenarios ORDER BY id"),
            _rows(url, "SELECT scenario_id, position, spec FROM levers ORDER BY scenario_id, position"),
            _rows(url, "SELECT id, scenario_id, kpis, vendor_scope FROM results ORDER BY id"))


def _seed(url: str) -> tuple[Store, int, int]:
    """Two planners' scenarios about other vendors' sites, one run, as in the finding."""
    store = Store(url)
    a = store.save(Scenario(name="Aster BPO MNL-A renegotiation", base="data/sample",
                            notes="9.00 → 8.10/h; Cobalt SAO-C exit Q3",
                            levers=[{"kind": "remove_site", "site": "SAO-C"}]), who=PLANNER)
    b = store.save(Scenario(name="Cobalt exit", base="data/sample",
                            levers=[{"kind": "site_outage", "site": "DUB-B", "start": "2026-10-02", "end": "2026-10-05"}]), who=PLANNER)
    store.save_result(b, KPIS, 12.0, who=PLANNER)
    return store, a, b


# ---------------------------------------------------------------- every role x every mutating action
ACTIONS = {
    "save": lambda store, a, b, who: store.save(Scenario(name="new", base="data/sample"), who=who),
    "update": lambda store, a, b, who: store.update(
        store.get(a, who=PLANNER).model_copy(update={"notes": "changed"}), who=who),
    "delete": lambda store, a, b, who: store.delete(a, who=who),
    "duplicate": lambda store, a, b, who: store.duplicate(a, who=who),
    "save_result": lambda store, a, b, who: store.save_result(a, {"cost": 1.0}, who=who),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", READ_ONLY + [None], ids=lambda w: getattr(w, "name", "nobody"))
def test_only_planners_change_the_store(db_url, action, who):
    store, a, b = _seed(db_url)
    before = _snapshot(db_url)
    with pytest.raises(Forbidden, match="may not|sign in"):
        ACTIONS[action](store, a, b, who)
    assert _snapshot(db_url) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_planners_may_change_the_store(db_url, action):
    store, a, b = _seed(db_url)
    before = _snapshot(db_url)
    ACTIONS[action](store, a, b, PLANNER)
    assert _snapshot(db_url) != before


def test_created_by_is_the_signed_in_person_not_the_server_user(db_url, monkeypatch):
    monkeypatch.setenv("WFM_USER", "streamlit-server")
    store, a, _ = _seed(db_url)
    copy = store.duplicate(a, who=Principal("zoe@example.com", Role.planner))
    assert _rows(db_url, f"SELECT created_by FROM scenarios WHERE id IN ({a}, {copy}) ORDER BY id") == \
        [("pm@example.com: planner",), ("zoe@example.com: planner",)]
    assert store.get(copy, who=PLANNER).parent_id == a


# ---------------------------------------------------------------- vendor managers see only their scope
def test_vendor_manager_never_sees_other_vendors_scenarios(db_url):
    store, a, b = _seed(db_url)
    for vm in (ASTER, BOREALIS):
        assert store.list(who=vm) == []
        seen = json.dumps(store.list(who=vm), default=str)
        for sid in (a, b):
            with pytest.raises(StoreError, match="no scenario"):
                store.get(sid, who=vm)
            with pytest.raises(StoreError, match="no scenario"):
                store.find(sid, who=vm)
            assert store.latest_result(sid, who=vm) is None  # Compare gets no KPIs
            seen += repr(store.latest_result(sid, who=vm))
        with pytest.raises(StoreError):
            store.find("Aster BPO MNL-A renegotiation", who=vm)
        assert not any(s in seen for s in SECRETS), seen
    # planners and viewers see everything, with the shared result
    assert {r["id"] for r in store.list(who=VIEWER)} == {a, b}
    assert store.latest_result(b, who=VIEWER)["kpis"]["cost"] == 303703.0


def test_vendor_manager_sees_scenarios_made_under_their_vendor(db_url):
    store, a, b = _seed(db_url)
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # as if made in an Aster-restricted session
        conn.execute(text(f"UPDATE scenarios SET vendor_scope = 'Aster BPO' WHERE id = {a}"))
    engine.dispose()
    assert [r["id"] for r in store.list(who=ASTER)] == [a]
    assert store.get(a, who=ASTER).vendor_scope == "Aster BPO"
    assert store.list(who=BOREALIS) == []
    assert a in {r["id"] for r in store.list(who=PLANNER)}  # planners see all scenarios


def test_a_restricted_run_is_never_the_shared_result(db_url, monkeypatch):
    """Were vendor managers ever allowed to run (a policy change), their run would still be
    stored under their scope: planners comparing later never get it."""
    monkeypatch.setitem(access.ACTIONS, Role.vendor_manager, access.ACTIONS[Role.planner])
    store, a, _ = _seed(db_url)
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE scenarios SET vendor_scope = 'Aster BPO' WHERE id = {a}"))
    engine.dispose()
    new = store.save(Scenario(name="mine", base="data/sample"), who=ASTER)
    store.save_result(new, {"cost": 1.0, "headcount_by_site": {"KUL-B": 3}}, who=ASTER)
    assert _rows(db_url, f"SELECT vendor_scope FROM results WHERE scenario_id = {new}") == [("Aster BPO",)]
    assert _rows(db_url, f"SELECT vendor_scope FROM scenarios WHERE id = {new}") == [("Aster BPO",)]
    assert store.latest_result(new, who=ASTER)["kpis"]["cost"] == 1.0
    # planners see the scenario but not the restricted run: it counts as never run for them
    assert {r["id"]: r["runs"] for r in store.list(who=PLANNER)}[new] == 0
    assert store.latest_result(new, who=PLANNER) is None


def test_version_2_store_is_upgraded_and_its_rows_are_unrestricted(tmp_path):
    url = f"sqlite:///{tmp_path / 'v2.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # the version-2 schema, written out by hand
        for sql in [
            "CREATE TABLE schema_version (version INTEGER NOT NULL)",
            "INSERT INTO schema_version VALUES (2)",
            "CREATE TABLE scenarios (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, base TEXT NOT NULL,"
            " settings TEXT NOT NULL, notes TEXT NOT NULL, parent_id INTEGER, created_at DATETIME NOT NULL,"
            " created_by TEXT NOT NULL)",
            "CREATE TABLE levers (scenario_id INTEGER, position INTEGER, kind VARCHAR(40) NOT NULL,"
            " spec TEXT NOT NULL, PRIMARY KEY (scenario_id, position))",
            "CREATE TABLE results (id INTEGER PRIMARY KEY AUTOINCREMENT, scenario_id INTEGER NOT NULL,"
            " run_at DATETIME NOT NULL, seconds FLOAT, kpis TEXT NOT NULL)",
            "INSERT INTO scenarios VALUES (1, 'Cobalt exit', 'data/sample', '{}', 'KUL-B', NULL,"
            " '2026-01-01 00:00:00', 'root')",
            "INSERT INTO results VALUES (1, 1, '2026-01-01 00:00:00', 1.0, '{\"cost\": 303703}')",
        ]:
            conn.exec_driver_sql(sql)
    engine.dispose()
    store = Store(url)
    assert store.version == 4
    assert store.latest_result(1, who=PLANNER)["kpis"]["cost"] == 303703
    assert store.list(who=ASTER) == [] and store.latest_result(1, who=ASTER) is None


# ---------------------------------------------------------------- runs
@pytest.mark.parametrize("who", READ_ONLY + [None], ids=lambda w: getattr(w, "name", "nobody"))
def test_only_planners_run_scenarios(monkeypatch, who):
    from planning import jobs, pipeline
    from planning.scenarios import run_scenario

    started = []
    monkeypatch.setattr(pipeline, "run_pipeline", lambda *a, **k: started.append("pipeline"))
    monkeypatch.setattr(jobs.SolveJob, "start", lambda self: started.append("child") or self)
    s = Scenario(name="x", base="data/sample")
    with pytest.raises(Forbidden):
        run_scenario(s, who=who, operation="OP")
    with pytest.raises(Forbidden):
        jobs.run_scenario_isolated(s, who=who, operation="OP")
    with pytest.raises(Forbidden):
        jobs.SolveJob("OP", None, who=who)  # the Shift plan page's Solve
    assert started == []  # nothing ran, no process started


# ---------------------------------------------------------------- a database that cannot be written
def test_read_only_store_says_so(tmp_path):
    path = tmp_path / "ro.db"
    store, a, _ = _seed(f"sqlite:///{path}")
    ro = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert [r["id"] for r in ro.list(who=PLANNER)][-1] == a  # reading still works
    with pytest.raises(StoreError, match="is read-only for this server. Make the file and its folder writable"):
        ro.save(Scenario(name="x", base="data/sample"), who=PLANNER)


def test_full_disk_says_so(tmp_path):
    store, a, _ = _seed(f"sqlite:///{tmp_path / 'full.db'}")
    store.engine.dispose()

    @event.listens_for(store.engine, "connect")
    def _no_room(dbapi_connection, _record):  # SQLite's own SQLITE_FULL: the file may not grow
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    with pytest.raises(StoreError, match="the disk is full. Free space on that disk"):
        for i in range(200):
            store.save(Scenario(name=f"big {i}", base="data/sample", notes="x" * 20_000), who=PLANNER)
    event.remove(store.engine, "connect", _no_room)
    store.engine.dispose()


def test_unreachable_database_says_so():
    url = "postgresql://planner:secret@127.0.0.1:1/scenarios"
    with pytest.raises(StoreError, match="cannot be reached. Check that the database server is running") as err:
        Store(url)
    assert "secret" not in str(err.value)  # the password is never shown


def test_unknown_database_errors_keep_their_detail():
    assert "failed: boom" in store_errors.explain_database_error(RuntimeError("boom"), "sqlite:///x.db")


# ---------------------------------------------------------------- base datasets come from the server
def test_base_dataset_outside_the_allow_list_is_refused(tmp_path, monkeypatch):
    import shutil

    from planning.scenarios import BaseNotAllowed, allowed_bases, resolve_base
    from planning.scenarios.scenario import PROJECT_ROOT

    monkeypatch.delenv("WFM_BASE_DATASETS", raising=False)
    allowed = allowed_bases()
    assert resolve_base("data/sample", allowed) == PROJECT_ROOT / "data" / "sample"
    assert resolve_base(str(PROJECT_ROOT / "data" / "sample"), allowed) == PROJECT_ROOT / "data" / "sample"
    copy = tmp_path / "inputs"
    shutil.copytree(PROJECT_ROOT / "data" / "sample", copy)
    for attack in ["/etc", str(copy), "data/sample/../../var", "data", "", "~/inputs"]:
        with pytest.raises(BaseNotAllowed, match="not one of this server's configured datasets"):
            resolve_base(attack, allowed)
    monkeypatch.setenv("WFM_BASE_DATASETS", str(copy))  # the administrator allows it
    assert resolve_base(str(copy), allowed_bases()) == copy
    assert resolve_base(str(copy), allowed_bases(["/srv/other"])) == copy
