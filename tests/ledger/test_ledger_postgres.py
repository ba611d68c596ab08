"""The ledger kept in PostgreSQL: the same record as in SQLite (one contract over both stores),
tampering noticed, one chain under concurrent appenders in other processes, a look counted across
working directories, a local ledger migrated, and no password ever shown. Real processes and a
real server (tests/postgres.py), bounded in time."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heldout import LedgerError
from heldout.ledger.ledger import Ledger

psycopg = pytest.importorskip(
    "psycopg", reason="psycopg is not installed: pip install 'heldout[postgres]'"
)


def _sql(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(statement)


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request, tmp_path):
    """A new, empty ledger in each store."""
    if request.param == "sqlite":
        return Ledger(tmp_path / "ledger")
    return Ledger(request.getfixturevalue("postgres_url"))


def _record(led: Ledger) -> None:
    led.seal("abc", np.array([3, 1, 2], dtype=np.uint64), {"dataset": "toy"}, columns=["x", "y"])
    led.seal(
        "abc", np.array([9], dtype=np.uint64), {"dataset": "again"}
    )  # already sealed: left as it is
    led.record_unsealing("abc", model="m1", metrics={"rmse": np.float64(1.5)})
    led.record_audit("abc", {"purpose": "twins", "rows": 3})
    led.seal("def", np.array([4, 5], dtype=np.uint64), {"dataset": "other"})
    led.retire("def", "new split by patient")


# -- one contract, both stores ---------------------------------------------------------------


def test_a_ledger_records_counts_and_verifies_the_same_in_both_stores(ledger):
    assert not ledger.exists() and ledger.entries() == [] and ledger.looks("abc") == (0, 0)
    _record(ledger)
    assert ledger.exists()
    assert ledger.record_unsealing("abc", model="m1", metrics={}) == (2, 1)
    assert ledger.record_unsealing("abc", model="m2", metrics={}) == (3, 2)
    entries = ledger.entries()
    assert [(e["seq"], e["kind"], e["seal"]) for e in entries] == [
        (1, "seal", "abc"),
        (2, "unseal", "abc"),
        (3, "audit", "abc"),
        (4, "seal", "def"),
        (5, "retire", "def"),
        (6, "unseal", "abc"),
        (7, "unseal", "abc"),
    ]
    assert entries[0]["payload"]["columns"] == ["x", "y"] and entries[1]["payload"]["metrics"] == {
        "rmse": 1.5
    }
    assert [e["prev"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    check = ledger.verify(anchor=ledger.anchor())
    assert check.ok and check.entries == 7, check.problems
    with pytest.raises(LedgerError, match="No sealed test set 'zzz'.*Known: \\['abc', 'def'\\]"):
        ledger.retire("zzz", "a reason")


def test_sealed_rows_are_found_and_retired_ones_released_in_both_stores(ledger):
    import pandas as pd

    from heldout.data.fingerprint import row_fingerprints

    table = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    target = pd.Series([0, 1, 0, 1])
    prints = row_fingerprints(table, target)
    ledger.seal("t1", prints[:2], {}, columns=["x"])
    ledger.seal("t2", prints[2:], {}, columns=["x"])
    found = ledger.sealed_overlap(table, target)
    assert {f["seal"]: list(f["positions"]) for f in found} == {"t1": [0, 1], "t2": [2, 3]}
    ledger.retire("t2", "released")
    assert [f["seal"] for f in ledger.sealed_overlap(table, target)] == ["t1"]


# -- PostgreSQL's own ------------------------------------------------------------------------


def test_edited_deleted_and_truncated_entries_are_found_in_the_database(postgres_url):
    led = Ledger(postgres_url)
    _record(led)
    _sql(
        postgres_url,
        "UPDATE heldout.entries SET payload = replace(payload, '1.5', '0.5') WHERE seq = 2",
    )
    assert any("entry 2" in p and "edited" in p for p in led.verify().problems)
    _sql(postgres_url, "DELETE FROM heldout.entries WHERE seq = 3")
    assert any("entry 3 is missing" in p for p in led.verify().problems)
    _sql(postgres_url, "DELETE FROM heldout.entries WHERE seq = 5")
    assert any("head records 5" in p and "deleted from the end" in p for p in led.verify().problems)
    with pytest.raises(
        LedgerError, match="fails verification: its head records 5 entries and it holds 4"
    ):
        led.record_audit("abc", {})  # appending would hide the loss
    _sql(postgres_url, "UPDATE heldout.sealed_rows SET fingerprints = '\\x00' WHERE seal = 'abc'")
    assert any(
        "stored rows of sealed test set abc were changed" in p for p in led.verify().problems
    )


def test_a_head_ahead_of_the_entries_is_found_and_one_at_them_is_not(postgres_url):
    led = Ledger(postgres_url)
    _record(led)
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT entries, hash FROM heldout.head").fetchone() == (5, led.anchor())
    assert led.verify().ok
    _sql(postgres_url, "UPDATE heldout.head SET entries = 9")
    assert any("holds 5 entries but its head records 9" in p for p in led.verify().problems)
    _sql(postgres_url, f"UPDATE heldout.head SET entries = 2, hash = '{'f' * 64}'")
    assert any("entry 2 is not the one the head records" in p for p in led.verify().problems)


def test_the_database_records_the_fingerprint_version_and_refuses_another(postgres_url):
    from heldout.data.fingerprint import FINGERPRINT_VERSION

    led = Ledger(postgres_url)
    _record(led)
    assert led.fingerprint_version() == FINGERPRINT_VERSION
    _sql(postgres_url, "UPDATE heldout.meta SET value = '1' WHERE key = 'fingerprint_version'")
    with pytest.raises(
        LedgerError, match="version 1, and this heldout computes.*HELDOUT_LEDGER.*split again"
    ):
        led.record_audit("abc", {})
    assert len(led.entries()) == 5 and led.fingerprint_version() == 1  # the record stays readable


APPENDER = """
import sys
from heldout.ledger.ledger import Ledger
led = Ledger(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()   # all start together
for i in range(25):
    led.record_unsealing("s", model=sys.argv[2], metrics={"i": i})
"""


def test_four_processes_appending_at_once_keep_one_chain_in_the_order_the_database_gave(
    postgres_url,
):
    Ledger(postgres_url).seal("s", np.array([1, 2, 3], dtype=np.uint64), {})
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, postgres_url, f"w{k}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    for w in writers:
        assert w.stdout.readline().strip() == "ready"
    for w in writers:
        w.stdin.write("go\n")
        w.stdin.close()
    for w in writers:
        assert w.wait(timeout=120) == 0
    led = Ledger(postgres_url)
    check = led.verify()
    assert check.ok and check.entries == 101, check.problems
    assert led.looks("s") == (100, 4)
    entries = led.entries()
    assert [e["seq"] for e in entries] == list(range(1, 102))
    assert [e["time"] for e in entries] == sorted(
        e["time"] for e in entries
    )  # one clock, the lock's order
    for k in range(4):  # each writer's entries in its own order
        mine = [
            e["payload"]["metrics"]["i"] for e in entries if e["payload"].get("model") == f"w{k}"
        ]
        assert mine == list(range(25))


def _cli(cwd: Path, env: dict, *args, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "heldout", *args],
        cwd=cwd,
        env={**env, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0 or not check, done.stderr[-3000:]
    return done


def test_two_working_directories_evaluating_one_test_set_through_the_shared_ledger_see_evaluation_2(
    postgres_url, tmp_path
):
    env = {**os.environ, "HELDOUT_LEDGER": postgres_url, "HELDOUT_HOME": str(tmp_path / "local")}
    looks = []
    for name in ("alice", "bob"):  # two checkouts, each training and evaluating on its own
        (tmp_path / name).mkdir()
        _cli(
            tmp_path / name, env, "train", "--dataset", "diabetes", "--epochs", "5", "--out", "run"
        )
        assert (
            json.loads((tmp_path / name / "run" / "config.json").read_text())["ledger"]
            == postgres_url
        )
        looks.append(_cli(tmp_path / name, env, "evaluate", "run"))
    assert (
        f"Recorded in the ledger at {postgres_url}: evaluation 1 of this test set"
        in looks[0].stdout
    )
    assert (
        f"Recorded in the ledger at {postgres_url}: evaluation 2 of this test set"
        in looks[1].stdout
    )
    assert "has now been evaluated 2 times" in looks[1].stderr
    assert not (
        tmp_path / "local"
    ).exists()  # HELDOUT_LEDGER named the ledger; no local one was made
    kinds = [e["kind"] for e in Ledger(postgres_url).entries()]
    assert (
        kinds.count("seal") == 1 and kinds.count("unseal") == 2 and Ledger(postgres_url).verify().ok
    )


def test_a_local_ledger_migrated_into_the_database_keeps_its_hashes(postgres_url, tmp_path):
    local = Ledger(tmp_path / "local")
    _record(local)
    env = {**os.environ, "HELDOUT_LEDGER": postgres_url}
    done = _cli(tmp_path, env, "ledger", "--migrate", str(tmp_path / "local"))
    assert (
        f"Copied 5 entries from {local.location} into {postgres_url}" in done.stdout
        and "intact" in done.stdout
    )
    shared = Ledger(postgres_url)
    assert shared.entries() == local.entries() and shared.verify(anchor=local.anchor()).ok
    assert shared.looks("abc") == local.looks("abc") == (1, 1)
    assert shared.record_unsealing("abc", model="m2", metrics={}) == (
        2,
        2,
    )  # the chain goes on in the database
    assert (
        shared.migrate(local) == 0 and len(shared.entries()) == 6
    )  # copied already: nothing to do
    local.record_audit("abc", {})  # the two have parted: one chain cannot be joined to the other
    with pytest.raises(
        LedgerError, match="holds 6 entries, and they are not the first entries of .*parted"
    ):
        shared.migrate(local)
    copy = Ledger(tmp_path / "copy")  # any store into any: a folder too
    assert copy.migrate(local) == 6 and copy.migrate(local) == 0
    local.record_audit("abc", {})
    assert (
        copy.migrate(local) == 1 and copy.entries() == local.entries() and copy.verify().ok
    )  # only the rest


def test_a_tampered_local_ledger_is_not_migrated(postgres_url, tmp_path):
    import sqlite3

    local = Ledger(tmp_path / "local")
    _record(local)
    db = sqlite3.connect(local.path)
    db.execute("UPDATE entries SET payload = replace(payload, '1.5', '0.5') WHERE seq = 2")
    db.commit()
    db.close()
    refused = _cli(
        tmp_path,
        dict(os.environ),
        "ledger",
        "--ledger",
        postgres_url,
        "--migrate",
        str(tmp_path / "local"),
        check=False,
    )
    assert refused.returncode == 2 and "fails verification, so it is not copied" in refused.stderr
    assert (
        "entry 2 (unseal of abc) was edited" in refused.stderr and "Traceback" not in refused.stderr
    )
    assert Ledger(postgres_url).entries() == []


# -- locations, passwords, the driver --------------------------------------------------------


def test_a_password_is_never_shown_nor_recorded(monkeypatch):
    url = "postgresql://me:s3cr%40t@127.0.0.1:1/db?sslmode=disable&password=other"
    led = Ledger(url)
    assert led.location == repr(led)[8:-2] == "postgresql://me@127.0.0.1:1/db?sslmode=disable"
    with pytest.raises(LedgerError) as refused:
        led.entries()
    message = str(refused.value)
    assert (
        "Cannot connect to the ledger 'postgresql://me@127.0.0.1:1/db?sslmode=disable'" in message
    )
    assert "s3cr" not in message and "other" not in message and "PGPASSWORD" in message


def test_a_recorded_url_borrows_the_password_of_heldout_ledger_for_the_same_database(monkeypatch):
    from heldout.ledger import location as _location

    monkeypatch.setenv("HELDOUT_LEDGER", "postgresql://me:pw@db.example:5432/ledger")
    assert (
        _location.with_known_password("postgresql://me@db.example:5432/ledger")
        == os.environ["HELDOUT_LEDGER"]
    )
    assert (
        _location.with_known_password("postgresql://me@db.example:5432/other")
        == "postgresql://me@db.example:5432/other"
    )
    assert Ledger().location == "postgresql://me@db.example:5432/ledger"


def test_a_url_of_another_kind_is_refused_rather_than_taken_for_a_folder():
    with pytest.raises(
        LedgerError,
        match=r"'postgresql\+psycopg://me@h/db' is neither a folder nor a PostgreSQL URL",
    ):
        Ledger("postgresql+psycopg://me:pw@h/db")


def test_without_psycopg_a_database_ledger_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if it were not installed
    with pytest.raises(
        LedgerError, match=r"psycopg, is not installed.*pip install 'heldout\[postgres\]'"
    ):
        Ledger("postgres://me@127.0.0.1/db")
    assert Ledger(Path("folder")).location.endswith("folder")  # a folder needs no driver
