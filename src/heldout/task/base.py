"""The base of every task: what a task must say and do (:mod:`heldout.task` has the three)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch

from ..errors import ConfigError, DataError
from .target_scale import IDENTITY, TargetScale

_INSTANCES: dict = {}


class Task(str):
    """One task: a string with behaviour. The three instances are :data:`heldout.task.TASKS`."""

    losses: tuple[str, ...] = ()  # losses that fit the task, its default first
    monitor: str = ""  # the validation metric of every epoch (rmse, accuracy)
    selection: str = ""  # the metric candidates are compared on (lower is better here)
    metrics: tuple[str, ...] = ()  # the metrics of a look, computed by scikit-learn
    proportions: tuple[
        str, ...
    ] = ()  # those that are a share of the rows: exact binomial intervals
    baseline_name: str = ""  # what the baseline of a look predicts, in words
    candidates: tuple[str, ...] = ()  # the default search candidates, family+loss
    has_classes: bool = False
    default_strategy: str = "random"

    def __new__(cls, name: str):
        # one instance per task, so that a task read back from a pickle is the task itself
        if (cls, name) not in _INSTANCES:
            _INSTANCES[cls, name] = super().__new__(cls, name)
        return _INSTANCES[cls, name]

    def __reduce__(self):
        return type(self), (str(self),)

    def resolve_loss(self, loss: str | None, known) -> str:
        """The loss to train with (the task's default when ``None``), checked against the task."""
        if loss is None:
            return self.losses[0]
        if loss not in known:
            raise ConfigError(f"Unknown loss {loss!r}. Choose one of {sorted(known)}.")
        if loss not in self.losses:
            raise ConfigError(
                f"Loss {loss!r} does not fit a {self} task. Choose one of {list(self.losses)}."
            )
        return loss

    def n_outputs(self, classes: tuple | None) -> int:
        return 1

    def classes_of(self, target: pd.Series) -> tuple | None:
        return None

    def check_target(self, y: pd.Series, name: str) -> pd.Series:
        """The target column as the task reads it, or the DataError that says why it cannot."""
        return y

    def encode(
        self, target: pd.Series, classes: tuple | None, device="cpu", scale=IDENTITY
    ) -> torch.Tensor:
        """The target as the loss sees it: class indices, or values standardised by ``scale``."""
        raise NotImplementedError

    def fit_scale(self, target: pd.Series, w: np.ndarray | None) -> TargetScale:
        """The scale the loss sees the target on, learned from the training rows' ``target``
        (weighted by ``w``): the identity, unless the task standardises its targets."""
        return IDENTITY

    def monitor_rows(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per row, what the monitored metric averages."""
        raise NotImplementedError

    def finish_monitor(self, row_mean: torch.Tensor) -> torch.Tensor:
        return row_mean

    def predictions(self, out: torch.Tensor) -> np.ndarray:
        """The link: outputs ``[n, o]`` to what the metrics score (values, P(class 1),
        probabilities)."""
        raise NotImplementedError

    def probabilities(self, prediction: np.ndarray) -> np.ndarray:
        """Class probabilities ``[n, C]`` from :meth:`predictions`."""
        raise DataError(
            f"Probabilities need a classification model; this one does {self}. Use predict."
        )

    def score(
        self, y: np.ndarray, prediction: np.ndarray, weights: np.ndarray | None = None
    ) -> dict[str, float]:
        """The task's metrics of ``prediction`` (as :meth:`predictions` gives it) against encoded
        targets ``y``, each row counted by its weight."""
        raise NotImplementedError

    def weighted(
        self, y: np.ndarray, prediction: np.ndarray
    ) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
        """Each metric of :meth:`score` as a function of row weights ``w[resample, row]`` (how often
        a resample drew each row; :mod:`heldout.task._weighted`). With ``w`` all ones it is
        ``score``."""
        raise NotImplementedError

    def baseline(
        self,
        y_train: np.ndarray,
        classes: tuple | None,
        rows: int,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """What a model that ignores the features predicts for ``rows`` rows (as :meth:`predictions`
        gives it), learned from the encoded training targets ``y_train`` and their row weights."""
        raise NotImplementedError

    def diagnostics(self, y: np.ndarray, prediction: np.ndarray, classes: tuple | None) -> dict:
        """What the report draws from the one look."""
        raise NotImplementedError
