"""Update rules as pairs of functions: ``init(params) -> state`` and
``update(grads, state, params, hparams) -> (params, state)``.

Parameters carry a leading member axis ``K``; every hyperparameter in ``hparams`` is a tensor of
shape ``[K]``, so members of one population may each have their own learning rate, momentum or
weight decay. The rules follow ``torch.optim`` exactly (tested against it to 1e-6):

- ``gd``: full-batch gradient descent, θ ← θ − η∇L(θ) over all training rows;
- ``sgd``: the same rule on minibatches;
- ``momentum`` / ``nesterov``: heavy-ball and Nesterov momentum (``torch.optim.SGD``);
- ``adam`` / ``adamw``: Adam with coupled L2 weight decay, and with decoupled weight decay.

``weight_decay`` here is the optimiser's own decay, applied to every parameter as torch does;
the loss-side L2 penalty on weights is ``l2`` in :class:`~heldout.train.config.TrainConfig`.

>>> import torch
>>> opt = OPTIMIZERS["gd"]
>>> params = [torch.tensor([[1.0]])]
>>> grads, lr = [torch.tensor([[2.0]])], {"lr": torch.tensor([0.1])}
>>> new, _ = opt.update(grads, opt.init(params), params, lr)
>>> round(new[0].item(), 6)
0.8
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import torch

from .._util.tree import map_tensors
from ..errors import ConfigError

Params = list[torch.Tensor]


class Optimizer(NamedTuple):
    """An update rule. ``update`` returns the new parameters and state; it may write them over the
    ones it is given (the fused Adam step does), so a caller that needs the old ones keeps a
    copy."""

    init: Callable[[Params], tuple]
    update: Callable[[Params, tuple, Params, dict], tuple[Params, tuple]]
    full_batch: bool  # one step per epoch over all training rows
    hyperparameters: tuple  # the names this rule reads from hparams, beside lr
    default_lr: float  # the learning rate when none is given
    state_slots: int  # tensors of state per parameter tensor (for the memory estimate)
    reference: Callable | None = (
        None  # (params, hparams) -> the same rule in torch.optim, for the tests
    )


class MomentumState(NamedTuple):
    buffers: Params


class AdamState(NamedTuple):
    count: torch.Tensor  # [K]: steps taken by each member (a frozen member's count stands still)
    mu: Params
    nu: Params


def per_member(h: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """A [K] hyperparameter shaped to broadcast against a [K, ...] parameter."""
    return h.view(-1, *([1] * (p.dim() - 1)))


def shaped(h: torch.Tensor, params: Params) -> list[torch.Tensor]:
    """``per_member(h, p)`` for each of ``params``, one view per rank: a step pays for two views
    (weights and biases), not one per parameter tensor and operation."""
    views = {p.dim(): None for p in params}
    for rank in views:
        views[rank] = h.view(-1, *([1] * (rank - 1)))
    return [views[p.dim()] for p in params]


def select(mask: torch.Tensor, new, old):
    """``new`` for the members in ``mask`` and ``old`` for the rest, through lists and states."""
    return map_tensors(lambda a, b: torch.where(per_member(mask, a), a, b), new, old)


def _decayed(grads: Params, params: Params, hparams: dict) -> Params:
    """torch's coupled weight decay: g + λθ (skipped when every member's λ is 0: ``None``)."""
    decay = hparams.get("weight_decay")
    if decay is None:
        return grads
    return [torch.addcmul(g, d, p) for g, d, p in zip(grads, shaped(decay, params), params)]


def _plain(full_batch: bool) -> Optimizer:
    def init(params):
        return ()

    def update(grads, state, params, hparams):
        grads = _decayed(grads, params, hparams)
        return [
            torch.addcmul(p, lr, g, value=-1)
            for p, lr, g in zip(params, shaped(hparams["lr"], params), grads)
        ], state

    return Optimizer(
        init,
        update,
        full_batch,
        ("weight_decay",),
        0.1 if full_batch else 0.01,
        0,
        lambda p, h: torch.optim.SGD(p, lr=h["lr"], weight_decay=h["weight_decay"]),
    )


def _heavy_ball(nesterov: bool) -> Optimizer:
    def init(params):
        return MomentumState([torch.zeros_like(p) for p in params])

    def update(grads, state, params, hparams):
        grads = _decayed(grads, params, hparams)
        new_params, buffers = [], []
        for p, g, buf, mu, lr in zip(
            params,
            grads,
            state.buffers,
            shaped(hparams["momentum"], params),
            shaped(hparams["lr"], params),
        ):
            buf = torch.addcmul(
                g, mu, buf
            )  # torch.optim.SGD with dampening 0: the first step gives buf = g
            step = torch.addcmul(g, mu, buf) if nesterov else buf
            new_params.append(torch.addcmul(p, lr, step, value=-1))
            buffers.append(buf)
        return new_params, MomentumState(buffers)

    return Optimizer(
        init,
        update,
        False,
        ("momentum", "weight_decay"),
        0.01,
        1,
        lambda p, h: torch.optim.SGD(
            p, lr=h["lr"], momentum=h["momentum"], nesterov=nesterov, weight_decay=h["weight_decay"]
        ),
    )


def _adam(decoupled: bool) -> Optimizer:
    def init(params):
        count = torch.zeros(params[0].shape[0], dtype=params[0].dtype, device=params[0].device)
        return AdamState(
            count, [torch.zeros_like(p) for p in params], [torch.zeros_like(p) for p in params]
        )

    def update(grads, state, params, hparams):
        if _fuses(params):
            return _fused_adam(decoupled, grads, state, params, hparams)
        count = state.count + 1
        b1, b2 = hparams["beta1"], hparams["beta2"]
        step_size = hparams["lr"] / (1 - b1**count)
        root_correction = (1 - b2**count).sqrt()
        if decoupled:  # AdamW: θ ← θ(1 − ηλ) before the Adam step
            if hparams.get("weight_decay") is not None:
                params = [
                    p * (1 - d)
                    for p, d in zip(params, shaped(hparams["lr"] * hparams["weight_decay"], params))
                ]
        else:
            grads = _decayed(grads, params, hparams)
        new_params, mus, nus = [], [], []
        for p, g, m, v, beta1, beta2, root, eps, size in zip(
            params,
            grads,
            state.mu,
            state.nu,
            shaped(b1, params),
            shaped(b2, params),
            shaped(root_correction, params),
            shaped(hparams["eps"], params),
            shaped(step_size, params),
        ):
            m = torch.lerp(g, m, beta1)  # β1 m + (1 − β1) g
            v = torch.lerp(g * g, v, beta2)  # β2 v + (1 − β2) g²
            denom = (v.sqrt() / root).add_(eps)
            new_params.append(torch.addcdiv(p, size * m, denom, value=-1))
            mus.append(m)
            nus.append(v)
        return new_params, AdamState(count, mus, nus)

    def reference(p, h):
        torch_rule = torch.optim.AdamW if decoupled else torch.optim.Adam
        return torch_rule(
            p,
            lr=h["lr"],
            betas=(h["beta1"], h["beta2"]),
            eps=h["eps"],
            weight_decay=h["weight_decay"],
        )

    return Optimizer(
        init, update, False, ("beta1", "beta2", "eps", "weight_decay"), 0.01, 2, reference
    )


FUSED_NUMBERS = (
    2048  # parameters per member from which one fused call per member beats eight batched passes
)


def _fuses(params: Params) -> bool:
    """Whether the fused per-member step is the faster on these parameters: on a CPU, for members of
    at least FUSED_NUMBERS parameters each (figures: benchmarks/MEASUREMENTS.md, "Fused Adam").
    The member's size alone
    decides, never how many members train together: the two ways round differently, and a member
    trains to the same numbers in a population as alone."""
    members = params[0].shape[0]  # every tensor leads with the member axis: no per-step tensor op
    return (
        params[0].device.type == "cpu" and sum(p.numel() for p in params) >= FUSED_NUMBERS * members
    )


def _fused_adam(decoupled: bool, grads: Params, state: AdamState, params: Params, hparams: dict):
    """The same Adam step on a CPU in one pass per member: torch's fused kernel reads each of the
    member's parameter, gradient and moment tensors once, where the rule above makes eight passes
    over each (benchmarks/MEASUREMENTS.md, "Fused Adam"). The kernel takes one learning rate and one
    beta per call, hence one call per member. It writes over the parameters and moments it is given,
    as an update may (:class:`Optimizer`)."""
    count = state.count + 1
    decay = hparams.get("weight_decay")
    settings = zip(
        *(hparams[name].tolist() for name in ("lr", "beta1", "beta2", "eps")),
        [0.0] * len(count) if decay is None else decay.tolist(),
    )
    # each member's views, taken at once per tensor (K selects per tensor cost more than the step)
    members = zip(
        *(
            zip(*(t.unbind(0) for t in group))
            for group in (params, [g.contiguous() for g in grads], state.mu, state.nu)
        ),
        count.unbind(0),
        settings,
    )
    fused = torch._fused_adamw_ if decoupled else torch._fused_adam_
    with torch.no_grad():
        for p, g, m, v, step, (lr, beta1, beta2, eps, weight_decay) in members:
            fused(
                p,
                g,
                m,
                v,
                [],
                [step] * len(p),
                lr=lr,
                beta1=beta1,
                beta2=beta2,
                weight_decay=weight_decay,
                eps=eps,
                amsgrad=False,
                maximize=False,
            )
    return params, AdamState(count, state.mu, state.nu)


OPTIMIZERS: dict[str, Optimizer] = {
    "gd": _plain(full_batch=True),
    "sgd": _plain(full_batch=False),
    "momentum": _heavy_ball(nesterov=False),
    "nesterov": _heavy_ball(nesterov=True),
    "adam": _adam(decoupled=False),
    "adamw": _adam(decoupled=True),
}


def register(name: str, optimizer: Optimizer) -> None:
    """Make ``optimizer`` available by ``name`` to training, the CLI (in a new process) and the
    search."""
    if not isinstance(optimizer, Optimizer):
        raise ConfigError(
            f"An optimizer is a heldout.nn.optim.Optimizer (init, update, ...), got "
            f"{type(optimizer).__name__}."
        )
    OPTIMIZERS[name] = optimizer


def unregister(name: str) -> None:
    OPTIMIZERS.pop(name, None)


def get(name: str) -> Optimizer:
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise ConfigError(f"Unknown optimizer {name!r}. Choose one of {list(OPTIMIZERS)}.")
    return OPTIMIZERS[name]


# -- learning-rate schedules: a factor of the base rate for each epoch (0-based), as torch's
#    epoch-wise StepLR and CosineAnnealingLR (eta_min=0) give it ------------------------------


def constant(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return 1.0


def step(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return gamma ** (epoch // step_size)


def cosine(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return 0.5 * (1 + math.cos(math.pi * epoch / epochs))


SCHEDULES = {"constant": constant, "step": step, "cosine": cosine}
