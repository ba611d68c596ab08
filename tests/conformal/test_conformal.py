"""Conformal intervals and sets (heldout.conformal.scores): the split-conformal order statistic, the
coverage they reach on new rows over many seeds (issue 17, acceptance 3), the bundle round trip,
and the errors that say how to get a calibration or a valid level."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import BundleError, ConfigError, LeakageError
from heldout.conformal import scores as conformal
from heldout.conformal.scores import Calibration

SEEDS = 60  # independent tables: the mean coverage's standard error is about 0.005


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "ledger"))


def _gaussian(n: int, seed: int) -> pd.DataFrame:
    """A linear target with known Gaussian noise (sd 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1],
            "c": x[:, 2],
            "y": 1 + 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(size=n),
        }
    )


def _blobs(n: int, seed: int) -> pd.DataFrame:
    """Three overlapping Gaussian classes: no model is sure of every row."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 3, size=n)
    x = np.array([[0.0, 0.0], [1.5, 0.0], [0.0, 1.5]])[label] + rng.normal(size=(n, 2))
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": np.array(["p", "q", "r"])[label]})


def test_the_threshold_is_the_split_conformal_order_statistic():
    calibration = Calibration("residual", np.arange(1.0, 11.0))
    assert [calibration.threshold(level) for level in (0.5, 0.8, 0.9, 0.95)] == [
        6.0,
        9.0,
        10.0,
        np.inf,
    ]
    rng = np.random.default_rng(0)
    for n in (1, 7, 9, 10, 14, 24, 99, 250):  # 9, 14, 24: float arithmetic misses an integer
        scores = np.sort(rng.exponential(size=n))
        for level in (0.1, 0.5, 0.8, 0.9, 0.95, 0.99):
            k = int(np.ceil(round((n + 1) * level, 9)))  # ceil((n + 1)(1 - alpha)), exactly
            expected = scores[k - 1] if k <= n else np.inf
            assert Calibration("residual", scores).threshold(level) == expected, (n, level)


def test_equal_weights_of_any_scale_give_the_unweighted_threshold_and_heavy_rows_pull_it():
    scores = np.sort(np.random.default_rng(1).exponential(size=40))
    plain = Calibration("residual", scores)
    for weight in (1.0, 0.01, 1000.0):
        weighted = Calibration("residual", scores, np.full(40, weight))
        assert [weighted.threshold(lv) for lv in (0.5, 0.9)] == [
            plain.threshold(lv) for lv in (0.5, 0.9)
        ]
    heavy_tail = Calibration("residual", scores, np.r_[np.ones(30), np.full(10, 5.0)])
    assert heavy_tail.threshold(0.5) > plain.threshold(0.5)


def test_ninety_percent_intervals_cover_ninety_percent_of_new_rows_over_many_seeds():
    """Issue 17, acceptance 3: known Gaussian noise, a linear fit per seed, calibrated on its 80
    validation rows; coverage measured on 4000 new rows of the same law."""
    covered, widths = [], []
    for seed in range(SEEDS):
        split = heldout.split(heldout.load(_gaussian(500, seed), target="y"), seed=seed)
        model = heldout.fit(split, model="linear", loss="mse", optimizer="gd", lr=0.1).model
        assert model.calibration.info["rows"] == len(split.validation) == 80
        new = _gaussian(4000, 10_000 + seed)
        bounds = model.predict_interval(new.drop(columns="y"), 0.9)
        covered.append(
            float(((bounds["lower"] <= new["y"]) & (new["y"] <= bounds["upper"])).mean())
        )
        widths.append(float((bounds["upper"] - bounds["lower"]).mean()))
    assert 0.88 <= np.mean(covered) <= 0.92, np.mean(covered)
    # the oracle interval for sd-1 noise is ±1.645: calibrated widths scatter around 3.29
    assert 3.0 < np.median(widths) < 3.7, np.median(widths)


def test_ninety_percent_prediction_sets_hold_the_true_class_ninety_percent_of_the_time():
    covered = []
    for seed in range(SEEDS // 2):
        split = heldout.split(heldout.load(_blobs(500, seed), target="label"), seed=seed)
        model = heldout.fit(split, model="linear", optimizer="gd", lr=1.0).model
        new = _blobs(4000, 10_000 + seed)
        sets = model.predict_set(new.drop(columns="label"), 0.9)
        covered.append(np.mean([label in s for label, s in zip(new["label"], sets)]))
        assert all(set(s) <= {"p", "q", "r"} for s in sets)
    assert 0.88 <= np.mean(covered) <= 0.92, np.mean(covered)


@pytest.fixture(scope="module")
def regression_split():
    return heldout.split(heldout.load(_gaussian(300, 0), target="y"), seed=0)


def test_the_calibration_travels_in_the_bundle_as_numbers(regression_split, tmp_path):
    model = heldout.fit(regression_split, model="linear", optimizer="gd", lr=0.1).model
    model.save(tmp_path / "m.safetensors")
    back = heldout.load_model(tmp_path / "m.safetensors")
    assert back.fingerprint == model.fingerprint
    assert np.array_equal(back.calibration.scores, model.calibration.scores)
    rows = _gaussian(20, 5).drop(columns="y")
    pd.testing.assert_frame_equal(
        back.predict_interval(rows, 0.8), model.predict_interval(rows, 0.8)
    )
    without = heldout.load_model(
        Path(__file__).parents[1] / "model" / "unscaled" / "regression-before-scale.safetensors"
    )
    assert without.calibration is None
    with pytest.raises(BundleError, match="no conformal calibration.*Train it again"):
        without.predict_interval(rows)


def test_a_calibration_changes_the_fingerprint_and_weights_of_zero_drop_out(regression_split):
    model = heldout.fit(regression_split, model="linear", optimizer="gd", lr=0.1).model
    calibrated = model.fingerprint
    model.calibration = None
    assert model.fingerprint != calibrated
    table = _gaussian(300, 0).assign(w=np.where(np.arange(300) % 4 == 0, 0.0, 2.0))
    split = heldout.split(heldout.load(table, target="y", weights="w"), seed=0)
    weighted = heldout.fit(split, model="linear", optimizer="gd", lr=0.1).model
    positive = int((split.validation.weights > 0).sum())
    assert (
        weighted.calibration.info["rows"]
        == len(weighted.calibration.weights)
        == positive
        < len(split.validation)
    )


@pytest.mark.parametrize("level", [0, 1, 90, -0.1, True, "0.9", float("nan")])
def test_a_level_outside_zero_to_one_is_refused_with_the_fix(regression_split, level):
    model = heldout.fit(regression_split, model="linear", optimizer="gd", lr=0.1, epochs=3).model
    with pytest.raises(ConfigError, match=rf"strictly between 0 and 1, got {level!r}.*Try 0.9"):
        model.predict_interval(_gaussian(3, 1), level)


def test_intervals_and_sets_belong_to_their_tasks(regression_split):
    regressor = heldout.fit(
        regression_split, model="linear", optimizer="gd", lr=0.1, epochs=3
    ).model
    with pytest.raises(ConfigError, match="Use predict_interval"):
        regressor.predict_set(_gaussian(3, 1))
    split = heldout.split(heldout.load(_blobs(200, 0), target="label"), seed=0)
    classifier = heldout.fit(split, model="linear", optimizer="gd", lr=1.0, epochs=3).model
    with pytest.raises(ConfigError, match="Use predict_set"):
        classifier.predict_interval(_blobs(3, 1))
    every = classifier.predict_set(
        _blobs(3, 1).drop(columns="label"), 0.999
    )  # too few rows: every class
    assert every == [("p", "q", "r")] * 3


def test_only_rows_the_scoring_model_did_not_train_on_calibrate(regression_split):
    run = heldout.fit(regression_split, model="linear", optimizer="gd", lr=0.1, epochs=3)
    with pytest.raises(LeakageError, match="test set never calibrates"):
        conformal.calibrate(run.model, regression_split.test)
    with pytest.raises(LeakageError, match="trained on these rows"):
        conformal.calibrate(run.model, regression_split.train)
    refit = heldout.tune(regression_split, candidates=["linear+mse"], trials=1, population=1).refit(
        regression_split
    )
    with pytest.raises(LeakageError, match="as a refit does"):
        conformal.calibrate(refit.model, regression_split.validation)


def test_the_look_measures_the_coverage_once_with_its_interval(regression_split):
    model = heldout.fit(regression_split, model="linear", optimizer="gd", lr=0.1).model
    result = heldout.evaluate(model, regression_split)
    measured = result.metrics["conformal"]
    assert (
        measured["level"] == conformal.LEVEL
        and measured["rows"] == len(regression_split.test) == 60
    )
    low, high = measured["interval_95"]
    assert 0 <= low < measured["coverage"] < high <= 1 and measured["mean_width"] > 0
    assert result.unsealings == 1  # the coverage came with the one look, not a second
    entry = [e for e in heldout.Ledger(result.ledger).entries() if e["kind"] == "unseal"][-1]
    assert entry["payload"]["metrics"]["conformal"]["coverage"] == measured["coverage"]


def test_a_population_s_members_are_calibrated_as_each_would_be_alone():
    # fit calibrates every member on the validation rows read once; each equals its own calibration
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    run = heldout.fit(split, model="mlp", hidden=(8,), lr=[0.003, 0.03, 0.3], epochs=10)
    for model in run.models:
        alone = conformal.calibrate(model, split.validation)
        assert (
            np.array_equal(model.calibration.scores, alone.scores)
            and model.calibration.info == alone.info
        )
    assert (
        len({m.calibration.scores.tobytes() for m in run.models}) == 3
    )  # each member's own scores
