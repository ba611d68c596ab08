"""The ledger's SQLite file: one transaction at a time, its tables, the row-fingerprint version it
records, and the canonical form in which entries are hashed. :mod:`.ledger` is the record built on it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np

from ..data.fingerprint import FINGERPRINT_VERSION
from ..errors import LedgerError

GENESIS = "0" * 64   # the hash the first entry links to


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
            # WAL: readers see the last commit while a writer appends; a kill leaves the last commit intact
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("BEGIN IMMEDIATE")
            if not _has_table(self.db, "entries"):
                _create(self.db)
            version = stored_version(self.db)
        except (sqlite3.Error, OSError) as exc:
            self._close("ROLLBACK")
            raise LedgerError(f"Cannot open the ledger at {str(self.path)!r}: {exc}. Check that the folder "
                              "is writable, or set HELDOUT_HOME to another folder.") from None
        if self.versioned and version != FINGERPRINT_VERSION:
            self._close("ROLLBACK")
            raise LedgerError(
                f"The ledger at {str(self.path)!r} was written with row fingerprints of version {version}, and "
                f"this heldout computes version {FINGERPRINT_VERSION}: the rows it sealed would not be recognised, "
                "and its counts of looks would not match this heldout's test sets. Keep it as the record it is "
                "(`heldout ledger` still shows it) and use a new ledger: set HELDOUT_HOME to a new folder (or move "
                f"{str(self.path.parent)!r} aside), then split again to re-seal the test sets (the same seed and "
                "strategy give the same test rows).")
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
    """The fingerprint version a ledger records; 1 for a ledger from before versions were recorded."""
    if not _has_table(db, "meta"):
        return 1
    row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint_version'").fetchone()
    return 1 if row is None else int(row[0])


def _create(db: sqlite3.Connection) -> None:
    """The tables of a new ledger, which records the fingerprint definition it is written with."""
    db.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, time TEXT, kind TEXT, seal TEXT, payload TEXT, "
               "prev TEXT, hash TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS sealed_rows (seal TEXT PRIMARY KEY, fingerprints BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fingerprint_version', ?)",
               (str(FINGERPRINT_VERSION),))


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def canonical_json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=plain)


def entry_hash(seq: int, time: str, kind: str, seal: str, payload: dict, prev: str) -> str:
    body = canonical_json({"seq": seq, "time": time, "kind": kind, "seal": seal, "payload": payload, "prev": prev})
    return hashlib.sha256(body.encode()).hexdigest()


def plain(value):
    """JSON for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot record {type(value).__name__} in the ledger")
