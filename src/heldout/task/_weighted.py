"""Metrics of resampled rows, from row weights.

A bootstrap resample draws row ``i`` some number of times, ``w[r, i]``; every metric of the
resample is then a function of those weights over the original rows. Sums become products
``w @ columns``, and ROC AUC needs no sort per resample: the rows are sorted by score once.
A row of all ones is the rows themselves, so each function with ``w = ones`` equals the
scikit-learn metric (tested). These helpers serve :meth:`heldout.task.Task.weighted`.

>>> w = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 2.0, 0.0]])
>>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))(w).round(3).tolist()
[0.75, 0.0]
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def weights(rows: np.ndarray, n: int) -> np.ndarray:
    """How often each of ``n`` rows appears in each resample: ``rows[r, j]`` are the row positions
    of resample ``r`` (a 1-D ``rows`` is one resample) -> float weights ``[resamples, n]``."""
    rows = np.atleast_2d(rows)
    offsets = rows + (np.arange(len(rows)) * n)[:, None]
    return (
        np.bincount(offsets.ravel(), minlength=len(rows) * n)
        .reshape(len(rows), n)
        .astype(np.float64)
    )


def auc(score: np.ndarray, positive: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """ROC AUC of weighted rows, as the trapezoid under the ROC curve (a tie counts one half):
    ``f(w) -> [resamples]``, NaN where a resample holds one class only.

    Each positive row earns the weight of the negatives scored below it, and half of those tied
    with it; sorting the negatives once turns both into one cumulative sum per resample."""
    positive = np.asarray(positive, dtype=bool)
    if (
        len(score) and np.ptp(score) == 0
    ):  # one score for every row (a baseline): 0.5 wherever it is defined
        return lambda w: np.where((w @ positive > 0) & (w @ ~positive > 0), 0.5, np.nan)
    negatives, positives = np.flatnonzero(~positive), np.flatnonzero(positive)
    negatives = negatives[np.argsort(score[negatives], kind="stable")]
    ranked = score[negatives]
    below = np.searchsorted(ranked, score[positives], side="left")  # negatives scored lower
    through = np.searchsorted(ranked, score[positives], side="right")  # ... lower or tied
    ties = bool((below != through).any())

    def of(w: np.ndarray) -> np.ndarray:
        cumulative = np.zeros((len(w), len(negatives) + 1))
        np.cumsum(w[:, negatives], axis=1, out=cumulative[:, 1:])
        credit = (
            0.5 * (cumulative[:, below] + cumulative[:, through]) if ties else cumulative[:, below]
        )
        on_positives = w[:, positives]
        with np.errstate(invalid="ignore", divide="ignore"):
            return (on_positives * credit).sum(1) / (on_positives.sum(1) * cumulative[:, -1])

    return of


def f1(counts: np.ndarray) -> np.ndarray:
    """F1 from weighted ``counts[..., (tp, fp, fn)]``; 0 where there is no positive at all
    (scikit-learn's ``zero_division=0``)."""
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator), where=denominator > 0)
