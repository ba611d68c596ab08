"""Bundles keep the column treatments: a text encoder's numbers travel as tensors (no pickle, no
code), and bundles written before the treatments (tests/model/legacy, made by heldout at commit
870fcf3) still load and predict exactly as they did."""

import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.model import bundle
from helpers import dated_table

LEGACY = Path(__file__).parent / "legacy"


def test_a_bundle_written_before_the_column_treatments_predicts_as_it_did():
    model = heldout.load_model(LEGACY / "features-v1.safetensors")
    expected = json.loads((LEGACY / "expected.json").read_text())
    rows = pd.read_csv(LEGACY / "rows.csv")  # its dates come back as text, as they did then
    assert model.fingerprint == expected["fingerprint"]
    assert (
        model.features.output_names_ == expected["names"]
    )  # dates as seconds, no missing indicators
    assert np.array_equal(model.predict_proba(rows), np.array(expected["p"]))
    assert [r["treatment"] for r in model.features.describe()][
        2
    ] == "seconds since 1970, median-imputed, standardised"


@pytest.fixture(scope="module")
def dated_model():
    table = dated_table()
    split = heldout.split(heldout.load(table, "y"), seed=0)
    return table, heldout.fit(split, model="mlp", hidden=(8,), epochs=2).model


def test_a_text_encoder_travels_as_tensors_and_comes_back_exactly(dated_model, tmp_path):
    table, model = dated_model
    path = tmp_path / "m.safetensors"
    model.save(path)
    tensors, metadata = bundle.read(path)
    text_index = [c["name"] for c in model.features.columns_].index("title")
    assert {f"features.{text_index}.idf", f"features.{text_index}.components"} <= set(tensors)
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    assert (
        b"pickle" not in raw
        and len(json.loads(raw[8 : 8 + length])["__metadata__"]["features"]) < 200_000
    )
    back = heldout.load_model(path)
    rows = table.drop(columns="y")
    assert back.fingerprint == model.fingerprint
    assert np.array_equal(back.predict(rows), model.predict(rows))


def test_the_fingerprint_covers_the_text_encoders_numbers(dated_model):
    _, model = dated_model
    before = model.fingerprint
    col = next(c for c in model.features.columns_ if c["name"] == "title")
    original = col["components"]
    col["components"] = original.copy()
    col["components"][0, 0] += 1e-3
    try:
        assert model.fingerprint != before
    finally:
        col["components"] = original
