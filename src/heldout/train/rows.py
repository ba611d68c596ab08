"""What training reads and what it calls back: the training contract's two values.

:class:`Rows` are the rows (training, validation, cross-validation folds), the seed that orders
them, the split's description for the models' manifests, and this process's share of each batch
under torchrun. :meth:`Rows.prepare` makes the tensors a population trains on, learning the
preprocessing from training rows only; rows that come as tensors already — a streamed table's,
read batch by batch (:mod:`heldout.stream.training`) — are :class:`Prepared` rows, the same
contract. :class:`Hooks` are what the engine calls as it trains: each epoch, pruning, a trace of
the parameters, checkpoints and the state to resume from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch

from ..data import weights as weighting
from ..data.dataset import Dataset
from ..data.features import Features
from ..task.target_scale import TargetScale
from .blocks import Block, Tensors


@dataclass(frozen=True)
class Learned:
    """What is learned from training rows before training: the features, the scale the loss sees the
    target on, and the class weights ``{label: weight}`` (None without class weights)."""

    features: Features
    scale: TargetScale
    class_weight: dict | None

    @classmethod
    def fit(cls, rows: Dataset) -> "Learned":
        class_weight = weighting.resolve(rows.class_weight, rows.target, rows.weights, rows.classes)
        w = weighting.of_rows(rows, class_weight)
        weighting.require_some(w, "training", None if rows.weights is None else rows.weights.name)
        return cls(
            Features(column_kinds=rows.column_kinds).fit(rows.features, w),
            rows.task.fit_scale(rows.target, w),
            class_weight,
        )

    def unit(self) -> float | None:
        return None if self.scale.is_identity else self.scale.unit()


@dataclass(frozen=True)
class Rows:
    """Rows in memory: ``train`` and ``validation`` (None: the training rows are watched themselves,
    as a refit does), ``folds`` as (training, validation) positions within ``train``, the ``seed``
    that orders the batches (unless a configuration gives its own), the ``split`` description they
    came from (:meth:`~heldout.seal.split.Split.describe`) (for the models' manifests) and
    ``shards`` (:mod:`heldout.train.shards`: this process is one of several that split every
    batch)."""

    train: Dataset
    validation: Dataset | None = None
    seed: int = 0
    folds: list | None = None
    split: dict | None = None
    shards: object = None

    @classmethod
    def of(cls, split, **more) -> "Rows":
        """A split's training and validation rows, its seed and its description."""
        return cls(split.train, split.validation, split.seed, split=split.describe(), **more)

    def describe(self) -> dict:
        """The split's description, or one of these rows when they come from no split."""
        return self.split or {
            "dataset": self.train.name,
            "task": self.train.task,
            "train": len(self.train),
            "validation": len(self.validation if self.validation is not None else self.train),
        }

    def prepare(self, device) -> tuple[Tensors, list[Learned]]:
        """The rows as tensors on ``device``. Preprocessing is learned from each member's
        training rows only (per fold with folds), then applied to its validation rows."""
        return _prepare(self.train, self.validation, self.folds, device)


@dataclass(frozen=True)
class Prepared(Rows):
    """Rows that come as tensors already (``tensors``, with what was learned to make them), and
    ``train`` describes them to the models (columns, task, classes)."""

    tensors: tuple | None = None

    def prepare(self, device) -> tuple[Tensors, list[Learned]]:
        return self.tensors


@dataclass(frozen=True)
class Hooks:
    """What the engine calls while it trains. ``on_epoch(...)`` hears every epoch;
    ``prune(member, epoch, val_loss, val_metric)`` may stop members early; ``trace(epoch,
    members, params)`` sees every member's parameters after every epoch; ``checkpoint(key,
    state)`` sees each chunk's :class:`~heldout.train.state.PopulationState` after every epoch
    (``key`` names the chunk: population and chunk number); ``resume`` maps such keys to
    ``state.to_bytes()``, and those chunks go on exactly as if they had not stopped."""

    on_epoch: Callable | None = None
    prune: Callable | None = None
    trace: Callable | None = None
    checkpoint: Callable | None = None
    resume: dict | None = field(default=None)


NO_HOOKS = Hooks()  # the default: a population trained with nobody listening


def _prepare(
    train: Dataset, validation: Dataset | None, folds, device
) -> tuple[Tensors, list[Learned]]:
    """Rows as tensors on ``device``. Preprocessing is learned from each member's training rows
    only (per fold with folds), then applied to its validation rows."""
    task, classes = train.task, train.classes

    def tensors(rows, learned, part):
        X = torch.from_numpy(learned.features.transform(rows.features)).to(device)
        w = weighting.of_rows(rows, learned.class_weight)
        weighting.require_some(w, part, None if rows.weights is None else rows.weights.name)
        w = None if w is None else torch.tensor(w, dtype=torch.float32, device=device)
        return X, task.encode(rows.target, classes, device, scale=learned.scale), w

    if folds is None:
        learned = Learned.fit(train)
        fitted = Block.shared(*tensors(train, learned, "training"), unit=learned.unit())
        watched = (
            fitted
            if validation is None
            else Block.shared(*tensors(validation, learned, "validation"), unit=learned.unit())
        )
        return Tensors(fitted, watched), [learned]
    fitted, parts, val = [], [], []
    for tr, va in folds:
        learned = Learned.fit(train.take(tr))
        fitted.append(learned)
        parts.append(tensors(train.take(tr), learned, "training"))
        val.append(tensors(train.take(va), learned, "validation"))
    units = None if fitted[0].unit() is None else [f.unit() for f in fitted]
    return Tensors(
        Block.folded(*zip(*parts), units=units), Block.folded(*zip(*val), units=units)
    ), fitted
