import json
import os
import sqlite3
import warnings

import numpy as np
import pytest

import heldout
from heldout import HeldoutWarning, LedgerError, SealedError
from heldout.data.fingerprint import FINGERPRINT_VERSION
from heldout.ledger.ledger import Ledger, home


def _evaluated_twice():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    model = heldout.fit(split, epochs=3).model
    heldout.evaluate(model, split)
    with pytest.warns(HeldoutWarning, match="evaluated 2 times"):
        second = heldout.evaluate(model, split)
    return split, model, second


def test_every_evaluation_is_recorded_with_its_metrics_and_counted():
    split, model, second = _evaluated_twice()
    assert second.unsealings == 2
    unseals = [e for e in Ledger().entries() if e["kind"] == "unseal"]
    assert len(unseals) == 2
    assert (
        unseals[-1]["seal"] == split.test.seal
        and unseals[-1]["payload"]["model"] == model.fingerprint
    )
    assert unseals[-1]["payload"]["metrics"]["accuracy"] == second.metrics["accuracy"]


def test_strict_mode_refuses_a_second_look_before_touching_the_rows():
    split, model, _ = _evaluated_twice()
    with pytest.raises(SealedError, match="already evaluated 2 time"):
        heldout.evaluate(model, split, strict=True)
    assert len([e for e in Ledger().entries() if e["kind"] == "unseal"]) == 2


def test_the_entry_is_written_before_the_numbers_are_returned(monkeypatch):
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    model = heldout.fit(split, epochs=2).model

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Ledger, "record_unsealing", broken)
    with pytest.raises(OSError):
        heldout.evaluate(model, split)  # no record, no numbers


def test_verify_detects_edited_deleted_and_truncated_entries():
    _evaluated_twice()
    led = Ledger()
    assert led.verify().ok and led.verify().entries == 3

    db = sqlite3.connect(led.path)
    db.execute(
        'UPDATE entries SET payload = replace(payload, \'"accuracy":\', \'"accuracy":0.99,"x":\') '
        "WHERE seq = 2"
    )
    db.commit()
    assert any("entry 2" in p and "edited" in p for p in led.verify().problems)

    db.execute("DELETE FROM entries WHERE seq = 2")
    db.commit()
    assert any("missing" in p for p in led.verify().problems)

    db.execute("DELETE FROM entries WHERE seq >= 2")
    db.commit()
    assert any("head records 3" in p and "deleted from the end" in p for p in led.verify().problems)
    db.close()
    with pytest.raises(
        LedgerError, match="fails verification: its head records 3 entries and it holds 1"
    ):
        led.record_audit("x", {})  # appending would hide the loss


def test_a_head_behind_the_entries_is_not_tampering_and_the_next_entry_repairs_it(tmp_path):
    led = Ledger(tmp_path)
    led.seal("abc", np.array([1, 2], dtype=np.uint64), {})
    behind = led.head_path.read_text()
    led.record_audit("abc", {})
    led.head_path.write_text(behind)  # as if the writer died between its commit and the head
    assert led.verify().ok
    led.record_audit("abc", {})
    assert json.loads(led.head_path.read_text())["entries"] == 3 and led.verify().ok
    led.head_path.write_text(json.dumps({"entries": 2, "hash": "f" * 64}))
    assert any("entry 2 is not the one the head records" in p for p in led.verify().problems)


def test_ledger_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "elsewhere"))
    heldout.split(heldout.datasets.load("iris"), seed=0)
    assert (tmp_path / "elsewhere" / "ledger.sqlite").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Ledger().verify().ok


def test_repeated_looks_at_one_model_are_told_apart_from_other_models():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    first, second = heldout.fit(split, epochs=2).model, heldout.fit(split, epochs=3).model
    assert heldout.evaluate(first, split).models == 1
    with pytest.warns(HeldoutWarning, match="evaluated 2 times, by 1 model "):
        again = heldout.evaluate(first, split)
    assert (again.unsealings, again.models) == (2, 1)
    with pytest.warns(HeldoutWarning, match="evaluated 3 times, by 2 distinct models"):
        other = heldout.evaluate(second, split)
    assert (other.unsealings, other.models) == (3, 2)
    assert other.to_dict()["models"] == 2 and other.to_dict()["ledger_count"] == 3
    assert (
        other.ledger
        == other.to_dict()["ledger"]
        == str(Ledger().folder)
        == os.environ["HELDOUT_HOME"]
    )
    with pytest.raises(SealedError, match="already evaluated 3 time.*by 2 distinct models"):
        heldout.evaluate(second, split, strict=True)


def _nested(root, *, git: bool):
    if git:
        (root / ".git").mkdir(parents=True)
    (root / "a" / "b").mkdir(parents=True)
    return root / "a" / "b"


def test_the_default_ledger_is_the_project_s_then_the_user_s(tmp_path, monkeypatch):
    monkeypatch.delenv("HELDOUT_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(_nested(tmp_path / "project", git=True))
    assert home() == tmp_path / "project" / ".heldout"
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".git").write_text(
        "gitdir: /elsewhere\n"
    )  # a git worktree's .git is a file
    monkeypatch.chdir(tmp_path / "worktree")
    assert home() == tmp_path / "worktree" / ".heldout"

    outside = _nested(tmp_path / "plain", git=False)
    if any((p / ".git").exists() for p in (outside, *outside.parents)):
        pytest.skip("the temporary folder lies inside a git work tree")
    monkeypatch.chdir(outside)
    assert home() == tmp_path / "xdg" / "heldout"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert home() == tmp_path / "me" / ".local" / "share" / "heldout"
    monkeypatch.setenv("HELDOUT_HOME", "relative/led")
    assert home() == outside / "relative" / "led" and Ledger().folder.is_absolute()


def test_a_new_ledger_records_its_fingerprint_version():
    heldout.split(heldout.datasets.load("iris"), seed=0)
    db = sqlite3.connect(Ledger().path)
    assert db.execute("SELECT value FROM meta WHERE key = 'fingerprint_version'").fetchone() == (
        str(FINGERPRINT_VERSION),
    )
    db.close()
    assert Ledger().fingerprint_version() == FINGERPRINT_VERSION


@pytest.mark.parametrize("older", ["no meta table", "version 1"])
def test_a_ledger_of_another_fingerprint_version_is_refused_with_the_fix(older):
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    db = sqlite3.connect(Ledger().path)
    if older == "no meta table":  # a ledger from before versions were recorded holds version 1
        db.execute("DROP TABLE meta")
    else:
        db.execute("UPDATE meta SET value = '1' WHERE key = 'fingerprint_version'")
    db.commit()
    db.close()
    expected = (
        f"version 1, and this heldout computes version {FINGERPRINT_VERSION}"
        ".*HELDOUT_HOME.*split again"
    )
    with pytest.raises(LedgerError, match=expected):
        heldout.split(heldout.datasets.load("iris"), seed=1)
    with pytest.raises(LedgerError, match=expected):
        heldout.fit(split, epochs=1)
    assert [e["kind"] for e in Ledger().entries()] == ["seal"]  # the record itself stays readable
    assert Ledger().fingerprint_version() == 1


def test_an_anchor_kept_elsewhere_shows_entries_deleted_with_the_head(tmp_path):
    led = Ledger(tmp_path)
    led.seal("abc", np.array([1, 2], dtype=np.uint64), {})
    led.record_audit("abc", {})
    anchor = led.anchor()
    assert led.verify(anchor=anchor).ok
    db = sqlite3.connect(led.path)
    db.execute("DELETE FROM entries WHERE seq = 2")
    db.commit()
    db.close()
    led.head_path.unlink()  # the files alone now look whole
    assert led.verify().ok
    assert any(
        f"the anchor {anchor} is not the hash of any entry" in p
        for p in led.verify(anchor=anchor).problems
    )
