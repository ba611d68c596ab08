"""The ledger: an append-only, hash-chained record of every sealing and unsealing of a test set.

A ledger lives in a folder, as SQLite (standard library) at ``FOLDER/ledger.sqlite`` with a head
file beside it (:mod:`.sqlite`), or in a PostgreSQL database named by a ``postgresql://`` URL,
shared by every host that reaches it (:mod:`.postgres`). Both keep the same entries, chain and
verification (:mod:`._chain`). The ledger, when none is given, is ``$HELDOUT_LEDGER`` (a folder or
a URL) when set; else the folder :func:`home`, which is, in this order:

1. ``$HELDOUT_HOME``, when set;
2. ``.heldout`` at the root of the git work tree that holds the working directory (the nearest
   folder above it, or itself, with a ``.git``), so every directory of a project shares one ledger;
3. a folder for the user: ``$XDG_DATA_HOME/heldout``, else ``~/.local/share/heldout``.

A run directory records the ledger its test set was sealed in (:attr:`Ledger.location`: a folder,
or a URL without its password), and ``heldout evaluate`` counts the look there, from whatever
directory it is run. Each entry stores the hash of the entry before it, and a head holds a recent
hash and its entry count, so :meth:`Ledger.verify` notices an edited entry, a deleted entry and a
truncated tail. The head only moves forward and never ahead of the entries: entries past the head
are allowed (a process killed between an entry's commit and the head file), a head past the
entries is not. A ``meta`` table records the row-fingerprint definition the ledger was written with
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

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from ..data.fingerprint import FINGERPRINT_VERSION, row_fingerprints
from ..errors import LedgerError
from . import chain as _chain
from . import head as _head
from . import location as _location
from .location import home  # noqa: F401  (where it was first defined: heldout.ledger.ledger.home)
from .sqlite import SQLiteStore


class Looks(NamedTuple):
    """The looks at one test set, as the ledger counts them."""

    unsealings: int  # evaluations, repeated looks at the same model included
    models: int  # distinct models evaluated


@dataclass
class Verification:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


class Ledger:
    """Append-only, hash-chained record kept at ``location``: a folder (SQLite) or a
    ``postgresql://`` URL; default: ``$HELDOUT_LEDGER``, else :func:`home`.

    ``location`` is what the ledger is shown and recorded as: the folder's absolute path, or the
    URL without its password. ``folder``, ``path`` and ``head_path`` are the SQLite files (None
    for a database)."""

    def __init__(self, location: str | Path | None = None):
        where = _location.chosen(location)
        if isinstance(where, Path):
            self._store = SQLiteStore(where)
            self.folder, self.path, self.head_path = where, self._store.path, self._store.head_path
        else:
            from .postgres import PostgresStore  # psycopg only for a database

            self._store = PostgresStore(where)
            self.folder = self.path = self.head_path = None
        self.location: str = self._store.location

    def __repr__(self) -> str:
        return f"Ledger({self.location!r})"

    def exists(self) -> bool:
        """Whether a ledger is there (for a database: whether it holds the ledger's tables)."""
        return self._store.exists()

    # -- writing -----------------------------------------------------------------------------

    def seal(
        self,
        seal: str,
        fingerprints: np.ndarray,
        info: dict,
        *,
        columns: Sequence[str] | None = None,
    ) -> None:
        """Record a new sealed test set, its rows' fingerprints and its feature ``columns`` (whose
        values, with the target's, the fingerprints cover); a seal already recorded is left as it
        is."""
        blob = np.sort(np.asarray(fingerprints, dtype=np.uint64)).tobytes()
        with self._store.writing() as records:
            if records.is_sealed(seal):
                return
            records.add_sealed_rows(seal, blob)
            payload = dict(
                info, rows=int(len(fingerprints)), rows_sha256=hashlib.sha256(blob).hexdigest()
            )
            if columns is not None:
                payload["columns"] = sorted(map(str, columns))
            self._append(records, "seal", seal, payload)

    def record_unsealing(
        self, seal: str, *, model: str, metrics: dict, info: dict | None = None
    ) -> Looks:
        """Record one look at a sealed test set by ``model`` (its fingerprint); returns the looks it
        has had and the distinct models among them, this one included."""
        with self._store.writing() as records:
            self._append(records, "unseal", seal, dict(info or {}, model=model, metrics=metrics))
            return _looks(records, seal)

    def record_audit(self, seal: str, info: dict) -> None:
        """A leakage check read the test rows (not an evaluation: no model, no metrics)."""
        with self._store.writing() as records:
            self._append(records, "audit", seal, {"info": info})

    def retire(self, seal: str, reason: str) -> None:
        """Release a sealed test set's rows for training, leaving the reason on record."""
        if not reason.strip():
            raise LedgerError(
                "Retiring a sealed test set needs a reason, e.g. --reason 'new split by patient'."
            )
        with self._store.writing() as records:
            if not records.is_sealed(seal):
                known = sorted(records.sealed_rows())
                raise LedgerError(
                    f"No sealed test set {seal!r} in the ledger {self.location!r}. Known: "
                    f"{known[:10]}."
                )
            self._append(records, "retire", seal, {"reason": reason})

    def migrate(self, source: Ledger | str | Path) -> int:
        """Copy the entries and sealed rows of the ledger ``source`` that this one does not hold
        yet, as they are (times, links and hashes kept, so the copy verifies as the original did);
        returns how many entries were copied (none when this ledger already holds all of them, and
        goes on after them). Refused when ``source`` does not verify, was written with another
        row-fingerprint version, or when the two chains have parted (one cannot be joined to the
        other)."""
        source = source if isinstance(source, Ledger) else Ledger(source)
        head = source._store.head()
        with source._store.reading(versioned=False) as read:
            entries, rows = (read.entries(), read.sealed_rows()) if read is not None else ([], {})
            version = read.version() if read is not None else FINGERPRINT_VERSION
        problems = _problems(head, entries, rows)
        if problems:
            raise LedgerError(
                f"The ledger {source.location!r} fails verification, so it is not copied: "
                + "; ".join(problems)
                + ". Run `heldout ledger --verify` on it to see the record."
            )
        if version != FINGERPRINT_VERSION:
            raise LedgerError(
                f"The ledger {source.location!r} was written with row fingerprints of version "
                f"{version}, and this heldout computes version {FINGERPRINT_VERSION}: its sealed "
                "rows would not be recognised in the new ledger. Keep it as the record it is, "
                "and split again into the new ledger to re-seal its test sets."
            )
        with self._store.writing() as records:
            held, theirs = [e["hash"] for e in records.entries()], [e["hash"] for e in entries]
            if (
                held[: len(theirs)] != theirs[: len(held)]
            ):  # neither chain is the beginning of the other
                raise LedgerError(
                    f"The ledger {self.location!r} holds {len(held)} entries, and they are not the "
                    f"first entries of {source.location!r}, nor is it theirs: the two chains have "
                    "parted and cannot be joined. Copy into an empty ledger (another database, or "
                    "another folder)."
                )
            for seal, blob in rows.items():
                if not records.is_sealed(seal):
                    records.add_sealed_rows(seal, blob)
            for entry in entries[len(held) :]:
                records.add(entry)
        return max(len(entries) - len(held), 0)

    # -- reading -----------------------------------------------------------------------------

    def unsealings(self, seal: str) -> int:
        """How many times the test set ``seal`` has been evaluated."""
        return self.looks(seal).unsealings

    def looks(self, seal: str) -> Looks:
        """How many times the test set ``seal`` has been evaluated, and by how many distinct
        models."""
        with self._store.reading() as records:
            return _looks(records, seal) if records is not None else Looks(0, 0)

    def fingerprint_version(self) -> int:
        """The row-fingerprint definition this ledger was written with (this heldout's, when
        new)."""
        with self._store.reading(versioned=False) as records:
            return records.version() if records is not None else FINGERPRINT_VERSION

    def entries(self) -> list[dict]:
        """Every entry, oldest first, with its payload decoded."""
        with self._store.reading(
            versioned=False
        ) as records:  # the record stays readable whatever its version
            return records.entries() if records is not None else []

    def sealed_overlap(
        self,
        features: pd.DataFrame,
        target: pd.Series,
        *,
        fingerprints: np.ndarray | None = None,
        own_seal: str | None = None,
        evaluated_only: bool = False,
    ) -> list[dict]:
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
        with self._store.reading() as records:
            if records is None:
                return []
            retired, evaluated = records.seals("retire"), records.seals("unseal")
            sealed = records.sealed_rows().items()
            info = {e["seal"]: e["payload"] for e in records.entries(kind="seal")}
        table = tuple(sorted(map(str, features.columns)))
        hashed = {} if fingerprints is None else {table: fingerprints}  # by sorted column names

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
            shared = np.flatnonzero(
                np.isin(rows_over(columns), np.frombuffer(blob, dtype=np.uint64))
            )
            if len(shared):
                findings.append({"seal": seal, "info": info.get(seal, {}), "positions": shared})
        return findings

    def anchor(self) -> str:
        """The newest entry's hash: kept elsewhere (a commit message, a paper's supplement), it lets
        :meth:`verify` notice entries deleted from the end together with the head, which the
        ledger alone cannot show. (Whoever can rewrite the ledger can rewrite the record; an anchor
        they cannot reach is what they cannot rewrite.)"""
        entries = self.entries()
        return entries[-1]["hash"] if entries else _chain.GENESIS

    def verify(self, anchor: str | None = None) -> Verification:
        """Recompute the chain; report every entry whose hash, link or stored rows do not match, a
        head that names an entry the ledger does not hold, and an ``anchor`` (a hash from
        :meth:`anchor`) that is not in the chain."""
        head = (
            self._store.head()
        )  # before the entries: a head read now names entries committed by now
        with self._store.reading(versioned=False) as records:
            entries, rows = (
                (records.entries(), records.sealed_rows()) if records is not None else ([], {})
            )
        problems = _problems(head, entries, rows)
        if (
            anchor is not None
            and anchor != _chain.GENESIS
            and all(e["hash"] != anchor for e in entries)
        ):
            problems.append(
                f"the anchor {anchor} is not the hash of any entry: entries were deleted from the "
                "end or rewritten since it was taken"
            )
        return Verification(ok=not problems, entries=len(entries), problems=problems)

    # -- internals ---------------------------------------------------------------------------

    def _append(self, records, kind: str, seal: str, payload: dict) -> None:
        """Write one entry in the open transaction, linked to the newest. A ledger whose head names
        more entries than it holds is refused: appending would hide the loss."""
        last = records.last()
        held = last[0] if last else 0
        head = records.head()
        if head is not None and isinstance(head.get("entries"), int) and head["entries"] > held:
            raise LedgerError(
                f"The ledger {self.location!r} fails verification: its head records "
                f"{head['entries']} entries and it holds {held}, so entries were deleted from its "
                "end. Nothing more is written to it. Run `heldout ledger --verify` to see the "
                "record; restore the ledger from a copy, or start a new one (another "
                "HELDOUT_HOME or HELDOUT_LEDGER)."
            )
        records.add(_chain.link(last, records.now(), kind, seal, payload))


def _problems(head: dict | None, entries: list[dict], rows: dict[str, bytes]) -> list[str]:
    problems = _chain.problems(entries, rows)
    problem = _head.problem(head, entries)
    return problems + [problem] if problem else problems


def _looks(records, seal: str) -> Looks:
    payloads = [e["payload"] for e in records.entries(kind="unseal", seal=seal)]
    return Looks(len(payloads), len({p.get("model") for p in payloads}))
