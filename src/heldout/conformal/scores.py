"""Split-conformal prediction intervals (regression) and prediction sets (classification).

A model's errors on rows it did not train on — its validation rows — say how far to trust its
next prediction. :func:`calibrate` scores each validation row: the absolute residual
``|y - prediction|`` in the target's units (regression), or ``1 - p(true class)``
(classification: the LAC score of Sadinle, Lei and Wasserman, 2019). For a level ``1 - alpha``
the threshold ``q`` is the ``ceil((n + 1)(1 - alpha))``-th smallest of the ``n`` scores; a new
row's interval is ``prediction ± q``, its set every class ``c`` with ``1 - p_c <= q``. When the
new row and the validation rows are exchangeable and the scores come from a model that did not
learn from the validation rows, the interval (set) holds the true value with probability at
least ``1 - alpha`` — marginally, over rows, not row by row. Test rows never calibrate: the
calibration is fixed before the one look, which measures the coverage it reaches there.

What that guarantee is worth here, said plainly:

- The validation rows chose the model's epoch (early stopping) and its configuration (the
  search), so they are not perfectly fresh: the coverage is approximate, and may fall a little
  short when many configurations were compared on the same rows.
- ``heldout run`` refits the selected configuration on training + validation rows; that model's
  residuals on its own training rows would be too small. The run therefore scores the validation
  rows with the same configuration trained again on training rows alone
  (:mod:`heldout.conformal.policy`) and gives those scores to the refit model (``info["refit"]``):
  exact for that sibling, and for the refit model — which learned from more rows — the assumption
  that it errs no more. The look measures whether that held.

Every score is kept (sorted, float64), not a few quantiles: any level is answered exactly at
predict time, for 8 bytes per validation row in the bundle (16 with weights). With row weights
(sample times class weights, as the metrics count rows), the threshold is the weighted quantile
with the new row counted as one of average weight, so equal weights give the unweighted
threshold exactly; the coverage it aims at is the weighted coverage the look reports.

A multi-output regression model keeps each target's scores apart (``scores[rows, targets]``, each
column sorted on its own, ``weights`` in each column's order): every target gets its own threshold
and its own interval (:meth:`Calibration.columns`), in its units.

>>> calibration = Calibration("residual", np.arange(1.0, 11.0))   # ten validation residuals
>>> calibration.threshold(0.8)   # the ceil(11 * 0.8) = 9th smallest
9.0
>>> lower, upper = calibration.interval(np.array([100.0]), 0.8)
>>> lower.tolist(), upper.tolist()
([91.0], [109.0])
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy import stats

from .._util.declared import SHARE
from ..data.dataset import Dataset
from ..data.fingerprint import set_fingerprint
from ..errors import BundleError, ConfigError, LeakageError

LEVEL = 0.9  # the level the one look measures, and predict_interval's and predict_set's default
SCORES = {"residual": "|y - prediction|, in the target's units", "lac": "1 - p(true class)"}


@dataclass(frozen=True, eq=False)
class Calibration:
    """Conformity scores of the calibration (validation) rows, sorted, and what they came from."""

    kind: str  # a key of SCORES: "residual" (regression) or "lac" (classes)
    scores: np.ndarray  # one per calibration row of positive weight, ascending (float64);
    # several targets: [rows, targets], each column ascending
    weights: np.ndarray | None = (
        None  # their row weights, in the same order (as scores); None: each counts once
    )
    info: dict = field(
        default_factory=dict
    )  # rows, their fingerprint, and whether the model was refit

    def columns(self) -> list["Calibration"]:
        """One calibration per target: itself for one target, each target's scores for several."""
        if self.scores.ndim == 1:
            return [self]
        return [
            Calibration(
                self.kind,
                self.scores[:, j],
                None if self.weights is None else self.weights[:, j],
                self.info,
            )
            for j in range(self.scores.shape[1])
        ]

    def threshold(self, level: float) -> float | np.ndarray:
        """The split-conformal quantile ``q`` for ``level`` (infinite where the rows are too few);
        several targets: one per target."""
        level = check_level(level)
        if self.scores.ndim == 2:
            return np.array([c.threshold(level) for c in self.columns()])
        if not len(self.scores):
            return math.inf
        w = np.ones(len(self.scores)) if self.weights is None else self.weights
        cumulative = np.cumsum(w)
        # the k-th smallest score with sum(w[:k]) >= level * (total + one average row); with equal
        # weights k = ceil((n + 1) level). The last factor keeps float error (with 14 scores, 0.8
        # gives 12.000000000000002) from moving k one score up.
        needed = level * cumulative[-1] * (len(w) + 1) / len(w) * (1 - 1e-12)
        k = int(np.searchsorted(cumulative, needed, side="left"))
        return float(self.scores[k]) if k < len(w) else math.inf

    def interval(self, prediction: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
        """``(lower, upper)`` around regression predictions (in the target's units; ``[n, targets]``
        for several)."""
        q = self.threshold(level)
        return prediction - q, prediction + q

    def sets(self, probabilities: np.ndarray, level: float) -> np.ndarray:
        """``[n, classes]`` booleans: which classes each row's prediction set holds."""
        return 1 - probabilities <= self.threshold(level)

    def coverage(
        self,
        y: np.ndarray,
        prediction: np.ndarray,
        weights: np.ndarray | None = None,
        level: float = LEVEL,
    ) -> dict:
        """How often the intervals (sets) at ``level`` hold the true value of rows ``y`` (as
        :func:`score` reads them), each row counted by its weight, with a 95% Clopper–Pearson
        interval (on the rows' effective number, Kish's, when weights differ), and the mean width
        (regression) or mean set size (classification)."""
        q = self.threshold(level)
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype="float64")
        share = float(w @ (score(self.kind, y, prediction) <= q) / w.sum())
        if self.kind == "residual":
            size = ("mean_width", 2 * q)  # the same width for every row
        else:
            size = ("mean_set_size", float(w @ self.sets(prediction, level).sum(1) / w.sum()))
        effective = w.sum() ** 2 / (w @ w)  # Kish's: the number of rows when every weight is equal
        return {
            "level": level,
            "coverage": share,
            "interval_95": proportion_interval(share, effective),
            "rows": len(y),
            size[0]: size[1] if math.isfinite(size[1]) else None,
            "score": SCORES[self.kind],
            "calibration": dict(self.info),
        }

    def to_dict(self) -> dict:
        return {"kind": self.kind, "info": self.info}

    def arrays(self) -> dict[str, np.ndarray]:
        return (
            {"scores": self.scores}
            if self.weights is None
            else {"scores": self.scores, "weights": self.weights}
        )

    @classmethod
    def from_dict(cls, d: dict, arrays: dict[str, np.ndarray]) -> "Calibration":
        if d.get("kind") not in SCORES or "scores" not in arrays:
            raise BundleError(
                f"A conformal calibration needs a kind among {list(SCORES)} and its scores, got "
                f"kind {d.get('kind')!r} and arrays {sorted(arrays)}. Train the model again."
            )
        return cls(
            d["kind"],
            np.asarray(arrays["scores"], dtype="float64"),
            None if "weights" not in arrays else np.asarray(arrays["weights"], dtype="float64"),
            dict(d.get("info") or {}),
        )


def calibrate(model, rows: Dataset, *, scorer=None) -> Calibration:
    """The calibration of ``model`` on ``rows`` — validation rows, scored by ``scorer`` (default:
    ``model`` itself), a model that did not train on them: after a refit on training +
    validation rows, the selected configuration trained on the training rows alone."""
    return calibrate_each([model], rows, scorers=[scorer])[0]


def calibrate_each(
    models: list, rows: Dataset, *, scorers: list | None = None
) -> list[Calibration]:
    """:func:`calibrate` of each of ``models`` on the same ``rows`` (each scored by its
    ``scorers[k]``, default itself), reading the rows once: their fingerprint, their targets, and
    their inputs once per preprocessing (the members of one population share theirs)."""
    if not isinstance(rows, Dataset):
        what = "the sealed test set" if type(rows).__name__ == "Sealed" else type(rows).__name__
        raise (LeakageError if what.startswith("the sealed") else ConfigError)(
            f"Calibration takes validation rows (a Dataset such as split.validation), got {what}. "
            "The test set never calibrates: it measures the coverage once, at the look."
        )
    fingerprint, inputs, truths, out = set_fingerprint(rows.fingerprints), {}, {}, []
    for model, scorer in zip(models, scorers or [None] * len(models)):
        scorer = model if scorer is None else scorer
        trained = scorer.manifest.get("split") or {}
        if trained.get("train_fingerprint") is not None and trained["train_fingerprint"] in (
            fingerprint,
            trained.get("validation_fingerprint"),
        ):
            raise LeakageError(
                "The scoring model trained on these rows (or on its validation rows too, as a "
                "refit does): its residuals there are too small, and the intervals would be too "
                "narrow. Score rows it did not train on, with the configuration trained on "
                "training rows alone."
            )
        if id(scorer.features) not in inputs:
            inputs[id(scorer.features)] = scorer.inputs(rows.features)
        kind = "lac" if model.task.has_classes else "residual"
        prediction = scorer.predictions_of(scorer.outputs_of(inputs[id(scorer.features)]))
        if kind == "lac":
            prediction = scorer.task.probabilities(prediction)
        if (
            scorer.classes not in truths
        ):  # class indices; or values in float64 (float32 loses the last digits)
            truths[scorer.classes] = (
                scorer.task.encode(rows.target, scorer.classes).numpy()
                if kind == "lac"
                else rows.target.to_numpy(dtype="float64")
            )
        y = truths[scorer.classes]
        w = model.row_weights(rows)
        s = score(kind, y, prediction)
        keep = (
            np.ones(len(s), dtype=bool) if w is None else w > 0
        )  # a row of weight 0 counts for nothing
        order = np.argsort(
            s[keep], axis=0, kind="stable"
        )  # several targets: each column in its own order
        info = {
            "rows": int(keep.sum()),
            "rows_fingerprint": fingerprint,
            "refit": scorer is not model,
        }
        out.append(
            Calibration(
                kind,
                np.take_along_axis(s[keep], order, 0),
                None if w is None else w[keep][order],
                info,
            )
        )
    return out


def score(kind: str, y: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Each row's conformity score: larger when the prediction is further from the truth."""
    if kind == "residual":
        return np.abs(np.asarray(y, dtype="float64") - prediction)
    return 1 - prediction[np.arange(len(y)), np.asarray(y, dtype=int)]


COVERAGE_LEVEL = replace(
    SHARE, hint="Try 0.9 for intervals that hold the true value 90% of the time."
)


def check_level(level) -> float:
    """``level`` as a float strictly between 0 and 1, or the error that says how to give one."""
    COVERAGE_LEVEL.check("The coverage level", level)
    return float(level)


def proportion_interval(share: float, n: float, level: float = 0.95) -> list[float] | None:
    """The Clopper–Pearson interval of a proportion ``share`` of ``n`` rows (``n`` may be an
    effective, non-integer number: the beta quantiles take it as it is).

    >>> [round(v, 3) for v in proportion_interval(35 / 36, 36)]
    [0.855, 0.999]
    """
    if n <= 0:
        return None
    x, tail = share * n, (1 - level) / 2
    low = 0.0 if x <= 0 else float(stats.beta.ppf(tail, x, n - x + 1))
    high = 1.0 if x >= n else float(stats.beta.ppf(1 - tail, x + 1, n - x))
    return [low, high]
