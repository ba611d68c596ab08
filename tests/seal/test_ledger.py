import sqlite3
import warnings

import pytest

import heldout
from heldout import HeldoutWarning, SealedError
from heldout.seal.ledger import Ledger


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
    assert unseals[-1]["seal"] == split.test.seal and unseals[-1]["payload"]["model"] == model.fingerprint
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
    db.execute("UPDATE entries SET payload = replace(payload, '\"accuracy\":', '\"accuracy\":0.99,\"x\":') "
               "WHERE seq = 2")
    db.commit()
    assert any("entry 2" in p and "edited" in p for p in led.verify().problems)

    db.execute("DELETE FROM entries WHERE seq = 2")
    db.commit()
    assert any("missing" in p for p in led.verify().problems)

    db.execute("DELETE FROM entries WHERE seq >= 2")
    db.commit()
    assert any("head records" in p for p in led.verify().problems)
    db.close()


def test_ledger_location_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "elsewhere"))
    heldout.split(heldout.datasets.load("iris"), seed=0)
    assert (tmp_path / "elsewhere" / "ledger.sqlite").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Ledger().verify().ok
