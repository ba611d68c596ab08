"""Rows on the device and the order in which training reads them.

A :class:`Block` holds preprocessed rows either shared by every member (``X[n, d]``) or as one
padded block per cross-validation fold (``X[F, n_max, d]``, ``counts[f]`` real rows each). Each
fold draws its own batch order from its own generator, seeded like a separate run's, so a fold
trained as a member sees exactly the batches it would see trained alone; members of one fold
share each batch. Padding rows carry weight 0 and never count.

Without folds a step reads one slice of a seeded permutation (no per-row loader).

>>> block = Block.folded([torch.ones(3, 2), torch.ones(2, 2)], [torch.zeros(3), torch.zeros(2)])
>>> block.X.shape, block.counts
(torch.Size([2, 3, 2]), [3, 2])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator

import torch

GATHER_BYTES = 4_000_000   # rows of several minibatches gathered at once


@dataclass
class Block:
    """Preprocessed rows: shared (``X[n, d]``, ``y[n]``) or one padded block per fold."""

    X: torch.Tensor
    y: torch.Tensor
    counts: list[int]

    @classmethod
    def shared(cls, X: torch.Tensor, y: torch.Tensor) -> "Block":
        return cls(X, y, [len(y)])

    @classmethod
    def folded(cls, Xs: list[torch.Tensor], ys: list[torch.Tensor]) -> "Block":
        n_max = max(len(y) for y in ys)
        X = Xs[0].new_zeros((len(Xs), n_max, Xs[0].shape[1]))
        y = ys[0].new_zeros((len(ys), n_max))
        for f, (Xf, yf) in enumerate(zip(Xs, ys)):
            X[f, :len(yf)], y[f, :len(yf)] = Xf, yf
        return cls(X, y, [len(t) for t in ys])

    @property
    def is_shared(self) -> bool:
        return self.X.dim() == 2

    @property
    def n_features(self) -> int:
        return self.X.shape[-1]

    def weights(self) -> torch.Tensor | None:
        """``[F, n_max]``: 1 for real rows, 0 for padding (``None`` when shared)."""
        if self.is_shared:
            return None
        ar = torch.arange(self.X.shape[1], device=self.X.device)
        return (ar < torch.tensor(self.counts, device=self.X.device).unsqueeze(1)).to(self.X.dtype)

    def sample(self, rows: int, seed: int) -> "Block":
        """At most ``rows`` rows (per fold) drawn without replacement, in their order."""
        gen = torch.Generator().manual_seed(int(seed))
        if self.is_shared:
            if len(self.y) <= rows:
                return self
            pick = torch.randperm(len(self.y), generator=gen)[:rows].sort().values.to(self.X.device)
            return Block.shared(self.X.index_select(0, pick), self.y.index_select(0, pick))
        if max(self.counts) <= rows:
            return self
        picks = [torch.randperm(c, generator=gen)[:rows].sort().values.to(self.X.device) for c in self.counts]
        return Block.folded([X.index_select(0, p) for X, p in zip(self.X, picks)],
                            [y.index_select(0, p) for y, p in zip(self.y, picks)])

    def generators(self, seed: int) -> list[torch.Generator]:
        """One batch-order generator per fold, each seeded as a separate run's would be."""
        return [torch.Generator().manual_seed(int(seed)) for _ in self.counts]

    def steps_per_epoch(self, batch: int) -> int:
        return math.ceil(max(self.counts) / batch)

    def epoch(self, batch: int, gens: list[torch.Generator], fold: torch.Tensor | None) -> Iterator[tuple]:
        """This epoch's batches as ``(X, y, w, rows)``; ``rows`` is a number, or ``[K]`` when folded."""
        n = max(self.counts)
        if batch >= n and self.is_shared:
            yield self.X, self.y, None, n
            return
        device = self.X.device
        if self.is_shared:
            # gather several batches' rows per call (one call per ~4 MB): random rows fetched
            # together overlap their memory latency; each batch is then a contiguous slice
            perm = torch.randperm(n, generator=gens[0]).to(device)
            per_gather = batch * max(1, GATHER_BYTES // (batch * self.X.shape[1] * self.X.element_size()))
            for first in range(0, n, per_gather):
                idx = perm[first:first + per_gather]
                X, y = self.X.index_select(0, idx), self.y.index_select(0, idx)
                for start in range(0, len(idx), batch):
                    yield X[start:start + batch], y[start:start + batch], None, min(batch, len(idx) - start)
            return
        # each fold its own permutation of its own rows, padded to the longest fold; rows are
        # gathered from the flattened blocks several batches at a time, then copied per member
        F, n_max = len(self.counts), self.X.shape[1]
        order = torch.zeros(F, n, dtype=torch.long)
        for f, (count, gen) in enumerate(zip(self.counts, gens)):
            order[f, :count] = torch.randperm(count, generator=gen)
        order = (order + torch.arange(F).unsqueeze(1) * n_max).to(device)
        valid = self.weights()
        flat_X, flat_y = self.X.view(F * n_max, -1), self.y.view(-1)
        per_gather = batch * max(1, GATHER_BYTES // (F * batch * self.X.shape[-1] * self.X.element_size()))
        for first in range(0, n, per_gather):
            idx = order[:, first:first + per_gather]
            X = flat_X.index_select(0, idx.reshape(-1)).view(F, -1, self.X.shape[-1])
            y = flat_y.index_select(0, idx.reshape(-1)).view(F, -1)
            w = valid[:, first:first + per_gather]
            for start in range(0, idx.shape[1], batch):
                part = slice(start, start + batch)
                Xk, yk = X[:, part].index_select(0, fold), y[:, part].index_select(0, fold)
                if first + start + batch <= min(self.counts):   # every fold has a full batch here
                    yield Xk, yk, None, Xk.shape[1]
                else:
                    wk = w[:, part].index_select(0, fold)
                    yield Xk, yk, wk, wk.sum(-1)


@dataclass
class Tensors:
    """Preprocessed training and validation rows on the device; ``fold[k]`` is member k's block."""

    train: Block
    validation: Block
    fold: torch.Tensor | None = None
