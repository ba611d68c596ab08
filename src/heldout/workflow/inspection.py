"""What a model does on validation rows, for the report: how well a classifier's probabilities
are calibrated (:mod:`heldout.task.calibration_error`) and how much each input column matters
(permutation importance). The report shows them (:mod:`heldout.report.inspection_view`), beside
the calibration of the test rows that the one look measured.

:func:`inspect` runs in the procedures before the look, on validation rows only (never a test
row), on at most :data:`ROWS` of them drawn with the run's seed (a cap that keeps it cheap on
large tables; the report says how many); its result is ``inspection.json`` in the run directory,
so the report needs neither the data nor the split.

Permutation importance (Breiman, 2001), computed by ``sklearn.inspection.permutation_importance``
(on the preprocessed rows, see :func:`_importance`):
for each of the user's columns as given — a date or a text column is one feature, however many
columns the preprocessing makes of it — the column's values are shuffled among the rows
(:data:`REPEATS` times, seeded) and the selection metric recomputed on the rows. A column's
importance is how much worse the metric gets (in the metric's units, positive: the model relies
on the column), as mean and standard deviation over the repeats. A column the model ignores
scores 0; two correlated columns share their importance (shuffling one leaves the other to tell),
so a low score alone does not prove a column useless.

The model inspected should not have been fit on the validation rows: the selected trial as
trained on training rows. Where only a model refit on training + validation rows exists (the
trial trained by another worker of a shared study, cross-validation), that one is inspected and
marked ``seen``: on rows it was fit on, its calibration and its importances are optimistic.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.inspection import permutation_importance

from ..task import calibration_error as calibration
from ..task import metrics

ROWS = 5_000  # validation rows inspected at most, drawn with the run's seed
REPEATS = 5  # shuffles of each column


def inspect(model, rows, metric: str, *, seed: int, seen: bool = False, fits=None) -> dict:
    """The reliability (a classifier) and the permutation importance of ``model`` on validation
    ``rows`` (a Dataset), on at most :data:`ROWS` of them drawn with ``seed``; ``metric``: the
    selection metric. ``seen``: the model was fit on these rows too. ``fits(part, seconds)``
    (a :class:`~heldout.workflow.deadline.Deadline`'s) may leave the importance out when its
    estimate — one scoring of the rows per shuffle — does not fit the time left.

    >>> import heldout
    >>> split = heldout.split(heldout.datasets.load("iris"), seed=0)
    >>> found = inspect(heldout.fit(split, epochs=20).model, split.validation, "log_loss", seed=0)
    >>> sorted(r["column"] for r in found["importance"])[:2], found["reliability"]["read"]
    (['petal length (cm)', 'petal width (cm)'], 'top label')
    """
    drawn = (
        rows
        if len(rows) <= ROWS
        else rows.take(np.sort(np.random.default_rng(seed).choice(len(rows), ROWS, replace=False)))
    )
    out = {
        "rows": len(drawn),
        "of": len(rows),
        "at_most": ROWS,
        "seed": seed,
        "metric": metric,
        "seen": seen,
        "model": model.fingerprint,
        "importance": [],
    }
    if not len(drawn):
        return out
    y = model.task.encode(drawn.target, model.classes).numpy()
    started = time.perf_counter()
    prediction = model.predictions(drawn.features)
    once = time.perf_counter() - started
    if model.task.has_classes:
        out["classes"] = [str(c) for c in model.classes]
        out["reliability"] = calibration.reliability(y, model.task.probabilities(prediction))
    if fits is None or fits("importance", once * (len(model.schema) * REPEATS + 1)):
        out["repeats"] = REPEATS
        out["importance"] = _importance(model, drawn, y, metric, seed)
    return out


def _importance(model, rows, y: np.ndarray, metric: str, seed: int) -> list[dict]:
    """One entry per input column, the most important first.

    The rows are preprocessed once. Each column becomes its own block of model inputs, computed
    from that column alone (:meth:`~heldout.data.features.Features.widths`), so shuffling a
    column's values among the rows is shuffling its block's rows. scikit-learn shuffles a matrix
    of row numbers, one column per input column, and each scoring gathers the moved blocks:
    the same shuffles and figures as shuffling the columns themselves (tested), without running
    the preprocessing (text encoders included) once per shuffle."""
    sign = 1.0 if metrics.HIGHER_IS_BETTER[metric] else -1.0  # sklearn's scores: higher is better
    # several targets are scored together standardised, as their overall metric is
    # (heldout.model.outputs)
    standard = model.target_scale.standardise if len(model.targets) > 1 else (lambda values: values)
    inputs = model.inputs(rows.features)
    edges = np.cumsum([0, *model.features.widths()])
    unmoved = np.repeat(np.arange(len(inputs))[:, None], len(edges) - 1, axis=1)

    def score(fitted, row_of, y, sample_weight=None):
        # row_of[i, j]: the row whose value of column j row i holds now (unmoved but for a
        # shuffled column)
        shuffled = inputs.copy()
        for j in np.flatnonzero((row_of != unmoved).any(0)):
            shuffled[:, edges[j] : edges[j + 1]] = inputs[row_of[:, j], edges[j] : edges[j + 1]]
        prediction = model.predictions_of(model.outputs_of(shuffled))
        w = (
            np.ones((1, len(y)))
            if sample_weight is None
            else np.asarray(sample_weight, dtype=float)[None]
        )
        return sign * float(model.task.weighted(standard(y), standard(prediction))(w)[metric][0])

    found = permutation_importance(
        _Fitted(model),
        unmoved,
        y,
        scoring=score,
        n_repeats=REPEATS,
        random_state=seed,
        sample_weight=model.row_weights(rows),
    )
    ranked = [
        {"column": str(c), "importance": float(m), "std": float(s)}
        for c, m, s in zip(rows.features.columns, found.importances_mean, found.importances_std)
    ]
    return sorted(
        ranked, key=lambda r: -r["importance"] if np.isfinite(r["importance"]) else np.inf
    )


class _Fitted:
    """The model as scikit-learn's ``permutation_importance`` takes an estimator (one with ``fit``);
    it is never refit there, only scored on shuffled rows."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        return self
