"""``Model``: a trained member with its preprocessing, ready to predict and to be saved.

The model checks the schema of what it is asked to predict: a missing column, an unexpected
column or a wrong type is a :class:`~heldout.errors.DataError` naming the column.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
import torch

from . import data as _data
from . import losses, metrics
from .errors import DataError
from .features import Features


class Model:
    """A trained model: family + parameters + fitted features + the target's task and classes."""

    def __init__(self, family, params: list[torch.Tensor], features: Features, *, task: str, classes: tuple | None,
                 target: str, schema: dict, config: dict, manifest: dict | None = None,
                 metrics: dict | None = None, ignored_columns: tuple = ()):
        self.family = family
        self.params = [p.detach().cpu() for p in params]   # one member: no leading member axis
        self.features = features
        self.task, self.classes, self.target, self.schema = task, classes, target, dict(schema)
        self.config = config
        self.manifest = manifest or {}
        self.metrics = metrics or {}
        self.ignored_columns = tuple(ignored_columns)      # target, groups, time: allowed in predict input

    def __repr__(self) -> str:
        return (f"Model({self.config.get('model')!r}, task={self.task!r}, target={self.target!r}, "
                f"fingerprint={self.fingerprint})")

    @property
    def fingerprint(self) -> str:
        """A digest of what the model computes: its config, preprocessing and parameters."""
        h = hashlib.sha256(json.dumps([self.config, self.features.to_dict(), self.task, self.schema],
                                      sort_keys=True, default=str).encode())
        for p in self.params:
            h.update(p.numpy().tobytes())
        return h.hexdigest()[:16]

    def outputs(self, frame: pd.DataFrame) -> torch.Tensor:
        """Raw outputs [n, outputs] for rows whose columns match the training schema."""
        self._check_columns(frame)
        X = torch.from_numpy(self.features.transform(frame))
        with torch.no_grad():
            return self.family.forward([p.unsqueeze(0) for p in self.params], X)[0]

    def predict_proba(self, source: Any) -> np.ndarray:
        """Class probabilities [n, classes] (binary: [P(first class), P(second class)])."""
        if self.task == "regression":
            raise DataError("predict_proba needs a classification model; this one does regression. Use predict.")
        out = self.outputs(_frame(source))
        if self.task == "binary":
            p = torch.sigmoid(out[:, 0]).double().numpy()
            return np.stack([1 - p, p], axis=1)
        return torch.softmax(out.double(), dim=1).numpy()

    def score(self, rows: "_data.Dataset", intervals: bool = False, diagnostics: bool = False) -> dict:
        """The model's loss and the task's metrics on ``rows`` (a Dataset with targets); with
        ``intervals``, percentile-bootstrap 95% intervals of the main metrics under ``interval_95``;
        with ``diagnostics``, what the report draws under ``diagnostics``: predictions and residuals
        (regression), or the confusion matrix and ROC curves (one-vs-rest for each class of a
        multiclass model). The rows are transformed and the model run once for all of it."""
        out = self.outputs(rows.features)
        y = losses.encode_target(rows.target, self.task, self.classes)
        loss_name = self.config.get("loss")
        result = {"loss": float(losses.LOSSES[loss_name](out.unsqueeze(0), y)[0]), "loss_name": loss_name}
        if self.task == "regression":
            prediction = out[:, 0].double().numpy()
        elif self.task == "binary":
            prediction = out[:, 0].double().sigmoid().numpy()
        else:
            prediction = out.double().softmax(1).numpy()
        result.update(metrics.score(self.task, y.numpy(), prediction))
        if intervals:
            result["interval_95"] = metrics.bootstrap_intervals(self.task, y.numpy(), prediction)
        if diagnostics:
            result["diagnostics"] = self._diagnostics(y.numpy(), prediction)
        return result

    def _diagnostics(self, y: np.ndarray, prediction: np.ndarray) -> dict:
        from sklearn.metrics import confusion_matrix, roc_curve
        if self.task == "regression":
            return {"predicted": prediction.tolist(), "residual": (y - prediction).tolist()}
        p = np.stack([1 - prediction, prediction], axis=1) if self.task == "binary" else prediction
        y = y.astype(int)
        curves = {}
        for k, label in enumerate(self.classes):
            if self.task == "binary" and k == 0:
                continue
            if 0 < (y == k).sum() < len(y):
                fpr, tpr, _ = roc_curve(y == k, p[:, k])
                curves[str(label)] = {"fpr": fpr.tolist(), "tpr": tpr.tolist()}
        return {"classes": [str(c) for c in self.classes], "roc": curves,
                "confusion": confusion_matrix(y, p.argmax(1), labels=list(range(len(self.classes)))).tolist()}

    def predict(self, source: Any) -> np.ndarray:
        """Predicted values (regression) or class labels (classification), one per row."""
        if self.task == "regression":
            return self.outputs(_frame(source))[:, 0].double().numpy()
        labels = np.asarray(self.classes, dtype=object)[self.predict_proba(source).argmax(1)]
        return np.array(labels.tolist())

    def save(self, path) -> None:
        """Write one safetensors file holding everything needed to predict (see :mod:`heldout.bundle`)."""
        from .bundle import save

        save(self, path)

    def _check_columns(self, frame: pd.DataFrame) -> None:
        columns = [str(c) for c in frame.columns]
        missing = [c for c in self.schema if c not in columns]
        if missing:
            raise DataError(f"Column(s) {missing} are missing from the data to predict. The model was trained on "
                            f"columns {list(self.schema)}; give all of them.")
        extra = [c for c in columns if c not in self.schema and c not in self.ignored_columns]
        if extra:
            raise DataError(f"Column(s) {extra} were not seen in training. The model uses {list(self.schema)}; "
                            "drop the others before predicting.")


def _frame(source: Any) -> pd.DataFrame:
    """Rows to predict, from a Dataset, a table or a path (numpy columns are named x0, x1, ...)."""
    if isinstance(source, _data.Dataset):
        return source.features
    if isinstance(source, np.ndarray):
        X = source.reshape(len(source), -1)
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return _data.table(source)
