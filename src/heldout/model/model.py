"""``Model``: a trained member with its preprocessing, ready to predict, to be saved and loaded.

The model checks the schema of what it is asked to predict: a missing column, an unexpected
column or a wrong type is a :class:`~heldout.errors.DataError` naming the column. ``save``
writes one bundle (:mod:`heldout.model.bundle`): the parameters as tensors; the config, the
preprocessing, the schema, the target (with the scale a regression model fits it on and the
class weights, as plain numbers), the metrics and a manifest (seed, fingerprints, library
versions) as metadata, and the conformal calibration (:mod:`heldout.conformal.scores`: the
validation rows' scores as a tensor) when the model has one. ``Model.load`` reads it back without
executing code from it, and reads a bundle written by an older heldout as it was written
(:mod:`heldout.model.history`). A multi-output
regression model (several targets) predicts ``[n, targets]`` and is scored target by target
(:mod:`heldout.model.outputs`); its bundle stores the list of target names.

>>> import heldout, tempfile, os
>>> split = heldout.split(heldout.datasets.load("iris"), seed=0)
>>> model = heldout.fit(split, epochs=5).model
>>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
>>> model.save(path)
>>> heldout.load_model(path).fingerprint == model.fingerprint
True
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..conformal import scores as conformal
from ..conformal.scores import Calibration
from ..data import dataset as _data
from ..data import targets as targeting
from ..data import weights as weighting
from ..data.features import Features
from ..errors import BundleError, ConfigError, DataError
from ..nn import losses
from ..nn.ensemble import Ensemble
from ..nn.family import make_family
from ..task import get as get_task
from ..task import metrics
from ..task.target_scale import IDENTITY, TargetScale
from . import bundle, history, outputs


class Model:
    """A trained model: family + parameters + fitted features + the target's task, classes and
    scale."""

    def __init__(
        self,
        family,
        params: list[torch.Tensor],
        features: Features,
        *,
        task: str,
        classes: tuple | None,
        target: str | list[str],
        schema: dict,
        config: dict,
        manifest: dict | None = None,
        metrics: dict | None = None,
        ignored_columns: tuple = (),
        target_scale: TargetScale = IDENTITY,
        class_weight: dict | None = None,
        calibration: Calibration | None = None,
    ):
        self.family = family
        self.params = [p.detach().cpu() for p in params]  # one member: no leading member axis
        self.features = features
        self.task, self.classes, self.target, self.schema = (
            get_task(task),
            classes,
            target,
            dict(schema),
        )
        self.targets = (
            tuple(target) if isinstance(target, (list, tuple)) else (target,)
        )  # several: multi-output
        self.config = config
        self.manifest = manifest or {}
        self.metrics = metrics or {}
        self.ignored_columns = tuple(
            ignored_columns
        )  # target, groups, time, weights: allowed in predict input
        self.target_scale = target_scale  # outputs are standardised targets: predictions invert it
        self.class_weight = class_weight  # {label: weight} learned in training, or None
        self.calibration = calibration  # validation rows' conformal scores, or None

    def __repr__(self) -> str:
        return (
            f"Model({self.config.get('model')!r}, task={self.task!r}, target={self.target!r}, "
            f"fingerprint={self.fingerprint})"
        )

    @property
    def n_outputs(self) -> int:
        """The network's outputs: one per target of a multi-output regression, else the task's
        own."""
        return targeting.n_outputs(self.targets, self.task, self.classes)

    @property
    def fingerprint(self) -> str:
        """A digest of what the model computes: its config, preprocessing and parameters."""
        what = [self.config, self.features.to_dict(), self.task, self.schema]
        what += history.fingerprinted_target(self.target_scale, _pairs(self.class_weight))
        if self.calibration is not None:  # its intervals are part of what it computes
            what.append(self.calibration.to_dict())
        h = hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode())
        for p in self.params:
            h.update(p.numpy().tobytes())
        for _, array in sorted(
            self.features.arrays().items()
        ):  # text encoders' numbers (none before them)
            h.update(array.tobytes())
        for _, array in sorted(
            self.calibration.arrays().items() if self.calibration is not None else ()
        ):
            h.update(array.tobytes())
        return h.hexdigest()[:16]

    def outputs(self, frame: pd.DataFrame) -> torch.Tensor:
        """Raw outputs [n, outputs] for rows whose columns match the training schema (for
        regression, standardised targets: :attr:`target_scale` turns them into the target's
        units)."""
        return self.outputs_of(self.inputs(frame))

    def inputs(self, frame: pd.DataFrame) -> np.ndarray:
        """The model's inputs (float32 [n, inputs]) for rows whose columns match the training
        schema."""
        self._check_columns(frame)
        return self.features.transform(frame)

    def outputs_of(self, inputs: np.ndarray) -> torch.Tensor:
        """Raw outputs [n, outputs] of rows already preprocessed by :attr:`features` (float32 [n,
        inputs])."""
        with torch.no_grad():
            return self.family.forward(
                [p.unsqueeze(0) for p in self.params], torch.from_numpy(inputs)
            )[0]

    def predict_proba(self, source: Any) -> np.ndarray:
        """Class probabilities [n, classes] (binary: [P(first class), P(second class)])."""
        if not self.task.has_classes:
            raise DataError(
                f"predict_proba needs a classification model; this one does {self.task}. Use "
                "predict."
            )
        return self.task.probabilities(self.predictions_of(self.outputs(_frame(source))))

    def score(
        self,
        rows: "_data.Dataset",
        intervals: bool = False,
        diagnostics: bool = False,
        baselines: dict[str, np.ndarray] | None = None,
        coverage: float | None = None,
    ) -> dict:
        """The model's loss (on the scale it was trained on) and the task's metrics (in the target's
        units) on ``rows`` (a Dataset with targets), each row counted by its weight — its sample
        weight times the class weight learned in training; with
        ``intervals``, 95% intervals of the metrics under ``interval_95`` (exact for accuracy,
        bootstrap for the others: :func:`heldout.task.metrics.intervals`), and for each of
        ``baselines`` (name: its :meth:`predictions` of the same rows) the difference model minus
        baseline with a paired interval under ``versus``; with ``diagnostics``, what the report
        draws under ``diagnostics``: predictions and residuals (regression), or the confusion
        matrix and ROC curves (one-vs-rest for each class of a multiclass model); with a
        ``coverage`` level and a calibration, how often the conformal intervals (sets) at that
        level hold the rows' true values, under ``conformal`` (:meth:`Calibration.coverage`). The
        rows are transformed and the model run once for all of it."""
        return self.score_outputs(
            self.outputs(rows.features),
            rows.target,
            self.row_weights(rows),
            intervals,
            diagnostics,
            baselines,
            coverage,
        )

    def score_outputs(
        self,
        out: torch.Tensor,
        target,
        w: np.ndarray | None,
        intervals: bool = False,
        diagnostics: bool = False,
        baselines: dict[str, np.ndarray] | None = None,
        coverage: float | None = None,
    ) -> dict:
        """:meth:`score` of rows whose :meth:`outputs` are ``out``, true ``target`` and row weights
        ``w`` (a streamed look gathers these batch by batch, :mod:`heldout.stream.look`)."""
        fitted = self.task.encode(
            target, self.classes, scale=self.target_scale
        )  # what the loss saw
        loss_name = self.config.get("loss")
        loss = losses.LOSSES[loss_name](
            out.unsqueeze(0), fitted, None if w is None else torch.from_numpy(w).float()
        )
        result = {"loss": float(loss[0]), "loss_name": loss_name}
        prediction = self.predictions_of(out)
        if len(self.targets) > 1:  # each target in its units, and all together standardised
            return {
                **result,
                **outputs.score(
                    self,
                    target.to_numpy(dtype="float64"),
                    prediction,
                    w,
                    intervals=intervals,
                    diagnostics=diagnostics,
                    baselines=baselines,
                    coverage=coverage,
                ),
            }
        y = self.task.encode(target, self.classes).numpy()
        result.update(self.task.score(y, prediction, w))
        if intervals:
            result.update(metrics.interval_fields(self.task, y, prediction, baselines, weights=w))
        if diagnostics:
            result["diagnostics"] = self.task.diagnostics(y, prediction, self.classes)
        if coverage is not None and self.calibration is not None:
            result["conformal"] = self.coverage(target, prediction, w, coverage)
        return result

    def coverage(
        self, target: pd.Series, prediction: np.ndarray, w: np.ndarray | None, level: float
    ) -> dict:
        """How often the conformal intervals (sets) at ``level`` hold the true ``target`` of rows
        whose
        :meth:`predictions` are ``prediction`` (:meth:`Calibration.coverage`)."""
        truth = (
            self.task.encode(target, self.classes).numpy()
            if self.task.has_classes
            else target.to_numpy(dtype="float64")
        )
        return self._calibrated().coverage(truth, self._scored(prediction), w, level)

    def row_weights(self, rows: "_data.Dataset") -> np.ndarray | None:
        """How much each of ``rows`` counts in a metric: its sample weight times its class's weight
        (None when every row counts once)."""
        return weighting.of_rows(rows, self.class_weight)

    def predictions(self, source: Any) -> np.ndarray:
        """What the task's metrics score, one per row: values (regression), P(second class)
        (binary) or class probabilities (multiclass)."""
        return self.predictions_of(self.outputs(_frame(source)))

    def predictions_of(self, out: torch.Tensor) -> np.ndarray:
        """:meth:`predictions` from raw outputs (:meth:`outputs`)."""
        return self.task.predictions(self.target_scale.invert(out))

    def predict(self, source: Any) -> np.ndarray:
        """Predicted values (regression; ``[n, targets]`` for several targets) or class labels
        (classification), one per row."""
        if not self.task.has_classes:
            return self.predictions(source)
        labels = np.asarray(self.classes, dtype=object)[self.predict_proba(source).argmax(1)]
        return np.array(labels.tolist())

    def predict_interval(self, source: Any, level: float = conformal.LEVEL) -> pd.DataFrame:
        """Split-conformal intervals (regression): columns ``lower`` and ``upper``, one row per row,
        holding the true value with probability ``level`` over new rows like the validation rows
        they were calibrated on (:mod:`heldout.conformal.scores` says what that guarantee is worth);
        for several targets, ``NAME_lower`` and ``NAME_upper`` of each, from its own calibration."""
        if self.task.has_classes:
            raise ConfigError(
                f"Intervals need a regression model; this one does {self.task}. Use "
                "predict_set(source, level) for prediction sets."
            )
        lower, upper = self._calibrated().interval(self.predictions(source), level)
        if len(self.targets) > 1:  # each target's own interval: NAME_lower, NAME_upper
            return outputs.interval_frame(self.targets, lower, upper)
        return pd.DataFrame({"lower": lower, "upper": upper})

    def predict_set(self, source: Any, level: float = conformal.LEVEL) -> list[tuple]:
        """Conformal prediction sets (classification): for each row, the classes (in the order of
        :attr:`classes`) whose set holds the true class with probability ``level``."""
        if not self.task.has_classes:
            raise ConfigError(
                f"Prediction sets need a classification model; this one does {self.task}. Use "
                "predict_interval(source, level) for intervals."
            )
        inside = self._calibrated().sets(self.predict_proba(source), level)
        return [tuple(c for c, kept in zip(self.classes, row) if kept) for row in inside]

    def _calibrated(self) -> Calibration:
        if self.calibration is None:
            raise BundleError(
                "This model has no conformal calibration: it was trained with folds, or its run's "
                "time budget left the calibration out, or its bundle predates calibration. Train "
                "it again with heldout.fit, `heldout train` or `heldout run`, without folds: each "
                "calibrates on the validation rows."
            )
        return self.calibration

    def _scored(self, prediction: np.ndarray) -> np.ndarray:
        """What a conformity score reads: class probabilities, or the predicted values."""
        return self.task.probabilities(prediction) if self.task.has_classes else prediction

    def save(self, path) -> None:
        """Write one bundle holding everything needed to predict."""
        metadata = {
            "config": json.dumps(self.config, sort_keys=True, default=str),
            "features": json.dumps(self.features.to_dict(), sort_keys=True),
            "schema": json.dumps(self.schema),
            "target": json.dumps(
                {
                    "name": self.target,
                    "task": self.task,
                    "classes": None if self.classes is None else list(self.classes),
                    "ignored_columns": list(self.ignored_columns),
                    "scale": self.target_scale.to_dict(),
                    "class_weight": _pairs(self.class_weight),
                },
                default=str,
            ),
            "metrics": json.dumps(self.metrics, sort_keys=True),
            "manifest": json.dumps(self.manifest, sort_keys=True, default=str),
        }
        tensors = {f"param.{i}": p for i, p in enumerate(self.params)}
        tensors.update(
            {f"features.{k}": torch.from_numpy(a) for k, a in self.features.arrays().items()}
        )
        if self.calibration is not None:
            metadata["calibration"] = json.dumps(self.calibration.to_dict(), sort_keys=True)
            tensors.update(
                {
                    f"calibration.{k}": torch.from_numpy(a)
                    for k, a in self.calibration.arrays().items()
                }
            )
        bundle.write(path, tensors, metadata)

    @classmethod
    def load(cls, path, module=None) -> "Model":
        """Read a bundle. Models built from a user module need that module's factory as
        ``module``."""
        tensors, metadata = bundle.read(path)
        config, target = json.loads(metadata["config"]), json.loads(metadata["target"])
        if config.get("model") == "module":
            if module is None:
                raise BundleError(
                    f"{str(path)!r} holds a user module ({config.get('factory')!r}); give its "
                    "factory: load_model(path, module=factory)."
                )
            family = make_family(module, hidden=(), activation="", init=None)
        elif config.get("model") == Ensemble.name:
            family = Ensemble.from_config(config)
        else:
            family = make_family(
                config["model"],
                hidden=tuple(config["hidden"]),
                activation=config["activation"],
                init=config["init"],
            )
        params = [
            tensors[f"param.{i}"]
            for i in range(len([k for k in tensors if k.startswith("param.")]))
        ]
        if (
            config.get("model") == "module"
        ):  # the family learns its parameter names from one fresh module
            # (inputs, outputs) from its first weight and last bias, as torch lays them out
            family.init(params[0].shape[-1], params[-1].shape[-1], seeds=[0])
        classes = None if target["classes"] is None else tuple(target["classes"])
        features = Features.from_dict(
            json.loads(metadata["features"]),
            {
                k[len("features.") :]: t.numpy()
                for k, t in tensors.items()
                if k.startswith("features.")
            },
        )
        return cls(
            family,
            params,
            features,
            task=target["task"],
            classes=classes,
            target=target["name"],
            schema=json.loads(metadata["schema"]),
            config=config,
            manifest=json.loads(metadata["manifest"]),
            metrics=json.loads(metadata["metrics"]),
            ignored_columns=tuple(target.get("ignored_columns", ())),
            target_scale=history.target_scale(target),
            class_weight=history.class_weight(target),
            calibration=history.calibration(metadata, tensors),
        )

    def _check_columns(self, frame: pd.DataFrame) -> None:
        columns = [str(c) for c in frame.columns]
        missing = [c for c in self.schema if c not in columns]
        if missing:
            raise DataError(
                f"Column(s) {missing} are missing from the data to predict. The model was trained "
                f"on columns {list(self.schema)}; give all of them."
            )
        extra = [c for c in columns if c not in self.schema and c not in self.ignored_columns]
        if extra:
            raise DataError(
                f"Column(s) {extra} were not seen in training. The model uses {list(self.schema)}; "
                "drop the others before predicting."
            )


def _pairs(class_weight: dict | None) -> list | None:
    """Class weights as ``[label, weight]`` pairs: JSON keeps a label's type there, not as a key."""
    return (
        None
        if class_weight is None
        else [[label, weight] for label, weight in class_weight.items()]
    )


def _frame(source: Any) -> pd.DataFrame:
    """Rows to predict, from a Dataset, a table or a path (numpy columns are named x0, x1, ...)."""
    if isinstance(source, _data.Dataset):
        return source.features
    if isinstance(source, np.ndarray):
        X = source.reshape(len(source), -1)
        return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    return _data.table(source)
