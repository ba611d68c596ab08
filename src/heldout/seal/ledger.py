"""The ledger: an append-only, hash-chained record of every sealing and unsealing of a test set.

It lives in SQLite (standard library) at ``$HELDOUT_HOME/ledger.sqlite``, where ``HELDOUT_HOME``
defaults to ``.heldout`` in the working directory. Each entry stores the hash of the entry before
it, and a head file beside the database holds the newest hash and the entry count, so
:meth:`Ledger.verify` notices an edited entry, a deleted entry and a truncated tail.

Three kinds of entry:

- ``seal``: a split made a test set; its row fingerprints are stored so that, in any later
  process, training on those rows is refused (:meth:`Ledger.sealed_overlap`).
- ``unseal``: a final evaluation looked at the test set; written before any number is returned.
- ``retire``: the user deliberately released a test set's rows (e.g. to re-split), with a reason.

>>> import tempfile, numpy as np
>>> led = Ledger(tempfile.mkdtemp())
>>> led.seal("abc", np.array([1, 2, 3], dtype=np.uint64), {"dataset": "toy"})
>>> led.record_unsealing("abc", model="m1", metrics={"rmse": 1.5})
1
>>> led.verify().ok
True
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import LedgerError

GENESIS = "0" * 64


def home() -> Path:
    """The folder holding the ledger: ``$HELDOUT_HOME``, else ``./.heldout``."""
    return Path(os.environ.get("HELDOUT_HOME", ".heldout"))


@dataclass
class Verification:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


class Ledger:
    """Append-only, hash-chained record kept in ``folder`` (default: :func:`home`)."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else home()
        self.path = self.folder / "ledger.sqlite"
        self.head_path = self.folder / "ledger.head"

    # -- writing -----------------------------------------------------------------------------

    def seal(self, seal: str, fingerprints: np.ndarray, info: dict) -> None:
        """Record a new sealed test set and its rows; a seal already recorded is left as it is."""
        blob = np.sort(np.asarray(fingerprints, dtype=np.uint64)).tobytes()
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM sealed_rows WHERE seal = ?", (seal,)).fetchone():
                return
            db.execute("INSERT INTO sealed_rows (seal, fingerprints) VALUES (?, ?)", (seal, blob))
            payload = dict(info, rows=int(len(fingerprints)), rows_sha256=hashlib.sha256(blob).hexdigest())
            self._append(db, "seal", seal, payload)

    def record_unsealing(self, seal: str, *, model: str, metrics: dict, info: dict | None = None) -> int:
        """Record one look at a sealed test set; returns how many looks it has had, this one included."""
        with self._transaction() as db:
            self._append(db, "unseal", seal, dict(info or {}, model=model, metrics=metrics))
            return self._count(db, "unseal", seal)

    def record_audit(self, seal: str, info: dict) -> None:
        """A leakage check read the test rows (not an evaluation: no model, no metrics)."""
        with self._transaction() as db:
            self._append(db, "audit", seal, {"info": info})

    def retire(self, seal: str, reason: str) -> None:
        """Release a sealed test set's rows for training, leaving the reason on record."""
        if not reason.strip():
            raise LedgerError("Retiring a sealed test set needs a reason, e.g. --reason 'new split by patient'.")
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM sealed_rows WHERE seal = ?", (seal,)).fetchone():
                known = [r[0] for r in db.execute("SELECT seal FROM sealed_rows")]
                raise LedgerError(f"No sealed test set {seal!r} in {str(self.path)!r}. Known: {known[:10]}.")
            self._append(db, "retire", seal, {"reason": reason})

    # -- reading -----------------------------------------------------------------------------

    def unsealings(self, seal: str) -> int:
        """How many times the test set ``seal`` has been evaluated."""
        if not self.path.exists():
            return 0
        with self._transaction() as db:
            return self._count(db, "unseal", seal)

    def entries(self) -> list[dict]:
        """Every entry, oldest first, with its payload decoded."""
        if not self.path.exists():
            return []
        with self._transaction() as db:
            rows = db.execute("SELECT seq, time, kind, seal, payload, prev, hash FROM entries ORDER BY seq").fetchall()
        return [dict(seq=r[0], time=r[1], kind=r[2], seal=r[3], payload=json.loads(r[4]), prev=r[5], hash=r[6])
                for r in rows]

    def sealed_overlap(self, fingerprints: np.ndarray, *, own_seal: str | None = None,
                       evaluated_only: bool = False) -> list[dict]:
        """Sealed test sets (other than ``own_seal``) that share rows with ``fingerprints``: those
        not retired, or with ``evaluated_only`` those already evaluated at least once, retired or not.

        Each finding: the seal, its recorded info, and the positions of the shared rows.
        """
        if not self.path.exists():
            return []
        with self._transaction() as db:
            retired = {r[0] for r in db.execute("SELECT seal FROM entries WHERE kind = 'retire'")}
            evaluated = {r[0] for r in db.execute("SELECT seal FROM entries WHERE kind = 'unseal'")}
            sealed = db.execute("SELECT seal, fingerprints FROM sealed_rows").fetchall()
            info = {r[0]: json.loads(r[1]) for r in db.execute("SELECT seal, payload FROM entries WHERE kind='seal'")}
        findings = []
        for seal, blob in sealed:
            skip = seal not in evaluated if evaluated_only else seal in retired
            if seal == own_seal or skip:
                continue
            shared = np.flatnonzero(np.isin(fingerprints, np.frombuffer(blob, dtype=np.uint64)))
            if len(shared):
                findings.append({"seal": seal, "info": info.get(seal, {}), "positions": shared})
        return findings

    def verify(self) -> Verification:
        """Recompute the chain; report every entry whose hash, link or stored rows do not match."""
        entries = self.entries()
        problems: list[str] = []
        prev = GENESIS
        for expected_seq, e in enumerate(entries, start=1):
            if e["seq"] != expected_seq:
                problems.append(f"entry {expected_seq} is missing (next entry is {e['seq']}): deleted")
            if e["prev"] != prev:
                problems.append(f"entry {e['seq']} does not link to the entry before it: an entry was deleted or edited")
            if _hash(e["seq"], e["time"], e["kind"], e["seal"], e["payload"], e["prev"]) != e["hash"]:
                problems.append(f"entry {e['seq']} ({e['kind']} of {e['seal']}) was edited after it was written")
            prev = e["hash"]
        problems += self._check_sealed_rows(entries)
        head = self._read_head()
        if head is not None and (head.get("entries") != len(entries) or head.get("hash") != prev):
            problems.append(f"the ledger holds {len(entries)} entries but its head records {head.get('entries')}: "
                            "entries were deleted from the end or the head was replaced")
        return Verification(ok=not problems, entries=len(entries), problems=problems)

    # -- internals ---------------------------------------------------------------------------

    def _check_sealed_rows(self, entries: list[dict]) -> list[str]:
        with self._transaction() as db:
            blobs = dict(db.execute("SELECT seal, fingerprints FROM sealed_rows").fetchall())
        problems = []
        for e in entries:
            if e["kind"] == "seal":
                blob = blobs.get(e["seal"])
                if blob is None or hashlib.sha256(blob).hexdigest() != e["payload"].get("rows_sha256"):
                    problems.append(f"the stored rows of sealed test set {e['seal']} were changed or removed")
        return problems

    def _append(self, db: sqlite3.Connection, kind: str, seal: str, payload: dict) -> None:
        last = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        time = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")
        payload = json.loads(json.dumps(payload, default=_plain))  # what is stored is what is hashed
        digest = _hash(seq, time, kind, seal, payload, prev)
        db.execute("INSERT INTO entries (seq, time, kind, seal, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (seq, time, kind, seal, _canonical_json(payload), prev, digest))
        tmp = self.head_path.with_suffix(".head.tmp")
        tmp.write_text(json.dumps({"entries": seq, "hash": digest}))
        os.replace(tmp, self.head_path)

    def _count(self, db: sqlite3.Connection, kind: str, seal: str) -> int:
        return db.execute("SELECT COUNT(*) FROM entries WHERE kind = ? AND seal = ?", (kind, seal)).fetchone()[0]

    def _read_head(self) -> dict | None:
        try:
            return json.loads(self.head_path.read_text())
        except (OSError, ValueError):
            return None

    def _transaction(self) -> "_Transaction":
        return _Transaction(self)


class _Transaction:
    """One SQLite transaction, taken for writing at once so concurrent processes keep one chain."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.ledger.folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.ledger.path, isolation_level=None, timeout=30)
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("CREATE TABLE IF NOT EXISTS entries (seq INTEGER PRIMARY KEY, time TEXT, kind TEXT, "
                            "seal TEXT, payload TEXT, prev TEXT, hash TEXT)")
            self.db.execute("CREATE TABLE IF NOT EXISTS sealed_rows (seal TEXT PRIMARY KEY, fingerprints BLOB)")
        except (sqlite3.Error, OSError) as exc:
            raise LedgerError(f"Cannot open the ledger at {str(self.ledger.path)!r}: {exc}. Check that the folder "
                              "is writable, or set HELDOUT_HOME to another folder.") from None
        return self.db

    def __exit__(self, exc_type, exc, tb) -> None:
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")
        self.db.close()


def _canonical_json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_plain)


def _hash(seq: int, time: str, kind: str, seal: str, payload: dict, prev: str) -> str:
    body = _canonical_json({"seq": seq, "time": time, "kind": kind, "seal": seal, "payload": payload, "prev": prev})
    return hashlib.sha256(body.encode()).hexdigest()


def _plain(value):
    """JSON for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot record {type(value).__name__} in the ledger")
