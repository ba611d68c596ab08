"""The search's options as one frozen value: what `heldout tune` and `heldout run` hand to
:func:`~heldout.search.tune.tune`, changed only by making a new value."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import ConfigError
from .tune import DEFAULT_TRIALS


@dataclass(frozen=True)
class SearchOptions:
    candidates: tuple[str, ...] | None = None  # family+loss names; None: the task's defaults
    space: dict | None = None  # ranges that replace the defaults (heldout.search.space)
    trials: int = DEFAULT_TRIALS
    folds: int | None = None  # cross-validation folds of the training + validation rows
    metric: str | None = None  # the selection metric; None: the task's
    goal: str | None = None  # stop when a trial reaches it, e.g. "rmse<=55"
    timeout: float | None = None  # seconds for the search
    population: int = 8  # trials trained together as one population
    storage: object = None  # an Optuna storage or its URL; None: the run directory's journal
    study_name: str = "heldout"
    pruner: str | None = "halving"
    max_steps: int | str | None = "auto"
    workers: int | None = None  # local processes searching the same shared study

    @classmethod
    def of(cls, **options) -> "SearchOptions":
        """The options from keyword arguments, an unknown name refused with the known ones."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(
                f"Unknown search option(s) {unknown}. The search takes {sorted(known)}."
            )
        if options.get("candidates") is not None:
            options["candidates"] = tuple(options["candidates"])
        return cls(**options)

    def replace(self, **changes) -> "SearchOptions":
        return dataclasses.replace(self, **changes)

    def as_kwargs(self) -> dict:
        """Every option by name: what :meth:`of` takes back."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def for_tune(self) -> dict:
        """The keyword arguments of :func:`~heldout.search.tune.tune` (workers are the
        procedure's: :mod:`heldout.workflow.workers`)."""
        out = {k: v for k, v in self.as_kwargs().items() if k != "workers"}
        return out | {"candidates": list(self.candidates) if self.candidates else None}
