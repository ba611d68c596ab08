"""``Search``: the leaderboard of a search, its selected trial, and the refit of that trial."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from .._util import display
from ..data.fingerprint import set_fingerprint
from ..model.model import Model
from ..seal._guard import training_split
from ..seal.split import Split
from ..train.population import train_population
from ..train.result import Run


@dataclass
class Search:
    """The leaderboard (one row per trial) and the selected trial."""

    leaderboard: pd.DataFrame
    metric: str
    stopped_by: str                      # "trials", "goal" or "timeout"
    best: dict                           # the selected trial's row
    best_settings: dict                  # its training settings, ready for fit()
    best_model: Model | None = None      # its model trained on training rows (None when resumed or with folds)
    folds: int | None = None
    studies: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (f"Search({len(self.leaderboard)} trials, stopped by {self.stopped_by}; selected "
                f"{self.best['candidate']} with validation {self.metric} {self.best[self.metric]:.4g})")

    def _repr_html_(self) -> str:
        """A notebook's view: the selected trial and the top of the leaderboard (escaped by pandas)."""
        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.leaderboard.head(20).to_html(index=False)

    def __rich__(self):
        """A terminal's view (``rich.print(search)``): the top of the leaderboard."""
        shown = [c for c in ("trial", "candidate", self.metric, "status", "best_epoch", "lr", "batch_size",
                             "optimizer") if c in self.leaderboard.columns]
        return display.frame(repr(self), self.leaderboard[shown])

    def __str__(self) -> str:
        return display.text(self.__rich__())

    def refit(self, split: Split) -> Run:
        """The selected configuration trained again on training + validation rows, for its
        selected number of epochs (no early stopping: there are no held-out rows left to watch)."""
        split = training_split(split, "refit")
        pooled = split.train.append(split.validation)
        digest = set_fingerprint(pooled.fingerprints)   # the refit trains on, and watches, the pooled rows
        summary = dict(split.summary(), train=len(pooled), validation=len(pooled), train_fingerprint=digest,
                       validation_fingerprint=digest)
        epochs = max(1, int(round(float(self.best["best_epoch"]))))
        settings = dict(self.best_settings, epochs=epochs, iterations=None, early_stopping=False, tol=0)
        return train_population(pooled, None, [settings], seed=split.seed, summary=summary)
