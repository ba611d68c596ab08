"""A population's update, built once as a chain of small pieces (optax's ``chain``): gradient
transforms applied in order — the loss-side L2 penalty on weights — then the update rule
(:mod:`heldout.nn.optim`: its own coupled or decoupled weight decay included, as ``torch.optim``
applies it), with each member's learning rate for the epoch from its schedule.

>>> import torch
>>> from heldout.nn import optim
>>> update = chain(optim.get("gd"), l2_penalty(lambda: [True]), schedules=[None], epochs=1)
>>> params = [torch.tensor([[1.0]])]
>>> hparams = {"lr": torch.tensor([0.1]), "l2": torch.tensor([1.0]), "weight_decay": None}
>>> new, _ = update.update([torch.tensor([[2.0]])], update.init(params), params, hparams)
>>> round(new[0].item(), 6)   # 1 - 0.1 * (2 + 1.0 * 1)
0.7
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from . import optim

GradientTransform = Callable[[list, list, dict], list]  # (grads, params, hparams) -> grads


def l2_penalty(weight_mask: Callable[[], list[bool]]) -> GradientTransform:
    """The gradient of (l2/2)·‖W‖² added on the weights (``weight_mask()[i]``: parameter ``i``
    is a weight, not a bias — asked at the first step, once a user module's parameters are
    known); nothing when every member's ``l2`` is 0 (``hparams["l2"]`` is None)."""
    known: list = []

    def transform(grads, params, hparams):
        l2 = hparams.get("l2")
        if l2 is None:
            return grads
        weights = known or known.extend(weight_mask()) or known
        return [
            torch.addcmul(g, optim.per_member(l2, p), p) if is_weight else g
            for g, p, is_weight in zip(grads, params, weights)
        ]

    return transform


@dataclass(frozen=True)
class Update:
    """``init(params) -> state`` and ``update(grads, state, params, hparams) -> (params,
    state)`` of the whole chain, and each member's learning rate for an epoch."""

    rule: optim.Optimizer
    transforms: tuple[GradientTransform, ...]
    schedules: tuple  # per member: factor(epoch0, epochs), or None for a constant rate
    epochs: int

    def init(self, params):
        return self.rule.init(params)

    def update(self, grads, state, params, hparams):
        for transform in self.transforms:
            grads = transform(grads, params, hparams)
        return self.rule.update(grads, state, params, hparams)

    def learning_rates(self, epoch: int, members: list[int], base: torch.Tensor) -> torch.Tensor:
        """The rates of ``members`` (their positions in the population) for ``epoch`` (1-based),
        ``base`` being their base rates."""
        chosen = [self.schedules[k] for k in members]
        if all(s is None for s in chosen):
            return base
        factors = [1.0 if s is None else s(epoch - 1, self.epochs) for s in chosen]
        return base * torch.tensor(factors, dtype=base.dtype, device=base.device)


def chain(rule: optim.Optimizer, *transforms: GradientTransform, schedules, epochs: int) -> Update:
    return Update(rule, tuple(transforms), tuple(schedules), epochs)


def schedule(name: str, step_size: int | None, gamma: float, epochs: int):
    """A member's schedule as ``factor(epoch0, epochs)``, or None for ``constant``."""
    if name == "constant":
        return None
    rule = optim.SCHEDULES[name]
    return lambda epoch0, total: rule(epoch0, total, step_size or max(1, epochs // 3), gamma)
