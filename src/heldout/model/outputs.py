"""A multi-output regression model's outputs, scored target by target and all together.

Such a model predicts ``[n, targets]``, each column in its target's units. A score of it holds:

- each target on its own, in its units, as a one-target model's would be — rmse, mae and r2, with
  their 95% intervals, the comparison with each baseline (``versus``), the coverage of its
  conformal intervals (``conformal``) — under ``targets[NAME]``, and its residuals under the
  diagnostics' ``targets[NAME]``;
- all targets together under the usual names (``rmse``, ``mae``, ``r2``, their ``interval_95``
  and ``versus``): the same metrics of the targets standardised with the training rows' mean and
  standard deviation of each (the scale the model fits, :mod:`heldout.task.target_scale`), so that
  every target counts alike whatever its units. rmse is the root of the mean over targets of each
  one's mean squared error in its standard deviations (the rmse every epoch monitors, and what a
  search selects on), mae the mean of each one's mae in its standard deviations, r2 the mean of
  each one's r2.

Intervals of new rows (:meth:`heldout.model.model.Model.predict_interval`) come per target too,
from each target's own conformal scores, as columns ``NAME_lower`` and ``NAME_upper``.

>>> interval_frame(("y1", "y2"), np.array([[0.0, 9.0]]), np.array([[1.0, 11.0]])).columns.tolist()
['y1_lower', 'y1_upper', 'y2_lower', 'y2_upper']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..task import metrics

# what the overall metrics are, said in the scores (and the report)
OVERALL = (
    "each target standardised by its training rows' mean and standard deviation; rmse: the root "
    "of the mean over targets of each one's mean squared error; mae and r2: their mean over targets"
)


def score(
    model,
    truth: np.ndarray,
    prediction: np.ndarray,
    w: np.ndarray | None,
    *,
    intervals: bool = False,
    diagnostics: bool = False,
    baselines: dict[str, np.ndarray] | None = None,
    coverage: float | None = None,
) -> dict:
    """The metrics of ``model``'s ``prediction`` (``[n, targets]``) of the rows' ``truth`` (float64,
    ``[n, targets]``), each row counted by ``w``: overall and per target (see the module)."""
    task, scale, baselines = model.task, model.target_scale, baselines or {}
    standard = scale.standardise(truth), scale.standardise(prediction)
    out = dict(task.score(*standard, w), overall=OVERALL)
    if intervals:
        theirs = {name: scale.standardise(p) for name, p in baselines.items()}
        out.update(metrics.interval_fields(task, *standard, theirs, weights=w))
    columns = None if model.calibration is None or coverage is None else model.calibration.columns()
    out["targets"], drawn = {}, {}
    for j, name in enumerate(model.targets):
        y, p = truth[:, j], prediction[:, j]
        one = task.score(y, p, w)
        if intervals:
            one.update(
                metrics.interval_fields(
                    task, y, p, {b: q[:, j] for b, q in baselines.items()}, weights=w
                )
            )
        if columns is not None:
            one["conformal"] = columns[j].coverage(y, p, w, coverage)
        if diagnostics:
            drawn[name] = task.diagnostics(y, p, None)
        out["targets"][name] = one
    if diagnostics:
        out["diagnostics"] = {"targets": drawn}
    return out


def interval_frame(names: tuple[str, ...], lower: np.ndarray, upper: np.ndarray) -> pd.DataFrame:
    """Intervals ``[n, targets]`` as the columns ``NAME_lower``, ``NAME_upper`` of each target."""
    return pd.DataFrame(
        {
            f"{name}_{side}": bound[:, j]
            for j, name in enumerate(names)
            for side, bound in (("lower", lower), ("upper", upper))
        }
    )
