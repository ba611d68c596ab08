"""``ensemble``: trained models of other families, combined with fixed weights as one model.

An ensemble is not trained by gradient steps: its members are, each as its own configuration,
and their weights are chosen afterwards on validation rows (:mod:`heldout.search.ensemble`). It
is a family all the same, so that an ensemble is a :class:`~heldout.model.model.Model` like any
other: one bundle, one fingerprint, ``predict``, intervals, the look.

Members are combined where their predictions live: a regression's outputs (standardised
targets, which every member shares) are averaged; a classifier's probabilities are averaged and
returned as the logits (binary) or log-probabilities (multiclass) of that mean, so the task's
link turns them back into exactly the averaged probabilities.

>>> from heldout.nn.dense import Dense
>>> one = Dense("linear", (), "relu", "xavier")
>>> family = Ensemble([one, one], [0.25, 0.75], "identity")
>>> a = [torch.ones(1, 2, 1), torch.zeros(1, 1)]
>>> b = [torch.zeros(1, 2, 1), torch.ones(1, 1)]
>>> family.forward(a + b, torch.tensor([[1.0, 1.0]])).flatten().tolist()
[1.25]
"""

from __future__ import annotations

import torch

from ..errors import ConfigError
from . import losses

LINKS = ("identity", "sigmoid", "softmax")  # regression, binary, multiclass
EDGE = 1e-12  # probabilities are kept this far from 0 and 1, so their logits stay finite


class Ensemble:
    """Member families with their weights (summing to 1) and the task's link."""

    streams_full_batch = False
    name = "ensemble"

    def __init__(self, members: list, weights: list[float], link: str):
        if link not in LINKS:
            raise ConfigError(f"Unknown ensemble link {link!r}. Choose one of {list(LINKS)}.")
        if len(members) != len(weights) or not members:
            raise ConfigError(
                f"An ensemble needs one weight per member: {len(members)} member(s), "
                f"{len(weights)} weight(s)."
            )
        if any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-9:
            raise ConfigError(f"Ensemble weights must be >= 0 and sum to 1, got {list(weights)}.")
        self.members, self.weights, self.link = list(members), [float(w) for w in weights], link
        self._counts = [len(m.param_names()) for m in self.members]

    @classmethod
    def from_config(cls, config: dict) -> "Ensemble":
        """The ensemble a bundle's config describes (its members of the built-in families)."""
        from .family import make_family

        members = [
            make_family(
                c["model"],
                hidden=tuple(c.get("hidden", ())),
                activation=c.get("activation", "relu"),
                init=c.get("init"),
            )
            for c in config["members"]
        ]
        return cls(members, config["weights"], config["link"])

    def config(self) -> dict:
        return {
            "model": self.name,
            "link": self.link,
            "weights": self.weights,
            "members": [m.config() for m in self.members],
        }

    def size(self, n_in: int, n_out: int) -> tuple[int, list[int]]:
        sizes = [m.size(n_in, n_out) for m in self.members]
        return sum(n for n, _ in sizes), [w for _, widths in sizes for w in widths]

    def param_names(self) -> list[str]:
        return [
            f"members.{i}.{name}" for i, m in enumerate(self.members) for name in m.param_names()
        ]

    def weight_mask(self) -> list[bool]:
        return [flag for m in self.members for flag in m.weight_mask()]

    def init(self, n_in: int, n_out: int, seeds: list[int], device="cpu") -> list[torch.Tensor]:
        """Each member's own initialisation (an ensemble is assembled from trained members; this
        is what training one from scratch would start from)."""
        return [p for m in self.members for p in m.init(n_in, n_out, seeds, device)]

    def split(self, params: list[torch.Tensor]) -> list[list[torch.Tensor]]:
        """``params`` cut into each member's own."""
        out, start = [], 0
        for count in self._counts:
            out.append(params[start : start + count])
            start += count
        return out

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        outs = [m.forward(p, X) for m, p in zip(self.members, self.split(params))]
        if self.link == "identity":
            return sum(w * out for w, out in zip(self.weights, outs))
        if self.link == "sigmoid":
            p = sum(w * out.double().sigmoid() for w, out in zip(self.weights, outs))
            p = p.clamp(EDGE, 1 - EDGE)
            return (p.log() - (-p).log1p()).to(outs[0].dtype)
        p = sum(w * out.double().softmax(-1) for w, out in zip(self.weights, outs))
        return p.clamp_min(EDGE).log().to(outs[0].dtype)

    def loss_and_grads(self, params, X, y, w, loss: str):
        """The ensemble's mean losses and its parameters' gradients, through autograd."""
        return losses.by_autograd(self.forward, params, X, y, w, loss)

    def full_batch_loss_and_grads(self, params, X, y, loss: str):
        return self.loss_and_grads(params, X, y, None, loss)


def link_of(task, classes: tuple | None) -> str:
    """How a task's members are combined: outputs, one class's probability, class probabilities."""
    if not task.has_classes:
        return "identity"
    return "sigmoid" if task.n_outputs(classes) == 1 else "softmax"
