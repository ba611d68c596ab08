"""Row weights: per-row sample weights (a column of the table) and class weights (``"balanced"``
or given per label), checked when the data is loaded, resolved on training rows only, and the
weighted statistics that preprocessing learns with them.

A row of weight ``w`` counts as ``w`` copies of itself: in the training loss (a weighted mean),
in the preprocessing statistics (weighted median, mean, standard deviation, category counts), in
the target's scale and in the metrics of validation and of the one look — so a fit on integer
weights equals the fit on the table with each row repeated that many times (tested). Balanced
class weights are learned from the training rows: each class gets ``total / (classes × its
total)``, so every class weighs the same in training.

>>> resolve("balanced", pd.Series(["a", "a", "a", "b"]), None, ("a", "b"))
{'a': 0.6666666666666666, 'b': 2.0}
>>> median(np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 1.0]))   # the median of 1, 1, 2, 3
1.5
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

BALANCED = "balanced"


def sample_weights(column: pd.Series, name: str) -> pd.Series:
    """The weight column as float64, or the DataError that says which values are wrong and how to
    fix them."""
    if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
        raise DataError(
            f"The weights column {name!r} must hold numbers, but holds {column.dtype} values such "
            f"as {column.dropna().iloc[0] if column.notna().any() else None!r}. Give one "
            "non-negative number per row (how much the row counts)."
        )
    values = column.astype("float64")
    x = values.to_numpy()
    for bad, what in ((np.isnan(x), "missing"), (np.isinf(x), "infinite"), (x < 0, "negative")):
        if bad.any():
            rows = np.flatnonzero(bad)
            raise DataError(
                f"The weights column {name!r} holds {len(rows)} {what} value(s) (first at rows "
                f"{rows[:5].tolist()}, e.g. {x[rows[0]]!r}). Weights must be finite and >= 0: "
                "fill or fix those values, or drop those rows."
            )
    if not (x > 0).any():
        raise DataError(
            f"Every weight in the column {name!r} is 0, so no row would count. Give some rows a "
            "positive weight."
        )
    return values


def check_class_weight(spec, task, classes: tuple | None):
    """``spec`` as given when it is valid for ``task``: None, ``"balanced"`` or ``{label: weight >=
    0}`` over known labels (matched by their text, so ``{"1": 3}`` from a command line names the
    label 1)."""
    if spec is None:
        return None
    if not task.has_classes:
        raise ConfigError(
            f"class_weight needs classes, but the task is {task}. Use sample weights "
            "(weights='COLUMN', --weights COLUMN) for a regression target."
        )
    if isinstance(spec, str):
        if spec != BALANCED:
            raise ConfigError(
                f"class_weight must be {BALANCED!r} or a mapping {{label: weight}}, got {spec!r}. "
                "Try class_weight='balanced' or --class-weight a=1,b=3."
            )
        return spec
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(
            f"class_weight must be {BALANCED!r} or a mapping {{label: weight}}, got {spec!r}. "
            "Try class_weight='balanced' or --class-weight a=1,b=3."
        )
    labels = {str(c) for c in classes}
    unknown = [k for k in spec if str(k) not in labels]
    if unknown:
        raise ConfigError(
            f"class_weight names label(s) {unknown} that the target does not hold. Its classes are "
            f"{list(classes)}."
        )
    for label, weight in spec.items():
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not math.isfinite(weight)
            or weight < 0
        ):
            raise ConfigError(
                f"The class weight of {label!r} must be a finite number >= 0, got {weight!r}. "
                "Try 1, or 3 to count that class three times."
            )
    if not any(float(w) > 0 for w in spec.values()) and len(spec) == len(classes):
        raise ConfigError(
            f"Every class weight is 0 ({spec}), so no row would count. Give some class a positive "
            "weight."
        )
    return spec


def resolve(
    spec, labels: pd.Series, weights: pd.Series | None, classes: tuple | None
) -> dict | None:
    """Class weights ``{label: weight}`` for a checked ``spec``, learned from these (training) rows'
    ``labels`` and sample ``weights``: ``"balanced"`` gives each class present ``total / (classes ×
    its total)`` (a class absent from these rows gets 1); a mapping gives its labels their weights
    and every other class 1. None without a spec."""
    if spec is None:
        return None
    if spec == BALANCED:
        w = np.ones(len(labels)) if weights is None else weights.to_numpy(dtype="float64")
        totals = {c: float(w[(labels == c).to_numpy()].sum()) for c in classes}
        present = [c for c in classes if totals[c] > 0]
        total = sum(totals.values())
        return {c: (total / (len(present) * totals[c]) if totals[c] > 0 else 1.0) for c in classes}
    given = {str(k): float(v) for k, v in spec.items()}
    return {c: given.get(str(c), 1.0) for c in classes}


def of_rows(rows, class_weight: dict | None) -> np.ndarray | None:
    """Each row's weight — its sample weight times its class's weight — or None when every row
    counts once (no weights at all). ``rows`` is a :class:`~heldout.data.dataset.Dataset`."""
    sample = getattr(rows, "weights", None)
    if sample is None and class_weight is None:
        return None
    w = np.ones(len(rows)) if sample is None else sample.to_numpy(dtype="float64").copy()
    if class_weight is not None:
        w *= rows.target.map(class_weight).to_numpy(dtype="float64")
    return w


def require_some(w: np.ndarray | None, part: str, column: str | None) -> None:
    """A DataError when ``part``'s rows (training, validation) all weigh 0: nothing would count
    there."""
    if w is not None and not (w > 0).any():
        source = f"the weights column {column!r}" if column else "the class weights"
        raise DataError(
            f"Every {part} row weighs 0 under {source}, so the {part} rows count for nothing. "
            f"Give some {part} rows a positive weight, or change the class weights."
        )


# -- weighted statistics, each equal to its unweighted form on rows repeated by integer weights
# --------


def median(x: np.ndarray, w: np.ndarray | None) -> float:
    """The (weighted) median: with integer weights, ``np.median`` of each value repeated its
    weight's number of times (the mean of the two middle values when their count is even)."""
    if w is None:
        return float(np.median(x))
    order = np.argsort(x, kind="stable")
    x, cumulative = x[order], np.cumsum(w[order])
    half = cumulative[-1] / 2
    low = x[np.searchsorted(cumulative, half, side="left")]
    high = x[min(np.searchsorted(cumulative, half, side="right"), len(x) - 1)]
    return float((low + high) / 2)


def counts(labels: pd.Series, w: np.ndarray | None) -> pd.Series:
    """How often each label occurs (weighted), most frequent first; labels that weigh 0 are left
    out."""
    if w is None:
        return labels.value_counts()
    totals = pd.Series(w, index=labels.index).groupby(labels.to_numpy(), sort=False).sum()
    return totals[totals > 0].sort_values(ascending=False, kind="stable")
