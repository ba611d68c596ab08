"""Rows across processes: N processes (started by ``torchrun``) train one population together, each
computing the gradient on its shard of every batch; the sums are all-reduced, so every process
takes the update one process would take on the whole batch.

Every process reads the same table, splits it with the same seed and draws the same batch order (the
same generators), so batch ``b`` is the same rows everywhere; process ``r`` of ``N`` takes the rows
``[n·r/N, n·(r+1)/N)`` of each batch of ``n``. A family's gradient is a mean over the rows it is
given, so each process weighs its mean by its row count, one ``all_reduce`` sums the weighted means
(the loss and every parameter's gradient in one buffer), and the sum divided by ``n`` is the batch's
mean (with row weights: each process weighs its weighted mean by its rows' weights, and the sum
divided by all the weights is the batch's weighted mean). Nothing else differs between processes:
validation is scored in full by each, so every stopping decision is the same everywhere. The sums
are added in another order than one process adds them, so parameters agree to float rounding (tested
to 1e-6), not bit for bit.

``torch.distributed`` runs the collective: gloo on CPU, NCCL on GPU, over the rendezvous that
``torchrun`` sets up (``MASTER_ADDR``, ``RANK``, ``WORLD_SIZE``; several hosts with its
``--rdzv-*`` options).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Shards:
    rank: int
    world: int

    def bounds(self, rows: int) -> tuple[int, int]:
        return rows * self.rank // self.world, rows * (self.rank + 1) // self.world

    def loss_and_grads(
        self,
        compute,
        X: torch.Tensor,
        y: torch.Tensor,
        w: torch.Tensor | None,
        params: list[torch.Tensor],
    ):
        """``compute(X, y, w) -> (mean loss [K], mean gradients)`` over this process's shard of the
        batch ``X, y`` (row weights ``w``, or None), combined across processes into the whole
        batch's means: each shard's mean weighs by its rows (or their weights), summed in
        float64."""
        import torch.distributed as dist

        from ..nn.optim import per_member

        start, stop = self.bounds(len(X))
        mine = None if w is None else w[..., start:stop]
        share = (
            torch.tensor(float(stop - start), dtype=torch.float64)
            if w is None
            else mine.sum(-1).double()
        )
        if stop > start:
            value, grads = compute(X[start:stop], y[start:stop], mine)
        else:  # fewer rows than processes: this one adds nothing
            value = torch.zeros(params[0].shape[0], dtype=params[0].dtype, device=params[0].device)
            grads = [torch.zeros_like(p) for p in params]
        shares = share.reshape(-1)
        buffer = torch.cat(
            [
                shares,
                (value.double() * share).reshape(-1),
                *(
                    (g.double() * per_member(share.expand(g.shape[0]), g)).reshape(-1)
                    for g in grads
                ),
            ]
        )
        dist.all_reduce(buffer)
        total, buffer = buffer[: shares.numel()].clamp_min(1e-300), buffer[shares.numel() :]
        value_out = (buffer[: value.numel()] / total).to(value.dtype).view_as(value)
        offset, grads_out = value.numel(), []
        for g in grads:
            part = buffer[offset : offset + g.numel()].view(g.shape)
            grads_out.append((part / per_member(total.expand(g.shape[0]), g)).to(g.dtype))
            offset += g.numel()
        return value_out, grads_out


def from_environment() -> Shards | None:
    """This process's place among those ``torchrun`` started (None when it started one), with
    the process group joined: gloo on CPU, NCCL when CUDA is there."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return Shards(dist.get_rank(), dist.get_world_size())


def finished(shards: Shards | None) -> None:
    """Leave the process group together, once every process has trained: a process that exits with
    the group still open can abort in gloo's threads, and torchrun then stops the others."""
    if shards is None:
        return
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def decided_by_first(shards: Shards | None, outcome):
    """Process 0's ``outcome`` (any picklable value), in every process: the others follow what
    process 0 decided (to train, or to stop with its error) instead of deciding again."""
    if shards is None:
        return outcome
    import torch.distributed as dist

    box = [outcome if shards.rank == 0 else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]
