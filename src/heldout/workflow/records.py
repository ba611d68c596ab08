"""The records the procedure's steps hand to each other: typed and frozen, written once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..rundir.summary import SelectionSummary
from ..search.ensemble import Chosen
from ..search.result import Search


@dataclass(frozen=True)
class Leakage:
    """The leakage check's findings on the rows the search reads, and whether errors were allowed
    (``stream``: a streamed table's exact counts over every row's fingerprint)."""

    findings: list = field(default_factory=list)  # each finding as a dict (kind, severity, ...)
    seconds: dict = field(default_factory=dict)  # each check's time
    allowed: bool = False
    stream: dict | None = None

    def to_dict(self) -> dict:
        """``leakage.json``'s content."""
        out = {"findings": self.findings, "seconds": self.seconds, "allowed": self.allowed}
        return out | ({"stream": self.stream} if self.stream is not None else {})

    def notable(self) -> list[dict]:
        """The warnings and errors (not the notes), as the summary lists them."""
        keys = ("kind", "severity", "category", "count", "message")
        return [{k: f[k] for k in keys} for f in self.findings if f["severity"] != "info"]


@dataclass(frozen=True)
class Selection:
    """The search and what it selected on validation rows only: one trial, or an ensemble of the
    best trials with weights chosen on the same rows."""

    search: Search
    summary: SelectionSummary
    ensemble: Chosen | None = None  # the search's best trials combined, when that does better

    @classmethod
    def of(cls, search: Search, dataset: str, the_split, search_rows: dict | None) -> "Selection":
        best, board = search.best, search.leaderboard
        return cls(
            search,
            SelectionSummary(
                dataset=dataset,
                split=the_split.describe(),
                candidate=best["candidate"],
                hyperparameters={
                    k: v for k, v in search.best_settings.items() if k not in ("model", "loss")
                },
                selection_metric=search.metric,
                validation={search.metric: best[search.metric]},
                epochs=int(max(1, round(best["best_epoch"]))),
                trials=len(board),
                stopped_by=search.stopped_by,
                pruned=int((board["status"] == "pruned").sum()),
                diverged=int((board["status"] == "diverged").sum()),
                recovered_trials={
                    "continued": search.recovered.get("continued", 0),
                    "failed": search.recovered.get("failed", 0),
                },
                search_rows=search_rows,
            ),
        )


@dataclass(frozen=True)
class FinalModel:
    """The model the run looks at the test set with, and what comes with it into the look.

    ``refit``: trained on training + validation rows. ``run``: the training that made it (its
    history goes into the run directory), or None for the search's own model of the selected
    trial, saved with ``message``. ``inspected``: the model whose calibration and importance the
    report shows, on ``inspected_rows`` — validation rows it did not train on; None when only a
    model that saw them exists (then the final model is inspected, marked). ``baselines()``: the
    models scored in the same look."""

    model: object
    refit: bool
    run: object | None
    inspected: object | None
    inspected_rows: object
    baselines: Callable[[], dict] = dict
    message: str | None = None
    history: object = None  # without ``run``: the curves to keep (an ensemble's best member's)
