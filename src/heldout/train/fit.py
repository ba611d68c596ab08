"""``fit()``: train on ``split.train``, watch ``split.validation`` every epoch, return a ``Run``.

Settings given as lists expand to a grid; every configuration (times every fold, with
``folds=F``) is a member, and members that can share one batched computation train together as
a population. A single configuration is a population of one.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> run = heldout.fit(split, model="linear", loss="mse", optimizer="gd", lr=0.1)
>>> run.status, run.history.columns.tolist()
('early_stopped', ['epoch', 'lr', 'train_loss', 'val_loss', 'val_metric'])
>>> # the validation rmse at the best epoch, in the target's units
>>> round(float(run.history["val_metric"][run.best_epoch]), 1)
53.8
>>> sweep = heldout.fit(split, optimizer="gd", lr=[0.01, 0.1], seed=[0, 1])
>>> sweep.table()[["lr", "seed"]].values.tolist()
[[0.01, 0.0], [0.01, 1.0], [0.1, 0.0], [0.1, 1.0]]
>>> sweep.table()["status"].tolist()
['max_epochs', 'early_stopped', 'early_stopped', 'early_stopped']
"""

from __future__ import annotations

import inspect

from ..conformal import scores as conformal
from ..errors import ConfigError
from ..seal import folds as folding
from ..seal.gate import training_split
from ..seal.split import Split
from . import grid
from .checkpoints import resumable
from .config import parameters
from .population import train_population
from .result import Run
from .rows import Hooks, Rows


def fit(
    split: Split,
    *,
    folds: int | None = None,
    memory_budget: int | None = None,
    progress=None,
    checkpoints=None,
    shards=None,
    **settings,
) -> Run:
    """Train every configuration of the grid on ``split.train``, evaluating ``split.validation``
    every epoch; with ``folds=F``, each configuration F times on folds of the training and
    validation rows pooled, each fold validating on its own rows.

    ``settings`` are the fields of :class:`~heldout.train.config.TrainConfig` (``model``, ``loss``,
    ``optimizer``, ``lr``, ``epochs``, ``hidden``, ``momentum``, ``l2``, ...); any of them may be a
    list. ``memory_budget`` caps the bytes a population may use (default: half the available
    memory); larger populations train in chunks. ``progress`` is a reporter from
    :mod:`heldout.report.progress`. ``checkpoints`` (a
    :class:`~heldout.train.checkpoints.Checkpoints`) keeps the training while it runs; the same
    call after a kill goes on from the last checkpoint and ends as if it had not stopped.
    ``shards`` (:func:`heldout.train.shards.from_environment` under ``torchrun``) splits every
    batch's rows between the processes; cross-validation folds are not split that way.

    Without folds, every model is calibrated on ``split.validation`` for conformal intervals and
    sets (:meth:`~heldout.model.model.Model.predict_interval`, :mod:`heldout.conformal.scores`).
    """
    split = training_split(split, "fit")
    if shards is not None and folds is not None:
        raise ConfigError(
            "Folds cannot be trained across processes yet: run the cross-validation in one process "
            "(without torchrun), or train without --folds."
        )
    combos, axes = grid.expand(settings)
    train, validation, parts = split.train, split.validation, None
    if folds is not None:  # folds cut the training and validation rows pooled
        train, validation = split.train.append(split.validation), None
        parts = folding.assign(train, folds, split.strategy, split.seed)
    hook, resume = resumable(
        checkpoints, "train", {"settings": combos, "split": split.describe(), "folds": folds}
    )
    run = train_population(
        Rows(train, validation, split.seed, parts, split.describe(), shards),
        combos,
        Hooks(
            on_epoch=None if progress is None else progress.epoch,
            checkpoint=hook,
            resume=resume,
        ),
        axes=axes,
        memory_budget=memory_budget,
    )
    if folds is None:  # each fold's model has other validation rows: those models go uncalibrated
        for model, calibration in zip(run.models, conformal.calibrate_each(run.models, validation)):
            model.calibration = calibration
    return run


# help(fit) and editors show every setting with its declared default
fit.__signature__ = inspect.Signature(
    [
        inspect.Parameter("split", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Split),
        *parameters(),
        *(
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None)
            for name in ("folds", "memory_budget", "progress", "checkpoints", "shards")
        ),
    ]
)
