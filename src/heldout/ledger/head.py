"""The ledger's head: a recent entry's count and hash, so that deleting entries from the end is
noticed. In a folder it is a file beside the database (:class:`Head`), written after the entry's
commit and only forward, so a kill at any instant leaves it at or behind the entries, never ahead
of them; in PostgreSQL it is a table written in the entry's own transaction. :func:`problem`
judges either against the entries."""

from __future__ import annotations

import contextlib
import fcntl
import json
from pathlib import Path

from .._util.files import atomic_write


class Head:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def advance(self, seq: int, digest: str) -> None:
        """Move the head to entry ``seq`` unless it already names a later one (writers finishing out
        of order never move it back)."""
        with self._lock():
            current = self.read()
            if (
                current is not None
                and isinstance(current.get("entries"), int)
                and current["entries"] >= seq
            ):
                return
            atomic_write(self.path, json.dumps({"entries": seq, "hash": digest}))

    @contextlib.contextmanager
    def _lock(self):
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def problem(head: dict | None, entries: list[dict]) -> str | None:
    """What is wrong with the head against the entries: none when it names one of them by its hash
    (entries after it were appended since, or a writer died between its commit and the head)."""
    if head is None:
        return None
    count = head.get("entries")
    if not isinstance(count, int) or count < 0:
        return f"the head is not a head (it reads {head!r}): it was replaced"
    if count > len(entries):
        return (
            f"the ledger holds {len(entries)} entries but its head records {count}: entries were "
            "deleted from the end"
        )
    if count and entries[count - 1]["hash"] != head.get("hash"):
        return f"entry {count} is not the one the head records: entries were replaced"
    return None
