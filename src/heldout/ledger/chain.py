"""The hash chain, whatever store keeps it: the canonical form an entry is hashed in, the link
from each entry to the one before, and the check of a whole chain.

An entry is a dict ``seq, time, kind, seal, payload, prev, hash``; its hash covers the other six,
so editing any of them, or removing an entry, breaks the chain from there on.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

GENESIS = "0" * 64  # the hash the first entry links to


def link(last: tuple[int, str] | None, time: str, kind: str, seal: str, payload: dict) -> dict:
    """The entry that follows ``last`` (its ``(seq, hash)``; None for the first entry)."""
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    payload = json.loads(json.dumps(payload, default=plain))  # what is stored is what is hashed
    return dict(
        seq=seq,
        time=time,
        kind=kind,
        seal=seal,
        payload=payload,
        prev=prev,
        hash=entry_hash(seq, time, kind, seal, payload, prev),
    )


def problems(entries: list[dict], sealed_rows: dict[str, bytes]) -> list[str]:
    """Every entry whose hash or link does not match, and every sealed test set whose stored rows
    (``sealed_rows``: seal to fingerprint bytes) are not the ones its entry recorded."""
    found: list[str] = []
    prev = GENESIS
    for expected_seq, e in enumerate(entries, start=1):
        if e["seq"] != expected_seq:
            found.append(f"entry {expected_seq} is missing (next entry is {e['seq']}): deleted")
        if e["prev"] != prev:
            found.append(
                f"entry {e['seq']} does not link to the entry before it: an entry was deleted or "
                "edited"
            )
        if (
            entry_hash(e["seq"], e["time"], e["kind"], e["seal"], e["payload"], e["prev"])
            != e["hash"]
        ):
            found.append(
                f"entry {e['seq']} ({e['kind']} of {e['seal']}) was edited after it was written"
            )
        prev = e["hash"]
    for e in entries:
        if e["kind"] == "seal":
            blob = sealed_rows.get(e["seal"])
            if blob is None or hashlib.sha256(blob).hexdigest() != e["payload"].get("rows_sha256"):
                found.append(
                    f"the stored rows of sealed test set {e['seal']} were changed or removed"
                )
    return found


def canonical_json(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=plain)


def entry_hash(seq: int, time: str, kind: str, seal: str, payload: dict, prev: str) -> str:
    body = canonical_json(
        {"seq": seq, "time": time, "kind": kind, "seal": seal, "payload": payload, "prev": prev}
    )
    return hashlib.sha256(body.encode()).hexdigest()


def plain(value):
    """JSON for numpy scalars and arrays."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot record {type(value).__name__} in the ledger")
