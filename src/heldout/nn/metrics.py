"""Metrics beyond a task's own (:meth:`heldout.nn.task.Task.score`): which direction is better,
and percentile-bootstrap intervals over the rows of a look.

>>> from heldout.nn.task import get
>>> bootstrap_intervals(get("regression"), np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 2.0, 3.0, 4.0]))["rmse"]
[0.0, 0.0]
"""

from __future__ import annotations

import numpy as np

HIGHER_IS_BETTER = {"rmse": False, "mae": False, "r2": True, "accuracy": True, "log_loss": False,
                    "roc_auc": True, "f1": True}


def bootstrap_intervals(task, y: np.ndarray, prediction: np.ndarray, resamples: int = 2000,
                        seed: int = 0, level: float = 0.95) -> dict[str, list[float]]:
    """Percentile bootstrap intervals over the rows for the task's interval metrics (seeded)."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(y), size=(resamples, len(y)))
    draws = task.draws(y, prediction, picks)
    tail = (1 - level) / 2 * 100
    return {name: [float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))] for name, v in draws.items()}
