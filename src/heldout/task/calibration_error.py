"""Calibration of a classifier's probabilities: the reliability diagram's bins and the expected
calibration error (ECE).

A binary model is read on the probability it gives the second (larger) class, against the share
of rows of that class; a multiclass model on its top-label confidence (its largest probability)
against the share of rows whose top label is right (Guo et al., 2017). A model is calibrated when
the two agree: of the rows given 0.8, 80% are right.

The rows are put into :data:`BINS` bins of **equal mass** (edges at quantiles of the probability
read, so each bin holds about as many rows), not of equal width. A confident model puts most rows
near 0 or 1, where equal-width bins leave the middle bins a handful of rows each, their
frequencies noise and the ECE biased by it; equal-mass bins give every point of the diagram the
same support and a less biased ECE (Nixon et al., 2019; Roelofs et al., 2022). Rows that share a
probability share a bin, so there may be fewer bins. ECE = Σ_b (n_b / n) · |frequency_b −
confidence_b|: 0 for a calibrated model, the gap between what it says and what happens otherwise.

The bins are those of ``sklearn.calibration.calibration_curve(strategy="quantile")`` (tested
against it); that function is not called because it returns no bin counts, which the ECE and the
diagram need. Every row counts once, as in the confusion matrix and the ROC curves beside it.

>>> y = np.array([1] * 6 + [0] * 4)                  # 60% of the rows are of the second class
>>> said = np.tile([0.1, 0.9], (10, 1))              # the model says 90% for every row
>>> round(reliability(y, said)["ece"], 6)            # overconfident by 0.3
0.3
"""

from __future__ import annotations

import numpy as np

BINS = 10  # equal-mass bins of the reliability diagram


def reliability(y: np.ndarray, probabilities: np.ndarray, bins: int = BINS) -> dict:
    """The reliability of class ``probabilities`` [n, classes] for class codes ``y`` [n]: the
    bins (mean confidence, observed frequency, row count — empty bins left out), the ECE, the
    rows, and what was read (``"second class"`` for binary, ``"top label"`` for multiclass)."""
    p, y = np.asarray(probabilities, dtype=float), np.asarray(y).astype(int)
    if p.shape[1] == 2:
        read, confidence, hit = "second class", p[:, 1], y == 1
    else:
        read, confidence, hit = "top label", p.max(1), p.argmax(1) == y
    if len(y) == 0:
        return {
            "read": read,
            "bins": {"confidence": [], "frequency": [], "count": []},
            "ece": None,
            "rows": 0,
        }
    # as calibration_curve(strategy="quantile") bins them: edges at quantiles, ties to the lower bin
    edges = np.percentile(confidence, np.linspace(0, 100, bins + 1))
    where = np.searchsorted(edges[1:-1], confidence)
    count = np.bincount(where, minlength=bins)
    kept = count > 0
    said = np.bincount(where, weights=confidence, minlength=bins)[kept] / count[kept]
    seen = np.bincount(where, weights=hit.astype(float), minlength=bins)[kept] / count[kept]
    ece = float(np.sum(count[kept] * np.abs(seen - said)) / len(y))
    return {
        "read": read,
        "bins": {
            "confidence": said.tolist(),
            "frequency": seen.tolist(),
            "count": count[kept].tolist(),
        },
        "ece": ece,
        "rows": int(len(y)),
    }
