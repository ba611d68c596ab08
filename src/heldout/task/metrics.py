"""Metrics beyond a task's own (:meth:`heldout.task.Task.score`): which direction is better,
and 95% intervals over the rows of a look — for the model's metrics, and for its difference to
baselines scored on the same rows.

A proportion (accuracy) gets the exact Clopper–Pearson interval, which covers at least its
nominal level at every size and is not degenerate at a perfect score (when rows weigh unequally,
it is a weighted share and gets the bootstrap). Every other metric, and every difference to a
baseline, gets a bootstrap over the rows (:func:`scipy.stats.bootstrap`):
one resample of row positions serves the model and every baseline alike, so a difference is
paired. Up to :data:`BCA_ROWS` rows the interval is BCa (bias-corrected and accelerated; its
jackknife costs rows² work); above, percentile. A BCa endpoint that cannot be computed
(degenerate data: all errors zero, a class missing from some resamples) falls back to the
percentile interval of the same draws. Resamples are processed in batches of at most
:data:`BATCH_NUMBERS` row weights, so memory stays bounded however many rows there are. Seeded.
A bootstrap interval cannot reach beyond the values its resamples take: a perfect ROC AUC, or
an f1 of 1, gets ``[1, 1]``; only the proportion's exact interval says how far below 1 the truth
may be.

>>> from heldout.task import get
>>> y = np.array([0, 1] * 18)
>>> interval_95, _ = intervals(get("binary"), y, np.where(y == 1, 0.9, 0.1))
>>> [round(v, 3) for v in interval_95["accuracy"]]
[0.903, 1.0]
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from . import _weighted

HIGHER_IS_BETTER = {
    "rmse": False,
    "mae": False,
    "r2": True,
    "accuracy": True,
    "log_loss": False,
    "roc_auc": True,
    "f1": True,
}
RESAMPLES = 2_000  # bootstrap resamples per look
BCA_ROWS = 2_000  # BCa up to this many rows; percentile above (BCa's jackknife is rows² work)
BATCH_NUMBERS = 1_000_000  # row weights held at once: resamples per batch × rows


def interval_fields(
    task,
    y: np.ndarray,
    prediction: np.ndarray,
    baselines: dict[str, np.ndarray] | None = None,
    *,
    weights: np.ndarray | None = None,
) -> dict:
    """A score's ``interval_95`` and, when there are baselines, its ``versus``
    (:func:`intervals`)."""
    interval, versus = intervals(task, y, prediction, baselines, weights=weights)
    return {"interval_95": interval, **({"versus": versus} if baselines else {})}


def intervals(
    task,
    y: np.ndarray,
    prediction: np.ndarray,
    baselines: dict[str, np.ndarray] | None = None,
    *,
    weights: np.ndarray | None = None,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[dict[str, list[float]], dict[str, dict]]:
    """``(interval, versus)`` for a model's ``prediction`` of targets ``y`` (encoded, as the task
    scores them): each metric's interval, and for each baseline (its prediction of the same rows)
    each metric's value, the difference model minus baseline, that difference's interval and its
    :func:`verdict`. With row ``weights`` (sample and class weights), every metric weighs each
    row by its weight and a resample by its draws times its weight; a proportion is then a
    weighted share, not a count of successes, so it gets the bootstrap too.

    A metric gets no interval where it is undefined (NaN) on these rows, and bootstrap intervals
    need two rows or more."""
    n = len(y)
    model = task.weighted(y, prediction)
    others = {name: task.weighted(y, p) for name, p in (baselines or {}).items()}
    weigh = (lambda w: w) if weights is None else (lambda w: w * np.asarray(weights, dtype=float))
    equal = weights is None or np.ptp(weights) == 0  # the same weight on every row: a count still
    ones = weigh(np.ones((1, n)))
    value = {m: float(v[0]) for m, v in model(ones).items()}
    theirs = {name: {m: float(v[0]) for m, v in f(ones).items()} for name, f in others.items()}
    # what is resampled: the model's own metrics (name None) and each difference to a baseline
    exact_ones = task.proportions if equal else ()
    resampled = [(None, m) for m in task.metrics if m not in exact_ones]
    resampled += [(name, m) for name in others for m in task.metrics]

    def statistic(rows, axis=-1):
        w = weigh(_weighted.weights(rows, n))
        mine = model(w)
        of = {name: f(w) for name, f in others.items()}
        out = np.stack(
            [mine[m] if name is None else mine[m] - of[name][m] for name, m in resampled]
        )
        return out if np.ndim(rows) > 1 else out[:, 0]

    bounds = (
        dict(zip(resampled, bootstrap(statistic, n, level=level, seed=seed)))
        if n > 1 and resampled
        else {}
    )
    interval = {}
    for m in task.metrics:
        if not np.isfinite(value[m]):
            continue
        bound = exact(round(value[m] * n), n, level) if m in exact_ones else bounds.get((None, m))
        if bound is not None:
            interval[m] = bound
    versus = {
        name: {
            m: {
                "value": theirs[name][m],
                "difference": value[m] - theirs[name][m],
                "interval_95": bounds.get((name, m)),
                "verdict": verdict(m, bounds.get((name, m))),
            }
            for m in task.metrics
        }
        for name in others
    }
    return interval, versus


def verdict(metric: str, interval: list[float] | None) -> str:
    """What an interval of a difference (model minus baseline) of ``metric`` says: ``"better"`` or
    ``"worse"`` when it excludes 0, else ``"not resolved"``.

    >>> verdict("rmse", [-3.0, -1.0]), verdict("r2", [-0.1, 0.2])
    ('better', 'not resolved')
    """
    if interval is None or interval[0] <= 0 <= interval[1]:
        return "not resolved"
    return "better" if (interval[0] > 0) == HIGHER_IS_BETTER[metric] else "worse"


def exact(successes: int, n: int, level: float = 0.95) -> list[float] | None:
    """The Clopper–Pearson interval of a proportion ``successes / n`` (None for no rows).

    >>> [round(v, 3) for v in exact(35, 36)]
    [0.855, 0.999]
    """
    if n < 1:
        return None
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(
        confidence_level=level, method="exact"
    )
    return [float(ci.low), float(ci.high)]


def bootstrap(
    statistic, n: int, *, level: float = 0.95, seed: int = 0, resamples: int | None = None
) -> list:
    """Bootstrap intervals of ``statistic(rows[resample, row]) -> [k, resamples]`` over ``n >= 2``
    rows: ``k`` intervals ``[lo, hi]``, None where every draw is undefined."""
    method = "BCa" if n <= BCA_ROWS else "percentile"
    with (
        warnings.catch_warnings()
    ):  # BCa's own warnings on degenerate data: handled below, by falling back
        warnings.simplefilter("ignore")
        result = stats.bootstrap(
            (np.arange(n),),
            statistic,
            n_resamples=resamples or RESAMPLES,
            vectorized=True,
            batch=max(1, BATCH_NUMBERS // n),
            confidence_level=level,
            method=method,
            rng=np.random.default_rng(seed),
        )
    low, high = (
        np.atleast_1d(result.confidence_interval.low),
        np.atleast_1d(result.confidence_interval.high),
    )
    draws = np.atleast_2d(result.bootstrap_distribution)
    tail = (1 - level) / 2 * 100
    out = []
    for lo, hi, d in zip(low, high, draws):
        if not (
            np.isfinite(lo) and np.isfinite(hi)
        ):  # the percentile interval of the defined draws
            d = d[np.isfinite(d)]
            lo, hi = np.percentile(d, [tail, 100 - tail]) if len(d) else (np.nan, np.nan)
        out.append([float(lo), float(hi)] if np.isfinite(lo) and np.isfinite(hi) else None)
    return out
