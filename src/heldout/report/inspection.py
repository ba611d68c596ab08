"""What a model does on validation rows, for the report: how well a classifier's probabilities
are calibrated (:mod:`heldout.task.calibration_error`) and how much each input column matters
(permutation importance) — and the report's sections that show them, beside the calibration of
the test rows that the one look measured.

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

import html
import time

import numpy as np
from sklearn.inspection import permutation_importance

from .._util import display
from ..task import calibration_error as calibration
from ..task import metrics
from . import _plots as plots

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
    # several targets are scored together standardised, as their overall metric is (heldout.model.outputs)
    standard = model.target_scale.standardise if len(model.targets) > 1 else (lambda values: values)
    inputs = model.inputs(rows.features)
    edges = np.cumsum([0, *model.features.widths()])
    unmoved = np.repeat(np.arange(len(inputs))[:, None], len(edges) - 1, axis=1)

    def score(fitted, row_of, y, sample_weight=None):
        # row_of[i, j]: the row whose value of column j row i holds now (unmoved but for a shuffled column)
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


# -- the report's sections ----------------------------------------------------------------


def calibration_rows(content: dict) -> list[dict]:
    """One row per set of rows whose reliability is known: validation (inspected), test (the look)."""
    return [
        {"on": f"{name} rows", "rows": r["rows"], "ECE": r["ece"], "bins": len(r["bins"]["count"])}
        for name, r in _curves(content).items()
    ]


def importance_rows(inspected: dict, limit: int | None = None) -> list[dict]:
    metric = inspected.get("metric")
    return [
        {"column": r["column"], f"worsening of {metric}": r["importance"], "± std": r["std"]}
        for r in inspected.get("importance", [])[:limit]
    ]


def sections(content: dict, table) -> list[str]:
    """The HTML sections: calibration (a classifier) and permutation importance, each string from
    the data escaped; ``table(rows, limit=...)`` draws a table as the rest of the page does."""
    inspected, parts, e = content.get("inspection") or {}, [], html.escape
    curves = _curves(content)
    if curves:
        second = _second_class(content)
        said = (
            f"the probability of class {second} against the share of rows of that class"
            if second
            else "the top-label confidence (the largest probability) against the share of rows it gets right"
        )
        parts.append(
            "<h2>Calibration</h2>"
            + e(
                f"Reliability diagram: {said}, in {calibration.BINS} bins of equal mass; on the diagonal, a calibrated "
                f"model. ECE: the expected calibration error, the rows' average gap between the two. {_where(inspected)} "
                "Test figures: from the one look at the test rows, by the final model.",
                quote=False,
            ).join(("<p>", "</p>"))
            + plots.reliability(curves, second)
            + table(calibration_rows(content))
        )
    if inspected.get("importance"):
        parts.append(
            "<h2>Permutation importance on validation rows</h2>"
            + e(
                f"How much worse validation {inspected['metric']} gets when one column's values are shuffled among the "
                f"rows: mean ± standard deviation over {inspected['repeats']} shuffles (seed {inspected['seed']}). "
                "Each column as given counts as one feature (a date or a text column too). Near 0: the model does not "
                "use the column; correlated columns share their importance. " + _where(inspected),
                quote=False,
            ).join(("<p>", "</p>"))
            + plots.importance(inspected["importance"], inspected["metric"])
            + table(importance_rows(inspected), limit=500)
        )
    elif inspected.get("rows") and "repeats" not in inspected:
        parts.append(
            "<h2>Permutation importance on validation rows</h2><p>Left out: its estimate (one scoring of "
            "the rows per column and shuffle) did not fit the time budget.</p>"
        )
    return parts


def terminal(content: dict) -> list:
    """The same, concise, for a terminal: each set's ECE, and the ten most important columns."""
    parts, inspected = [], content.get("inspection") or {}
    rows = calibration_rows(content)
    if rows:
        parts.append(
            display.table("Calibration (ECE)", list(rows[0]), [list(r.values()) for r in rows])
        )
    important = importance_rows(inspected, limit=10)
    if important:
        parts.append(
            display.table(
                f"Permutation importance on {inspected['rows']} validation rows (top 10)",
                list(important[0]),
                [list(r.values()) for r in important],
            )
        )
    return parts


def _curves(content: dict) -> dict:
    curves = {
        "validation": (content.get("inspection") or {}).get("reliability"),
        "test": (content.get("diagnostics") or {}).get("reliability"),
    }
    return {name: r for name, r in curves.items() if r and r.get("rows")}


def _second_class(content: dict) -> str | None:
    """A binary model's second class, whose probability its reliability reads (None: multiclass)."""
    classes = (content.get("diagnostics") or {}).get("classes") or (
        content.get("inspection") or {}
    ).get("classes")
    return repr(classes[1]) if classes and len(classes) == 2 else None


def _where(inspected: dict) -> str:
    if not inspected:
        return ""
    drawn = (
        f"all {inspected['rows']} validation rows"
        if inspected["rows"] == inspected["of"]
        else f"{inspected['rows']} of the {inspected['of']} validation rows, drawn with seed {inspected['seed']} "
        f"(at most {inspected['at_most']:,})"
    )
    return f"Validation figures: on {drawn}" + (
        ", by a model refit on them too (so optimistic)."
        if inspected.get("seen")
        else ", by a model trained on the training rows alone."
    )
