import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import heldout
from heldout import BundleError, DataError
from helpers import mixed_table


@pytest.fixture
def trained(tmp_path):
    frame = mixed_table()
    split = heldout.split(heldout.load(frame, target="label"), seed=0)
    model = heldout.fit(split, model="mlp", hidden=(8,), epochs=5).model
    path = tmp_path / "model.safetensors"
    model.save(path)
    return frame, model, path


def test_round_trip_predicts_identically_and_keeps_everything(trained):
    frame, model, path = trained
    back = heldout.load_model(path)
    rows = frame.drop(columns="label")
    assert (back.predict(rows) == model.predict(rows)).all()
    assert np.array_equal(back.predict_proba(rows), model.predict_proba(rows))
    assert back.fingerprint == model.fingerprint
    assert back.manifest["seed"] == 0 and "torch" in back.manifest["versions"]
    assert back.manifest["split"]["test_fingerprint"]
    assert set(back.predict(rows)) <= {"yes", "no"}


def test_predict_checks_the_schema(trained):
    frame, model, _ = trained
    with pytest.raises(DataError, match=r"\['colour'\] are missing"):
        model.predict(frame.drop(columns=["label", "colour"]))
    with pytest.raises(DataError, match=r"\['surprise'\] were not seen in training"):
        model.predict(frame.assign(surprise=1))
    with pytest.raises(DataError, match="'x' must be numeric"):
        model.predict(frame.assign(x="abc"))
    model.predict(frame)  # the target column itself may stay in the table
    unseen = frame.assign(colour="purple")
    assert len(model.predict(unseen)) == len(frame)


def test_truncated_tampered_and_foreign_files_are_refused(trained, tmp_path):
    _, _, path = trained
    raw = path.read_bytes()
    (tmp_path / "truncated.safetensors").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BundleError, match="truncated"):
        heldout.load_model(tmp_path / "truncated.safetensors")
    tampered = bytearray(raw)
    tampered[-3] ^= 0xFF  # one bit pattern inside the last tensor's data
    (tmp_path / "tampered.safetensors").write_bytes(bytes(tampered))
    with pytest.raises(BundleError, match="modified after heldout wrote it"):
        heldout.load_model(tmp_path / "tampered.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "foreign.safetensors")
    with pytest.raises(BundleError, match="not a heldout bundle"):
        heldout.load_model(tmp_path / "foreign.safetensors")
    with pytest.raises(BundleError, match="not found"):
        heldout.load_model(tmp_path / "missing.safetensors")


def test_a_bundle_holds_no_pickled_code(trained):
    _, _, path = trained
    raw = path.read_bytes()
    assert b"\x80\x04" not in raw[:64] and b"torch._utils" not in raw and b"__reduce__" not in raw


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary(
    trained, tmp_path, monkeypatch
):
    import os

    _, model, _ = trained
    target = tmp_path / "out" / "model.safetensors"

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(DataError, match="Cannot write .*disk full"):
        model.save(target)
    assert not target.exists() and list((tmp_path / "out").iterdir()) == []
