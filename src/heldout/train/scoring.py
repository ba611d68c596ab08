"""Each member's loss and monitored metric over whole blocks of rows, without gradients.

Validation rows are scored after every epoch, the initial training loss before the first; the
descent picture scores its grid of parameters the same way. Rows count by their weights; the
loss is on the scale the model fits (standardised regression targets), the monitored metric in
the target's own units.
"""

from __future__ import annotations

import torch

from .._util.chunks import over_chunks
from ..nn import losses
from .blocks import Block

EVAL_ELEMENTS = 1 << 21  # outputs and activations held at once when scoring rows without gradients


def score_rows(
    family, params, block: Block, fold, task, loss: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's mean loss and monitored metric over all rows of ``block`` (streamed rows: over
    each of their blocks in turn), without gradients, in row chunks so that K members' activations
    never need more than ``EVAL_ELEMENTS`` numbers."""
    sums = None
    for part in block.blocks() if block.streamed else [block]:
        more = _sums(family, params, part, fold, task, loss)
        sums = more if sums is None else [a + b for a, b in zip(sums, more)]
    loss_sum, metric_sum, weight = sums
    weight = weight.clamp_min(torch.finfo(weight.dtype).tiny)
    metric = task.finish_monitor(metric_sum / weight)
    unit = block.member_unit(fold)
    return loss_sum / weight, metric if unit is None else metric * unit


def _sums(family, params, block: Block, fold, task, loss: str) -> list[torch.Tensor]:
    """Each member's summed loss, summed monitored metric and summed row weight over ``block``."""
    K, n = params[0].shape[0], block.X.shape[-2]
    width = max(p.shape[-1] for p in params)
    rows = max(1, EVAL_ELEMENTS // max(1, K * width))

    def zeros():
        return [params[0].new_zeros(K), params[0].new_zeros(K), params[0].new_zeros(K)]

    valid = block.weights()

    def kernel(start: int, stop: int, sums) -> None:
        if block.is_shared:
            X, y, w = (
                block.X[start:stop],
                block.y[start:stop],
                None if valid is None else valid[start:stop],
            )
        else:  # each member reads its own fold's rows
            X, y, w = (t[:, start:stop].index_select(0, fold) for t in (block.X, block.y, valid))
        out = family.forward(params, X)
        loss_rows, metric_rows = losses.ROWS[loss](out, y), task.monitor_rows(out, y)
        if w is not None:
            loss_rows, metric_rows = loss_rows * w, metric_rows * w
        sums[0].add_(loss_rows.sum(-1))
        sums[1].add_(metric_rows.sum(-1))
        sums[2].add_(stop - start if w is None else w.sum(-1))

    with torch.no_grad():
        if block.is_shared:
            loss_sum, metric_sum, weight = over_chunks(
                n,
                block.X.shape[1] * block.X.element_size(),
                zeros,
                kernel,
                max_rows=rows,
                device=block.X.device,
            )
        else:
            loss_sum, metric_sum, weight = zeros()
            for start in range(0, n, rows):
                kernel(start, min(start + rows, n), [loss_sum, metric_sum, weight])
    return [loss_sum, metric_sum, weight]
