"""One pass over a streamed table before training: the task, each row's part, the sealed test set,
and seeded samples.

The pass reads the target column alone first (the task and the classes are the whole table's, as
:func:`heldout.load` would find them), then every row group once. Each row's part comes from its
fingerprint and the seed (:mod:`heldout.seal.hashed`); a test set given as its own Parquet is read
first and every one of its rows is a test row. What the pass keeps is small beside the table:

- each row group's parts (one byte per row), so later passes do not hash the rows again;
- the fingerprints of every row, by part (8 bytes per row, twice: the rows, and their features
  alone): the test set is sealed in the ledger by its rows' fingerprints when the pass ends,
  before any training; training and validation rows are checked against every test set sealed
  before (the training gate) and, with a given test file, against its rows (copies that chance
  does not explain are refused); the exact twin counts of the leakage check and of the look
  join on them;
- a seeded uniform sample of each part, at most :data:`SAMPLE_ROWS` training rows and
  :data:`CHECK_ROWS` validation and test rows: the rows whose seeded
  hash of their fingerprint is smallest (a bottom-k sample, the same whatever the batch
  boundaries, in table order). The preprocessing (medians, means, standard deviations,
  categories, the text encoder), the target's scale and the class weights are learned from the
  training sample — exactly the training rows when there are at most that many, an estimate
  otherwise (a uniform sample of 100,000 rows puts a median within about ±0.3% of the rows, in
  rank, of the true one, with 95% confidence); the leakage check runs on the three samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..data import dataset as data
from ..data.dataset import Dataset
from ..data.fingerprint import members
from ..data.kinds import check as check_kinds
from ..data.kinds import column_kind
from ..errors import DataError, LeakageError
from ..seal import hashed
from ..seal.split import hash_keys
from ..seal.twins import IMPROBABLE, expected_chance_matches
from ..task import get as get_task
from .source import Source

SAMPLE_ROWS = (
    100_000  # rows of the training part's seeded sample (preprocessing is learned from it)
)
CHECK_ROWS = 20_000  # rows of the validation and test parts' samples (the leakage check reads them)
KIND_ROWS = 10_000  # column kinds are read from the table's first rows
# distinct target values tracked to decide the task (more: regression, or too many classes)
DISTINCT_TARGETS = 1_000


@dataclass
class Survey:
    """What one pass learned about a streamed table and its split."""

    source: Source
    given_test: Source | None
    meta: Dataset  # the training sample: columns, schema, task, classes, kinds (for the models)
    samples: dict[int, Dataset]  # part -> its seeded sample
    parts: list[np.ndarray]  # per row group of ``source``: each row's part
    fingerprints: dict[int, np.ndarray]  # part -> its rows' fingerprints, in table order
    feature_fingerprints: dict[int, np.ndarray]
    read: dict = field(
        default_factory=dict
    )  # what load() needs to read a row group as the pass did

    def rows(self, part: int) -> int:
        return len(self.fingerprints[part])

    def chunk(self, frame: pd.DataFrame, name: str) -> Dataset:
        """A row group as a Dataset read exactly as the pass read it (kinds, task, weights)."""
        return data.load(frame, name=name, **self.read)

    def columns(self, frame: pd.DataFrame) -> "Columns":
        """A row group's features, target and weights, read as the pass read them (already checked
        there, so not again: no fingerprints, no checks — what every epoch reads)."""
        weights = self.read["weights"]
        return Columns(
            frame[list(self.meta.features.columns)],
            frame[self.read["target"]],
            None if weights is None else frame[weights].astype("float64"),
        )


@dataclass(frozen=True)
class Columns:
    """The columns of some rows that training and scoring read."""

    features: pd.DataFrame
    target: pd.Series
    weights: pd.Series | None

    def __len__(self) -> int:
        return len(self.target)


def survey(
    source: Source,
    target: str,
    *,
    seed: int,
    test,
    validation: float,
    task: str | None = None,
    groups: str | None = None,
    weights: str | None = None,
    class_weight=None,
    column_kinds: dict | None = None,
    sample_rows: int = SAMPLE_ROWS,
) -> Survey:
    """Read ``source`` once (see the module docstring); ``test`` is a share or a Parquet path."""
    if isinstance(target, (list, tuple)) or (target not in source.columns and "," in str(target)):
        raise DataError(
            f"A streamed table takes one target column, got {target!r}. Several targets (a "
            "multi-output regression) need the table read whole: a single Parquet or CSV file "
            "that fits in memory, without --stream."
        )
    for role, col in (("target", target), ("groups", groups), ("weights", weights)):
        if col is not None and col not in source.columns:
            raise DataError(
                f"The {role} column {col!r} is not in {source.path!r}. The columns are: "
                f"{source.columns}."
            )
    the_task = _task(source, target, task)
    head = source.head(KIND_ROWS)
    features = [c for c in source.columns if c not in (target, groups, weights)]
    given = check_kinds(column_kinds, features)
    kinds = {c: given.get(c) or column_kind(head[c]) for c in features}
    read = dict(
        target=target,
        task=the_task,
        groups=groups,
        weights=weights,
        class_weight=class_weight,
        column_kinds=kinds,
    )
    given_test = None if isinstance(test, (int, float)) else Source(test)
    samples = {
        hashed.TRAIN: _Sample(sample_rows, seed),
        hashed.VALIDATION: _Sample(min(sample_rows, CHECK_ROWS), seed),
        hashed.TEST: _Sample(min(sample_rows, CHECK_ROWS), seed),
    }
    fps = {part: [] for part in samples}
    feature_fps = {part: [] for part in samples}
    copies = []

    def take(rows: Dataset, where: np.ndarray, order: np.ndarray) -> None:
        for part in samples:
            pick = np.flatnonzero(where == part)
            if len(pick):
                fps[part].append(rows.fingerprints[pick])
                feature_fps[part].append(rows.feature_fingerprints[pick])
                samples[part].offer(rows.take(pick), order[pick])

    if given_test is not None:
        if list(given_test.columns) != list(source.columns):
            raise DataError(
                f"The test table {given_test.path!r} has columns {given_test.columns}, but the "
                f"training table has {source.columns}. Give the test set with the same columns."
            )
        for piece in range(given_test.pieces):
            rows = data.load(given_test.read(piece), name="test", **read)
            take(
                rows,
                np.full(len(rows), hashed.TEST, dtype=np.int8),
                np.zeros(len(rows), dtype=np.int64),
            )
    test_pool = (
        np.sort(np.concatenate(fps[hashed.TEST]))
        if given_test is not None and fps[hashed.TEST]
        else None
    )
    parts, start = [], 0
    for piece in range(source.pieces):
        rows = data.load(source.read(piece), name=source.name, **read)
        if given_test is None:
            where = hashed.parts(hash_keys(rows.fingerprints, rows.groups), seed, test, validation)
        else:
            where = np.where(
                hashed.draw(hash_keys(rows.fingerprints, rows.groups), seed, hashed.VALIDATION_DRAW)
                < validation,
                hashed.VALIDATION,
                hashed.TRAIN,
            )
            same = members(rows.fingerprints, test_pool)
            if same.any():
                copies.append((rows.take(np.flatnonzero(same)), start + np.flatnonzero(same)))
        parts.append(where.astype(np.int8))
        take(rows, where, start + np.arange(len(rows)))
        start += len(rows)
    done = {part: samples[part].rows() for part in samples}
    for part, label in (
        (hashed.TRAIN, "training"),
        (hashed.VALIDATION, "validation"),
        (hashed.TEST, "test"),
    ):
        if done[part] is None:
            raise DataError(
                f"The split leaves the {label} set empty ({start} rows). Give more rows or change "
                "the shares (--test, --validation)."
            )
    classes = the_task.classes_of(pd.Series(_distinct(source, target)))
    meta = replace(done[hashed.TRAIN], classes=classes, column_kinds=given, name=source.name)
    done = {part: replace(rows, classes=classes, column_kinds=given) for part, rows in done.items()}
    found = Survey(
        source,
        given_test,
        meta,
        done,
        parts,
        {p: np.concatenate(v) for p, v in fps.items()},
        {p: np.concatenate(v) for p, v in feature_fps.items()},
        read,
    )
    if copies:
        _refuse_copies(copies, found)
    return found


class _Sample:
    """A bottom-k sample: the ``k`` rows with the smallest seeded hash of their fingerprint."""

    def __init__(self, k: int, seed: int):
        self.k, self.seed = k, seed
        self.kept: list[
            tuple[Dataset, np.ndarray, np.ndarray]
        ] = []  # rows, their keys, their order
        self.threshold, self.held = np.inf, 0

    def offer(self, rows: Dataset, order: np.ndarray) -> None:
        keys = hashed.draw(rows.fingerprints, self.seed, hashed.SAMPLE_DRAW)
        pick = np.flatnonzero(keys < self.threshold)
        if len(pick):
            self.kept.append((rows.take(pick), keys[pick], order[pick]))
            self.held += len(pick)
        if self.held > self.k + max(
            self.k // 4, 1_000
        ):  # trimmed now and then: a sort per offer would cost more
            self._trim()

    def _trim(self) -> None:
        rows, keys, order = self._joined()
        if len(keys) > self.k:
            best = np.argpartition(keys, self.k - 1)[: self.k]
            self.threshold = float(keys[best].max())
            rows, keys, order = rows.take(best), keys[best], order[best]
        self.kept, self.held = [(rows, keys, order)], len(keys)

    def _joined(self):
        rows = self.kept[0][0]
        for more, _, _ in self.kept[1:]:
            rows = rows.append(more)
        return (
            rows,
            np.concatenate([k for _, k, _ in self.kept]),
            np.concatenate([o for _, _, o in self.kept]),
        )

    def rows(self) -> Dataset | None:
        """The sample in table order (None when no row was offered)."""
        if not self.kept:
            return None
        self._trim()
        rows, _, order = self.kept[0]
        return rows.take(np.argsort(order, kind="stable"))


def _task(source: Source, target: str, task: str | None):
    """The task of the whole target column, read alone, decided as :func:`heldout.load` decides it
    (from its distinct values; past :data:`DISTINCT_TARGETS` of them, numbers are a regression
    target)."""
    values = _distinct(source, target, check=True)
    if task is not None or len(values) <= DISTINCT_TARGETS:
        return data._task(values, task, target)
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise DataError(
            f"The target column {target!r} holds more than {DISTINCT_TARGETS} distinct "
            f"non-numeric values, such as {values.iloc[0]!r}: too many classes to learn. Give a "
            "numeric target, or group the labels."
        )
    return get_task("regression")


def _distinct(source: Source, target: str, check: bool = False) -> pd.Series:
    """The target's distinct values (at most :data:`DISTINCT_TARGETS` and one more), sorted."""
    seen = None
    for piece in range(source.pieces):
        y = source.read(piece, [target])[target]
        if check and y.isna().any():
            raise DataError(
                f"The target column {target!r} has missing values (row group {piece} of "
                f"{source.path!r}). Drop those rows or fill them before training."
            )
        unique = pd.Series(y.unique())
        seen = unique if seen is None else pd.Series(pd.concat([seen, unique]).unique())
        if len(seen) > DISTINCT_TARGETS:
            break
    return seen.sort_values(ignore_index=True)


def _refuse_copies(copies: list, found: Survey) -> None:
    """Training or validation rows identical to rows of the given test file, unless chance explains
    them."""
    rows = copies[0][0]
    for more, _ in copies[1:]:
        rows = rows.append(more)
    positions = np.concatenate([p for _, p in copies])
    pool = found.samples[hashed.TRAIN].features
    expected = expected_chance_matches(
        rows.features, pool, found.rows(hashed.TRAIN) + found.rows(hashed.VALIDATION)
    )
    copied = positions[expected < IMPROBABLE]
    if len(copied):
        raise LeakageError(
            f"{len(copied)} row(s) of {found.source.path!r} (row numbers "
            f"{copied[:8].tolist()}{' ...' if len(copied) > 8 else ''}) are identical to rows of "
            f"the test table {found.given_test.path!r} — features and label — and chance does not "
            "explain it: they were copied. Training or selecting on them would score the model "
            "on rows it has seen. Remove them from the training table (or from the test table), "
            "then run again."
        )
