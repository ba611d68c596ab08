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


INTERVAL_METRICS = {"regression": ("rmse", "mae"), "binary": ("accuracy", "log_loss"),
                    "multiclass": ("accuracy", "log_loss")}


def bootstrap_intervals(task: str, y: np.ndarray, prediction: np.ndarray, resamples: int = 2000,
                        seed: int = 0, level: float = 0.95) -> dict[str, list[float]]:
    """Percentile bootstrap intervals over the rows for the task's main metrics (seeded).

    >>> bootstrap_intervals("regression", np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 4.0]))["rmse"]
    [0.0, 0.0]
    """
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(y), size=(resamples, len(y)))
    if task == "regression":
        error = np.asarray(prediction, dtype=float) - np.asarray(y, dtype=float)
        draws = {"rmse": np.sqrt((error[picks] ** 2).mean(1)), "mae": np.abs(error)[picks].mean(1)}
    else:
        y = y.astype(int)
        p = np.stack([1 - prediction, prediction], 1) if task == "binary" else prediction
        p = np.clip(p, 1e-15, 1.0)
        p = p / p.sum(1, keepdims=True)
        correct = (p.argmax(1) == y).astype(float)
        row_loss = -np.log(p[np.arange(len(y)), y])
        draws = {"accuracy": correct[picks].mean(1), "log_loss": row_loss[picks].mean(1)}
    tail = (1 - level) / 2 * 100
    return {name: [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))] for name, v in draws.items()}


def _auc(compute) -> float:
    """ROC AUC is undefined when the rows hold a single class; report NaN rather than fail."""
    try:
        return float(compute())
    except ValueError:
        return float("nan")
