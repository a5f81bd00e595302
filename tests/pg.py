"""A throw-away PostgreSQL server for the store tests.

``WFM_TEST_PG_URL`` (e.g. ``postgresql://user:pw@127.0.0.1:5432/postgres``, a role that may
CREATE DATABASE) points the tests at a running server.  Otherwise ``pg_server()`` finds
``initdb``/``pg_ctl`` (PATH or /usr/lib/postgresql/*/bin), creates a cluster in a temporary
folder, starts it on a free localhost port and stops it afterwards.  PostgreSQL refuses to
run as root, so as root the cluster belongs to the ``postgres`` system user (``runuser``).

When neither is available the tests FAIL with the install hint; they never skip.
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid

ENV_URL = "WFM_TEST_PG_URL"
INSTALL_HINT = ("PostgreSQL is needed by the store tests: install it (Debian: apt-get install -y postgresql; "
                "scripts/install_test_deps.sh does it) or set WFM_TEST_PG_URL to a server URL")


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cmd: list[str], user: str | None) -> None:
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")


@contextlib.contextmanager
def pg_server():
    """Yield an admin URL (``postgresql+psycopg://...``) of a running PostgreSQL server."""
    given = os.environ.get(ENV_URL)
    if given:
        yield given.replace("postgresql://", "postgresql+psycopg://", 1) if "+" not in given.split("://")[0] \
            else given
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError(INSTALL_HINT)
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and no 'postgres' system user to own the test cluster; "
                               "run the tests as a normal user or set WFM_TEST_PG_URL") from None
        user = "postgres"
    root = tempfile.mkdtemp(prefix="wfm-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.mkdir(sock)
    if user:
        entry = pwd.getpwnam(user)
        for path in (root, sock):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    try:
        _run([initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], user)
        options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        _run([pg_ctl, "-D", data, "-o", options, "-l", os.path.join(root, "log"), "-w", "-t", "60", "start"], user)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(Exception):
                _run([pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"], user)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(admin_url: str) -> str:
    """Create an empty database on the server and return its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"wfm_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')  # name is ours, not user input
    finally:
        engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
