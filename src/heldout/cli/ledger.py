"""`heldout ledger`: the record of every sealing and unsealing of a test set."""

from __future__ import annotations

import sys

import click

from ._output import console, emit_json, err_console, styled, table


@click.command("ledger")
@click.option(
    "--verify", is_flag=True, help="Check the hash chain; exit 1 if an entry was edited or deleted."
)
@click.option(
    "--retire",
    metavar="TEST_FINGERPRINT",
    help="Release a sealed test set's rows (needs --reason).",
)
@click.option("--reason", default="", help="Why a test set is retired; recorded in the ledger.")
@click.option(
    "--anchor",
    "anchor",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[HASH]",
    help="Alone: print the newest entry's hash, to keep elsewhere. With --verify HASH: check "
    "that the ledger still holds the entry of that hash.",
)
@click.option(
    "--migrate",
    metavar="FOLDER_OR_URL",
    help="Copy that ledger's entries, once its chain verifies, into "
    "this one (empty, or holding that ledger's first entries), keeping their hashes.",
)
@click.option(
    "--ledger",
    "location",
    metavar="FOLDER_OR_URL",
    help="The ledger: a folder, or a postgresql:// URL "
    "shared by several hosts (default: $HELDOUT_LEDGER, else as below).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def command(
    verify: bool,
    retire: str | None,
    reason: str,
    anchor: str | None,
    migrate: str | None,
    location: str | None,
    as_json: bool,
) -> None:
    """Show the ledger: --ledger, else $HELDOUT_LEDGER (a folder or a postgresql:// URL), else
    $HELDOUT_HOME, else .heldout at the root of the enclosing git work tree, else
    $XDG_DATA_HOME/heldout (~/.local/share/heldout)."""
    from ..ledger.ledger import Ledger

    led = Ledger(location)
    if migrate:
        _migrate(led, Ledger(migrate), as_json)
        return
    if retire:
        led.retire(retire, reason)
        console.print(
            f"Retired test set {retire}; its rows may now be trained on. Recorded with the reason."
        )
        return
    if anchor == "" and not verify:
        head = led.anchor()
        emit_json({"anchor": head, "entries": len(led.entries())}) if as_json else click.echo(head)
        return
    if anchor is not None and verify and anchor == "":
        raise click.UsageError(
            "--verify --anchor needs the hash to check, e.g. --verify --anchor 3f2a...."
        )
    entries = led.entries()
    check = led.verify(anchor=anchor or None) if verify else None
    if as_json:
        out = {
            "path": str(led.path or led.location),
            "location": led.location,
            "fingerprint_version": led.fingerprint_version(),
            "entries": entries,
        }
        if check is not None:
            out["verified"] = {"ok": check.ok, "entries": check.entries, "problems": check.problems}
        emit_json(out)
    else:
        console.print(
            table(
                f"Ledger {led.path or led.location}",
                ["#", "time", "kind", "test set", "details"],
                [
                    [e["seq"], e["time"][:19].replace("T", " "), e["kind"], e["seal"], _details(e)]
                    for e in entries
                ],
            )
        )
        if check is not None and check.ok:
            console.print(f"Verified: the hash chain of {check.entries} entries is intact.")
    if check is not None and not check.ok:
        for problem in check.problems:
            err_console.print(styled("tampered:", "red", problem))
        sys.exit(1)


def _migrate(led, source, as_json: bool) -> None:
    """Copy ``source`` into ``led``, then verify ``led`` as a whole: the copy is checked, not
    assumed."""
    copied = led.migrate(source)
    check = led.verify()
    if as_json:
        emit_json(
            {
                "copied": copied,
                "from": source.location,
                "location": led.location,
                "entries": check.entries,
                "verified": {"ok": check.ok, "problems": check.problems},
            }
        )
    else:
        console.print(
            f"Copied {copied} entries from {source.location} into {led.location}, which holds "
            f"{check.entries} entries" + ("; its hash chain is intact." if check.ok else ".")
        )
    if not check.ok:
        for problem in check.problems:
            err_console.print(styled("tampered:", "red", problem))
        sys.exit(1)


def _details(entry: dict) -> str:
    p = entry["payload"]
    if entry["kind"] == "seal":
        split = f"{p.get('strategy')} split, seed {p.get('seed')}"
        return f"{p.get('rows')} rows of {p.get('dataset')!r}, {split}"
    if entry["kind"] == "unseal":
        shown = {k: round(v, 4) for k, v in p.get("metrics", {}).items() if isinstance(v, float)}
        return f"model {p.get('model')}: {shown}"
    return f"reason: {p.get('reason')}"
