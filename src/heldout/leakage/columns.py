"""Checks over columns: time order, and features that are the label in disguise."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from .._util import threads
from ..data.dataset import Dataset
from ..data.features import Features
from .finding import Finding

PROXY_ROWS, PROXY_WARNING, PROXY_ERROR = 20_000, 0.9, 0.98


def time_order(parts: dict[str, Dataset], strategy: str) -> list[Finding]:
    if strategy == "time":
        return []
    out = []
    train = parts["train"]
    for column in train.features.columns:
        as_time = _as_time(train.features[column])
        if as_time is None:
            continue
        latest = as_time.max()
        test_times = _as_time(parts["test"].features[column], force=True)
        earlier = (test_times < latest).to_numpy() if test_times is not None else np.zeros(0, bool)
        out.append(
            Finding(
                "time",
                "warning",
                "temporal leakage",
                int(earlier.sum()),
                f"Column {column!r} looks like time, and the split is {strategy!r}: "
                f"{earlier.mean():.0%} of the test rows are earlier than the latest training row, "
                "so the model is scored on the past it was trained around. If the model will "
                f"predict the future, load with time={column!r} and split with strategy='time'.",
                [column],
            )
        )
    return out


def _as_time(values: pd.Series, force: bool = False):
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if values.dtype.kind in "iuf":
        v = values.dropna()
        if values.dtype.kind == "f" and not (v == v.round()).all():
            return None
        if (
            len(v)
            and v.between(1900, 2100).all()
            and v.nunique() > 1
            and (force or "year" in str(values.name).lower() or v.nunique() <= 200)
        ):
            return v
        return None
    if values.dtype.kind == "O" or pd.api.types.is_string_dtype(values):
        sample = values.dropna().astype(str).head(50)
        if (
            len(sample) == 0
            or not sample.str.contains(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}").mean()
            > 0.9
        ):
            return None
        parsed = pd.to_datetime(values, errors="coerce")
        return parsed if parsed.notna().mean() > 0.9 else None
    return None


def target_proxies(train: Dataset) -> list[Finding]:
    """Single-feature predictive power on training rows, cross-validated (3 folds; a tree with at
    least 10 rows a leaf, and for regression also a straight line); of several targets (a
    multi-output regression), each is checked on its own, and a finding names its target."""
    rows = (
        train
        if len(train) <= PROXY_ROWS
        else train.take(np.random.default_rng(0).choice(len(train), PROXY_ROWS, replace=False))
    )
    several = isinstance(rows.target, pd.DataFrame)
    targets = (
        [(rows.target[name], f" {name!r}") for name in train.targets]
        if several
        else [(rows.target, "")]
    )
    inputs = {}  # each column's preprocessed values, once for every target

    def x_of(column):
        if column not in inputs:
            one = rows.features[[column]]
            kind = {column: train.column_kinds[column]} if column in train.column_kinds else None
            inputs[column] = Features(column_kinds=kind).fit(one).transform(one)
        return inputs[column]

    return [found for target, which in targets for found in _proxies(rows, target, which, x_of)]


def _proxies(rows: Dataset, target: pd.Series, which: str, x_of) -> list[Finding]:
    regression = not rows.task.has_classes
    # class codes, not the labels: labels such as 0.5 / 1.5 read as a continuous target to
    # scikit-learn
    y = target.to_numpy() if regression else pd.factorize(target)[0]
    if not regression and pd.Series(y).value_counts().min() < 3:
        return []
    if regression:
        naive = np.abs(y - np.median(y)).mean()
        model, scoring = (
            DecisionTreeRegressor(min_samples_leaf=10, random_state=0),
            "neg_mean_absolute_error",
        )
    else:
        naive = pd.Series(y).value_counts(normalize=True).max()
        model, scoring = DecisionTreeClassifier(min_samples_leaf=10, random_state=0), "accuracy"
    # the folds and scores of cross_val_score(model, x, y, cv=3), cut once for every column
    folds = list(check_cv(3, y, classifier=not regression).split(np.zeros((len(y), 1)), y))
    scorer = get_scorer(scoring)

    def cross_validated(estimator, x) -> float:
        return float(
            np.mean(
                [
                    scorer(clone(estimator).fit(x[fit], y[fit]), x[held], y[held])
                    for fit, held in folds
                ]
            )
        )

    def scored(column) -> float:
        x = x_of(column)
        score = cross_validated(model, x)
        if (
            regression
        ):  # a tree's steps blur an exact linear proxy on few rows: take the better of both
            score = max(score, cross_validated(LinearRegression(), x))
        return score

    columns = [c for c in rows.features.columns if rows.features[c].notna().any()]
    # a tree grows without the interpreter lock: the columns' fits share the cores (in order)
    with ThreadPoolExecutor(max_workers=max(1, min(len(columns), threads.CORES))) as pool:
        scores = list(pool.map(scored, columns))
    out = []
    for column, score in zip(columns, scores):
        power = 1 - (-score) / naive if regression else (score - naive) / max(1e-12, 1 - naive)
        if power >= PROXY_WARNING:
            out.append(
                Finding(
                    "target_proxy",
                    "error" if power >= PROXY_ERROR else "warning",
                    "illegitimate feature",
                    1,
                    f"Feature {column!r} alone predicts the target{which} (predictive power "
                    f"{power:.3f} against a naive baseline, cross-validated on training rows). If "
                    "it is computed from the label or recorded after the outcome, drop it.",
                    [column],
                )
            )
    return out
