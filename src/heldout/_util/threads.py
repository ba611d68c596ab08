"""How many threads a training computation's tensor ops use: one for a small step, or when other
programs keep the machine's cores busy; all of them otherwise.

PyTorch's CPU ops split their work over an OpenMP team of threads. For the small ops of a small
population that team costs more than it saves; and when another program keeps a core busy, every op
waits for a thread that has no core (benchmarks/MEASUREMENTS.md, "Threads for small ops";
``benchmarks/contention.py`` prints what whole populations do). So :class:`Choice` gives a step of
fewer than :data:`SMALL_STEP` multiply-adds one thread, and a larger one all threads unless another
process is running on a core when training starts (``/proc/loadavg``'s running count, less this
process's running threads) or, over the last :data:`WINDOW` seconds, other processes kept at least
:data:`OTHERS_BUSY` of a core busy (``/proc/stat``, minus this process's own CPU time); it looks
again after every epoch.

The thread count changes how fast, not what: the engine's products and reductions give the same
numbers bit for bit on one thread or several (tested), and the full-batch row chunks keep their
worker count whatever this choice is.

>>> import torch
>>> before = torch.get_num_threads()
>>> with intra_op(1):
...     torch.get_num_threads()
1
>>> torch.get_num_threads() == before
True
"""

from __future__ import annotations

import contextlib
import os
import time

import torch

SMALL_STEP = (
    1 << 22
)  # multiply-adds per training step below which one thread is used (about 4 million)
SMALL_GATHER = (
    1 << 18
)  # numbers gathered (minibatch rows) below which one thread is used (about 260,000)
WINDOW = 0.25  # seconds of history behind each look at the other processes
OTHERS_BUSY = 0.5  # cores' worth of other processes' work that makes one thread the better choice
CORES = torch.get_num_threads()  # the machine's configured intra-op threads, before any choice


class Choice:
    """The intra-op thread count for one population's epochs: for its steps, and for the other
    work of an epoch, each by its own size (a small step's rows may be gathered, and its
    validation rows scored, in large ops)."""

    def __init__(self, multiply_adds_per_step: float):
        self.small = multiply_adds_per_step < SMALL_STEP or CORES == 1
        self._mark = None if CORES == 1 else _sample()
        # before any history: is another program running on a core right now?
        self.crowded = CORES > 1 and _others_running() >= 1

    def threads(self, multiply_adds: float | None = None) -> int:
        """For the steps, or for an op of ``multiply_adds``."""
        return self._for(self.small if multiply_adds is None else multiply_adds < SMALL_STEP)

    def gather_threads(self, numbers: int) -> int:
        """For gathering ``numbers`` values of rows at random positions (memory-bound: it gains
        from a second core well below a product's size: benchmarks/MEASUREMENTS.md)."""
        return self._for(numbers < SMALL_GATHER)

    def _for(self, small: bool) -> int:
        return 1 if small or CORES == 1 or self.crowded else CORES

    def observe(self) -> None:
        """After an epoch: have other processes kept a core busy lately?"""
        if self._mark is None:
            return
        now = _sample()
        if now is None:
            self._mark = None  # no /proc/stat here: the step's size alone decides
            return
        wall = now[0] - self._mark[0]
        if wall >= WINDOW:
            others = (now[1] - self._mark[1]) - (now[2] - self._mark[2])
            self.crowded = others / wall >= OTHERS_BUSY or _others_running() >= 1
            self._mark = now


def _sample() -> tuple[float, float, float] | None:
    """(wall seconds, seconds of every process's CPU work, seconds of this process's), or None."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    ticks = os.sysconf("SC_CLK_TCK")
    return (
        time.monotonic(),
        (user + nice + system + irq + softirq + steal) / ticks,
        time.process_time(),
    )


def _others_running() -> int:
    """Threads of other processes on a core or waiting for one now (``/proc/loadavg``'s running
    count, less this process's running threads); 0 where the system does not say."""
    try:
        with open("/proc/loadavg") as loadavg:
            running = int(loadavg.read().split()[3].split("/")[0])
        ours = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat") as stat:
                ours += stat.read().rsplit(")", 1)[1].split()[0] == "R"
    except (OSError, ValueError, IndexError):
        return 0
    return max(0, running - ours)


@contextlib.contextmanager
def intra_op(threads: int):
    """Run the block with ``threads`` intra-op threads, then restore the previous count."""
    before = torch.get_num_threads()
    if threads != before:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
