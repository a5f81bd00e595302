"""The scenario store: SQLAlchemy Core over a SQLite file (default) or PostgreSQL (by URL).

Where: ``Store(url)``; without a URL the environment variable ``WFM_DB`` (a URL or a file
path), else ``var/scenarios.db`` in the project.  The file and its folder are created on
first use.

How writes stay safe
--------------------
* SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  ``BEGIN IMMEDIATE`` (the pysqlite driver's own BEGIN handling is switched off, see the
  SQLAlchemy pysqlite notes on "Serializable isolation / Savepoints / Transactional DDL").
  The write lock is taken up front, so concurrent writers queue on the busy timeout
  instead of failing with "database is locked" when a read lock cannot be upgraded.
  Reads use a plain deferred ``BEGIN`` and never block writers (WAL).
* A scenario, its levers and its results are written in one transaction: a process killed
  mid-save leaves either the whole scenario or nothing.
* One engine per process and URL (cached, re-created after fork); every call checks out its
  own connection, so a connection is never shared across Streamlit's threads.
* Names, notes and lever texts are bound parameters, never spliced into SQL.

Who may do what
---------------
Every call takes the principal (``who``, a ``planning.access.Principal``).  Writes call
``planning.access.require`` first (save and update: ``save``; ``delete``; ``duplicate``;
storing a run's KPIs: ``run``), so a viewer or a vendor manager is refused here, whatever
the page shows.  ``created_by`` is ``who.label`` (name and role, as the sidebar shows them).  Each scenario and each stored result
records the vendor scope it was made under (``vendor_scope``: ``None`` = the whole
operation, else the one vendor a vendor manager's session was restricted to).  A vendor
manager sees only the scenarios made under their vendor's scope and only results run under
it; everyone else sees the unrestricted scenarios and only unrestricted results, so a
restricted run never becomes the shared result that planners compare.  A scenario someone
may not see is reported as missing.

Schema versions (table ``schema_version``): 1 kept levers and the last KPIs as JSON columns
of ``scenarios``; 2 has ``levers`` and ``results`` tables and ``created_by``; 3 adds
``vendor_scope`` to both (existing rows become unrestricted: they were planners' work); 4 adds
``plan_records``, the published plan of record (``planning.plan_record``).
Opening an older database upgrades it in one transaction (``MIGRATIONS``).

When the database cannot be written or reached, the ``StoreError`` says which (disk full,
read-only, unreachable) and what to do (``explain_database_error``).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text,
                        create_engine, delete, event, func, inspect, insert, select, text, true, update)
from sqlalchemy.engine import Connection, Engine, make_url

from planning.access import Principal, require, vendor_scope
from planning.scenarios.scenario import PlanSettings, Scenario, kpis_to_json
from planning.scenarios.store_errors import StoreError, _explained


ENV_VAR = "WFM_DB"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "var" / "scenarios.db"
SCHEMA_VERSION = 4
BUSY_TIMEOUT_SECONDS = 60.0  # a writer waits this long for the SQLite write lock
_PG_LOCK_KEY = 7_270_451  # advisory lock serialising schema creation/migration on PostgreSQL

metadata = MetaData()
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
scenarios = Table(
    "scenarios", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("base", Text, nullable=False),
    Column("settings", Text, nullable=False),  # PlanSettings as JSON
    Column("notes", Text, nullable=False),
    Column("parent_id", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("vendor_scope", Text, nullable=True),  # None = unrestricted; else the vendor it was made under
)
levers = Table(
    "levers", metadata,
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("spec", Text, nullable=False),  # the lever as JSON
)
results = Table(
    "results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=True),
    Column("kpis", Text, nullable=False),  # the pipeline's KPI dict as JSON
    Column("vendor_scope", Text, nullable=True),  # None = a run on the whole operation (shared)
)
plan_records = Table(  # the plan of record per operation (planning.plan_record): latest row wins
    "plan_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("operation_key", String(64), nullable=False, index=True),
    Column("kind", String(20), nullable=False),  # solved | scenario
    Column("label", Text, nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", Text, nullable=False),
    Column("cost", Float, nullable=False),
    Column("kpis", Text, nullable=False),  # the pipeline's KPI dict as JSON
    Column("payload", Text, nullable=False),  # shifts, allocation, requirements... as JSON
)



# ---------------------------------------------------------------- engines
def database_url(value: str | os.PathLike | None = None) -> str:
    """A SQLAlchemy URL from a URL, a file path, ``$WFM_DB`` or the default file."""
    value = str(value or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    if "://" not in value:
        path = Path(value).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if value.startswith(("postgresql://", "postgres://")):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    if value.startswith("sqlite:///") and value != "sqlite:///:memory:":
        Path(value[len("sqlite:///"):]).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    return value


_ENGINES: dict[tuple[int, str], Engine] = {}
_READY: set[tuple[int, str]] = set()
_LOCK = threading.Lock()


def get_engine(url: str) -> Engine:
    """The process's engine for ``url`` (one per process: a forked child builds its own)."""
    key = (os.getpid(), url)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = _sqlite_engine(url) if url.startswith("sqlite") else \
                create_engine(url, pool_pre_ping=True)
        return engine


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across process crashes
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("readonly") else "BEGIN IMMEDIATE")

    return engine


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


# ---------------------------------------------------------------- migrations
V1_DDL = [  # the first released schema, kept to test the upgrade path
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    "CREATE TABLE scenarios (id INTEGER PRIMARY KEY {autoinc}, name TEXT NOT NULL, base TEXT NOT NULL, "
    "settings TEXT NOT NULL, notes TEXT NOT NULL, parent_id INTEGER, created_at {ts} NOT NULL, "
    "levers TEXT NOT NULL, kpis TEXT)",
    "INSERT INTO schema_version (version) VALUES (1)",
]


def create_v1_schema(conn: Connection) -> None:
    pg = conn.dialect.name == "postgresql"
    for sql in V1_DDL:
        sql = sql.replace("INTEGER PRIMARY KEY {autoinc}", "SERIAL PRIMARY KEY" if pg else
                          "INTEGER PRIMARY KEY AUTOINCREMENT")
        conn.exec_driver_sql(sql.replace("{ts}", "TIMESTAMP WITH TIME ZONE" if pg else "DATETIME"))


def _v1_to_v2(conn: Connection) -> None:
    """Levers and KPIs move out of JSON columns into their own tables; add created_by."""
    conn.exec_driver_sql("ALTER TABLE scenarios ADD COLUMN created_by TEXT NOT NULL DEFAULT ''")
    levers.create(conn)
    results.create(conn)
    rows = conn.execute(text("SELECT id, levers, kpis, created_at FROM scenarios ORDER BY id")).all()
    for sid, lever_json, kpis, created_at in rows:
        specs = json.loads(lever_json or "[]")
        if specs:
            conn.execute(insert(levers), [dict(scenario_id=sid, position=i, kind=spec.get("kind", "?"),
                                               spec=json.dumps(spec)) for i, spec in enumerate(specs)])
        if kpis:
            created = created_at if isinstance(created_at, dt.datetime) else \
                dt.datetime.fromisoformat(str(created_at))
            conn.execute(insert(results).values(scenario_id=sid, run_at=_utc(created), seconds=None, kpis=kpis))
    conn.exec_driver_sql("ALTER TABLE scenarios DROP COLUMN levers")
    conn.exec_driver_sql("ALTER TABLE scenarios DROP COLUMN kpis")


def _v2_to_v3(conn: Connection) -> None:
    """Record the vendor scope of scenarios and results (existing rows: unrestricted)."""
    for table in ("scenarios", "results"):
        # a version-1 database got ``results`` from today's metadata in _v1_to_v2
        if "vendor_scope" not in {c["name"] for c in inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN vendor_scope TEXT")


def _v3_to_v4(conn: Connection) -> None:
    """Add the plan of record (``plan_records``)."""
    plan_records.create(conn, checkfirst=True)


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}  # from version -> function bringing it to version + 1


def _current_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("schema_version"):
        return None
    return conn.execute(select(func.max(schema_version.c.version))).scalar()


def ensure_schema(engine: Engine) -> int:
    """Create the tables or upgrade them to SCHEMA_VERSION (one transaction, serialised)."""
    with engine.connect().execution_options(readonly=True) as conn:
        found = _current_version(conn)
    if found == SCHEMA_VERSION:
        return found
    with engine.begin() as conn:  # BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        found = _current_version(conn)
        if found is None:
            metadata.create_all(conn)
            conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
            return SCHEMA_VERSION
        if found > SCHEMA_VERSION:
            raise StoreError(f"the scenario database has schema version {found}; this program knows "
                             f"up to {SCHEMA_VERSION}: update the program")
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](conn)
            conn.execute(update(schema_version).values(version=version + 1))
        return SCHEMA_VERSION


# ---------------------------------------------------------------- the store
class Store:
    """Scenarios, their levers and their results in one database, as one principal may use them."""

    def __init__(self, url: str | os.PathLike | None = None):
        self.url = database_url(url)
        self.engine = get_engine(self.url)
        key = (os.getpid(), self.url)
        if key not in _READY:
            with _explained(self.url):
                ensure_schema(self.engine)
            _READY.add(key)

    def __repr__(self) -> str:
        return f"Store({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextmanager
    def _read(self):
        with _explained(self.url), self.engine.connect().execution_options(readonly=True) as conn:
            yield conn

    @contextmanager
    def _write(self):
        with _explained(self.url), self.engine.begin() as conn:
            yield conn

    @property
    def version(self) -> int:
        with self._read() as conn:
            return _current_version(conn)

    # who sees what -----------------------------------------------------
    @staticmethod
    def _scenario_filter(who: Principal):
        scope = vendor_scope(require(who, "view"))
        return true() if scope is None else scenarios.c.vendor_scope == scope

    @staticmethod
    def _result_filter(who: Principal):
        scope = vendor_scope(who)
        return results.c.vendor_scope.is_(None) if scope is None else results.c.vendor_scope == scope

    def _check_visible(self, conn: Connection, scenario_id: int, who: Principal) -> None:
        hit = conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id,
                                                        self._scenario_filter(who))).first()
        if hit is None:  # another vendor's scenario is as missing as a deleted one
            raise StoreError(f"scenario #{scenario_id} does not exist")

    # writes ------------------------------------------------------------
    def save(self, scenario: Scenario, *, who: Principal) -> int:
        """Insert ``scenario`` as a new row by ``who`` (its ``id`` is ignored); returns the new id."""
        require(who, "save")
        return self._insert(scenario, who)

    def _insert(self, scenario: Scenario, who: Principal) -> int:
        now = dt.datetime.now(dt.timezone.utc)
        with self._write() as conn:
            if scenario.parent_id is not None:
                self._check_visible(conn, scenario.parent_id, who)
            sid = conn.execute(insert(scenarios).values(
                name=scenario.name, base=scenario.base, settings=scenario.settings.model_dump_json(),
                notes=scenario.notes, parent_id=scenario.parent_id, created_at=now,
                created_by=who.label, vendor_scope=vendor_scope(who),
            )).inserted_primary_key[0]
            self._write_levers(conn, sid, scenario)
        return int(sid)

    def duplicate(self, scenario_id: int, *, who: Principal, name: str | None = None) -> int:
        """Save a copy of a scenario ``who`` may see, by ``who``, as its child; returns the new id."""
        require(who, "duplicate")
        return self._insert(self.get(scenario_id, who=who).duplicate(name), who)

    def update(self, scenario: Scenario, *, who: Principal) -> None:
        """Overwrite a saved scenario's name, base, levers, settings and notes (results are dropped:
        they belonged to the old levers)."""
        require(who, "save")
        if scenario.id is None:
            raise StoreError("this scenario was never saved; use save()")
        with self._write() as conn:
            self._check_visible(conn, scenario.id, who)
            conn.execute(update(scenarios).where(scenarios.c.id == scenario.id).values(
                name=scenario.name, base=scenario.base, settings=scenario.settings.model_dump_json(),
                notes=scenario.notes, parent_id=scenario.parent_id))
            conn.execute(delete(levers).where(levers.c.scenario_id == scenario.id))
            conn.execute(delete(results).where(results.c.scenario_id == scenario.id))
            self._write_levers(conn, scenario.id, scenario)

    @staticmethod
    def _write_levers(conn: Connection, sid: int, scenario: Scenario) -> None:
        rows = [dict(scenario_id=sid, position=i, kind=spec["kind"], spec=json.dumps(spec))
                for i, spec in enumerate(scenario.levers_json())]
        if rows:
            conn.execute(insert(levers), rows)

    def delete(self, scenario_id: int, *, who: Principal) -> bool:
        """Delete a scenario with its levers and results; children keep living without a parent.
        False when there is no such scenario (or ``who`` may not see it)."""
        require(who, "delete")
        with self._write() as conn:
            try:
                self._check_visible(conn, scenario_id, who)
            except StoreError:
                return False
            conn.execute(update(scenarios).where(scenarios.c.parent_id == scenario_id).values(parent_id=None))
            conn.execute(delete(levers).where(levers.c.scenario_id == scenario_id))
            conn.execute(delete(results).where(results.c.scenario_id == scenario_id))
            return bool(conn.execute(delete(scenarios).where(scenarios.c.id == scenario_id)).rowcount)

    def save_result(self, scenario_id: int, kpis: dict, seconds: float | None = None, *,
                    who: Principal) -> int:
        """Store the KPIs of a run ``who`` made, under ``who``'s vendor scope (a restricted run is
        never the shared result)."""
        require(who, "run")
        with self._write() as conn:
            self._check_visible(conn, scenario_id, who)
            return int(conn.execute(insert(results).values(
                scenario_id=scenario_id, run_at=dt.datetime.now(dt.timezone.utc), seconds=seconds,
                kpis=kpis_to_json(kpis), vendor_scope=vendor_scope(who))).inserted_primary_key[0])

    # reads -------------------------------------------------------------
    def get(self, scenario_id: int, *, who: Principal) -> Scenario:
        with self._read() as conn:
            row = conn.execute(select(scenarios).where(scenarios.c.id == scenario_id,
                                                       self._scenario_filter(who))).mappings().first()
            if row is None:
                raise StoreError(f"no scenario #{scenario_id}")
            specs = conn.execute(select(levers.c.spec).where(levers.c.scenario_id == scenario_id)
                                 .order_by(levers.c.position)).scalars().all()
        return Scenario(id=row["id"], name=row["name"], base=row["base"],
                        settings=PlanSettings.model_validate_json(row["settings"]), notes=row["notes"],
                        parent_id=row["parent_id"], created_by=row["created_by"],
                        vendor_scope=row["vendor_scope"],
                        created_at=_utc(row["created_at"]), levers=[json.loads(s) for s in specs])

    def find(self, ref: str | int, *, who: Principal) -> Scenario:
        """A scenario by id (``12`` or ``#12``) or by name (the newest with that name)."""
        ref = str(ref)
        visible = self._scenario_filter(who)
        if ref.lstrip("#").isdigit():
            with self._read() as conn:
                hit = conn.execute(select(scenarios.c.id).where(scenarios.c.id == int(ref.lstrip("#")),
                                                                visible)).first()
            if hit is not None:
                return self.get(hit[0], who=who)
        with self._read() as conn:
            sid = conn.execute(select(func.max(scenarios.c.id)).where(scenarios.c.name == ref, visible)).scalar()
        if sid is None:
            raise StoreError(f"no scenario with id or name '{ref}' (see: python -m planning scenario list)")
        return self.get(sid, who=who)

    def list(self, *, who: Principal) -> list[dict]:
        """One summary dict per scenario ``who`` may see, newest first (runs: those ``who`` may see)."""
        visible = self._scenario_filter(who)
        lever_count = (select(levers.c.scenario_id, func.count().label("n"))
                       .group_by(levers.c.scenario_id).subquery())
        run_count = (select(results.c.scenario_id, func.count().label("runs"),
                            func.max(results.c.run_at).label("last_run"))
                     .where(self._result_filter(who))
                     .group_by(results.c.scenario_id).subquery())
        query = (select(scenarios.c.id, scenarios.c.name, scenarios.c.base, scenarios.c.notes,
                        scenarios.c.parent_id, scenarios.c.created_by, scenarios.c.created_at,
                        scenarios.c.vendor_scope,
                        func.coalesce(lever_count.c.n, 0).label("levers"),
                        func.coalesce(run_count.c.runs, 0).label("runs"), run_count.c.last_run)
                 .outerjoin(lever_count, lever_count.c.scenario_id == scenarios.c.id)
                 .outerjoin(run_count, run_count.c.scenario_id == scenarios.c.id)
                 .where(visible)
                 .order_by(scenarios.c.id.desc()))
        with self._read() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
        for r in rows:
            r["created_at"], r["last_run"] = _utc(r["created_at"]), _utc(_as_datetime(r["last_run"]))
        return rows

    def latest_result(self, scenario_id: int, *, who: Principal) -> dict | None:
        """``{kpis, run_at, seconds}`` of the newest run ``who`` may see, or None if none."""
        with self._read() as conn:
            visible = results.c.scenario_id.in_(select(scenarios.c.id).where(self._scenario_filter(who)))
            row = conn.execute(select(results).where(results.c.scenario_id == scenario_id, visible,
                                                     self._result_filter(who))
                               .order_by(results.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            return None
        return {"kpis": json.loads(row["kpis"]), "run_at": _utc(row["run_at"]), "seconds": row["seconds"]}

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ('ok' when healthy); 'ok' on other databases."""
        if self.engine.dialect.name != "sqlite":
            return "ok"
        with self._read() as conn:
            return "; ".join(r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check"))


def _as_datetime(value):
    # aggregate (max) of a DateTime column comes back as text on SQLite
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
