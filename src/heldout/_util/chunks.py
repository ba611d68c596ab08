"""Sums over many rows in cache-sized chunks spread over the cores, so a pass reads its rows once.

Full-batch gradient steps and scoring without gradients both go through :func:`over_chunks`.

>>> import torch
>>> X = torch.ones(10, 3)
>>> add = lambda a, b, sums: sums[0].add_(X[a:b].sum(0))
>>> over_chunks(10, 12, lambda: [torch.zeros(3)], add)[0].tolist()
[10.0, 10.0, 10.0]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import torch

from .threads import CORES

STREAM_MIN_ROWS = 65_536  # full-batch steps over fewer rows run as one piece
CHUNK_BYTES = 1_500_000  # rows per streamed chunk: about this many bytes of X (fits a core's L2)
_POOL: ThreadPoolExecutor | None = None


def _pool(workers: int) -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None or _POOL._max_workers < workers:
        _POOL = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="heldout")
    return _POOL


def over_chunks(
    n: int,
    row_bytes: int,
    zeros: Callable[[], list[torch.Tensor]],
    kernel: Callable[[int, int, list[torch.Tensor]], None],
    max_rows: int | None = None,
    device: torch.device | str = "cpu",
) -> list[torch.Tensor]:
    """Sums over ``n`` rows: ``kernel(start, stop, sums)`` adds rows ``start:stop`` into ``sums``
    (made by ``zeros()``), over cache-sized row chunks spread over the cores.

    Each worker takes every ``workers``-th chunk and runs its kernels single-threaded, so a chunk
    read from memory for one product is still in cache for the next: a full pass reads the rows
    once. Kernels accumulate in place: few tensor calls per chunk keep the workers from queueing
    on the interpreter lock. Fewer than ``STREAM_MIN_ROWS`` rows, or rows on a GPU, run in this
    thread, in chunks of at most ``max_rows`` rows (when given), the kernels using every core.
    """
    if n < STREAM_MIN_ROWS or torch.device(device).type != "cpu":
        sums = zeros()
        step = max_rows or n
        for start in range(0, n, step):
            kernel(start, min(start + step, n), sums)
        return sums
    rows = max(256, CHUNK_BYTES // max(1, row_bytes))
    rows = min(rows, max_rows) if max_rows else rows
    workers = max(
        1, CORES
    )  # fixed, whatever the engine's thread choice: the sums' order stays the same
    starts = list(range(0, n, rows))

    def work(first: int):
        torch.set_num_threads(1)
        sums = zeros()
        for start in starts[first::workers]:
            kernel(start, min(start + rows, n), sums)
        return sums

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        parts = list(_pool(workers).map(work, range(min(workers, len(starts)))))
    finally:
        torch.set_num_threads(threads)
    total = parts[0]
    for part in parts[1:]:
        total = [t.add_(p) for t, p in zip(total, part)]
    return total
