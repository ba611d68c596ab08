"""The ledger in a PostgreSQL database, shared by every process and host that reaches it.

Its tables (``entries``, ``sealed_rows`` with the fingerprints as BYTEA, ``meta`` with the
row-fingerprint version, and ``head``) live in the schema ``heldout``, beside whatever else the
database holds. Every append is one transaction that first takes ``LOCK TABLE entries IN EXCLUSIVE
MODE``: appenders queue there, and each then reads the newest entry, so the chain's order is the
order in which the database granted the lock — never a clock — and appenders on many hosts keep
one unbroken chain. Readers are not blocked (the lock lets plain reads through) and each reads one
snapshot. Entry times come from the database's clock: one clock for every host.

The head — the newest entry's count and hash — is a one-row table written in the entry's own
transaction, so it is never behind the entries nor ahead of them. What it can show: entries
deleted from the end by someone who left the head alone (a careless ``DELETE``). What it cannot:
whoever may delete entries in this database may rewrite the head as well; an anchor kept outside
the database (``heldout ledger --anchor``) is what they cannot reach.

psycopg (``pip install 'heldout[postgres]'``) is imported only when such a ledger is opened.
"""

from __future__ import annotations

import contextlib
import datetime as _dt

from .._util.urls import blanked
from ..data.fingerprint import FINGERPRINT_VERSION
from ..errors import LedgerError
from . import chain as _chain
from . import location as _location
from .records import Records

SCHEMA = "heldout"
_CREATE_LOCK = (
    0x6865_6C64  # pg_advisory_xact_lock key ("held"): one process at a time creates the tables
)
_TABLES = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.entries (seq BIGINT PRIMARY KEY, time TEXT NOT NULL, "
    "kind TEXT NOT NULL, seal TEXT NOT NULL, payload TEXT NOT NULL, prev TEXT NOT NULL, hash "
    "TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.sealed_rows (seal TEXT PRIMARY KEY, fingerprints BYTEA "
    "NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.head (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), "
    "entries BIGINT NOT NULL, hash TEXT NOT NULL)",
    f"INSERT INTO {SCHEMA}.meta VALUES ('fingerprint_version', '{FINGERPRINT_VERSION}') ON "
    "CONFLICT DO NOTHING",
    f"INSERT INTO {SCHEMA}.head VALUES (TRUE, 0, '{_chain.GENESIS}') ON CONFLICT DO NOTHING",
)


class PostgresStore:
    """The ledger in the database at ``url`` (``postgresql://`` or ``postgres://``)."""

    def __init__(self, url: str):
        self.location = _location.without_password(url)  # what is shown and recorded
        self._url = _location.with_known_password(url)  # what is connected with
        self._driver()  # a missing driver is told when the ledger is named, before any work

    def exists(self) -> bool:
        with self.reading(versioned=False) as records:
            return records is not None

    def head(self) -> dict | None:
        with self.reading(versioned=False) as records:
            return records.head() if records is not None else None

    @contextlib.contextmanager
    def reading(self, versioned: bool = True):
        """The records in one snapshot, or None when the database holds no ledger yet (none is
        made)."""
        with self._session(read_only=True) as db:
            if not _has_tables(db):
                yield None
                return
            records = _TableRecords(db)
            if versioned:
                self._check(records.version())
            yield records

    @contextlib.contextmanager
    def writing(self):
        """The records in one transaction that holds the appenders' lock; the head moves to the
        newest entry written, in the same transaction."""
        with self._session(read_only=False) as db:
            if not _has_tables(db):
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_CREATE_LOCK,))
                if not _has_tables(db):  # another process may have made them while this one waited
                    for statement in _TABLES:
                        db.execute(statement)
            db.execute("SET LOCAL lock_timeout = '30s'")
            db.execute(
                "LOCK TABLE entries IN EXCLUSIVE MODE"
            )  # appenders queue here: the chain's order is this
            records = _TableRecords(db)
            self._check(records.version())
            yield records
            if records.added:
                db.execute("UPDATE head SET entries = %s, hash = %s", records.added)

    def _driver(self):
        try:
            import psycopg
        except ImportError:
            raise LedgerError(
                f"The ledger {self.location!r} is kept in PostgreSQL, and its client library, "
                "psycopg, is not installed. Install it on every host that uses this ledger: "
                "pip install 'heldout[postgres]'."
            ) from None
        return psycopg

    @contextlib.contextmanager
    def _session(self, read_only: bool):
        psycopg = self._driver()
        try:
            db = psycopg.connect(self._url, connect_timeout=10)
        except psycopg.Error as exc:
            raise LedgerError(
                f"Cannot connect to the ledger {self.location!r}: {self._said(exc)}. Check that "
                "the server runs and takes connections there, that the database exists, and that "
                "the password is in PGPASSWORD or ~/.pgpass (or in HELDOUT_LEDGER)."
            ) from None
        try:
            if read_only:
                db.isolation_level, db.read_only = psycopg.IsolationLevel.REPEATABLE_READ, True
            with db:  # commits when the block ends, rolls back on an error, then closes
                db.execute(f"SET LOCAL search_path TO {SCHEMA}")
                yield db
        except psycopg.errors.LockNotAvailable:
            raise LedgerError(
                f"The ledger {self.location!r} stayed locked by another appender for over 30 s. "
                "Try again; if it persists, look for a stuck session in pg_stat_activity."
            ) from None
        except psycopg.Error as exc:
            raise LedgerError(
                f"The ledger {self.location!r} could not be read or written: {self._said(exc)}. "
                "Check the database's state and this role's privileges on the schema "
                f"{SCHEMA!r}."
            ) from None
        finally:
            db.close()

    def _said(self, exc: Exception) -> str:
        """The driver's message, with any password blanked out."""
        return blanked(str(exc).strip(), self._url)

    def _check(self, version: int) -> None:
        if version != FINGERPRINT_VERSION:
            raise LedgerError(
                f"The ledger {self.location!r} was written with row fingerprints of version "
                f"{version}, and this heldout computes version {FINGERPRINT_VERSION}: the rows it "
                "sealed would not be recognised, and its counts of looks would not match this "
                "heldout's test sets. Keep it as the record it is (`heldout ledger` still shows "
                "it) and use a new ledger: point HELDOUT_LEDGER at another database, then split "
                "again to re-seal the test sets (the same seed and strategy give the same test "
                "rows)."
            )


class _TableRecords(Records):
    MARK = "%s"

    def head(self) -> dict | None:
        row = self._run("SELECT entries, hash FROM head").fetchone()
        return {"entries": int(row[0]), "hash": row[1]} if row else None

    def version(self) -> int:
        row = self._run("SELECT value FROM meta WHERE key = 'fingerprint_version'").fetchone()
        return 1 if row is None else int(row[0])

    def now(self) -> str:
        moment = self._run("SELECT clock_timestamp()").fetchone()[0]
        return moment.astimezone(_dt.timezone.utc).isoformat(timespec="microseconds")


def _has_tables(db) -> bool:
    return db.execute(f"SELECT to_regclass('{SCHEMA}.head')").fetchone()[0] is not None
