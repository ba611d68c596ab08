"""scikit-learn estimators over heldout's engine: ``HeldoutRegressor`` and ``HeldoutClassifier``.

They follow scikit-learn's contract (hyperparameters in ``__init__``, learned state ending in
``_``, ``fit`` returns ``self``) and pass its ``check_estimator`` suite, so they work inside
``Pipeline``, ``cross_val_score`` and ``GridSearchCV``. Inside scikit-learn the caller holds the
test data out; ``fit`` carves its own validation rows (``validation`` share, seeded) from what it
is given, for early stopping; no test set is sealed here (arrays carry no column names, so their
rows cannot be matched against tables sealed in the ledger either). ``HeldoutRegressor`` takes a
2-D ``y`` as several targets (one multi-output model; ``predict`` then returns ``[n, targets]``).

>>> from sklearn.datasets import load_diabetes
>>> X, y = load_diabetes(return_X_y=True)
>>> round(HeldoutRegressor(optimizer="gd", lr=0.1).fit(X[:300], y[:300]).score(X[300:], y[300:]), 2)
0.5
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .data.dataset import load
from .train.config import SETTINGS, parameters
from .train.population import train_population
from .train.rows import Rows

MIN_HOLDOUT_ROWS = 10  # fewer rows than this: train on all of them, without early stopping
# every training setting is an estimator parameter, with its declared default; the seed is
# scikit-learn's random_state, and validation the share of rows carved off for early stopping
_PARAMETERS = [
    *parameters(inspect.Parameter.KEYWORD_ONLY, skip=("seed",)),
    inspect.Parameter("validation", inspect.Parameter.KEYWORD_ONLY, default=0.2),
    inspect.Parameter("random_state", inspect.Parameter.KEYWORD_ONLY, default=0),
]


class _HeldoutEstimator(BaseEstimator):
    def __init__(self, **params):
        for p in _PARAMETERS:
            setattr(self, p.name, params.pop(p.name, p.default))
        if params:
            raise TypeError(
                f"Unknown parameter(s) {sorted(params)}. Valid: {[p.name for p in _PARAMETERS]}."
            )

    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *_PARAMETERS]
    )

    def _fit(self, X, y, task):
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        if (
            np.ndim(y) == 2
        ):  # several targets: target_0, target_1, ... (one column: the target itself)
            names = [f"target_{j}" for j in range(y.shape[1])]
            data = load(
                frame.assign(**dict(zip(names, y.T))), target=names, task=task, name="sklearn"
            )
        else:
            data = load(frame.assign(target=y), target="target", task=task, name="sklearn")
        seed = 0 if self.random_state is None else int(self.random_state)
        rows = np.arange(len(data))
        held = len(data) >= MIN_HOLDOUT_ROWS
        if held:
            stratify = (
                y
                if data.task.has_classes and np.unique(y, return_counts=True)[1].min() >= 2
                else None
            )
            try:
                train, val = train_test_split(
                    rows, test_size=self.validation, random_state=seed, stratify=stratify
                )
            except ValueError:
                train, val = train_test_split(rows, test_size=self.validation, random_state=seed)
        else:
            train, val = rows, None
        # no test set here: the caller holds it out
        settings = {name: getattr(self, name) for name in SETTINGS if name != "seed"}
        settings.update(
            hidden=tuple(self.hidden), seed=seed, early_stopping=bool(self.early_stopping) and held
        )
        rows = Rows(data.take(train), None if val is None else data.take(val), seed)
        self.run_ = train_population(rows, [settings])
        self.model_ = self.run_.model
        return self

    def _outputs(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False)
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags


class HeldoutRegressor(RegressorMixin, _HeldoutEstimator):
    """Gradient-descent regression (``linear`` or ``mlp``) trained by heldout's engine."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, y_numeric=True, multi_output=True)
        return self._fit(X, y.astype(float), "regression")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # a 2-D y: one output per column
        return tags

    def predict(self, X):
        frame = self._outputs(X)
        return self.model_.predict(frame)


class HeldoutClassifier(ClassifierMixin, _HeldoutEstimator):
    """Gradient-descent classification (``linear`` or ``mlp``) trained by heldout's engine."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(
                "HeldoutClassifier needs at least 2 classes in y, got 1 class: "
                f"{self.classes_[0]!r}."
            )
        # heldout sorts class labels itself; train on their positions in classes_ and map back
        codes = np.searchsorted(self.classes_, y)
        return self._fit(X, codes, "binary" if len(self.classes_) == 2 else "multiclass")

    def predict_proba(self, X):
        frame = self._outputs(X)
        return self.model_.predict_proba(frame)

    def predict(self, X):
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(1)]
