"""The ledger's tables inside one open transaction: the queries every store shares.

A store (:mod:`._sqlite`, :mod:`._postgres`) opens the transaction — taking, for writing, the lock
that puts appenders in one order — and hands out a :class:`Records` on its connection (any DB-API
connection with ``execute``). The tables are the same in both: ``entries`` (the chain),
``sealed_rows`` (each sealed test set's row fingerprints, sorted uint64 bytes) and ``meta``.
"""

from __future__ import annotations

import datetime as _dt
import json

from . import chain as _chain


class Records:
    """``entries`` and ``sealed_rows`` through ``db``, in the transaction the store holds open. A
    store's subclass says how its driver writes a parameter (``MARK``), where the head is kept and,
    if not this machine's, which clock dates an entry."""

    MARK = "?"

    def __init__(self, db):
        self.db = db
        self.added: tuple[int, str] | None = (
            None  # the newest entry written here: (seq, hash), for the head
        )

    def head(self) -> dict | None:
        """The head as stored (``{"entries": count, "hash": ...}``), or None when there is none."""
        raise NotImplementedError

    def version(self) -> int:
        """The row-fingerprint version the ledger records."""
        raise NotImplementedError

    def now(self) -> str:
        return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")

    # -- entries -------------------------------------------------------------------------------

    def last(self) -> tuple[int, str] | None:
        """The newest entry's ``(seq, hash)``."""
        row = self._run("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return (int(row[0]), row[1]) if row else None

    def add(self, entry: dict) -> None:
        """Write ``entry`` (a dict from :func:`._chain.link`, or one copied whole from another
        ledger)."""
        self._run(
            "INSERT INTO entries (seq, time, kind, seal, payload, prev, hash) VALUES (?, ?, ?, ?, "
            "?, ?, ?)",
            entry["seq"],
            entry["time"],
            entry["kind"],
            entry["seal"],
            _chain.canonical_json(entry["payload"]),
            entry["prev"],
            entry["hash"],
        )
        self.added = (entry["seq"], entry["hash"])

    def entries(self, kind: str | None = None, seal: str | None = None) -> list[dict]:
        """The entries, oldest first, payloads decoded; only those of ``kind`` and ``seal`` when
        given."""
        where, values = [], []
        for column, value in (("kind", kind), ("seal", seal)):
            if value is not None:
                where.append(f"{column} = ?")
                values.append(value)
        rows = self._run(
            "SELECT seq, time, kind, seal, payload, prev, hash FROM entries"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY seq",
            *values,
        ).fetchall()
        return [
            dict(
                seq=int(r[0]),
                time=r[1],
                kind=r[2],
                seal=r[3],
                payload=json.loads(r[4]),
                prev=r[5],
                hash=r[6],
            )
            for r in rows
        ]

    def seals(self, kind: str) -> set[str]:
        """The test sets that have an entry of ``kind``."""
        return {
            r[0]
            for r in self._run("SELECT DISTINCT seal FROM entries WHERE kind = ?", kind).fetchall()
        }

    # -- sealed rows ---------------------------------------------------------------------------

    def sealed_rows(self) -> dict[str, bytes]:
        """Every sealed test set's row fingerprints (sorted uint64, as bytes), by seal."""
        return {
            seal: bytes(blob)
            for seal, blob in self._run("SELECT seal, fingerprints FROM sealed_rows").fetchall()
        }

    def is_sealed(self, seal: str) -> bool:
        return self._run("SELECT 1 FROM sealed_rows WHERE seal = ?", seal).fetchone() is not None

    def add_sealed_rows(self, seal: str, blob: bytes) -> None:
        self._run("INSERT INTO sealed_rows (seal, fingerprints) VALUES (?, ?)", seal, blob)

    def _run(self, sql: str, *values):
        return self.db.execute(sql.replace("?", self.MARK), values)
