"""``split()``: a sealed test set, and a validation set carved from what remains for training.

Strategies: ``random``; ``stratified`` (class shares kept; default for classification); ``group``
(every group wholly on one side); ``time`` (every test row strictly later than every training row,
validation later than training); ``hashed`` (each row's part fixed by its fingerprint and the seed,
:mod:`heldout.seal.hashed`: the split a streamed table gets, the same whether the table is read
whole or in batches; with groups, by the group's fingerprint). A test or validation set given as its
own table is sealed or used just the same. Making a split records the test rows in the ledger, so
that no later process can train on them unnoticed.

>>> import heldout
>>> s = split(heldout.datasets.load("wine"), test=0.2, validation=0.25, seed=0)
>>> len(s.train), len(s.validation), len(s.test)
(106, 36, 36)
>>> s.strategy
'stratified'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from .._util.declared import SEED, SHARE, checked
from ..data import dataset as data
from ..data.dataset import Dataset
from ..data.fingerprint import set_fingerprint
from ..errors import ConfigError, DataError
from ..ledger.ledger import Ledger
from . import hashed
from .sealed import Sealed

STRATEGIES = ("random", "stratified", "group", "time", "hashed")


@dataclass(frozen=True, eq=False)
class Split:
    """Training rows, validation rows carved from them, and the sealed test set."""

    train: Dataset
    validation: Dataset
    test: Sealed
    seed: int
    strategy: str
    test_given: bool = False  # the test set came as its own table, not as a share of this one

    def __repr__(self) -> str:
        return (
            f"Split({self.train.name!r}, strategy={self.strategy!r}, seed={self.seed}, "
            f"train={len(self.train)}, validation={len(self.validation)}, test={len(self.test)} "
            f"sealed as {self.test.seal})"
        )

    @property
    def task(self):
        return self.train.task

    @functools.cached_property
    def _fingerprints(self) -> tuple[str, str]:
        """Digests of the training and of the validation rows (computed once: they sort every row's
        hash)."""
        return set_fingerprint(self.train.fingerprints), set_fingerprint(
            self.validation.fingerprints
        )

    def describe(self) -> dict:
        """What the split is, in plain values: for configs, reports and the ledger."""
        train_fp, validation_fp = self._fingerprints
        return {
            "dataset": self.train.name,
            "strategy": self.strategy,
            "seed": self.seed,
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
            "test_fingerprint": self.test.seal,
            "train_fingerprint": train_fp,
            "validation_fingerprint": validation_fp,
            "task": self.task,
        }


@checked(seed=SEED)
def split(
    dataset: Dataset,
    test: Any = 0.2,
    validation: Any = 0.2,
    seed: int = 0,
    strategy: str | None = None,
    *,
    ledger: Ledger | str | Path | None = None,
) -> Split:
    """Split ``dataset`` into train, validation (a share of the non-test rows) and a sealed test
    set.

    ``test`` and ``validation`` are shares in (0, 1), or tables of their own (a path, a frame or a
    Dataset with the same columns), which are then used as given. The test set is sealed in
    ``ledger`` (a :class:`Ledger`, its folder or its PostgreSQL URL; default: ``$HELDOUT_LEDGER``,
    else :func:`~heldout.ledger.ledger.home`).
    """
    if not isinstance(dataset, Dataset):
        raise ConfigError(
            f"split() takes a Dataset, got {type(dataset).__name__}. Call heldout.load(...) first."
        )
    strategy = _strategy(dataset, strategy)

    if _is_share(test, "test"):
        rest_idx, test_idx = _cut(dataset, test, seed, strategy, "test")
        rest, test_rows = dataset.take(rest_idx), dataset.take(test_idx)
    else:
        rest, test_rows = dataset, _given(test, dataset, "test")
    if _is_share(validation, "validation"):
        train_idx, val_idx = _cut(rest, validation, seed + 1, strategy, "validation")
        train, val = rest.take(train_idx), rest.take(val_idx)
    else:
        train, val = rest, _given(validation, dataset, "validation")
    _check_parts(train, val, test_rows)

    ledger = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    seal = set_fingerprint(test_rows.fingerprints)
    ledger.seal(
        seal,
        test_rows.fingerprints,
        {
            "dataset": dataset.name,
            "strategy": strategy,
            "seed": int(seed),
            "train": len(train),
            "validation": len(val),
        },
        columns=list(test_rows.features.columns),
    )
    return Split(
        train=train,
        validation=val,
        test=Sealed(test_rows, seal, ledger),
        seed=int(seed),
        strategy=strategy,
        test_given=not _is_share(test, "test"),
    )


def hash_keys(fingerprints: np.ndarray, groups) -> np.ndarray:
    """What the hashed split draws from: each row's fingerprint, or its group's (a whole group
    then lands in one part)."""
    if groups is None:
        return fingerprints
    from ..data.fingerprint import row_fingerprints

    return row_fingerprints(groups.to_frame(name="groups"))


def _strategy(dataset: Dataset, strategy: str | None) -> str:
    if strategy is None:
        if dataset.time is not None:
            return "time"
        if dataset.groups is not None:
            return "group"
        return dataset.task.default_strategy
    if strategy not in STRATEGIES:
        raise ConfigError(f"Unknown split strategy {strategy!r}. Choose one of {list(STRATEGIES)}.")
    if strategy == "group" and dataset.groups is None:
        raise DataError(
            "strategy='group' needs a groups column: load(..., groups='COLUMN') or --groups COLUMN."
        )
    if strategy == "time" and dataset.time is None:
        raise DataError(
            "strategy='time' needs a time column: load(..., time='COLUMN') or --time COLUMN."
        )
    if strategy == "stratified" and not dataset.task.has_classes:
        raise ConfigError(
            f"strategy='stratified' needs classes, but the task is {dataset.task}. Use 'random'."
        )
    return strategy


def _is_share(value: Any, part: str) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        return False
    replace(
        SHARE, says="a share strictly between 0 and 1 (or a table)", hint=f"Try {part}=0.2."
    ).check(part, value)
    return True


def _cut(
    ds: Dataset, share: float, seed: int, strategy: str, part: str
) -> tuple[np.ndarray, np.ndarray]:
    """Positions kept and positions cut off, by strategy."""
    n = len(ds)
    positions = np.arange(n)
    if n < 2:
        raise DataError(f"Cannot cut a {part} set from {n} row(s). Give more data.")
    if strategy == "time":
        return _cut_by_time(ds, share, part)
    if (
        strategy == "hashed"
    ):  # the draws of hashed.parts: the split's own seed (validation is cut with seed + 1)
        seed, use = (
            (seed, hashed.TEST_DRAW) if part == "test" else (seed - 1, hashed.VALIDATION_DRAW)
        )
        cut = hashed.draw(hash_keys(ds.fingerprints, ds.groups), seed, use) < share
        return np.flatnonzero(~cut), np.flatnonzero(cut)
    if strategy == "group":
        if ds.groups.nunique() < 2:
            raise DataError(
                f"strategy='group' needs at least 2 groups to cut a {part} set, but there is "
                f"{ds.groups.nunique()}. Give more groups or use strategy='random'."
            )
        cutter = GroupShuffleSplit(n_splits=1, test_size=share, random_state=seed)
        keep, cut = next(cutter.split(positions, groups=ds.groups.to_numpy()))
        return keep, cut
    stratify = ds.target.to_numpy() if strategy == "stratified" else None
    try:
        return train_test_split(positions, test_size=share, random_state=seed, stratify=stratify)
    except ValueError as exc:
        counts = ds.target.value_counts()
        if strategy == "stratified":
            raise DataError(
                f"Cannot stratify the {part} cut ({share:g} of {n} rows): the smallest class "
                f"{counts.idxmin()!r} has {counts.min()} row(s) and every class needs at least 2, "
                f"and the cut needs at least one row per class ({len(counts)} classes). Give more "
                "rows, a larger share, or strategy='random'."
            ) from None
        raise DataError(f"Cannot cut a {part} set of {share:g} from {n} rows: {exc}") from None


def _cut_by_time(ds: Dataset, share: float, part: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows at or after a cut-off time form the later part; every one of them is strictly later."""
    times = ds.time.to_numpy()
    order = np.argsort(times, kind="stable")
    cutoff = times[order[len(ds) - max(1, math.ceil(share * len(ds)))]]
    later = times >= cutoff
    if later.all():
        raise DataError(
            f"Cannot cut a {part} set by time: every row shares the earliest time {cutoff!r}, so "
            "no row is strictly later than the training rows. Use a finer time column or another "
            "strategy."
        )
    return np.flatnonzero(~later), np.flatnonzero(later)


def _given(table: Any, dataset: Dataset, part: str) -> Dataset:
    """A test or validation table given by the user, read with the dataset's target, task and
    columns."""
    given = (
        data.load(
            table,
            target=dataset.target_name,
            task=dataset.task,
            groups=None if dataset.groups is None else dataset.groups.name,
            time=None if dataset.time is None else dataset.time.name,
            weights=None if dataset.weights is None else dataset.weights.name,
            class_weight=dataset.class_weight,
            column_kinds=dataset.column_kinds,
            name=f"{dataset.name}:{part}",
        )
        if not isinstance(table, Dataset)
        else table
    )
    if list(given.schema) != list(dataset.schema):
        missing = [c for c in dataset.schema if c not in given.schema]
        extra = [c for c in given.schema if c not in dataset.schema]
        raise DataError(
            f"The given {part} table's columns differ from the training table's: missing "
            f"{missing}, extra {extra}. Give the {part} set with the same columns."
        )
    return given


def _check_parts(train: Dataset, val: Dataset, test: Dataset) -> None:
    for part, rows in (("training", train), ("validation", val), ("test", test)):
        if len(rows) == 0:
            raise DataError(
                f"The split leaves the {part} set empty. Give more rows or change the shares "
                "(test=..., validation=...)."
            )
    if isinstance(train.target, pd.DataFrame):  # several targets: each needs two values
        constant = [name for name in train.targets if train.target[name].nunique() < 2]
        if constant:
            raise DataError(
                f"The training rows hold a single value of the target(s) {constant}: there is "
                "nothing to learn there. Give training data where every target varies, or drop "
                "those targets."
            )
    elif train.target.nunique() < 2:
        raise DataError(
            f"The training rows hold a single target value ({train.target.tolist()[0]!r}): there "
            "is nothing to learn. Give training data with at least two classes or values."
        )
    if train.task.has_classes:
        seen = set(train.target.unique().tolist())
        for part, rows in (("validation", val), ("test", test)):
            absent = sorted(set(rows.target.unique().tolist()) - seen, key=str)
            if absent:
                raise DataError(
                    f"Class(es) {absent} appear in the {part} set but not in training, so no model "
                    "can learn them. Use strategy='stratified', give more rows of those classes, "
                    "or drop them."
                )
