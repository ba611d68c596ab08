"""``stream_split()``: a streamed table's split — the ``hashed`` split of
:mod:`heldout.seal.hashed`, row by row — with its test set sealed in the ledger by fingerprints, and
the training gate.

A :class:`StreamedSplit` holds no rows: its training and validation rows are read batch by batch
(:mod:`heldout.stream.rows`), and its test set is a :class:`~heldout.seal.sealed.Sealed` over
:class:`StreamedTest`, which reads the test rows only inside the one look. Its :meth:`describe` is
the one :func:`heldout.split` gives the same table read whole with ``strategy="hashed"``: the
same parts, the same fingerprints.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..data.dataset import Dataset
from ..data.fingerprint import members, set_fingerprint
from ..ledger.ledger import Ledger
from ..seal import hashed
from ..seal.gate import refuse_sealed_rows
from ..seal.sealed import Sealed
from ..seal.split import Split
from .source import Source
from .survey import Survey, survey

STRATEGY = "hashed"


class StreamedTest:
    """The test rows of a streamed table, as the sealed set holds them: their fingerprints, and a
    way to read them batch by batch that only :func:`heldout.stream.look.evaluate` uses."""

    def __init__(self, found: Survey):
        self.found = found
        self.task = found.meta.task
        self.fingerprints = found.fingerprints[hashed.TEST]
        self.feature_fingerprints = found.feature_fingerprints[hashed.TEST]

    def __len__(self) -> int:
        return len(self.fingerprints)

    def chunks(self):
        """The test rows, a row group at a time, as Datasets."""
        source = self.found.given_test or self.found.source
        for piece in range(source.pieces):
            frame = source.read(piece)
            if self.found.given_test is None:
                mine = np.flatnonzero(self.found.parts[piece] == hashed.TEST)
                if not len(mine):
                    continue
                frame = frame.iloc[mine].reset_index(drop=True)
            yield self.found.chunk(frame, "test")


@dataclass(frozen=True, eq=False)
class StreamedSplit:
    """Training and validation rows read batch by batch, and the sealed test set."""

    found: Survey
    test: Sealed
    seed: int
    strategy: str = STRATEGY

    def __repr__(self) -> str:
        return (
            f"StreamedSplit({self.found.source.path!r}, seed={self.seed}, "
            f"train={self.found.rows(hashed.TRAIN)}, "
            f"validation={self.found.rows(hashed.VALIDATION)}, test={len(self.test)} sealed as "
            f"{self.test.seal})"
        )

    @property
    def task(self):
        return self.found.meta.task

    @functools.cached_property
    def _fingerprints(self) -> tuple[str, str]:
        return (
            set_fingerprint(self.found.fingerprints[hashed.TRAIN]),
            set_fingerprint(self.found.fingerprints[hashed.VALIDATION]),
        )

    def describe(self) -> dict:
        train_fp, validation_fp = self._fingerprints
        return {
            "dataset": self.found.meta.name,
            "strategy": self.strategy,
            "seed": self.seed,
            "train": self.found.rows(hashed.TRAIN),
            "validation": self.found.rows(hashed.VALIDATION),
            "test": len(self.test),
            "test_fingerprint": self.test.seal,
            "train_fingerprint": train_fp,
            "validation_fingerprint": validation_fp,
            "task": self.task,
            "streamed": True,
        }

    def sample_split(self) -> Split:
        """The three seeded samples as an in-memory split (the leakage check runs on it); its test
        sample is sealed under the real test set's seal, so reading it is that set's audit."""
        samples = self.found.samples
        return Split(
            train=samples[hashed.TRAIN],
            validation=samples[hashed.VALIDATION],
            test=Sealed(samples[hashed.TEST], self.test.seal, self.test.ledger),
            seed=self.seed,
            strategy=self.strategy,
            test_given=self.found.given_test is not None,
        )

    def exact_twins(self) -> dict:
        """The sizes of the samples the leakage check read, and counts over every row's
        fingerprints: test rows whose features (or features and label) appear among training or
        validation rows."""
        fps, features = self.found.fingerprints, self.found.feature_fingerprints
        seen = np.concatenate([features[hashed.TRAIN], features[hashed.VALIDATION]])
        rows = np.concatenate([fps[hashed.TRAIN], fps[hashed.VALIDATION]])
        return {
            "sample_rows": self.sample_rows(),
            "rows": {
                "train": self.found.rows(hashed.TRAIN),
                "validation": self.found.rows(hashed.VALIDATION),
                "test": len(self.test),
            },
            "test_rows_with_features_in_training_or_validation": int(
                members(features[hashed.TEST], seen).sum()
            ),
            "test_rows_identical_to_training_or_validation_rows": int(
                members(fps[hashed.TEST], rows).sum()
            ),
        }

    def sample_rows(self) -> dict:
        return {
            "train": len(self.found.samples[hashed.TRAIN]),
            "validation": len(self.found.samples[hashed.VALIDATION]),
            "test": len(self.found.samples[hashed.TEST]),
        }


def stream_split(
    path,
    target: str,
    *,
    test=0.2,
    validation: float = 0.2,
    seed: int = 0,
    ledger: Ledger | str | Path | None = None,
    **read,
) -> StreamedSplit:
    """Survey the Parquet ``path`` (a file, folder or glob) in one pass, seal its test rows in
    ``ledger`` by their fingerprints, and refuse training or validation rows of any test set sealed
    before. ``test`` is a share or a Parquet path of its own; ``read`` are :func:`survey`'s options
    (``task``, ``groups``, ``weights``, ``class_weight``, ``column_kinds``)."""
    found = survey(Source(path), target, seed=seed, test=test, validation=validation, **read)
    ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    test_fps = found.fingerprints[hashed.TEST]
    seal = set_fingerprint(test_fps)
    ledger.seal(
        seal,
        test_fps,
        {
            "dataset": found.meta.name,
            "strategy": STRATEGY,
            "seed": int(seed),
            "train": found.rows(hashed.TRAIN),
            "validation": found.rows(hashed.VALIDATION),
        },
        columns=list(found.meta.features.columns),
    )
    for part, label in ((hashed.TRAIN, "training"), (hashed.VALIDATION, "validation")):
        refuse_sealed_rows(_fingerprints_only(found, part), label, own_seal=seal, ledger=ledger)
    return StreamedSplit(found, Sealed(StreamedTest(found), seal, ledger), int(seed))


def _fingerprints_only(found: Survey, part: int) -> Dataset:
    """The part's rows as the gate compares them: by fingerprint over the table's columns (a test
    set sealed over other columns is compared on the part's sample only)."""
    return replace(found.samples[part], fingerprints=found.fingerprints[part])
