"""Regression targets are fitted standardised on the training rows, and every number a user reads
(predictions, metrics, the leaderboard, the look) is back in the target's own units."""

import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.task.target_scale import IDENTITY, TargetScale

UNSCALED = Path(__file__).parents[1] / "model" / "unscaled"


@pytest.fixture(scope="module")
def diabetes():
    return heldout.split(heldout.datasets.load("diabetes"), seed=0)


def test_robust_losses_tuned_with_the_defaults_come_within_ten_percent_of_mse(diabetes):
    """Issue 17, acceptance 2. Measured (2-core CPU, split seed 0): best validation rmse of 16
    trials
    51.16 for linear+mse, 51.75 for linear+huber and 51.52 for linear+mae (before the scale:
    51.36, 62.39 and 62.45)."""
    best = {
        c: heldout.tune(diabetes, candidates=[c], trials=16).best["rmse"]
        for c in ("linear+mse", "linear+huber", "linear+mae")
    }
    assert best["linear+huber"] <= 1.1 * best["linear+mse"], best
    assert best["linear+mae"] <= 1.1 * best["linear+mse"], best


def test_every_loss_trained_with_default_settings_lands_near_the_tuned_fit(diabetes):
    """`fit(split, loss=...)` alone (adam, its default rate, 100 epochs): on the raw scale this
    stopped near rmse 175; standardised, each loss lands within 10% of the tuned mse fit."""
    for loss in ("mse", "huber", "mae"):
        rmse = heldout.fit(diabetes, loss=loss).model.score(diabetes.validation)["rmse"]
        assert rmse <= 1.1 * 51.16, (loss, rmse)


def test_the_scale_is_learned_from_the_training_rows_only(diabetes):
    y = diabetes.train.target.to_numpy()
    model = heldout.fit(diabetes, optimizer="gd", epochs=5).model
    assert model.target_scale.mean == pytest.approx(
        (y.mean(),)
    ) and model.target_scale.std == pytest.approx((y.std(),))
    # a refit learns it from the training and validation rows pooled
    found = heldout.tune(diabetes, candidates=["linear+mse"], trials=2, population=2)
    pooled = np.concatenate([y, diabetes.validation.target.to_numpy()])
    assert found.refit(diabetes).model.target_scale.mean == pytest.approx((pooled.mean(),))
    # with folds, from each fold's own training rows
    run = heldout.fit(diabetes, optimizer="gd", epochs=3, folds=3)
    for member, model in zip(run.members, run.models):
        rows = run.fold_rows[member.fold][0]
        assert model.target_scale.mean == pytest.approx((pooled[rows].mean(),))


def test_predictions_follow_any_change_of_the_targets_units():
    """Standardised, the fit does not see the units: a target in other units (×1000, + 10⁶) trains
    the same model, and its predictions are the same predictions in those units."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["y"] = 3 * frame["a"] - frame["b"] + rng.normal(scale=0.3, size=300)
    settings = dict(model="linear", optimizer="gd", epochs=50, early_stopping=False)
    split = heldout.split(heldout.load(frame, "y"), seed=0)
    other = heldout.split(heldout.load(frame.assign(y=1000 * frame["y"] + 1e6), "y"), seed=0)
    plain, moved = heldout.fit(split, **settings).model, heldout.fit(other, **settings).model
    assert np.allclose(
        moved.predict(frame), 1000 * plain.predict(frame) + 1e6, rtol=1e-6, atol=1e-3
    )
    assert moved.score(other.validation)["rmse"] == pytest.approx(
        1000 * plain.score(split.validation)["rmse"], rel=1e-4
    )


def test_the_history_the_leaderboard_and_the_look_report_the_targets_units(diabetes):
    run = heldout.fit(diabetes, optimizer="gd")
    scored = run.model.score(diabetes.validation)
    # the monitored metric is in the target's units; the loss is the one the model fitted
    # (standardised)
    assert run.history["val_metric"][run.best_epoch] == pytest.approx(scored["rmse"], rel=1e-4)
    assert run.history["val_loss"][run.best_epoch] == pytest.approx(scored["loss"], rel=1e-4)
    assert scored["rmse"] == pytest.approx(
        np.sqrt(scored["loss"]) * run.model.target_scale.std[0], rel=1e-4
    )
    board = heldout.tune(diabetes, candidates=["linear+mse"], trials=4, population=4).leaderboard
    assert board.loc[board["status"] == "complete", "rmse"].between(40, 80).all()
    look = heldout.evaluate(run.model, diabetes)
    assert 40 < look.metrics["rmse"] < 80 and look.metrics["interval_95"]["rmse"][0] > 30
    assert look.metrics["versus"]["baseline"]["rmse"]["value"] > look.metrics["rmse"]


def test_the_bundle_stores_the_scale_as_plain_numbers(diabetes, tmp_path):
    model = heldout.fit(diabetes, optimizer="gd", epochs=5).model
    model.save(tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    target = json.loads(json.loads(raw[8 : 8 + length])["__metadata__"]["target"])
    assert target["scale"] == {
        "mean": list(model.target_scale.mean),
        "std": list(model.target_scale.std),
    }
    back = heldout.load_model(tmp_path / "m.safetensors")
    assert back.target_scale == model.target_scale and back.fingerprint == model.fingerprint
    rows = diabetes.validation.features
    assert np.array_equal(back.predict(rows), model.predict(rows))


def test_a_bundle_written_before_the_scale_predicts_as_it_was_trained():
    """tests/model/unscaled: a linear model on diabetes saved by heldout before targets were scaled,
    with its predictions of five rows and its fingerprint."""
    model = heldout.load_model(UNSCALED / "regression-before-scale.safetensors")
    expected = json.loads((UNSCALED / "expected.json").read_text())
    assert model.target_scale is IDENTITY
    assert np.allclose(
        model.predict(pd.read_csv(UNSCALED / "rows.csv")), expected["predictions"], rtol=1e-6
    )
    assert model.fingerprint == expected["fingerprint"]


def test_classification_targets_are_not_scaled():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    assert heldout.fit(split, epochs=2).model.target_scale is IDENTITY
    assert TargetScale.from_dict(None) is IDENTITY and IDENTITY.to_dict() is None
