"""Rows on the device and the order in which training reads them.

A :class:`Block` holds preprocessed rows either shared by every member (``X[n, d]``) or as one
padded block per cross-validation fold (``X[F, n_max, d]``, ``counts[f]`` real rows each). Each
fold draws its own batch order from its own generator, seeded like a separate run's, so a fold
trained as a member sees exactly the batches it would see trained alone; members of one fold
share each batch. Padding rows carry weight 0 and never count. Rows may carry weights of their
own (sample and class weights, ``w``), which every batch hands to the loss beside them; ``unit``
is how many target units one unit of ``y`` is (the training rows' target scale), which turns a
monitored rmse back into the target's units.

Without folds a step reads one slice of a seeded permutation (no per-row loader).

>>> block = Block.folded([torch.ones(3, 2), torch.ones(2, 2)], [torch.zeros(3), torch.zeros(2)])
>>> block.X.shape, block.counts
(torch.Size([2, 3, 2]), [3, 2])
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import ClassVar, Iterator

import torch

from .._util import threads

GATHER_BYTES = 4_000_000  # rows of several minibatches gathered at once


@dataclass
class Block:
    """Preprocessed rows: shared (``X[n, d]``, ``y[n]``) or one padded block per fold (several
    targets: ``y[n, targets]``, ``y[F, n_max, targets]``)."""

    X: torch.Tensor
    y: torch.Tensor
    counts: list[int]
    w: torch.Tensor | None = (
        None  # row weights, ``[n]`` or ``[F, n_max]`` (0 on padding); None: all 1
    )
    unit: torch.Tensor | None = None  # target units per unit of y: a number, or ``[F]``; None: 1
    streamed: ClassVar[bool] = (
        False  # rows held here (heldout.stream.rows reads them batch by batch instead)
    )

    @classmethod
    def shared(
        cls,
        X: torch.Tensor,
        y: torch.Tensor,
        w: torch.Tensor | None = None,
        unit: float | None = None,
    ) -> "Block":
        return cls(
            X, y, [len(y)], w, None if unit is None else torch.tensor(float(unit), device=X.device)
        )

    @classmethod
    def folded(
        cls,
        Xs: list[torch.Tensor],
        ys: list[torch.Tensor],
        ws: list | None = None,
        units: list[float] | None = None,
    ) -> "Block":
        n_max = max(len(y) for y in ys)
        X = Xs[0].new_zeros((len(Xs), n_max, Xs[0].shape[1]))
        y = ys[0].new_zeros(
            (len(ys), n_max, *ys[0].shape[1:])
        )  # several targets: [F, n_max, targets]
        weighted = ws is not None and any(w is not None for w in ws)
        w = Xs[0].new_zeros((len(ys), n_max)) if weighted else None
        for f, (Xf, yf) in enumerate(zip(Xs, ys)):
            X[f, : len(yf)], y[f, : len(yf)] = Xf, yf
            if weighted:
                w[f, : len(yf)] = 1 if ws[f] is None else ws[f]
        unit = None if units is None else torch.tensor([float(u) for u in units], device=X.device)
        return cls(X, y, [len(t) for t in ys], w, unit)

    @property
    def device(self) -> torch.device:
        return self.X.device

    @property
    def is_shared(self) -> bool:
        return self.X.dim() == 2

    @property
    def n_features(self) -> int:
        return self.X.shape[-1]

    def mask(self) -> torch.Tensor | None:
        """``[F, n_max]``: 1 for real rows, 0 for padding (``None`` when shared)."""
        if self.is_shared:
            return None
        ar = torch.arange(self.X.shape[1], device=self.X.device)
        return (ar < torch.tensor(self.counts, device=self.X.device).unsqueeze(1)).to(self.X.dtype)

    def weights(self) -> torch.Tensor | None:
        """Each row's weight in a mean: its own weight, 0 for padding (``None``: shared, all 1)."""
        return self.mask() if self.w is None else self.w

    def member_unit(self, fold: torch.Tensor | None) -> torch.Tensor | None:
        """Each member's unit (``[K]`` for folds, a number when shared), or None."""
        if self.unit is None or self.unit.dim() == 0 or fold is None:
            return self.unit
        return self.unit.index_select(0, fold)

    def sample(self, rows: int, seed: int) -> "Block":
        """At most ``rows`` rows (per fold) drawn without replacement, in their order."""
        gen = torch.Generator().manual_seed(int(seed))
        if self.is_shared:
            if len(self.y) <= rows:
                return self
            pick = torch.randperm(len(self.y), generator=gen)[:rows].sort().values.to(self.X.device)
            return Block(
                self.X.index_select(0, pick),
                self.y.index_select(0, pick),
                [len(pick)],
                None if self.w is None else self.w.index_select(0, pick),
                self.unit,
            )
        if max(self.counts) <= rows:
            return self
        picks = [
            torch.randperm(c, generator=gen)[:rows].sort().values.to(self.X.device)
            for c in self.counts
        ]
        sampled = Block.folded(
            [X.index_select(0, p) for X, p in zip(self.X, picks)],
            [y.index_select(0, p) for y, p in zip(self.y, picks)],
            None if self.w is None else [w.index_select(0, p) for w, p in zip(self.w, picks)],
        )
        sampled.unit = self.unit
        return sampled

    def generators(self, seed: int) -> list[torch.Generator]:
        """One batch-order generator per fold, each seeded as a separate run's would be."""
        return [torch.Generator().manual_seed(int(seed)) for _ in self.counts]

    def steps_per_epoch(self, batch: int) -> int:
        return math.ceil(max(self.counts) / batch)

    def epoch(
        self,
        batch: int,
        gens: list[torch.Generator],
        fold: torch.Tensor | None,
        gather_threads=None,
    ) -> Iterator[tuple]:
        """This epoch's batches as ``(X, y, w, rows)``; ``rows`` is a number, or ``[K]`` when
        folded. ``gather_threads(numbers)`` gives the intra-op threads that gathering ``numbers``
        values takes (default: the caller's)."""

        def gathering(numbers: int):
            return (
                contextlib.nullcontext()
                if gather_threads is None
                else threads.intra_op(gather_threads(numbers))
            )

        n = max(self.counts)
        if batch >= n and self.is_shared:
            yield self.X, self.y, self.w, n
            return
        device = self.X.device
        if self.is_shared:
            # gather several batches' rows per call (one call per ~4 MB): random rows fetched
            # together overlap their memory latency; each batch is then a contiguous slice
            perm = torch.randperm(n, generator=gens[0]).to(device)
            per_gather = batch * max(
                1, GATHER_BYTES // (batch * self.X.shape[1] * self.X.element_size())
            )
            for first in range(0, n, per_gather):
                idx = perm[first : first + per_gather]
                with gathering(len(idx) * self.X.shape[1]):
                    X, y = self.X.index_select(0, idx), self.y.index_select(0, idx)
                    w = None if self.w is None else self.w.index_select(0, idx)
                for start in range(0, len(idx), batch):
                    part = slice(start, start + batch)
                    yield (
                        X[part],
                        y[part],
                        None if w is None else w[part],
                        min(batch, len(idx) - start),
                    )
            return
        # each fold its own permutation of its own rows, padded to the longest fold; rows are
        # gathered from the flattened blocks several batches at a time, then copied per member
        F, n_max = len(self.counts), self.X.shape[1]
        order = torch.zeros(F, n, dtype=torch.long)
        for f, (count, gen) in enumerate(zip(self.counts, gens)):
            order[f, :count] = torch.randperm(count, generator=gen)
        order = (order + torch.arange(F).unsqueeze(1) * n_max).to(device)
        valid, weights = self.mask(), self.w
        flat_X, flat_y = self.X.view(F * n_max, -1), self.y.view(F * n_max, *self.y.shape[2:])
        per_gather = batch * max(
            1, GATHER_BYTES // (F * batch * self.X.shape[-1] * self.X.element_size())
        )
        for first in range(0, n, per_gather):
            idx = order[:, first : first + per_gather]
            with gathering(idx.numel() * self.X.shape[-1]):
                X = flat_X.index_select(0, idx.reshape(-1)).view(F, -1, self.X.shape[-1])
                y = flat_y.index_select(0, idx.reshape(-1)).view(F, -1, *self.y.shape[2:])
            real = valid[:, first : first + per_gather]
            # each position's row weight, 0 past a fold's end (those positions repeat its first row)
            w = (
                None
                if weights is None
                else weights.view(-1).index_select(0, idx.reshape(-1)).view(F, -1) * real
            )
            for start in range(0, idx.shape[1], batch):
                part = slice(start, start + batch)
                Xk, yk = X[:, part].index_select(0, fold), y[:, part].index_select(0, fold)
                wk = None if w is None else w[:, part].index_select(0, fold)
                if first + start + batch <= min(self.counts):  # every fold has a full batch here
                    yield Xk, yk, wk, Xk.shape[1]
                else:
                    count = real[:, part].index_select(0, fold)
                    yield Xk, yk, count if wk is None else wk, count.sum(-1)


@dataclass
class Tensors:
    """Preprocessed training and validation rows on the device; ``fold[k]`` is member k's block."""

    train: Block
    validation: Block
    fold: torch.Tensor | None = None
