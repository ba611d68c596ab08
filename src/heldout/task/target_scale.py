"""The scale of a regression target, learned from training rows only and stored as plain numbers.

A model fits ``(y − mean) / std``, the target standardised with the (weighted) mean and standard
deviation of the training rows, so every loss works at its natural scale: ``huber``'s delta of 1
and ``mae``'s unit steps mean one standard deviation, whatever the target's units. The loss of a
run (history, and the loss of a look) is on that standardised scale; predictions and metrics are
turned back into the target's own units. Several targets (multi-output regression) are each
standardised with their own mean and standard deviation, so each counts alike in the loss. A
classification target is not scaled (:data:`IDENTITY`),
and neither is a model whose bundle predates the scale (it was trained on the raw target).

>>> scale = TargetScale.fit(np.array([10.0, 20.0, 30.0]))
>>> scale.standardise(np.array([10.0, 30.0])).round(4).tolist(), scale.mean, scale.std
([-1.2247, 1.2247], (20.0,), (8.16496580927726,))
>>> scale.invert(torch.tensor([[1.0]])).round(decimals=4).tolist()   # back in the target's units
[[28.165]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class TargetScale:
    """One mean and one standard deviation per target column; empty for the identity."""

    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()

    @classmethod
    def fit(cls, y: np.ndarray, w: np.ndarray | None = None) -> "TargetScale":
        """The scale of targets ``y`` (``[n]``, or ``[n, targets]``) over rows weighted by ``w``.
        A constant column keeps a standard deviation of 1 (it is only centred)."""
        columns = np.asarray(y, dtype="float64").reshape(len(y), -1).T
        stats = [mean_std(column, w) for column in columns]
        return cls(tuple(m for m, _ in stats), tuple(s if s > 0 else 1.0 for _, s in stats))

    @property
    def is_identity(self) -> bool:
        return not self.mean

    def standardise(self, y: np.ndarray) -> np.ndarray:
        """Targets in the target's units (float64, ``[n]`` or ``[n, targets]``) as the loss sees
        them."""
        if self.is_identity:
            return y
        mean, std = np.asarray(self.mean), np.asarray(self.std)
        return (y - mean[0]) / std[0] if np.ndim(y) == 1 else (y - mean) / std

    def invert(self, out: torch.Tensor) -> torch.Tensor:
        """A model's outputs ``[n, outputs]`` back in the target's units (float64 beyond the
        identity)."""
        if self.is_identity:
            return out
        mean = torch.tensor(self.mean, dtype=torch.float64, device=out.device)
        std = torch.tensor(self.std, dtype=torch.float64, device=out.device)
        return out.double() * std + mean

    def unit(self) -> float:
        """How many target units one standardised unit is: what turns an rmse or mae computed on
        a standardised target back into the target's units. Several targets have no common unit:
        1, so that a metric over all of them stays in each one's standard deviations."""
        return float(self.std[0]) if len(self.std) == 1 else 1.0

    def to_dict(self) -> dict | None:
        return None if self.is_identity else {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, state: dict | None) -> "TargetScale":
        """The scale a bundle stored; a bundle without one (written before targets were scaled)
        predicts with the identity, as it was trained."""
        if not state:
            return IDENTITY
        return cls(tuple(float(v) for v in state["mean"]), tuple(float(v) for v in state["std"]))


IDENTITY = TargetScale()


def mean_std(x: np.ndarray, w: np.ndarray | None) -> tuple[float, float]:
    """The (weighted) mean and population standard deviation of ``x``."""
    if w is None:
        return float(x.mean()), float(x.std())
    total = w.sum()
    mean = float((w * x).sum() / total)
    return mean, float(np.sqrt((w * (x - mean) ** 2).sum() / total))
