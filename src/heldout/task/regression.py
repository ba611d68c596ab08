"""Regression: one numeric target, fitted standardised on the training rows
(:mod:`heldout.task.target_scale`), scored on rmse, mae and r2 in the target's own units.

Several targets (multi-output regression) arrive as ``[n, targets]`` arrays and leave the model as
one output each: the loss is the mean over outputs of each one's loss on the standardised
targets, the monitored rmse the root of their mean squared error, and :meth:`Regression.score`
of ``[n, targets]`` arrays is scikit-learn's ``multioutput="uniform_average"``: rmse is the root
of the mean over targets of each one's mean squared error, mae and r2 the mean over targets of
each one's (:mod:`heldout.model.outputs` scores each target in its units, and all of them
together on the standardised scale).

>>> y, p = np.array([[1.0, 10.0], [2.0, 30.0]]), np.array([[1.0, 12.0], [2.0, 26.0]])
>>> Regression("regression").score(y, p)["rmse"]   # sqrt((0 + (4 + 16) / 2) / 2)
2.23606797749979
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn import metrics as sk

from ..errors import DataError
from .base import Task
from .target_scale import IDENTITY, TargetScale

MAX_TARGET = 1e18  # a regression target beyond this overflows float32 once squared


class Regression(Task):
    losses = ("mse", "mae", "huber")
    monitor, selection = "rmse", "rmse"
    metrics = ("rmse", "mae", "r2")
    baseline_name = "the mean of the training targets"
    candidates = ("linear+mse", "mlp+mse", "gbdt+mse")

    def check_target(self, y, name):
        if not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
            raise DataError(
                f"A regression target must be numeric, but {name!r} holds {y.dtype} values such "
                f"as {y.iloc[0]!r}. Use task='binary' or 'multiclass', or convert the column to "
                "numbers."
            )
        values = y.astype("float64")
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            raise DataError(
                f"The regression target {name!r} holds {int(infinite.sum())} infinite value(s) "
                f"(first in row {int(np.flatnonzero(infinite)[0])}). Drop those rows or replace "
                "the values."
            )
        largest = float(np.nanmax(np.abs(values.to_numpy()))) if values.notna().any() else 0.0
        if largest > MAX_TARGET:
            raise DataError(
                f"The regression target {name!r} holds values as large as {largest:.3g}; training "
                f"computes in float32, where squared errors beyond {MAX_TARGET:.0e} overflow. "
                "Rescale the target (e.g. divide by a power of ten, or take its logarithm)."
            )
        return values

    def encode(self, target, classes, device="cpu", scale=IDENTITY):
        # standardised in float64, before the float32 cast: a large offset would swamp the spread
        return torch.tensor(
            scale.standardise(target.to_numpy(dtype="float64")), dtype=torch.float32, device=device
        )

    def fit_scale(self, target, w):
        return TargetScale.fit(target.to_numpy(dtype="float64"), w)

    def monitor_rows(self, out, y):
        if out.shape[-1] > 1:  # several targets: the mean over them ([.., n, targets] each)
            return (out - y).pow(2).mean(-1)
        return (out[..., 0] - y).pow(2)

    def finish_monitor(self, row_mean):
        return row_mean.sqrt()

    def predictions(self, out):
        return out[:, 0].double().numpy() if out.shape[1] == 1 else out.double().numpy()

    def score(self, y, prediction, weights=None):
        return {
            "rmse": float(np.sqrt(sk.mean_squared_error(y, prediction, sample_weight=weights))),
            "mae": float(sk.mean_absolute_error(y, prediction, sample_weight=weights)),
            "r2": float(sk.r2_score(y, prediction, sample_weight=weights)),
        }

    def weighted(self, y, prediction):
        y = np.asarray(y, dtype=float).reshape(len(y), -1)  # [n, targets]
        error = np.asarray(prediction, dtype=float).reshape(y.shape) - y
        centred = y - y.mean(0)  # r2's spread around the resample's mean, without cancellation
        k = y.shape[1]
        columns = np.concatenate([error**2, np.abs(error), centred, centred**2], axis=1)

        def of(w):
            s, total = w @ columns, w.sum(1)[:, None]
            squares, absolute, first, second = (s[:, j * k : (j + 1) * k] for j in range(4))
            spread = second - first**2 / total
            with np.errstate(
                invalid="ignore", divide="ignore"
            ):  # as scikit-learn: 1 if all exact, else 0
                r2 = np.where(spread > 0, 1 - squares / spread, np.where(squares == 0, 1.0, 0.0))
            # several targets: each metric's mean over them (rmse: the root of the mean square)
            return {
                "rmse": np.sqrt((squares / total).mean(1)),
                "mae": (absolute / total).mean(1),
                "r2": r2.mean(1),
            }

        return of

    def baseline(self, y_train, classes, rows, weights=None):
        if np.ndim(y_train) == 2:  # several targets: the mean of each
            return np.tile(
                np.average(y_train, axis=0, weights=weights).astype("float64"), (rows, 1)
            )
        return np.full(rows, float(np.average(y_train, weights=weights)))

    def diagnostics(self, y, prediction, classes):
        return {"predicted": prediction.tolist(), "residual": (y - prediction).tolist()}
