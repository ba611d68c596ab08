"""Losses, batched over members: ``loss(out[K, n, o], y[n]) -> [K]`` (the mean over rows).

Targets arrive encoded by :func:`encode_target`: float values for regression, 0/1 floats for
binary, class indices for multiclass. Binary models have one output (a logit); multiclass models
one output per class.

>>> import torch
>>> out = torch.tensor([[[0.0], [2.0]]])          # one member, two rows
>>> LOSSES["mse"](out, torch.tensor([1.0, 1.0])).tolist()
[1.0]
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .errors import ConfigError

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def mse(out, y):
    return (out[..., 0] - y).pow(2).mean(-1)


def mae(out, y):
    return (out[..., 0] - y).abs().mean(-1)


def huber(out, y, delta: float = 1.0):
    return F.huber_loss(out[..., 0], y.expand_as(out[..., 0]), reduction="none", delta=delta).mean(-1)


def log_loss(out, y):
    """Binary: logistic loss on one logit. Multiclass: softmax cross-entropy."""
    if out.shape[-1] == 1:
        return F.binary_cross_entropy_with_logits(out[..., 0], y.expand_as(out[..., 0]), reduction="none").mean(-1)
    K, n, C = out.shape
    return F.cross_entropy(out.reshape(K * n, C), y.repeat(K), reduction="none").view(K, n).mean(-1)


def hinge(out, y):
    """Binary: max(0, 1 - s f) with s = ±1. Multiclass: Weston–Watkins, sum over wrong classes / C."""
    if out.shape[-1] == 1:
        return torch.relu(1 - (2 * y - 1) * out[..., 0]).mean(-1)
    true = out.gather(-1, y.view(1, -1, 1).expand(out.shape[0], -1, 1))
    margins = torch.relu(1 - true + out)
    return (margins.sum(-1) - 1).div(out.shape[-1]).mean(-1)  # the true class adds relu(1) = 1


LOSSES: dict[str, Loss] = {"mse": mse, "mae": mae, "huber": huber, "log_loss": log_loss,
                           "cross_entropy": log_loss, "hinge": hinge}
FOR_TASK = {"regression": ("mse", "mae", "huber"),
            "binary": ("log_loss", "cross_entropy", "hinge"),
            "multiclass": ("cross_entropy", "log_loss", "hinge")}


def resolve(loss: str | None, task: str) -> str:
    """The loss name to use for ``task`` (its default when ``None``), checked against the task."""
    if loss is None:
        return FOR_TASK[task][0]
    if loss not in LOSSES:
        raise ConfigError(f"Unknown loss {loss!r}. Choose one of {sorted(LOSSES)}.")
    if loss not in FOR_TASK[task]:
        raise ConfigError(f"Loss {loss!r} does not fit a {task} task. Choose one of {list(FOR_TASK[task])}.")
    return loss


def n_outputs(task: str, classes: tuple | None) -> int:
    return len(classes) if task == "multiclass" else 1


def encode_target(target: pd.Series, task: str, classes: tuple | None, device="cpu") -> torch.Tensor:
    """Regression: float32 values. Binary: 0/1 floats (1 = the larger class). Multiclass: class indices."""
    if task == "regression":
        return torch.tensor(target.to_numpy(dtype="float64"), dtype=torch.float32, device=device)
    index = {c: i for i, c in enumerate(classes)}
    codes = np.fromiter((index[v] for v in target.tolist()), dtype=np.int64, count=len(target))
    return torch.as_tensor(codes, dtype=torch.float32 if task == "binary" else torch.long, device=device)


def monitor_metric(task: str, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The per-epoch metric shown beside the loss: rmse for regression, accuracy otherwise. ``[K]``."""
    if task == "regression":
        return mse(out, y).sqrt()
    predicted = (out[..., 0] > 0).float() if out.shape[-1] == 1 else out.argmax(-1)
    return (predicted == y).float().mean(-1)


MONITOR_NAME = {"regression": "rmse", "binary": "accuracy", "multiclass": "accuracy"}
