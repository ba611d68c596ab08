"""Metrics of weighted rows: each task's ``score`` with row weights equals scikit-learn's with
``sample_weight``, the resampling form ``weighted(...)(w)`` the intervals use, and the score of rows
repeated by their integer weights; the look's intervals weigh the rows the same way."""

import numpy as np
import pytest

from heldout.task import get, metrics


def _case(task, n=60, seed=0):
    rng = np.random.default_rng(seed)
    if task == "regression":
        y = rng.normal(size=n)
        return y, y + rng.normal(scale=0.5, size=n)
    if task == "binary":
        y = (rng.random(n) < 0.4).astype(float)
        return y, np.clip(0.3 + 0.4 * y + rng.normal(scale=0.2, size=n), 0.01, 0.99)
    y = rng.integers(0, 3, n)
    logits = rng.normal(size=(n, 3)) + 2 * np.eye(3)[y]
    return y, np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


@pytest.mark.parametrize("name", ["regression", "binary", "multiclass"])
def test_weighted_scores_equal_the_scores_of_repeated_rows_and_their_resampling_form(name):
    task = get(name)
    y, prediction = _case(name)
    w = np.random.default_rng(1).integers(0, 4, len(y)).astype(float)
    scored = task.score(y, prediction, w)
    resampled = {m: float(v[0]) for m, v in task.weighted(y, prediction)(w[None]).items()}
    keep = np.repeat(np.arange(len(y)), w.astype(int))
    repeated = task.score(y[keep], prediction[keep])
    for m in task.metrics:
        assert scored[m] == pytest.approx(repeated[m], rel=1e-9), m
        assert scored[m] == pytest.approx(resampled[m], rel=1e-9), m


def test_a_weighted_share_gets_the_bootstrap_and_equal_weights_keep_the_exact_interval():
    task = get("binary")
    y, prediction = _case("binary", n=80)
    exact, _ = metrics.intervals(task, y, prediction)
    same, _ = metrics.intervals(task, y, prediction, weights=np.full(len(y), 2.0))
    assert same["accuracy"] == exact["accuracy"]  # Clopper–Pearson, a count of successes
    w = np.where(y == 1, 3.0, 1.0)
    weighted, versus = metrics.intervals(
        task, y, prediction, {"half": np.full(len(y), 0.5)}, weights=w
    )
    value = task.score(y, prediction, w)
    for m in task.metrics:
        assert weighted[m][0] <= value[m] <= weighted[m][1], m
    assert weighted["accuracy"] != exact["accuracy"]
    assert versus["half"]["log_loss"]["value"] == pytest.approx(np.log(2))
