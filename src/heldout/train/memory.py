"""How many members fit in memory at once, and the chunks a population is trained in.

The estimate counts, per member, what the engine holds: parameters with their best copy,
gradients, the updated copy and the optimizer's state; the activations of one batch (forward
and backward); and the member's own copy of a batch when folds give members different rows.
Scoring rows without gradients takes a fixed amount on top (``scoring.EVAL_ELEMENTS`` numbers,
whatever K is). The budget is a number of bytes, by default half of
the memory available now (on CUDA, of the device's free memory).

>>> plan_chunks(10, member_bytes=100, budget=450, device="cpu")
[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
"""

from __future__ import annotations

import math
import os

import torch

from ..errors import BudgetError


def available_bytes(device: str | torch.device = "cpu") -> int:
    """Memory free for training now: the CUDA device's free memory, or the machine's available
    RAM."""
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def member_bytes(
    n_params: int,
    widths: list[int],
    state_slots: int,
    batch_rows: int,
    n_features: int,
    per_member_rows: bool,
    dtype_bytes: int = 4,
) -> int:
    """Bytes one member needs while it trains (see the module docstring for what is counted);
    ``state_slots`` is the optimizer's state per parameter (Adam: 2)."""
    persistent = n_params * (4 + state_slots)  # params, best, grads, updated + state
    activations = batch_rows * sum(widths) * 3  # pre-activation, activation, its gradient
    own_rows = batch_rows * (n_features + 2) if per_member_rows else 0
    return dtype_bytes * (persistent + activations + own_rows)


def plan_chunks(n_members: int, member_bytes: int, budget: int, device) -> list[list[int]]:
    """Member indices split into the fewest equal chunks that each fit ``budget`` bytes."""
    fits = budget // max(1, member_bytes)
    if fits < 1:
        raise BudgetError(
            f"One member needs about {readable(member_bytes)} to train but the memory budget is "
            f"{readable(budget)} on {device}. Use a smaller batch_size or hidden layers, or raise "
            f"memory_budget (bytes; now {budget})."
        )
    n_chunks = math.ceil(n_members / fits)
    size = math.ceil(n_members / n_chunks)
    return [list(range(start, min(start + size, n_members))) for start in range(0, n_members, size)]


def readable(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} TiB"
