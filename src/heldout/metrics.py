"""The task's metrics, computed by scikit-learn from a model's predictions.

Regression: rmse, mae, r2. Binary: accuracy, log_loss, roc_auc, f1 (of the larger class).
Multiclass: accuracy, log_loss, roc_auc (one-vs-rest, macro), f1 (macro).

>>> import numpy as np
>>> score("regression", np.array([1.0, 2.0]), np.array([1.0, 4.0]))["rmse"]
1.4142135623730951
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as sk

NAMES = {"regression": ("rmse", "mae", "r2"),
         "binary": ("accuracy", "log_loss", "roc_auc", "f1"),
         "multiclass": ("accuracy", "log_loss", "roc_auc", "f1")}
HIGHER_IS_BETTER = {"rmse": False, "mae": False, "r2": True, "accuracy": True, "log_loss": False,
                    "roc_auc": True, "f1": True}


def score(task: str, y: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
    """Metrics of ``prediction`` against encoded targets ``y``.

    ``prediction``: values for regression; P(class 1) for binary; class probabilities [n, C] for multiclass.
    """
    if task == "regression":
        return {"rmse": float(np.sqrt(sk.mean_squared_error(y, prediction))),
                "mae": float(sk.mean_absolute_error(y, prediction)),
                "r2": float(sk.r2_score(y, prediction))}
    y = y.astype(int)
    if task == "binary":
        label = (prediction > 0.5).astype(int)
        return {"accuracy": float(sk.accuracy_score(y, label)),
                "log_loss": float(sk.log_loss(y, prediction, labels=[0, 1])),
                "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction)),
                "f1": float(sk.f1_score(y, label, zero_division=0))}
    labels = list(range(prediction.shape[1]))
    label = prediction.argmax(1)
    return {"accuracy": float(sk.accuracy_score(y, label)),
            "log_loss": float(sk.log_loss(y, prediction, labels=labels)),
            "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction, multi_class="ovr", labels=labels)),
            "f1": float(sk.f1_score(y, label, average="macro", labels=labels, zero_division=0))}


def _auc(compute) -> float:
    """ROC AUC is undefined when the rows hold a single class; report NaN rather than fail."""
    try:
        return float(compute())
    except ValueError:
        return float("nan")
