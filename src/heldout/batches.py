"""Rows on the device and the order in which training reads them.

A :class:`Block` holds preprocessed rows either shared by every member (``X[n, d]``) or as one
padded block per cross-validation fold (``X[F, n_max, d]``, ``counts[f]`` real rows each). Each
fold draws its own batch order from its own generator, seeded like a separate run's, so a fold
trained as a member sees exactly the batches it would see trained alone; members of one fold
share each batch. Padding rows carry weight 0 and never count.

Without folds a step reads one slice of a seeded permutation (no per-row loader). Full-batch
gradients over many rows are computed by :func:`streamed`: row chunks small enough to stay in
cache, spread over the machine's cores, so a step reads ``X`` from memory once.

>>> block = Block.folded([torch.ones(3, 2), torch.ones(2, 2)], [torch.zeros(3), torch.zeros(2)])
>>> block.X.shape, block.counts
(torch.Size([2, 3, 2]), [3, 2])
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

STREAM_MIN_ROWS = 65_536   # full-batch steps over fewer rows run as one piece
CHUNK_BYTES = 1_500_000    # rows per streamed chunk: about this many bytes of X (fits a core's L2)
_POOL: ThreadPoolExecutor | None = None


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
            perm = torch.randperm(n, generator=gens[0]).to(device)
            for start in range(0, n, batch):
                idx = perm[start:start + batch]
                yield self.X.index_select(0, idx), self.y.index_select(0, idx), None, len(idx)
            return
        # each fold its own permutation of its own rows, padded to the longest fold
        order = torch.zeros(len(self.counts), n, dtype=torch.long)
        for f, (count, gen) in enumerate(zip(self.counts, gens)):
            order[f, :count] = torch.randperm(count, generator=gen)
        order, valid, folds = order.to(device), self.weights(), torch.arange(len(self.counts), device=device)
        for start in range(0, n, batch):
            idx = order[:, start:start + batch]
            w = valid[:, start:start + batch][fold]
            yield self.X[folds.unsqueeze(1), idx][fold], self.y[folds.unsqueeze(1), idx][fold], w, w.sum(-1)


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads()), thread_name_prefix="heldout")
    return _POOL


def streamed(loss_and_grads: Callable, params: list[torch.Tensor], X: torch.Tensor, y: torch.Tensor, loss: str):
    """Full-batch ``loss_and_grads`` over shared rows, as a sum over cache-sized row chunks.

    Each worker takes every ``workers``-th chunk and runs its kernels single-threaded, so a
    chunk is read from memory once and used for the forward and the backward product while it
    is still in cache. Each chunk's mean is weighted by its share of the rows: the sum is the
    full-batch mean and its gradient.
    """
    n = len(y)
    if n < STREAM_MIN_ROWS or X.device.type != "cpu":
        return loss_and_grads(params, X, y, None, loss)
    rows = max(256, CHUNK_BYTES // (X.shape[1] * X.element_size()))
    workers = max(1, torch.get_num_threads())
    starts = list(range(0, n, rows))

    def work(first: int):
        torch.set_num_threads(1)
        total = None
        for start in starts[first::workers]:
            value, grads = loss_and_grads(params, X[start:start + rows], y[start:start + rows], None, loss)
            share = min(rows, n - start) / n
            if total is None:
                total = [value * share] + [g * share for g in grads]
            else:
                for t, part in zip(total, [value] + grads):
                    t.add_(part, alpha=share)
        return total

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        parts = [p for p in _pool().map(work, range(min(workers, len(starts)))) if p is not None]
    finally:
        torch.set_num_threads(threads)
    total = parts[0]
    for part in parts[1:]:
        for t, p in zip(total, part):
            t.add_(p)
    return total[0], total[1:]
