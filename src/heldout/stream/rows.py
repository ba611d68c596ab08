"""``StreamedRows``: the training or validation rows of a streamed table, read as the engine reads a
:class:`~heldout.train.blocks.Block` — batch by batch, never all at once.

Every epoch reads the table again, a row group at a time, keeps the rows of its part (decided once
by :mod:`heldout.stream.survey`) and preprocesses them with what was learned from the training
sample. The batch order is seeded and documented:

- the row groups are read in an order drawn from the epoch's generator (a permutation of the
  groups, the same generator the in-memory path draws its permutation from);
- their rows fill a *shuffle buffer* of :data:`SHUFFLE_ROWS` rows; when it is full, the buffer is
  permuted (same generator) and cut into minibatches, and the rows left over (fewer than a batch)
  stay for the next fill; at the end the rest is permuted and cut, the last batch short.

So a row's neighbours in a minibatch come from up to ``SHUFFLE_ROWS`` rows of several row groups
— a shuffle over the whole table when it has fewer training rows than that. Full-batch rules
(``gd``) take one step per epoch on the mean gradient over every training row, summed over the
row groups in float64 (:class:`FullPass`). Validation is scored the same way, group by group.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..data import weights as weighting
from ..train.blocks import Block
from . import survey as surveying

SHUFFLE_ROWS = 131_072  # rows held in the shuffle buffer (about 10 MB per 20 float32 inputs)
SCORE_ROWS = 65_536  # validation rows scored together


class StreamedRows:
    """The rows of one part of a streamed table, preprocessed batch by batch."""

    is_shared, streamed, w = (
        True,
        True,
        None,
    )  # one block of rows for every member; weights come per batch

    def __init__(
        self,
        found: "surveying.Survey",
        part: int,
        learned,
        device,
        *,
        shuffle_rows: int = SHUFFLE_ROWS,
    ):
        self.found, self.part, self.learned, self._device = (
            found,
            part,
            learned,
            torch.device(device),
        )
        self.counts = [found.rows(part)]
        self.unit = (
            None
            if learned.unit() is None
            else torch.tensor(float(learned.unit()), device=self._device)
        )
        self.shuffle_rows = shuffle_rows
        self._sample = self._block(found.samples[part])

    @property
    def device(self) -> torch.device:
        return self._device

    @property
    def n_features(self) -> int:
        return self._sample.n_features

    def member_unit(self, fold):
        return self.unit

    def generators(self, seed: int) -> list[torch.Generator]:
        return [torch.Generator().manual_seed(int(seed))]

    def steps_per_epoch(self, batch: int) -> int:
        return math.ceil(self.counts[0] / batch)

    def sample(self, rows: int, seed: int) -> Block:
        """At most ``rows`` rows of the part's seeded sample, in table order (already
        preprocessed)."""
        return self._sample.sample(rows, seed)

    def blocks(self, order=None):
        """The part's rows as in-memory blocks of about :data:`SCORE_ROWS` rows, row groups in
        ``order`` (default: table order)."""
        pending = []
        for piece in range(len(self.found.parts)) if order is None else order:
            rows = self._rows(int(piece))
            if rows is not None:
                pending.append(rows)
            if pending and sum(len(b.y) for b in pending) >= SCORE_ROWS:
                yield _joined(pending, self.unit)
                pending = []
        if pending:
            yield _joined(pending, self.unit)

    def epoch(self, batch: int, gens: list[torch.Generator], fold, gather_threads=None):
        """This epoch's batches as ``(X, y, w, rows)``, in the seeded order the module docstring
        describes; for a full-batch rule, one :class:`FullPass`. (``gather_threads``, the in-memory
        block's, has nothing to set here: streamed batches arrive already gathered.)"""
        if batch >= self.counts[0]:
            yield FullPass(self), None, None, self.counts[0]
            return
        gen = gens[0]
        buffered: list[Block] = []
        held = 0
        for block in self.blocks(torch.randperm(len(self.found.parts), generator=gen).tolist()):
            buffered.append(block)
            held += len(block.y)
            if held >= self.shuffle_rows:
                mixed = _permuted(_joined(buffered, self.unit), gen)
                whole = (len(mixed.y) // batch) * batch
                yield from _cut(mixed, 0, whole, batch)
                rest = torch.arange(whole, len(mixed.y))
                buffered = [_take(mixed, rest)] if len(rest) else []
                held = len(rest)
        if held:
            mixed = _permuted(_joined(buffered, self.unit), gen)
            yield from _cut(mixed, 0, len(mixed.y), batch)

    def _rows(self, piece: int) -> Block | None:
        """Row group ``piece``'s rows of this part, preprocessed (None when it has none)."""
        mine = np.flatnonzero(self.found.parts[piece] == self.part)
        if not len(mine):
            return None
        frame = self.found.source.read(piece)
        if len(mine) < len(frame):
            frame = frame.iloc[mine]
        return self._block(self.found.columns(frame.reset_index(drop=True)))

    def _block(self, rows) -> Block:
        learned, task = self.learned, self.found.meta.task
        X = torch.from_numpy(learned.features.transform(rows.features)).to(self._device)
        y = task.encode(rows.target, self.found.meta.classes, self._device, scale=learned.scale)
        w = weighting.of_rows(rows, learned.class_weight)
        return Block.shared(
            X,
            y,
            None if w is None else torch.tensor(w, dtype=torch.float32, device=self._device),
            unit=learned.unit(),
        )


class FullPass:
    """Every training row, for one full-batch step: the mean loss and gradients over the row
    groups, each group's means weighed by its rows (or their weights) and summed in float64."""

    def __init__(self, rows: StreamedRows):
        self.rows = rows

    def loss_and_grads(self, compute):
        total, value, grads = 0.0, None, None
        for block in self.rows.blocks():
            share = float(len(block.y)) if block.w is None else block.w.sum().item()
            v, g = compute(block.X, block.y, block.w)
            if value is None:
                value, grads = v.double() * share, [t.double() * share for t in g]
            else:
                value.add_(v.double(), alpha=share)
                for acc, t in zip(grads, g):
                    acc.add_(t.double(), alpha=share)
            total += share
        total = max(total, 1e-300)
        return (value / total).float(), [(t / total).float() for t in grads]


def _joined(blocks: list[Block], unit) -> Block:
    if len(blocks) == 1:
        return blocks[0]
    w = None if blocks[0].w is None else torch.cat([b.w for b in blocks])
    return Block(
        torch.cat([b.X for b in blocks]),
        torch.cat([b.y for b in blocks]),
        [sum(len(b.y) for b in blocks)],
        w,
        unit,
    )


def _permuted(block: Block, gen: torch.Generator) -> Block:
    return _take(block, torch.randperm(len(block.y), generator=gen))


def _take(block: Block, idx: torch.Tensor) -> Block:
    idx = idx.to(block.X.device)
    return Block(
        block.X.index_select(0, idx),
        block.y.index_select(0, idx),
        [len(idx)],
        None if block.w is None else block.w.index_select(0, idx),
        block.unit,
    )


def _cut(block: Block, start: int, stop: int, batch: int):
    for first in range(start, stop, batch):
        part = slice(first, min(first + batch, stop))
        yield (
            block.X[part],
            block.y[part],
            None if block.w is None else block.w[part],
            part.stop - part.start,
        )
