"""``Search``: the leaderboard of a search, its selected trial, and the refit of that trial."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from .._util import display
from ..data.fingerprint import set_fingerprint
from ..errors import ConfigError
from ..model.model import Model
from ..seal.gate import training_split
from ..seal.split import Split
from ..task import metrics
from ..train.checkpoints import resumable
from ..train.population import train_population
from ..train.result import Run
from ..train.rows import Hooks, Rows


@dataclass
class Search:
    """The leaderboard (one row per trial) and the selected trial."""

    leaderboard: pd.DataFrame
    metric: str
    stopped_by: str  # "trials", "goal" or "timeout"
    best: dict  # the selected trial's row
    best_settings: dict  # its training settings, ready for fit()
    best_model: Model | None = (
        None  # its model trained on training rows (None with folds, or trained by another worker)
    )
    # the best trials' models trained on training rows (trial -> model, best first), the pool an
    # ensemble is chosen from; empty with folds
    pool: dict = field(default_factory=dict)
    folds: int | None = None
    studies: dict = field(default_factory=dict)
    recovered: dict = field(default_factory=dict)  # trials a dead process left: continued, failed

    def __repr__(self) -> str:
        return (
            f"Search({len(self.leaderboard)} trials, stopped by {self.stopped_by}; selected "
            f"{self.best['candidate']} with validation {self.metric} {self.best[self.metric]:.4g})"
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the selected trial and the top of the leaderboard (escaped by
        pandas)."""
        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.leaderboard.head(20).to_html(
            index=False
        )

    def __rich__(self):
        """A terminal's view (``rich.print(search)``): the top of the leaderboard."""
        shown = [
            c
            for c in (
                "trial",
                "candidate",
                self.metric,
                "status",
                "best_epoch",
                "lr",
                "batch_size",
                "optimizer",
            )
            if c in self.leaderboard.columns
        ]
        return display.frame(repr(self), self.leaderboard[shown])

    def __str__(self) -> str:
        return display.text(self.__rich__())

    def best_of(self, family: str) -> dict | None:
        """The leaderboard row of the best completed trial of ``family`` (``linear``, ``mlp``), or
        None."""
        board = self.leaderboard
        rows = board[
            (board["status"] == "complete") & board["candidate"].str.startswith(family + "+")
        ]
        rows = rows.sort_values(
            self.metric, ascending=not metrics.HIGHER_IS_BETTER[self.metric], kind="stable"
        )
        return None if len(rows) == 0 else rows.iloc[0].to_dict()

    def settings(self, trial: int) -> dict:
        """The training settings of leaderboard trial ``trial``, ready for fit()."""
        return settings_of(self.studies, trial)

    def refit(self, split: Split, trial: int | None = None, checkpoints=None) -> Run:
        """The selected configuration (or that of leaderboard trial ``trial``) trained again on
        training + validation rows, for its selected number of epochs (no early stopping: there
        are no held-out rows left to watch). With ``checkpoints``, a refit a killed process began
        goes on from its last checkpoint."""
        row = (
            self.best if trial is None else self.leaderboard.set_index("trial").loc[trial].to_dict()
        )
        best_settings = self.best_settings if trial is None else self.settings(trial)
        split = training_split(split, "refit")
        pooled = split.train.append(split.validation)
        digest = set_fingerprint(
            pooled.fingerprints
        )  # the refit trains on, and watches, the pooled rows
        described = dict(
            split.describe(),
            train=len(pooled),
            validation=len(pooled),
            train_fingerprint=digest,
            validation_fingerprint=digest,
        )
        epochs = max(1, int(round(float(row["best_epoch"]))))
        settings = dict(best_settings, epochs=epochs, iterations=None, early_stopping=False, tol=0)
        hook, resume = resumable(
            checkpoints,
            "refit" if trial is None else f"refit-{trial}",
            {"settings": settings, "rows": digest},
        )
        rows = Rows(pooled, None, split.seed, split=described)
        return train_population(rows, [settings], Hooks(checkpoint=hook, resume=resume))


def settings_of(studies: dict, trial: int) -> dict:
    """The training settings recorded with leaderboard trial ``trial`` in the candidates'
    studies."""
    for study in studies.values():
        for t in study.trials:
            if t.user_attrs.get("row", {}).get("trial") == trial:
                settings = dict(t.user_attrs["settings"])
                if "hidden" in settings:
                    settings["hidden"] = tuple(settings["hidden"])
                return settings
    raise ConfigError(f"Trial {trial} is not in the study storage.")
