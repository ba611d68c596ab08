"""The task — ``regression``, ``binary`` or ``multiclass`` — and everything that depends on it.

A :class:`Task` is its own name (it compares equal to ``"regression"``, prints and serialises as
that string), and it owns what differs between tasks: the losses that fit it (its default
first), the metric watched every epoch, the metric candidates are compared on, the metrics of
the final look with their bootstrap draws, the link from a model's outputs to predictions, the
encoding of labels, the default split strategy and the default search candidates. Code outside
this module asks the task; it never branches on the task's name.

>>> t = get("binary")
>>> t == "binary", t.losses[0], t.monitor, t.selection, t.n_outputs(("no", "yes"))
(True, 'log_loss', 'accuracy', 'log_loss', 1)
>>> get("regression").score(np.array([1.0, 2.0]), np.array([1.0, 4.0]))["rmse"]
1.4142135623730951
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn import metrics as sk

from ..errors import ConfigError, DataError


class Task(str):
    """One task: a string with behaviour. The three instances are :data:`TASKS`."""

    losses: tuple[str, ...] = ()       # losses that fit the task, its default first
    monitor: str = ""                  # the validation metric of every epoch (rmse, accuracy)
    selection: str = ""                # the metric candidates are compared on (lower is better here)
    metrics: tuple[str, ...] = ()      # the metrics of a look, computed by scikit-learn
    interval_metrics: tuple[str, ...] = ()  # the metrics given bootstrap intervals
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

    def draws(self, y: np.ndarray, prediction: np.ndarray, picks: np.ndarray) -> dict[str, np.ndarray]:
        """Each interval metric over the row resamples ``picks[resample, row]``."""
        raise NotImplementedError

    def diagnostics(self, y: np.ndarray, prediction: np.ndarray, classes: tuple | None) -> dict:
        """What the report draws from the one look."""
        raise NotImplementedError


class Regression(Task):
    losses = ("mse", "mae", "huber")
    monitor, selection = "rmse", "rmse"
    metrics, interval_metrics = ("rmse", "mae", "r2"), ("rmse", "mae")
    candidates = ("linear+mse", "linear+huber", "mlp+mse")

    def check_target(self, y, name):
        if not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
            raise DataError(f"A regression target must be numeric, but {name!r} holds {y.dtype} values such as "
                            f"{y.iloc[0]!r}. Use task='binary' or 'multiclass', or convert the column to numbers.")
        return y.astype("float64")

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

    def draws(self, y, prediction, picks):
        error = np.asarray(prediction, dtype=float) - np.asarray(y, dtype=float)
        return {"rmse": np.sqrt((error[picks] ** 2).mean(1)), "mae": np.abs(error)[picks].mean(1)}

    def diagnostics(self, y, prediction, classes):
        return {"predicted": prediction.tolist(), "residual": (y - prediction).tolist()}


class _Classification(Task):
    monitor, selection = "accuracy", "log_loss"
    metrics, interval_metrics = ("accuracy", "log_loss", "roc_auc", "f1"), ("accuracy", "log_loss")
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

    def draws(self, y, prediction, picks):
        y = y.astype(int)
        p = np.clip(self.probabilities(prediction), 1e-15, 1.0)
        p = p / p.sum(1, keepdims=True)
        correct = (p.argmax(1) == y).astype(float)
        row_loss = -np.log(p[np.arange(len(y)), y])
        return {"accuracy": correct[picks].mean(1), "log_loss": row_loss[picks].mean(1)}

    def diagnostics(self, y, prediction, classes):
        p, y = self.probabilities(prediction), y.astype(int)
        curves = {}
        for k in self._roc_classes(len(classes)):
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

    def score(self, y, prediction):
        y, label = y.astype(int), (prediction > 0.5).astype(int)
        return {"accuracy": float(sk.accuracy_score(y, label)),
                "log_loss": float(sk.log_loss(y, prediction, labels=[0, 1])),
                "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction)),
                "f1": float(sk.f1_score(y, label, zero_division=0))}

    def _roc_classes(self, n_classes: int) -> range:
        return range(1, 2)   # one curve: the larger class against the other


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

    def score(self, y, prediction):
        y, labels, label = y.astype(int), list(range(prediction.shape[1])), prediction.argmax(1)
        return {"accuracy": float(sk.accuracy_score(y, label)),
                "log_loss": float(sk.log_loss(y, prediction, labels=labels)),
                "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction, multi_class="ovr", labels=labels)),
                "f1": float(sk.f1_score(y, label, average="macro", labels=labels, zero_division=0))}

    def _roc_classes(self, n_classes: int) -> range:
        return range(n_classes)   # one-vs-rest, every class


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
