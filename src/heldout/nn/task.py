"""The task — ``regression``, ``binary`` or ``multiclass`` — and everything that depends on it.

A :class:`Task` is its own name (it compares equal to ``"regression"``, prints and serialises as
that string), and it owns what differs between tasks: the losses that fit it (its default
first), the metric watched every epoch, the metric candidates are compared on, the metrics of
the final look (and the same metrics of resampled rows, from row weights, for their intervals),
the baseline the final look is compared with, the link from a model's outputs to predictions,
the encoding of labels, the default split strategy and the default search candidates. Code
outside this module asks the task; it never branches on the task's name.

>>> t = get("binary")
>>> t == "binary", t.losses[0], t.monitor, t.selection, t.n_outputs(("no", "yes"))
(True, 'log_loss', 'accuracy', 'log_loss', 1)
>>> get("regression").score(np.array([1.0, 2.0]), np.array([1.0, 4.0]))["rmse"]
1.4142135623730951
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
from sklearn import metrics as sk

from ..errors import ConfigError, DataError
from . import _weighted


MAX_TARGET = 1e18   # a regression target beyond this overflows float32 once squared


class Task(str):
    """One task: a string with behaviour. The three instances are :data:`TASKS`."""

    losses: tuple[str, ...] = ()       # losses that fit the task, its default first
    monitor: str = ""                  # the validation metric of every epoch (rmse, accuracy)
    selection: str = ""                # the metric candidates are compared on (lower is better here)
    metrics: tuple[str, ...] = ()      # the metrics of a look, computed by scikit-learn
    proportions: tuple[str, ...] = ()  # those that are a share of the rows: exact binomial intervals
    baseline_name: str = ""            # what the baseline of a look predicts, in words
    candidates: tuple[str, ...] = ()   # the default search candidates, family+loss
    has_classes: bool = False
    default_strategy: str = "random"

    def __new__(cls, name: str):
        return super().__new__(cls, name)

    def __reduce__(self):
        return get, (str(self),)

    def resolve_loss(self, loss: str | None, known) -> str:
        """The loss to train with (the task's default when ``None``), checked against the task."""
        if loss is None:
            return self.losses[0]
        if loss not in known:
            raise ConfigError(f"Unknown loss {loss!r}. Choose one of {sorted(known)}.")
        if loss not in self.losses:
            raise ConfigError(f"Loss {loss!r} does not fit a {self} task. Choose one of {list(self.losses)}.")
        return loss

    def n_outputs(self, classes: tuple | None) -> int:
        return 1

    def classes_of(self, target: pd.Series) -> tuple | None:
        return None

    def check_target(self, y: pd.Series, name: str) -> pd.Series:
        """The target column as the task reads it, or the DataError that says why it cannot."""
        return y

    def encode(self, target: pd.Series, classes: tuple | None, device="cpu") -> torch.Tensor:
        raise NotImplementedError

    def monitor_rows(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per row, what the monitored metric averages."""
        raise NotImplementedError

    def finish_monitor(self, row_mean: torch.Tensor) -> torch.Tensor:
        return row_mean

    def predictions(self, out: torch.Tensor) -> np.ndarray:
        """The link: outputs ``[n, o]`` to what the metrics score (values, P(class 1), probabilities)."""
        raise NotImplementedError

    def probabilities(self, prediction: np.ndarray) -> np.ndarray:
        """Class probabilities ``[n, C]`` from :meth:`predictions`."""
        raise DataError(f"Probabilities need a classification model; this one does {self}. Use predict.")

    def score(self, y: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def weighted(self, y: np.ndarray, prediction: np.ndarray) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
        """Each metric of :meth:`score` as a function of row weights ``w[resample, row]`` (how often
        a resample drew each row; :mod:`heldout.nn._weighted`). With ``w`` all ones it is ``score``."""
        raise NotImplementedError

    def baseline(self, y_train: np.ndarray, classes: tuple | None, rows: int) -> np.ndarray:
        """What a model that ignores the features predicts for ``rows`` rows (as :meth:`predictions`
        gives it), learned from the encoded training targets ``y_train``."""
        raise NotImplementedError

    def diagnostics(self, y: np.ndarray, prediction: np.ndarray, classes: tuple | None) -> dict:
        """What the report draws from the one look."""
        raise NotImplementedError


class Regression(Task):
    losses = ("mse", "mae", "huber")
    monitor, selection = "rmse", "rmse"
    metrics = ("rmse", "mae", "r2")
    baseline_name = "the mean of the training targets"
    candidates = ("linear+mse", "linear+huber", "mlp+mse")

    def check_target(self, y, name):
        if not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
            raise DataError(f"A regression target must be numeric, but {name!r} holds {y.dtype} values such as "
                            f"{y.iloc[0]!r}. Use task='binary' or 'multiclass', or convert the column to numbers.")
        values = y.astype("float64")
        infinite = np.isinf(values.to_numpy())
        if infinite.any():
            raise DataError(f"The regression target {name!r} holds {int(infinite.sum())} infinite value(s) (first in row "
                            f"{int(np.flatnonzero(infinite)[0])}). Drop those rows or replace the values.")
        largest = float(np.nanmax(np.abs(values.to_numpy()))) if values.notna().any() else 0.0
        if largest > MAX_TARGET:
            raise DataError(f"The regression target {name!r} holds values as large as {largest:.3g}; training "
                            f"computes in float32, where squared errors beyond {MAX_TARGET:.0e} overflow. Rescale the "
                            "target (e.g. divide by a power of ten, or take its logarithm).")
        return values

    def encode(self, target, classes, device="cpu"):
        return torch.tensor(target.to_numpy(dtype="float64"), dtype=torch.float32, device=device)

    def monitor_rows(self, out, y):
        return (out[..., 0] - y).pow(2)

    def finish_monitor(self, row_mean):
        return row_mean.sqrt()

    def predictions(self, out):
        return out[:, 0].double().numpy()

    def score(self, y, prediction):
        return {"rmse": float(np.sqrt(sk.mean_squared_error(y, prediction))),
                "mae": float(sk.mean_absolute_error(y, prediction)),
                "r2": float(sk.r2_score(y, prediction))}

    def weighted(self, y, prediction):
        y = np.asarray(y, dtype=float)
        error = np.asarray(prediction, dtype=float) - y
        centred = y - y.mean()   # r2's spread around the resample's mean, without cancellation
        columns = np.stack([error ** 2, np.abs(error), centred, centred ** 2], axis=1)

        def of(w):
            s, total = w @ columns, w.sum(1)
            squares, spread = s[:, 0], s[:, 3] - s[:, 2] ** 2 / total
            with np.errstate(invalid="ignore", divide="ignore"):   # as scikit-learn: 1 if all exact, else 0
                r2 = np.where(spread > 0, 1 - squares / spread, np.where(squares == 0, 1.0, 0.0))
            return {"rmse": np.sqrt(squares / total), "mae": s[:, 1] / total, "r2": r2}
        return of

    def baseline(self, y_train, classes, rows):
        return np.full(rows, float(np.mean(y_train)))

    def diagnostics(self, y, prediction, classes):
        return {"predicted": prediction.tolist(), "residual": (y - prediction).tolist()}


class _Classification(Task):
    monitor, selection = "accuracy", "log_loss"
    metrics, proportions = ("accuracy", "log_loss", "roc_auc", "f1"), ("accuracy",)
    baseline_name = "the training class frequencies (so always the majority class)"
    has_classes = True
    default_strategy = "stratified"

    def classes_of(self, target):
        return tuple(sorted(pd.unique(target).tolist()))

    def encode(self, target, classes, device="cpu"):
        index = {c: i for i, c in enumerate(classes)}
        codes = np.fromiter((index[v] for v in target.tolist()), dtype=np.int64, count=len(target))
        return torch.as_tensor(codes, dtype=self._label_dtype, device=device)

    def monitor_rows(self, out, y):
        predicted = (out[..., 0] > 0).to(out.dtype) if out.shape[-1] == 1 else out.argmax(-1)
        return (predicted == y).to(out.dtype)

    def weighted(self, y, prediction):
        y, p = y.astype(int), self.probabilities(prediction)
        label, scored, eps = p.argmax(1), self._one_vs_rest(p.shape[1]), np.finfo(float).eps
        columns = [label == y, -np.log(np.clip(p[np.arange(len(y)), y], eps, 1 - eps))]   # as scikit-learn clips
        for k in scored:   # f1's true positives, false positives, false negatives of each scored class
            columns += [(label == k) & (y == k), (label == k) & (y != k), (label != k) & (y == k)]
        columns = np.stack(columns, axis=1).astype(float)
        aucs = [_weighted.auc(p[:, k], y == k) for k in scored]

        def of(w):
            s, total = w @ columns, w.sum(1)
            return {"accuracy": s[:, 0] / total, "log_loss": s[:, 1] / total,
                    "roc_auc": np.mean([auc(w) for auc in aucs], axis=0),
                    "f1": _weighted.f1(s[:, 2:].reshape(len(w), len(scored), 3)).mean(1)}
        return of

    def baseline(self, y_train, classes, rows):
        shares = np.bincount(y_train.astype(int), minlength=len(classes)) / len(y_train)
        return self._from_probabilities(np.tile(shares, (rows, 1)))

    def diagnostics(self, y, prediction, classes):
        p, y = self.probabilities(prediction), y.astype(int)
        curves = {}
        for k in self._one_vs_rest(len(classes)):
            if 0 < (y == k).sum() < len(y):
                fpr, tpr, _ = sk.roc_curve(y == k, p[:, k])
                curves[str(classes[k])] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
        return {"classes": [str(c) for c in classes], "roc": curves,
                "confusion": sk.confusion_matrix(y, p.argmax(1), labels=list(range(len(classes)))).tolist()}


class Binary(_Classification):
    """Two classes, one output (a logit); 1 is the larger class."""

    losses = ("log_loss", "cross_entropy", "hinge")
    candidates = ("linear+log_loss", "linear+hinge", "mlp+log_loss")
    _label_dtype = torch.float32

    def check_target(self, y, name):
        if y.nunique() > 2:
            raise DataError(f"task='binary' needs exactly 2 classes, but {name!r} has {y.nunique()}. Use 'multiclass'.")
        return y

    def predictions(self, out):
        return out[:, 0].double().sigmoid().numpy()

    def probabilities(self, prediction):
        return np.stack([1 - prediction, prediction], axis=1)

    def _from_probabilities(self, p):
        return p[:, 1]

    def score(self, y, prediction):
        y, label = y.astype(int), (prediction > 0.5).astype(int)
        return {"accuracy": float(sk.accuracy_score(y, label)),
                "log_loss": float(sk.log_loss(y, prediction, labels=[0, 1])),
                "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction)),
                "f1": float(sk.f1_score(y, label, zero_division=0))}

    def _one_vs_rest(self, n_classes: int) -> range:
        return range(1, 2)   # ROC and f1 of one class: the larger against the other


class Multiclass(_Classification):
    """Several classes, one output each (softmax); labels are class indices."""

    losses = ("cross_entropy", "log_loss", "hinge")
    candidates = ("linear+cross_entropy", "mlp+cross_entropy")
    _label_dtype = torch.long

    def n_outputs(self, classes):
        return len(classes)

    def predictions(self, out):
        return out.double().softmax(1).numpy()

    def probabilities(self, prediction):
        return prediction

    def _from_probabilities(self, p):
        return p

    def score(self, y, prediction):
        y, labels, label = y.astype(int), list(range(prediction.shape[1])), prediction.argmax(1)
        return {"accuracy": float(sk.accuracy_score(y, label)),
                "log_loss": float(sk.log_loss(y, prediction, labels=labels)),
                "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction, multi_class="ovr", labels=labels)),
                "f1": float(sk.f1_score(y, label, average="macro", labels=labels, zero_division=0))}

    def _one_vs_rest(self, n_classes: int) -> range:
        return range(n_classes)   # one-vs-rest, every class (macro averages)


TASKS: dict[str, Task] = {t: cls(t) for t, cls in (("regression", Regression), ("binary", Binary),
                                                      ("multiclass", Multiclass))}


def get(name: str | Task) -> Task:
    """The task called ``name``, or a ConfigError listing the tasks."""
    if not isinstance(name, str) or name not in TASKS:
        raise ConfigError(f"Unknown task {name!r}. Choose one of {list(TASKS)}.")
    return TASKS[str(name)]


def _auc(compute) -> float:
    """ROC AUC is undefined when the rows hold a single class; report NaN rather than fail."""
    try:
        return float(compute())
    except ValueError:
        return float("nan")
