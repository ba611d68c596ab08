"""What one trial may spend, by the size of the table: the search's resource is optimizer steps.

On a CPU, a minibatch step of the models heldout searches costs about the same at 32 rows as at
512 (the per-step work is mostly fixed: kernel launches, the update, bookkeeping), so a trial's
cost is its number of steps, and "20 to 150 epochs" costs 30 times more on a table 30 times
larger while the model learns little more from it. Two rules keep a default search's cost
growing gently with the table:

- the batch sizes searched grow with the training rows: ``(16, 32, 64, 128)`` up to
  :data:`BASE_ROWS` rows, doubled for each doubling beyond (at most ×32: 512 to 4,096 rows);
- a trial's epochs are cut so that it takes at most ``max_steps`` optimizer steps: by default
  :data:`STEPS`, and on a table beyond :data:`STEPS_ROWS` training rows STEPS × rows / STEPS_ROWS,
  up to 8 × STEPS (a larger table has more to learn from; its steps read larger batches, and early
  stopping and halving end most trials well before the budget). On a small table nothing changes; on
  a large one a trial sees the rows a few times, or once.

- and a trial of a large model reads fewer: its steps are cut further so that they cost at most
  :data:`WORK` multiply-adds (3 × batch size × parameters a step: the forward product and the
  two of the backward pass), so a 128-128 network with batches of 1,024 is not given the steps
  of a linear model.

A search space that names ``batch_size`` or ``epochs`` keeps the user's values: the rules only
shape the defaults. ``max_steps=None`` turns the cut off.

>>> batch_sizes(1_000), batch_sizes(64_000), batch_sizes(10_000_000)
((16, 32, 64, 128), (256, 512, 1024, 2048), (512, 1024, 2048, 4096))
>>> steps_for(6_400), steps_for(64_000), steps_for(640_000)
(3000, 12000, 24000)
>>> # 200 steps an epoch
>>> capped_epochs(150, batch_size=32, rows=6_400, full_batch=False, max_steps=steps_for(6_400))
15
>>> wide = dict(full_batch=False, max_steps=12_000, n_params=19_000)
>>> capped_epochs(150, batch_size=1024, rows=64_000, **wide)
27
"""

from __future__ import annotations

import math

BASE_BATCHES = (16, 32, 64, 128)
BASE_ROWS = 4_000  # training rows up to which the base batch sizes are searched
MAX_SCALE = 32  # the batch sizes grow at most this many times
STEPS = 3_000  # optimizer steps a trial takes at most, by default, on a table up to STEPS_ROWS rows
STEPS_ROWS = 16_000
MAX_STEPS_SCALE = 8
WORK = 1e11  # multiply-adds one trial's steps may cost at most (a few seconds on 2 cores)


def batch_sizes(rows: int) -> tuple[int, ...]:
    """The batch sizes searched for a table of ``rows`` training rows (the nearest power of two of
    ``rows / BASE_ROWS`` times the base sizes, between 1 and :data:`MAX_SCALE`)."""
    scale = 2 ** round(math.log2(max(1.0, rows / BASE_ROWS)))
    return tuple(b * min(scale, MAX_SCALE) for b in BASE_BATCHES)


def steps_for(rows: int) -> int:
    """The default step budget of a trial on ``rows`` training rows."""
    return int(STEPS * min(MAX_STEPS_SCALE, max(1.0, rows / STEPS_ROWS)))


def capped_epochs(
    epochs: int,
    *,
    batch_size: int,
    rows: int,
    full_batch: bool,
    max_steps: int | None,
    n_params: int | None = None,
) -> int:
    """``epochs``, cut so that a trial takes at most ``max_steps`` optimizer steps, and steps of at
    most :data:`WORK` multiply-adds in all for a model of ``n_params`` parameters (one epoch at
    least)."""
    if max_steps is None:
        return epochs
    per_epoch = 1 if full_batch else math.ceil(max(rows, 1) / batch_size)
    step_rows = rows if full_batch else min(batch_size, rows)
    if n_params:
        max_steps = min(max_steps, int(WORK // (3 * step_rows * n_params)))
    return max(1, min(epochs, max_steps // per_epoch))
