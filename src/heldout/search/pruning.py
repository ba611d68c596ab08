"""Stopping the trials of a batch that trail: the engine's ``prune`` hook for one population.

A batch of trials trains as one population, every trial one member (or, with folds, F members
side by side: member k is trial k // F, and a trial's value at an epoch is the mean over its folds
once every fold has reported it; a pruned trial stops every fold, the others at their next report).

- :class:`Halving` (the default): successive halving with epochs as the resource, in step. The
  batch's trials all reach the same epochs together, so at each rung — the batch's epochs divided
  by 3, 9, 27, ... (5 epochs at least) — the third of the trials with the lowest validation loss
  go on and the rest stop, decided the moment every trial has reported the rung (at the next
  epoch's report). Eight trials become three, then one.
- :class:`Median`: Optuna's median rule against the earlier trials of the candidate's study,
  every epoch after the tenth (it needs a batch of completed trials before it prunes any).

Each trial's curve is reported to its Optuna trial (every epoch for the median rule, at the rungs
for halving), so a study's storage shows what each decision saw. A hook's state is a plain value
(:meth:`_Curves.snapshot`), kept in a batch's checkpoint: a batch resumed in another process
decides exactly as the uninterrupted batch would.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import optuna

ETA = 3  # a rung keeps one trial in ETA
MIN_RUNG = 5  # the first rung comes after this many epochs at least


class _Curves:
    """Fold means per trial and epoch, and the pruned trials."""

    def __init__(self, trials: list, folds: int | None, epochs: int):
        self.trials, self.folds = trials, folds or 1
        self.losses: dict[int, dict[int, list[float]]] = {}
        self.pruned: set[int] = set()

    def report(self, member: int, epoch: int, val_loss: float, val_metric: float) -> bool:
        number = member // self.folds
        if number in self.pruned:
            return True
        self.before(epoch)
        losses = self.losses.setdefault(number, {}).setdefault(epoch, [])
        losses.append(val_loss if math.isfinite(val_loss) else 1e300)
        if len(losses) == self.folds:  # a fold that stopped early leaves later epochs unreported
            self.heard(number, epoch, float(np.mean(losses)))
        return number in self.pruned

    def before(self, epoch: int) -> None:
        """Called with every report, before it is counted."""

    def tell(self, number: int, epoch: int, value: float) -> None:
        with warnings.catch_warnings():  # a resumed batch repeats the epochs since its checkpoint
            warnings.filterwarnings("ignore", message="The reported value is ignored")
            self.trials[number].report(value, epoch)

    def snapshot(self) -> dict:
        """The hook's state as plain values (JSON)."""
        return {
            "losses": [[n, e, v] for n, by in self.losses.items() for e, v in by.items()],
            "pruned": sorted(self.pruned),
        }

    def restore(self, snapshot: dict) -> None:
        """Go on from ``snapshot`` (the trials are the same: their storage holds what they were
        told)."""
        self.losses = {}
        for n, e, v in snapshot["losses"]:
            self.losses.setdefault(n, {})[e] = list(v)
        self.pruned = set(snapshot["pruned"])

    def heard(self, number: int, epoch: int, value: float) -> None:
        raise NotImplementedError


class Median(_Curves):
    """Optuna's pruner of the study (its median rule) judges every epoch of every trial."""

    STUDY_PRUNER = staticmethod(
        lambda population: optuna.pruners.MedianPruner(
            n_startup_trials=population, n_warmup_steps=10
        )
    )

    def heard(self, number, epoch, value):
        trial = self.trials[number]
        self.tell(number, epoch, value)
        if trial.should_prune():
            self.pruned.add(number)


class Halving(_Curves):
    """Synchronous successive halving over the batch's ``epochs``."""

    STUDY_PRUNER = staticmethod(lambda population: optuna.pruners.NopPruner())

    def __init__(self, trials: list, folds: int | None, epochs: int):
        super().__init__(trials, folds, epochs)
        self.rungs = rungs(epochs)
        self.at_rung: dict[int, dict[int, float]] = {r: {} for r in self.rungs}

    def heard(self, number, epoch, value):
        if epoch in self.at_rung:
            self.at_rung[epoch][number] = value
            self.tell(number, epoch, value)

    def before(self, epoch):
        # every live member reports epoch e before any reports e + 1: a rung below this epoch is
        # complete
        for rung in [r for r in self.at_rung if r < epoch]:
            values = self.at_rung.pop(rung)
            keep = math.ceil(len(values) / ETA)
            ranked = sorted(values, key=lambda number: (values[number], number))
            self.pruned.update(ranked[keep:])

    def snapshot(self) -> dict:
        return dict(
            super().snapshot(),
            at_rung=[[r, n, v] for r, by in self.at_rung.items() for n, v in by.items()],
            rungs_open=sorted(self.at_rung),
        )

    def restore(self, snapshot: dict) -> None:
        super().restore(snapshot)
        self.at_rung = {r: {} for r in snapshot["rungs_open"]}
        for r, n, v in snapshot["at_rung"]:
            self.at_rung[r][n] = v


def rungs(epochs: int) -> list[int]:
    """The epochs at which a batch of ``epochs`` is halved: epochs / 3, / 9, ... (at least
    :data:`MIN_RUNG`).

    >>> rungs(150), rungs(15), rungs(14)
    ([6, 17, 50], [5], [])
    """
    out, k = [], 1
    while epochs / ETA**k >= MIN_RUNG:
        out.append(round(epochs / ETA**k))
        k += 1
    return sorted(out)


PRUNERS = {"halving": Halving, "median": Median, None: None}
