"""A throwaway PostgreSQL server for tests: its own cluster in a temporary folder, trust
authentication, listening on 127.0.0.1 (a free port) and on a Unix socket in that folder; stopped
and removed at the end.

In pytest, use the fixtures of ``tests/conftest.py``: ``postgres_server`` (one server for the
session) and ``postgres_url`` (a fresh, empty database per test). Elsewhere::

    server = Server.start()          # raises Unavailable, saying why, where it cannot start
    url = server.create_database()   # postgresql://postgres@127.0.0.1:PORT/NAME
    ...
    server.stop()

A URL has no password (trust authentication); psycopg takes it as it is, and SQLAlchemy (Optuna's
RDB storage) takes ``heldout.search.storage.sqlalchemy_url`` of it (``postgresql+psycopg://...``).

The server binaries (``initdb``, ``pg_ctl``, ``psql``) are looked for in ``$PG_BINDIR``, on the
PATH, and in Debian's ``/usr/lib/postgresql/VERSION/bin`` (newest first). ``initdb`` refuses to
run as root, so as root the cluster belongs to the ``postgres`` user (Debian's package creates it)
and the server runs as that user through ``runuser``.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER = "postgres"  # the database superuser of the cluster (not the operating-system user)


class Unavailable(Exception):
    """PostgreSQL cannot start here; the message says what is missing."""


def binaries() -> Path:
    """The folder holding ``initdb``, ``pg_ctl`` and ``psql``."""
    found = [os.environ.get("PG_BINDIR", "")]
    found += [
        str(Path(p).resolve().parent) for p in (shutil.which("initdb"), shutil.which("pg_ctl")) if p
    ]
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: _version(p.parent.name),
        reverse=True,
    )
    for folder in [*found, *map(str, debian)]:
        if folder and all((Path(folder) / tool).is_file() for tool in ("initdb", "pg_ctl", "psql")):
            return Path(folder)
    raise Unavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl, psql) in $PG_BINDIR, on the PATH or in "
        "/usr/lib/postgresql/*/bin. Install them (Debian: apt-get install postgresql)."
    )


class Server:
    """A running throwaway cluster; :meth:`start` makes one."""

    def __init__(self, bindir: Path, root: Path, port: int, as_user: list[str]):
        self.bindir, self.root, self.port, self._as_user = bindir, root, port, as_user
        self.host = "127.0.0.1"
        self.socket_dir = root  # the Unix socket: ROOT/.s.PGSQL.PORT
        self._running = True

    @classmethod
    def start(cls, attempts: int = 3) -> "Server":
        bindir = binaries()
        as_user = _run_as()
        root = Path(tempfile.mkdtemp(prefix="heldout-pg-"))
        if as_user:
            owner = pwd.getpwnam(USER)  # as root, the cluster is the postgres user's
            os.chown(root, owner.pw_uid, owner.pw_gid)
        data = root / "data"
        initdb = [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
        done = subprocess.run(
            as_user + initdb, cwd=root, capture_output=True, text=True, timeout=120, env=_env()
        )
        if done.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            raise Unavailable(f"initdb failed: {(done.stderr or done.stdout).strip()[-800:]}")
        why = ""
        for _ in range(attempts):  # a free port may be taken between choosing it and binding it
            port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200"
            )
            done = subprocess.run(
                as_user
                + [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "server.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=120,
                env=_env(),
            )
            if done.returncode == 0:
                server = cls(bindir, root, port, as_user)
                atexit.register(server.stop)  # a session that ends without its fixture's teardown
                return server
            log = root / "server.log"
            why = (log.read_text()[-800:] if log.is_file() else "") or done.stderr[-800:]
        shutil.rmtree(root, ignore_errors=True)
        raise Unavailable(f"the server did not start: {why.strip()}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new, empty database; returns its URL."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with ``psql`` as the superuser; returns what it printed."""
        done = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed on {statement!r}: {done.stderr.strip()}")
        return done.stdout

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        subprocess.run(
            self._as_user
            + [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            cwd=self.root,
            capture_output=True,
            timeout=60,
            env=_env(),
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as() -> list[str]:
    """The command prefix that runs the server's tools as a user initdb accepts: none for a plain
    user; as root, ``runuser -u postgres --``."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(USER)
    except KeyError:
        raise Unavailable(
            "running as root, and there is no 'postgres' user to own the cluster (initdb refuses "
            "root). Install Debian's postgresql package, which creates it, or run the tests as "
            "another user."
        ) from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise Unavailable(
            "running as root, and there is no runuser to start the server as 'postgres'."
        )
    return [runuser, "-u", USER, "--"]


def _env() -> dict:
    return {**os.environ, "LC_ALL": "C", "PGCONNECT_TIMEOUT": "10"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _version(name: str) -> tuple:
    return tuple(int(p) for p in name.split(".") if p.isdigit())
