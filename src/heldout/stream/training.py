"""``fit()`` for a streamed split: the preprocessing learned from the training sample, then every
configuration trained on the training rows read batch by batch, validation scored every epoch
the same way — through the same engine and populations as :func:`heldout.fit`.

Not yet across processes (``torchrun``), with folds, or with checkpoints: each is refused, saying
so."""

from __future__ import annotations

import torch

from ..errors import ConfigError
from ..seal import hashed
from ..train import grid
from ..train.blocks import Tensors
from ..train.population import make_config, train_population
from ..train.result import Run
from ..train.rows import Hooks, Learned, Prepared
from .rows import SHUFFLE_ROWS, StreamedRows
from .split import StreamedSplit


def fit(
    split: StreamedSplit,
    *,
    progress=None,
    memory_budget: int | None = None,
    folds=None,
    shards=None,
    shuffle_rows: int = SHUFFLE_ROWS,
    **settings,
) -> Run:
    """Train every configuration of the grid on ``split``'s training rows, streamed; see
    :func:`heldout.fit` for ``settings``. ``shuffle_rows`` sizes the shuffle buffer
    (:mod:`heldout.stream.rows`)."""
    if not isinstance(split, StreamedSplit):
        raise ConfigError(
            f"stream.training.fit() takes a StreamedSplit, got {type(split).__name__}."
        )
    if folds is not None or shards is not None:
        raise ConfigError(
            "A streamed table is trained in one process without folds for now: drop --folds, or "
            "run without torchrun (or without --stream, if the table fits in memory)."
        )
    combos, axes = grid.expand(settings)
    found = split.found
    learned = Learned.fit(found.samples[hashed.TRAIN])
    devices = {make_config(c, found.meta.task).device for c in combos}
    if len(devices) > 1:
        raise ConfigError(
            f"A streamed table trains on one device at a time, got {sorted(devices)}. Give one "
            "--device."
        )
    device = torch.device(devices.pop())
    tensors = Tensors(
        StreamedRows(found, hashed.TRAIN, learned, device, shuffle_rows=shuffle_rows),
        StreamedRows(found, hashed.VALIDATION, learned, device, shuffle_rows=shuffle_rows),
    )
    rows = Prepared(
        found.meta, None, split.seed, split=split.describe(), tensors=(tensors, [learned])
    )
    return train_population(
        rows,
        combos,
        Hooks(on_epoch=None if progress is None else progress.epoch),
        axes=axes,
        memory_budget=memory_budget,
    )
