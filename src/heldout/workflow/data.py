"""The split as the procedure reads it: one declared protocol, two implementations.

A table held in memory (:class:`~heldout.workflow.in_memory.InMemory`) and a Parquet table read
batch by batch (:class:`~heldout.workflow.streamed.Streamed`) answer the same questions: which
rows the leakage check and the search read, what the summary says of them, how the selected
configuration becomes the final model, and how the one look is taken. The spine
(:mod:`heldout.workflow.procedures`) asks; it never branches on which one it holds.
"""

from __future__ import annotations

from typing import Protocol

from ..ledger.ledger import Ledger
from ..rundir.spec import DataSpec
from ..seal.evaluate import Evaluation
from ..seal.split import Split
from .deadline import Deadline
from .records import FinalModel, Selection


class Data(Protocol):
    split: object  # the split: its summary(), seed and sealed test set (seal, ledger)
    searched: Split  # the in-memory rows the leakage check, the search and the descent read

    def search_rows(self) -> dict | None:
        """What the summary says of the rows the search read, when they are not all of them."""

    def exact_twins(self) -> dict | None:
        """Counts over every row beyond the checked ones (a streamed table's), else None."""

    def fit(self, settings: dict, *, progress=None, checkpoints=None, shards=None):
        """``heldout train``: the given settings trained on the training rows (a Run)."""

    def ensembled(self, selection: Selection) -> Selection:
        """The selection with the search's best trials combined, when that does better on the
        validation rows (else as it is)."""

    def final(
        self, selection: Selection, *, refit: bool, deadline: Deadline, checkpoints
    ) -> FinalModel:
        """The selected configuration (or ensemble) as the model to look with: refit or not,
        calibrated."""

    def look(self, model, *, baselines=None, look=None, on_scored=None, strict=False) -> Evaluation:
        """The one look at the sealed test set, recorded in the ledger first (see
        :func:`heldout.evaluate`)."""


def open_data(spec: DataSpec, ledger: Ledger | None = None) -> Data:
    """The data ``spec`` names, split (its test set sealed in ``ledger``), as the procedure reads
    it: streamed when the spec says so (``--stream``, or a table too large for memory)."""
    if spec.stream:
        from .streamed import Streamed

        return Streamed(spec.split(ledger))
    from .in_memory import InMemory

    return InMemory(spec.split(ledger))
