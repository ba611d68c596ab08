"""Calibration: the ECE on hand-made cases whose value is known, and the bins against
scikit-learn's."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from heldout.task.calibration_error import BINS, reliability


def binary(p):
    return np.stack([1 - p, p], axis=1)


def test_a_calibrated_model_has_no_calibration_error():
    # 100 rows at each of 0.1, ..., 0.9, and exactly that share of them of the second class
    said = np.repeat(np.arange(1, 10) / 10, 100)
    y = np.concatenate([np.arange(100) < round(100 * p) for p in np.arange(1, 10) / 10]).astype(int)
    r = reliability(y, binary(said))
    assert r["ece"] == pytest.approx(0, abs=1e-12)
    assert r["bins"]["frequency"] == pytest.approx(r["bins"]["confidence"])
    assert sum(r["bins"]["count"]) == 900 and r["read"] == "second class"


def test_an_overconfident_model_has_its_known_calibration_error():
    # half the rows said 0.9 and right 60% of the time (gap 0.3), half said 0.2 and right 20% (gap
    # 0)
    said = np.repeat([0.2, 0.9], 50)
    y = np.concatenate([np.arange(50) < 10, np.arange(50) < 30]).astype(int)
    r = reliability(y, binary(said))
    assert r["ece"] == pytest.approx(0.5 * 0.3)
    assert r["bins"] == {
        "confidence": pytest.approx([0.2, 0.9]),
        "frequency": pytest.approx([0.2, 0.6]),
        "count": [50, 50],
    }  # tied probabilities share one bin


def test_a_multiclass_model_is_read_on_its_top_label():
    # three classes; the top label gets 0.8 and is right half of the time
    p = np.tile([0.8, 0.15, 0.05], (40, 1))
    y = np.array([0, 1] * 20)
    r = reliability(y, p)
    assert r["read"] == "top label" and r["ece"] == pytest.approx(0.3)


def test_the_bins_are_scikit_learns_equal_mass_bins():
    rng = np.random.default_rng(0)
    p = rng.beta(0.5, 0.5, 3_000)  # most rows near 0 and 1, as a confident model's
    y = (rng.uniform(size=3_000) < p**1.5).astype(int)  # and miscalibrated
    r = reliability(y, binary(p))
    frequency, confidence = calibration_curve(y, p, n_bins=BINS, strategy="quantile")
    assert r["bins"]["frequency"] == pytest.approx(frequency) and r["bins"][
        "confidence"
    ] == pytest.approx(confidence)
    assert r["bins"]["count"] == [300] * BINS  # equal mass
    gaps = np.abs(frequency - confidence)
    assert r["ece"] == pytest.approx(gaps.mean()) and r["ece"] > 0.05


def test_rows_drawn_from_the_stated_probabilities_have_a_small_error():
    rng = np.random.default_rng(1)
    p = rng.dirichlet([1, 1, 1], 20_000)
    y = np.array([rng.choice(3, p=row) for row in p])
    assert reliability(y, p)["ece"] < 0.02


def test_no_rows_give_no_error():
    r = reliability(np.array([], dtype=int), np.zeros((0, 2)))
    assert r["ece"] is None and r["rows"] == 0
