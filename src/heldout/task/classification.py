"""Classification: ``binary`` (one logit) and ``multiclass`` (one output per class, softmax),
scored on accuracy, log loss, ROC AUC and f1; diagnosed by the confusion matrix, the ROC curves
and the reliability of the probabilities (:mod:`heldout.task.calibration_error`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from sklearn import metrics as sk

from ..errors import DataError
from . import _weighted
from . import calibration_error as calibration
from .base import Task


class _Classification(Task):
    monitor, selection = "accuracy", "log_loss"
    metrics, proportions = ("accuracy", "log_loss", "roc_auc", "f1"), ("accuracy",)
    baseline_name = "the training class frequencies (so always the majority class)"
    has_classes = True
    default_strategy = "stratified"

    def classes_of(self, target):
        return tuple(sorted(pd.unique(target).tolist()))

    def encode(self, target, classes, device="cpu", scale=None):
        index = {c: i for i, c in enumerate(classes)}
        codes = np.fromiter((index[v] for v in target.tolist()), dtype=np.int64, count=len(target))
        return torch.as_tensor(codes, dtype=self._label_dtype, device=device)

    def monitor_rows(self, out, y):
        predicted = (out[..., 0] > 0).to(out.dtype) if out.shape[-1] == 1 else out.argmax(-1)
        return (predicted == y).to(out.dtype)

    def weighted(self, y, prediction):
        y, p = y.astype(int), self.probabilities(prediction)
        label, scored, eps = p.argmax(1), self._one_vs_rest(p.shape[1]), np.finfo(float).eps
        columns = [
            label == y,
            -np.log(np.clip(p[np.arange(len(y)), y], eps, 1 - eps)),
        ]  # as scikit-learn clips
        for (
            k
        ) in scored:  # f1's true positives, false positives, false negatives of each scored class
            columns += [(label == k) & (y == k), (label == k) & (y != k), (label != k) & (y == k)]
        columns = np.stack(columns, axis=1).astype(float)
        aucs = [_weighted.auc(p[:, k], y == k) for k in scored]

        def of(w):
            s, total = w @ columns, w.sum(1)
            return {
                "accuracy": s[:, 0] / total,
                "log_loss": s[:, 1] / total,
                "roc_auc": np.mean([auc(w) for auc in aucs], axis=0),
                "f1": _weighted.f1(s[:, 2:].reshape(len(w), len(scored), 3)).mean(1),
            }

        return of

    def baseline(self, y_train, classes, rows, weights=None):
        counts = np.bincount(y_train.astype(int), weights=weights, minlength=len(classes))
        shares = counts / counts.sum()
        return self._from_probabilities(np.tile(shares, (rows, 1)))

    def diagnostics(self, y, prediction, classes):
        p, y = self.probabilities(prediction), y.astype(int)
        curves = {}
        for k in self._one_vs_rest(len(classes)):
            if 0 < (y == k).sum() < len(y):
                fpr, tpr, _ = sk.roc_curve(y == k, p[:, k])
                curves[str(classes[k])] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
        return {
            "classes": [str(c) for c in classes],
            "roc": curves,
            "confusion": sk.confusion_matrix(
                y, p.argmax(1), labels=list(range(len(classes)))
            ).tolist(),
            "reliability": calibration.reliability(y, p),
        }


class Binary(_Classification):
    """Two classes, one output (a logit); 1 is the larger class."""

    losses = ("log_loss", "cross_entropy", "hinge")
    candidates = ("linear+log_loss", "mlp+log_loss", "gbdt+log_loss")
    _label_dtype = torch.float32

    def check_target(self, y, name):
        if y.nunique() > 2:
            raise DataError(
                f"task='binary' needs exactly 2 classes, but {name!r} has {y.nunique()}. Use "
                "'multiclass'."
            )
        return y

    def predictions(self, out):
        return out[:, 0].double().sigmoid().numpy()

    def probabilities(self, prediction):
        return np.stack([1 - prediction, prediction], axis=1)

    def _from_probabilities(self, p):
        return p[:, 1]

    def score(self, y, prediction, weights=None):
        y, label, w = y.astype(int), (prediction > 0.5).astype(int), weights
        return {
            "accuracy": float(sk.accuracy_score(y, label, sample_weight=w)),
            "log_loss": float(sk.log_loss(y, prediction, labels=[0, 1], sample_weight=w)),
            "roc_auc": _auc(lambda: sk.roc_auc_score(y, prediction, sample_weight=w)),
            "f1": float(sk.f1_score(y, label, zero_division=0, sample_weight=w)),
        }

    def _one_vs_rest(self, n_classes: int) -> range:
        return range(1, 2)  # ROC and f1 of one class: the larger against the other


class Multiclass(_Classification):
    """Several classes, one output each (softmax); labels are class indices."""

    losses = ("cross_entropy", "log_loss", "hinge")
    candidates = ("linear+cross_entropy", "mlp+cross_entropy", "gbdt+cross_entropy")
    _label_dtype = torch.long

    def n_outputs(self, classes):
        return len(classes)

    def predictions(self, out):
        return out.double().softmax(1).numpy()

    def probabilities(self, prediction):
        return prediction

    def _from_probabilities(self, p):
        return p

    def score(self, y, prediction, weights=None):
        y, labels, label, w = (
            y.astype(int),
            list(range(prediction.shape[1])),
            prediction.argmax(1),
            weights,
        )
        return {
            "accuracy": float(sk.accuracy_score(y, label, sample_weight=w)),
            "log_loss": float(sk.log_loss(y, prediction, labels=labels, sample_weight=w)),
            "roc_auc": _auc(
                lambda: sk.roc_auc_score(
                    y, prediction, multi_class="ovr", labels=labels, sample_weight=w
                )
            ),
            "f1": float(
                sk.f1_score(
                    y, label, average="macro", labels=labels, zero_division=0, sample_weight=w
                )
            ),
        }

    def _one_vs_rest(self, n_classes: int) -> range:
        return range(n_classes)  # one-vs-rest, every class (macro averages)


def _auc(compute) -> float:
    """ROC AUC is undefined when the rows hold a single class; report NaN rather than fail."""
    try:
        return float(compute())
    except ValueError:
        return float("nan")
