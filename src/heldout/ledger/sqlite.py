"""The ledger in a folder: ``ledger.sqlite`` (standard library) and the head file beside it.

Every transaction is taken for writing at once (``BEGIN IMMEDIATE``), so concurrent processes
append one after another and keep one chain; the database runs in WAL mode, so readers see the
last commit while a writer appends, and a kill leaves the last commit intact. The head file is
written after the entry's commit, only forward (:mod:`._head`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from ..data.fingerprint import FINGERPRINT_VERSION
from ..errors import LedgerError
from . import head as _head
from .records import Records


class SQLiteStore:
    """The ledger kept in ``folder`` (absolute)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.location = str(folder)
        self.path = folder / "ledger.sqlite"
        self.head_path = folder / "ledger.head"
        self.head_file = _head.Head(self.head_path)

    def exists(self) -> bool:
        return self.path.is_file()

    def head(self) -> dict | None:
        return self.head_file.read()

    @contextlib.contextmanager
    def reading(self, versioned: bool = True):
        """The records in one transaction, or None when there is no ledger here yet (none is
        made)."""
        if not self.path.exists():
            yield None
            return
        with Transaction(self.path, versioned) as db:
            yield _FileRecords(db, self.head_file)

    @contextlib.contextmanager
    def writing(self):
        """The records in one transaction that no other writer shares; the head moves to the
        newest entry written once the transaction has committed."""
        with Transaction(self.path, True) as db:
            records = _FileRecords(db, self.head_file)
            yield records
        if records.added:
            self.head_file.advance(*records.added)


class _FileRecords(Records):
    def __init__(self, db: sqlite3.Connection, head: _head.Head):
        super().__init__(db)
        self.head_file = head

    def head(self) -> dict | None:
        return self.head_file.read()

    def version(self) -> int:
        return stored_version(self.db)


class Transaction:
    """One SQLite transaction on the ledger file ``path``, taken for writing at once so concurrent
    processes keep one chain. ``versioned``: refuse a ledger written under another row-fingerprint
    definition (reading its entries as a record is allowed)."""

    def __init__(self, path: Path, versioned: bool):
        self.path, self.versioned, self.db = path, versioned, None

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            # WAL: readers see the last commit while a writer appends; a kill leaves the last commit
            # intact
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("BEGIN IMMEDIATE")
            if not _has_table(self.db, "entries"):
                _create(self.db)
            version = stored_version(self.db)
        except (sqlite3.Error, OSError) as exc:
            self._close("ROLLBACK")
            raise LedgerError(
                f"Cannot open the ledger at {str(self.path)!r}: {exc}. Check that the folder "
                "is writable, or set HELDOUT_HOME to another folder."
            ) from None
        if self.versioned and version != FINGERPRINT_VERSION:
            self._close("ROLLBACK")
            raise LedgerError(
                f"The ledger at {str(self.path)!r} was written with row fingerprints of version "
                f"{version}, and this heldout computes version {FINGERPRINT_VERSION}: the rows it "
                "sealed would not be recognised, and its counts of looks would not match this "
                "heldout's test sets. Keep it as the record it is (`heldout ledger` still shows "
                "it) and use a new ledger: set HELDOUT_HOME to a new folder (or move "
                f"{str(self.path.parent)!r} aside), then split again to re-seal the test sets "
                "(the same seed and strategy give the same test rows)."
            )
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self._close("COMMIT" if exc_type is None else "ROLLBACK")

    def _close(self, how: str) -> None:
        if self.db is not None:
            if self.db.in_transaction:
                self.db.execute(how)
            self.db.close()
            self.db = None


def stored_version(db: sqlite3.Connection) -> int:
    """The fingerprint version a ledger records; 1 for a ledger from before versions were
    recorded."""
    if not _has_table(db, "meta"):
        return 1
    row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint_version'").fetchone()
    return 1 if row is None else int(row[0])


def _create(db: sqlite3.Connection) -> None:
    """The tables of a new ledger, which records the fingerprint definition it is written with."""
    db.execute(
        "CREATE TABLE entries (seq INTEGER PRIMARY KEY, time TEXT, kind TEXT, seal TEXT, payload "
        "TEXT, prev TEXT, hash TEXT)"
    )
    db.execute("CREATE TABLE IF NOT EXISTS sealed_rows (seal TEXT PRIMARY KEY, fingerprints BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint_version', ?)",
        (str(FINGERPRINT_VERSION),),
    )


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        is not None
    )
