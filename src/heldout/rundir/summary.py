"""``summary.json``: what a search selected and, after the one look, what the test set said.

:class:`Summary` is assembled once, at the end of `heldout tune` or `heldout run`, from the
records the procedure's steps return, and written once (:meth:`Artifacts.write_summary`). The
file's shape is declared in ``summary.schema.json`` beside this module (JSON Schema, draft
2020-12) and tested against every summary the procedures write.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("summary.schema.json")


@dataclass(frozen=True)
class SelectionSummary:
    """The search's selection, on validation rows only."""

    dataset: str
    split: dict  # the split's description (sizes, seed, strategy, fingerprints)
    candidate: str  # family+loss of the selected trial
    hyperparameters: dict
    selection_metric: str
    validation: dict  # {selection_metric: value}
    epochs: int  # the selected trial's best epoch, the refit's epochs
    trials: int
    stopped_by: str  # "trials", "goal" or "timeout"
    pruned: int
    diverged: int
    recovered_trials: dict  # trials a killed process left: continued, failed
    search_rows: dict | None = None  # a streamed table: the sample sizes the search read
    # the ensemble chosen on validation rows (heldout.search.ensemble): its members (trial,
    # candidate, weight, validation metric) and its validation metric beside the best trial's
    ensemble: dict | None = None


@dataclass(frozen=True)
class LookSummary:
    """The one look at the sealed test set, and how the run got there."""

    run_dir: str
    refit: bool
    test: dict  # the look's metrics (with intervals, baselines, conformal coverage)
    ledger_count: int  # looks at this test set, this one included
    models: int  # distinct models among them
    ledger: str  # where the ledger lives
    leakage: list  # the leakage check's warnings and errors (not its notes)
    leakage_allowed: bool
    time_budget: dict | None = None  # seconds given, used, and the parts left out


@dataclass(frozen=True)
class Summary:
    """``summary.json``: the selection, and the look when there was one (`heldout run`)."""

    selection: SelectionSummary
    look: LookSummary | None = None

    def to_dict(self) -> dict:
        out = {**asdict(self.selection), **(asdict(self.look) if self.look else {})}
        return {k: v for k, v in out.items() if v is not None or k not in _OPTIONAL}


_OPTIONAL = {"search_rows", "time_budget", "ensemble"}


def schema() -> dict:
    """The JSON Schema of ``summary.json``."""
    return json.loads(SCHEMA_PATH.read_text())
