"""Ensembles from the search: greedy selection with replacement on validation rows (Caruana et
al., "Ensemble Selection from Libraries of Models", 2004, as AutoGluon's weighted ensemble does).

The search's best trials (:data:`POOL`, by the selection metric) each predict the validation
rows. Round by round, the trial whose addition makes the running average best on the selection
metric is added (a trial may be added again: its weight grows); the ensemble kept is that of the
best round, the first of ties. Weights are the counts over the rounds kept. An ensemble that
improves on the best trial alone by less than :data:`MIN_GAIN` (relative) is not kept: the
simpler model, when the validation rows cannot tell them apart. Nothing here reads the test set:
the validation rows choose the weights, as they choose the trial.

>>> import numpy as np
>>> y = np.array([0.0, 1.0, 2.0, 3.0])
>>> predictions = {7: y + 1, 3: y - 1, 5: y + 3}     # two trials err in opposite directions
>>> rmse = lambda p: float(np.sqrt(((p - y) ** 2).mean()))
>>> chosen = select(predictions, rmse)
>>> chosen.weights, chosen.score, chosen.single
({7: 0.5, 3: 0.5}, 0.0, 1.0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Callable

import numpy as np

POOL = 8  # the best complete trials the selection draws from
ROUNDS = 25  # additions at most (AutoGluon's ensemble size)
MIN_GAIN = 1e-3  # the relative improvement on validation an ensemble must bring to be kept


@dataclass(frozen=True)
class Chosen:
    """The weights by trial (summing to 1, best trial first), the ensemble's score on the
    validation rows (lower is better) and the best single trial's."""

    weights: dict[int, float]
    score: float
    single: float

    @property
    def is_ensemble(self) -> bool:
        return len(self.weights) > 1


def select(
    predictions: dict[int, np.ndarray],
    score: Callable[[np.ndarray], float],
    rounds: int = ROUNDS,
) -> Chosen:
    """Greedy ensemble selection over ``predictions`` (trial -> its validation predictions, best
    trial first): ``score`` (lower is better) of the averaged predictions picks each addition."""
    trials = list(predictions)
    single = score(predictions[trials[0]])
    total, counts = None, Counter()
    best = (single, {trials[0]: 1})
    for r in range(1, rounds + 1):
        scored = []
        for t in trials:
            mixed = predictions[t] if total is None else (total + predictions[t]) / r
            scored.append((score(mixed), trials.index(t), t))
        value, _, pick = min(scored)
        counts[pick] += 1
        total = predictions[pick] if total is None else total + predictions[pick]
        if value < best[0]:
            best = (value, dict(counts))
    value, kept = best
    if value > single - MIN_GAIN * abs(single):
        value, kept = single, {trials[0]: 1}
    n = sum(kept.values())
    weights = {t: kept[t] / n for t in trials if t in kept}
    return Chosen(weights, float(value), float(single))


def metric_score(task, metric: str, sign: float, y: np.ndarray, w: np.ndarray | None):
    """The selection metric of averaged predictions against encoded targets ``y``, as a value to
    minimise (``sign``: 1, or -1 for a metric where higher is better)."""

    def score(prediction: np.ndarray) -> float:
        value = task.score(y, prediction, w)[metric]
        return float("inf") if np.isnan(value) else sign * float(value)

    return score
