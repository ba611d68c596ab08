"""The ledger: an append-only, hash-chained record of every sealing and unsealing of a test set.

It lives in SQLite (standard library) at ``FOLDER/ledger.sqlite``. The folder, when none is
given (:func:`home`), is, in this order:

1. ``$HELDOUT_HOME``, when set;
2. ``.heldout`` at the root of the git work tree that holds the working directory (the nearest
   folder above it, or itself, with a ``.git``), so every directory of a project shares one ledger;
3. a folder for the user: ``$XDG_DATA_HOME/heldout``, else ``~/.local/share/heldout``.

A run directory records the ledger its test set was sealed in, and ``heldout evaluate`` counts
the look there, from whatever directory it is run. Each entry stores the hash of the entry before
it, and a head file beside the database holds a recent hash and its entry count, so
:meth:`Ledger.verify` notices an edited entry, a deleted entry and a truncated tail. The head is
written after the entry's transaction commits (never before), and only forward: a process
killed in between leaves the head one entry behind, which the next entry repairs and which is
not a sign of tampering — entries past the head are allowed, a head past the entries is not.
The database runs in WAL mode, so readers see a consistent snapshot while a writer appends. A ``meta``
table records the row-fingerprint definition the ledger was written with
(:data:`~heldout.data.fingerprint.FINGERPRINT_VERSION`; a ledger without one used version 1);
a ledger of another version is refused, since its sealed rows would no longer be recognised.

Four kinds of entry:

- ``seal``: a split made a test set; its row fingerprints and column names are stored so that,
  in any later process, training on those rows is refused (:meth:`Ledger.sealed_overlap`).
- ``unseal``: a final evaluation looked at the test set, with the model's fingerprint; written
  before any number is returned.
- ``audit``: a leakage check read the test rows (counts, no scores).
- ``retire``: the user deliberately released a test set's rows (e.g. to re-split), with a reason.

>>> import tempfile, numpy as np
>>> led = Ledger(tempfile.mkdtemp())
>>> led.seal("abc", np.array([1, 2, 3], dtype=np.uint64), {"dataset": "toy"}, columns=["x"])
>>> led.record_unsealing("abc", model="m1", metrics={"rmse": 1.5})
Looks(unsealings=1, models=1)
>>> led.record_unsealing("abc", model="m1", metrics={"rmse": 1.5})
Looks(unsealings=2, models=1)
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
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..data.fingerprint import FINGERPRINT_VERSION, row_fingerprints
from ..errors import LedgerError
from . import _head, _store


def home() -> Path:
    """The folder holding the ledger when none is given (absolute): ``$HELDOUT_HOME``; else
    ``.heldout`` at the root of the enclosing git work tree; else ``$XDG_DATA_HOME/heldout``
    (default ``~/.local/share/heldout``)."""
    if os.environ.get("HELDOUT_HOME"):
        return Path(os.environ["HELDOUT_HOME"]).expanduser().absolute()
    here = Path.cwd().absolute()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():   # a folder in a plain clone, a file in a worktree or submodule
            return folder / ".heldout"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data).expanduser().absolute() / "heldout"


class Looks(NamedTuple):
    """The looks at one test set, as the ledger counts them."""

    unsealings: int   # evaluations, repeated looks at the same model included
    models: int       # distinct models evaluated


@dataclass
class Verification:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


class Ledger:
    """Append-only, hash-chained record kept in ``folder`` (default: :func:`home`), an absolute path."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder).expanduser().absolute() if folder is not None else home()
        self.path = self.folder / "ledger.sqlite"
        self.head_path = self.folder / "ledger.head"
        self.head = _head.Head(self.head_path)

    def __repr__(self) -> str:
        return f"Ledger({str(self.folder)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    # -- writing -----------------------------------------------------------------------------

    def seal(self, seal: str, fingerprints: np.ndarray, info: dict, *, columns: Sequence[str] | None = None) -> None:
        """Record a new sealed test set, its rows' fingerprints and its feature ``columns`` (whose
        values, with the target's, the fingerprints cover); a seal already recorded is left as it is."""
        blob = np.sort(np.asarray(fingerprints, dtype=np.uint64)).tobytes()
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM sealed_rows WHERE seal = ?", (seal,)).fetchone():
                return
            db.execute("INSERT INTO sealed_rows (seal, fingerprints) VALUES (?, ?)", (seal, blob))
            payload = dict(info, rows=int(len(fingerprints)), rows_sha256=hashlib.sha256(blob).hexdigest())
            if columns is not None:
                payload["columns"] = sorted(map(str, columns))
            head = self._append(db, "seal", seal, payload)
        self.head.advance(*head)

    def record_unsealing(self, seal: str, *, model: str, metrics: dict, info: dict | None = None) -> Looks:
        """Record one look at a sealed test set by ``model`` (its fingerprint); returns the looks it
        has had and the distinct models among them, this one included."""
        with self._transaction() as db:
            head = self._append(db, "unseal", seal, dict(info or {}, model=model, metrics=metrics))
            looks = self._looks(db, seal)
        self.head.advance(*head)
        return looks

    def record_audit(self, seal: str, info: dict) -> None:
        """A leakage check read the test rows (not an evaluation: no model, no metrics)."""
        with self._transaction() as db:
            head = self._append(db, "audit", seal, {"info": info})
        self.head.advance(*head)

    def retire(self, seal: str, reason: str) -> None:
        """Release a sealed test set's rows for training, leaving the reason on record."""
        if not reason.strip():
            raise LedgerError("Retiring a sealed test set needs a reason, e.g. --reason 'new split by patient'.")
        with self._transaction() as db:
            if not db.execute("SELECT 1 FROM sealed_rows WHERE seal = ?", (seal,)).fetchone():
                known = [r[0] for r in db.execute("SELECT seal FROM sealed_rows")]
                raise LedgerError(f"No sealed test set {seal!r} in {str(self.path)!r}. Known: {known[:10]}.")
            head = self._append(db, "retire", seal, {"reason": reason})
        self.head.advance(*head)

    # -- reading -----------------------------------------------------------------------------

    def unsealings(self, seal: str) -> int:
        """How many times the test set ``seal`` has been evaluated."""
        return self.looks(seal).unsealings

    def looks(self, seal: str) -> Looks:
        """How many times the test set ``seal`` has been evaluated, and by how many distinct models."""
        if not self.path.exists():
            return Looks(0, 0)
        with self._transaction() as db:
            return self._looks(db, seal)

    def fingerprint_version(self) -> int:
        """The row-fingerprint definition this ledger was written with (this heldout's, when new)."""
        if not self.path.exists():
            return FINGERPRINT_VERSION
        with self._transaction(versioned=False) as db:
            return _store.stored_version(db)

    def entries(self) -> list[dict]:
        """Every entry, oldest first, with its payload decoded."""
        if not self.path.exists():
            return []
        with self._transaction(versioned=False) as db:   # the record stays readable whatever its version
            rows = db.execute("SELECT seq, time, kind, seal, payload, prev, hash FROM entries ORDER BY seq").fetchall()
        return [dict(seq=r[0], time=r[1], kind=r[2], seal=r[3], payload=json.loads(r[4]), prev=r[5], hash=r[6])
                for r in rows]

    def sealed_overlap(self, features: pd.DataFrame, target: pd.Series, *, fingerprints: np.ndarray | None = None,
                       own_seal: str | None = None, evaluated_only: bool = False) -> list[dict]:
        """Sealed test sets (other than ``own_seal``) that share rows with the table ``features`` +
        ``target``: those not retired, or with ``evaluated_only`` those already evaluated at least
        once, retired or not.

        Rows are compared on each sealed set's columns, whatever their order in the table. The
        table's own ``fingerprints`` (computed here when not given) serve every sealed set with
        the table's columns; rows of a table with extra columns are fingerprinted again over a
        sealed set's columns, once per distinct set of columns. A sealed set with a column the
        table lacks cannot share its rows and is passed over.

        Each finding: the seal, its recorded info, and the positions of the shared rows.
        """
        if not self.path.exists():
            return []
        with self._transaction() as db:
            retired = {r[0] for r in db.execute("SELECT seal FROM entries WHERE kind = 'retire'")}
            evaluated = {r[0] for r in db.execute("SELECT seal FROM entries WHERE kind = 'unseal'")}
            sealed = db.execute("SELECT seal, fingerprints FROM sealed_rows").fetchall()
            info = {r[0]: json.loads(r[1]) for r in db.execute("SELECT seal, payload FROM entries WHERE kind='seal'")}
        table = tuple(sorted(map(str, features.columns)))
        hashed = {} if fingerprints is None else {table: fingerprints}   # by sorted column names

        def rows_over(columns: tuple) -> np.ndarray:
            if columns not in hashed:
                hashed[columns] = row_fingerprints(features[list(columns)], target)
            return hashed[columns]

        findings = []
        for seal, blob in sealed:
            skip = seal not in evaluated if evaluated_only else seal in retired
            columns = tuple(info.get(seal, {}).get("columns") or table)
            if seal == own_seal or skip or not set(columns) <= set(table):
                continue
            shared = np.flatnonzero(np.isin(rows_over(columns), np.frombuffer(blob, dtype=np.uint64)))
            if len(shared):
                findings.append({"seal": seal, "info": info.get(seal, {}), "positions": shared})
        return findings

    def anchor(self) -> str:
        """The newest entry's hash: kept elsewhere (a commit message, a paper's supplement), it lets
        :meth:`verify` notice entries deleted from the end together with the head file, which the
        files alone cannot show. (Whoever can rewrite the files can rewrite the record; an anchor
        they cannot reach is what they cannot rewrite.)"""
        entries = self.entries()
        return entries[-1]["hash"] if entries else _store.GENESIS

    def verify(self, anchor: str | None = None) -> Verification:
        """Recompute the chain; report every entry whose hash, link or stored rows do not match, a
        head that names an entry the ledger does not hold, and an ``anchor`` (a hash from
        :meth:`anchor`) that is not in the chain."""
        head = self.head.read()   # before the entries: a head read now names entries committed by now
        entries = self.entries()
        problems: list[str] = []
        prev = _store.GENESIS
        for expected_seq, e in enumerate(entries, start=1):
            if e["seq"] != expected_seq:
                problems.append(f"entry {expected_seq} is missing (next entry is {e['seq']}): deleted")
            if e["prev"] != prev:
                problems.append(f"entry {e['seq']} does not link to the entry before it: an entry was deleted or edited")
            if _store.entry_hash(e["seq"], e["time"], e["kind"], e["seal"], e["payload"], e["prev"]) != e["hash"]:
                problems.append(f"entry {e['seq']} ({e['kind']} of {e['seal']}) was edited after it was written")
            prev = e["hash"]
        problems += self._check_sealed_rows(entries)
        problem = _head.problem(head, entries)
        if problem:
            problems.append(problem)
        if anchor is not None and anchor != _store.GENESIS and all(e["hash"] != anchor for e in entries):
            problems.append(f"the anchor {anchor} is not the hash of any entry: entries were deleted from the end or "
                            "rewritten since it was taken")
        return Verification(ok=not problems, entries=len(entries), problems=problems)

    # -- internals ---------------------------------------------------------------------------

    def _check_sealed_rows(self, entries: list[dict]) -> list[str]:
        with self._transaction(versioned=False) as db:
            blobs = dict(db.execute("SELECT seal, fingerprints FROM sealed_rows").fetchall())
        problems = []
        for e in entries:
            if e["kind"] == "seal":
                blob = blobs.get(e["seal"])
                if blob is None or hashlib.sha256(blob).hexdigest() != e["payload"].get("rows_sha256"):
                    problems.append(f"the stored rows of sealed test set {e['seal']} were changed or removed")
        return problems

    def _append(self, db: sqlite3.Connection, kind: str, seal: str, payload: dict) -> tuple[int, str]:
        """Insert one entry in the open transaction; returns its (seq, hash) for the head. A ledger
        whose head names more entries than it holds is refused: appending would hide the loss."""
        last = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, _store.GENESIS)
        head = self.head.read()
        if head is not None and isinstance(head.get("entries"), int) and head["entries"] > seq - 1:
            raise LedgerError(f"The ledger at {str(self.path)!r} fails verification: its head records "
                              f"{head['entries']} entries and it holds {seq - 1}, so entries were deleted from its "
                              "end. Nothing more is written to it. Run `heldout ledger --verify` to see the record; "
                              "restore the ledger from a copy, or start a new one (another HELDOUT_HOME).")
        time = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds")
        payload = json.loads(json.dumps(payload, default=_store.plain))  # what is stored is what is hashed
        digest = _store.entry_hash(seq, time, kind, seal, payload, prev)
        db.execute("INSERT INTO entries (seq, time, kind, seal, payload, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (seq, time, kind, seal, _store.canonical_json(payload), prev, digest))
        return seq, digest

    def _looks(self, db: sqlite3.Connection, seal: str) -> Looks:
        payloads = [json.loads(r[0]) for r in db.execute(
            "SELECT payload FROM entries WHERE kind = 'unseal' AND seal = ?", (seal,))]
        return Looks(len(payloads), len({p.get("model") for p in payloads}))

    def _transaction(self, versioned: bool = True) -> _store.Transaction:
        return _store.Transaction(self.path, versioned)

