"""``fit()``: train on ``split.train``, watch ``split.validation`` every epoch, return a ``Run``.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> run = heldout.fit(split, model="linear", loss="mse", optimizer="gd", lr=0.1)
>>> run.status, run.history.columns.tolist()
('converged', ['epoch', 'lr', 'train_loss', 'val_loss', 'val_metric'])
>>> round(float(run.history["val_metric"][run.best_epoch]), 1)  # validation rmse at the best epoch
54.2
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import torch

from . import engine, losses
from .config import TrainConfig
from .errors import ConfigError
from .families import make_family
from .features import Features
from .guard import training_split
from .model import Model
from .split import Split
from .versions import versions


@dataclass
class Run:
    """The result of training: one entry per member (a single fit has one)."""

    members: list[engine.Member]
    models: list[Model]
    split: dict
    config: TrainConfig

    def __repr__(self) -> str:
        if len(self.members) == 1:
            return f"Run(status={self.status!r}, best_epoch={self.best_epoch}, epochs={len(self.history) - 1})"
        return f"Run({len(self.members)} members)"

    def _one(self) -> engine.Member:
        if len(self.members) != 1:
            raise ConfigError(f"This run has {len(self.members)} members; use run.members[k] or run.table().")
        return self.members[0]

    @property
    def history(self) -> pd.DataFrame:
        """Per epoch: learning rate, training loss, validation loss and validation metric (epoch 0 = initial)."""
        return pd.DataFrame(self._one().history)

    @property
    def best_epoch(self) -> int:
        return self._one().best_epoch

    @property
    def status(self) -> str:
        return self._one().status

    @property
    def message(self) -> str:
        return self._one().message

    @property
    def model(self) -> Model:
        self._one()
        return self.models[0]

    @property
    def metric_name(self) -> str:
        return losses.MONITOR_NAME[self.split["task"]]

    def table(self) -> pd.DataFrame:
        """One row per member: seed, learning rate, best epoch, best validation loss and metric, status."""
        rows = []
        for m in self.members:
            h = m.history
            at = h["epoch"].index(m.best_epoch)
            rows.append({"seed": m.config.seed, "lr": m.config.lr, "best_epoch": m.best_epoch,
                         "val_loss": h["val_loss"][at], f"val_{self.metric_name}": h["val_metric"][at],
                         "epochs": h["epoch"][-1], "status": m.status})
        return pd.DataFrame(rows)


def fit(split: Split, model="linear", loss: str | None = None, optimizer: str = "adam", lr: float | None = None,
        epochs: int | None = None, iterations: int | None = None, batch_size: int = 32, seed: int = 0,
        **options) -> Run:
    """Train one model on ``split.train``, evaluating ``split.validation`` every epoch.

    ``options`` are the other fields of :class:`~heldout.config.TrainConfig` (``hidden``,
    ``momentum``, ``l2``, ``schedule``, ``patience``, ...).
    """
    split = training_split(split, "fit")
    try:
        config = TrainConfig(model=model, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
                             iterations=iterations, batch_size=batch_size, seed=seed, **options)
    except TypeError as exc:
        raise ConfigError(f"{exc}. Valid settings: {sorted(TrainConfig.__dataclass_fields__)}.") from None
    config = config.validated()
    config = replace(config, loss=losses.resolve(config.loss, split.task))
    family = make_family(config.model, hidden=config.hidden, activation=config.activation, init=config.init)

    # preprocessing is learned from training rows only, then applied to validation rows
    features = Features().fit(split.train.features)
    device = torch.device(config.device)
    n_out = losses.n_outputs(split.task, split.train.classes)
    data = engine.Tensors(
        X_train=torch.from_numpy(features.transform(split.train.features)).to(device),
        y_train=losses.encode_target(split.train.target, split.task, split.train.classes, device),
        X_val=torch.from_numpy(features.transform(split.validation.features)).to(device),
        y_val=losses.encode_target(split.validation.target, split.task, split.train.classes, device),
    )
    shuffle_seed = config.shuffle_seed if config.shuffle_seed is not None else split.seed
    members = engine.train(family, [config], data, split.task, n_out, shuffle_seed)

    summary = split.summary()
    ignored = tuple(c.name for c in (split.train.target, split.train.groups, split.train.time) if c is not None)
    models = []
    for m in members:
        manifest = {"seed": m.config.seed, "shuffle_seed": shuffle_seed, "split": summary,
                    "status": m.status, "best_epoch": m.best_epoch, "versions": versions()}
        models.append(Model(family, m.params, features, task=split.task, classes=split.train.classes,
                            target=split.train.target.name, schema=split.train.schema,
                            config=m.config.to_dict(), manifest=manifest, ignored_columns=ignored))
    return Run(members=members, models=models, split=summary, config=config)
