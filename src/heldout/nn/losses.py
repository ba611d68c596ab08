"""Losses, batched over members: ``loss(out[K, n, o], y) -> [K]``, a (weighted) mean over rows.

Targets arrive encoded by the task (:meth:`heldout.task.Task.encode`): float values for regression,
0/1 floats for binary, class indices for multiclass; ``y`` is ``[n]`` when members share the rows,
``[K, n]`` when each has its own (cross-validation folds). Binary models have one output (a logit);
multiclass models one output per class. A multi-output regression has one output per target and
targets ``[n, targets]`` (``[K, n, targets]``): its regression losses are the mean over the outputs
of each output's loss. Optional row weights ``w[K, n]`` or ``w[n]`` — sample and class weights, 0
for a fold's padding rows — make the mean a weighted mean over each member's own rows: ``Σ w·loss /
Σ w``, so a row of weight 2 counts as two copies of itself.

:func:`value_and_grad` gives the loss and its gradient with respect to the outputs, in closed
form for the common losses (the engine's backward pass starts there) and through autograd for
the rest.

>>> import torch
>>> out = torch.tensor([[[0.0], [2.0]]])          # one member, two rows
>>> LOSSES["mse"](out, torch.tensor([1.0, 1.0])).tolist()
[1.0]
>>> value, grad = value_and_grad("mse", out, torch.tensor([1.0, 1.0]))
>>> grad[0, :, 0].tolist()
[-1.0, 1.0]
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Rows = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def by_autograd(forward, params, X, y, w, loss: str):
    """Members' mean losses ``[K]`` and parameter gradients of ``forward`` through autograd: the
    step of a family that does not write its backward pass by hand."""
    with torch.enable_grad():
        live = [p.detach().requires_grad_(True) for p in params]
        value = LOSSES[loss](forward(live, X), y, w)
        grads = torch.autograd.grad(value.sum(), live)
    return value.detach(), list(grads)


def _targets(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``y`` broadcast to one row of targets per member: ``[K, n]``."""
    return y.expand(out.shape[0], out.shape[1])


# -- per-row losses [K, n] ---------------------------------------------------------------------


def _residual(out, y):
    """``out − y``: ``[K, n]`` for one output, ``[K, n, targets]`` for several."""
    return out[..., 0] - y if out.shape[-1] == 1 else out - y


def _per_row(values: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """One loss per row: several outputs' losses averaged."""
    return values if out.shape[-1] == 1 else values.mean(-1)


def _mse(out, y):
    return _per_row(_residual(out, y).pow(2), out)


def _mae(out, y):
    return _per_row(_residual(out, y).abs(), out)


def _huber(out, y, delta: float = 1.0):
    if out.shape[-1] > 1:
        return F.huber_loss(out, y.expand(out.shape), reduction="none", delta=delta).mean(-1)
    return F.huber_loss(out[..., 0], _targets(out, y), reduction="none", delta=delta)


def _log_loss(out, y):
    """Binary: logistic loss on one logit. Multiclass: softmax cross-entropy."""
    if out.shape[-1] == 1:
        return F.binary_cross_entropy_with_logits(out[..., 0], _targets(out, y), reduction="none")
    K, n, C = out.shape
    return F.cross_entropy(
        out.reshape(K * n, C), _targets(out, y).reshape(-1), reduction="none"
    ).view(K, n)


def _hinge(out, y):
    """Binary: max(0, 1 - s f) with s = ±1. Multiclass: Weston–Watkins, sum over wrong classes /
    C."""
    if out.shape[-1] == 1:
        return torch.relu(1 - (2 * y - 1) * out[..., 0])
    true = out.gather(-1, _targets(out, y).unsqueeze(-1))
    margins = torch.relu(1 - true + out)
    return (margins.sum(-1) - 1).div(out.shape[-1])  # the true class adds relu(1) = 1


ROWS: dict[str, Rows] = {
    "mse": _mse,
    "mae": _mae,
    "huber": _huber,
    "log_loss": _log_loss,
    "cross_entropy": _log_loss,
    "hinge": _hinge,
}


def _total(w: torch.Tensor, keepdim: bool = False) -> torch.Tensor:
    """Σ w per member; rows that all weigh 0 give a mean of 0, not 0/0."""
    return w.sum(-1, keepdim=keepdim).clamp_min(torch.finfo(w.dtype).tiny)


def mean(rows: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
    """The mean over rows, ``[K, n] -> [K]``; with weights, over each member's weighted rows."""
    if w is None:
        return rows.mean(-1)
    return (rows * w).sum(-1) / _total(w)


def _reducer(name: str) -> Callable:
    def loss(out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None) -> torch.Tensor:
        return mean(ROWS[name](out, y), w)

    loss.__name__ = name
    return loss


LOSSES: dict[str, Callable] = {name: _reducer(name) for name in ROWS}
mse, mae, huber, log_loss, hinge = (
    LOSSES[name] for name in ("mse", "mae", "huber", "log_loss", "hinge")
)


# -- loss and its gradient with respect to the outputs ------------------------------------------


def _scale(out: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor | float:
    """d(mean)/d(row loss): 1/n, or w / Σw per member, shaped ``[K, n, 1]``."""
    if w is None:
        return 1.0 / out.shape[1]
    return (w / _total(w, keepdim=True)).unsqueeze(-1)


def _closed_form(name: str, out: torch.Tensor, y: torch.Tensor, w):
    if name == "mse" and out.shape[-1] > 1:  # several targets: the mean over outputs
        r = out - y
        return mean(r.square().mean(-1), w), r.mul_(_scale(out, w) * (2 / out.shape[-1]))
    if name == "mse":
        r = out - y.unsqueeze(-1)
        return mean(r.square()[..., 0], w), r.mul_(_scale(out, w) * 2)
    if name in ("log_loss", "cross_entropy") and out.shape[-1] == 1:
        z, t = out[..., 0], _targets(out, y)
        rows = F.binary_cross_entropy_with_logits(z, t, reduction="none")
        return mean(rows, w), (torch.sigmoid(z) - t).unsqueeze(-1) * _scale(out, w)
    if (
        name == "hinge" and out.shape[-1] == 1
    ):  # max(0, 1 - s z): slope -s where the margin is positive
        s = 2 * _targets(out, y) - 1
        margin = 1 - s * out[..., 0]
        return mean(margin.clamp_min(0), w), (margin > 0).to(out.dtype).mul_(s).neg_().unsqueeze(
            -1
        ) * _scale(out, w)
    if name in ("log_loss", "cross_entropy"):
        logp = torch.log_softmax(out, -1)
        t = _targets(out, y).unsqueeze(-1)
        rows = -logp.gather(-1, t)[..., 0]
        grad = logp.exp().scatter_add_(-1, t, torch.full_like(t, -1, dtype=out.dtype))
        return mean(rows, w), grad * _scale(out, w)
    return None


def value_and_grad(name: str, out: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None = None):
    """``(loss[K], d loss / d out[K, n, o])`` with the loss a mean over each member's rows."""
    closed = _closed_form(name, out, y, w)
    if closed is not None:
        return closed
    with torch.enable_grad():
        o = out.detach().requires_grad_(True)
        value = mean(ROWS[name](o, y), w)
        (grad,) = torch.autograd.grad(value.sum(), o)
    return value.detach(), grad
