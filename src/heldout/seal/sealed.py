"""``Sealed``: the test set, which exposes no rows.

The only way out of a Sealed object is :meth:`Sealed.unseal`, which hands the rows to a scoring
function, writes the scores to the ledger, and only then returns them. Indexing, iterating,
converting to an array and pickling all raise :class:`~heldout.errors.SealedError`.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("iris"), seed=0)
>>> split.test
Sealed(test set ..., 30 rows, task='multiclass')
>>> split.test[0]
Traceback (most recent call last):
...
heldout.errors.SealedError: The test set is sealed: it exposes no rows. ...
"""

from __future__ import annotations

import warnings
from typing import Callable

import numpy as np

from ..data.dataset import Dataset
from ..data.fingerprint import members
from ..errors import HeldoutWarning, SealedError
from ..ledger.ledger import Ledger, Looks

_CLOSED = (
    "The test set is sealed: it exposes no rows. Train and tune on split.train and "
    "split.validation; use heldout.evaluate(model, split) once, at the end, for the final "
    "evaluation."
)


def _models(n: int) -> str:
    return "1 model" if n == 1 else f"{n} distinct models"


class Sealed:
    """A sealed test set: its size, task and fingerprint are public; its rows are not."""

    __slots__ = ("_rows", "seal", "task", "ledger")

    def __init__(self, rows: Dataset, seal: str, ledger: Ledger):
        object.__setattr__(self, "_rows", rows)
        object.__setattr__(self, "seal", seal)  # the test set's fingerprint: a digest of its rows
        object.__setattr__(self, "task", rows.task)
        object.__setattr__(self, "ledger", ledger)

    def __len__(self) -> int:
        return len(self._rows)

    def __repr__(self) -> str:
        return f"Sealed(test set {self.seal}, {len(self)} rows, task={self.task!r})"

    def unsealings(self) -> int:
        """How many final evaluations this test set has had, in this ledger, across processes."""
        return self.ledger.unsealings(self.seal)

    def unseal(
        self,
        score: Callable[[Dataset], dict],
        *,
        model: str,
        strict: bool = False,
        info: dict | None = None,
        on_scored: Callable[[dict], None] | None = None,
    ) -> tuple[dict, Looks]:
        """Score the test rows, record the scores in the ledger, then return ``(scores, looks)``.
        ``on_scored(scores)`` hears the scores before they are recorded (a run directory keeps them
        there, so that a process killed between the two never makes a second look necessary).

        ``looks`` counts the evaluations this test set has had and the distinct models among them,
        this one included. A second look warns; with ``strict=True`` it is refused before the rows
        are touched.
        """
        before = self.ledger.looks(self.seal)
        if before.unsealings and strict:
            raise SealedError(
                f"Test set {self.seal} was already evaluated {before.unsealings} time(s), by "
                f"{_models(before.models)} (ledger {self.ledger.location!r}); strict mode allows "
                "one look. Every further look lets the test set influence your choices. Make "
                "decisions on validation data, or split off a new test set from new data."
            )
        scores = score(self._rows)
        if on_scored is not None:
            on_scored(scores)
        looks = self.ledger.record_unsealing(self.seal, model=model, metrics=scores, info=info)
        if looks.unsealings > 1:
            warnings.warn(
                f"Test set {self.seal} has now been evaluated {looks.unsealings} times, by "
                f"{_models(looks.models)} (ledger {self.ledger.location!r}). Each look that "
                "informs a choice makes its estimate optimistic, and comparing models on it is a "
                "selection; the ledger records every one.",
                HeldoutWarning,
                stacklevel=3,
            )
        return scores, looks

    def holds(self, fingerprints) -> np.ndarray:
        """Which of these row fingerprints (features and label) are rows of this test set: a
        membership answer for the training gate, not a look (no values, no scores)."""
        return members(fingerprints, self._rows.fingerprints)

    def audit(self, check: Callable[[Dataset], object], *, purpose: str) -> object:
        """Run a leakage check over the test rows and record that it did (kind ``audit``). A check
        returns counts and row positions, never scores, so it informs no model choice and is not
        an evaluation."""
        result = check(self._rows)
        self.ledger.record_audit(self.seal, {"purpose": purpose, "rows": len(self)})
        return result

    # -- every other way in is closed ---------------------------------------------------------

    def __setattr__(self, name, value):
        raise SealedError(_CLOSED)

    def __getitem__(self, item):
        raise SealedError(_CLOSED)

    def __iter__(self):
        raise SealedError(_CLOSED)

    def __array__(self, *args, **kwargs):
        raise SealedError(_CLOSED)

    def __reduce__(self):
        raise SealedError(
            "A sealed test set cannot be pickled or copied. Save the model and evaluate it "
            "with `heldout evaluate RUN_DIR`, which re-creates the split from its recorded seed."
        )
