"""``load()``: a table and a target column become a :class:`Dataset`.

Accepted sources: a CSV or Parquet path, a pandas or Polars DataFrame, an Arrow table, numpy
arrays, or a Dataset (returned as is). The task (``regression``, ``binary``, ``multiclass``) is
inferred from the target and can be overridden.

>>> import pandas as pd
>>> ds = load(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": ["a", "b", "a", "b"]}), target="y")
>>> ds.task, len(ds), ds.schema
('binary', 4, {'x': 'numeric'})

A ``weights`` column says how much each row counts (it is taken out of the features), and
``class_weight`` (``"balanced"`` or ``{label: weight}``) how much each class counts; both are
checked here and used by training, validation and the one look (:mod:`heldout.data.weights`).

Several target columns (``target=["y1", "y2"]``, or ``"y1,y2"``: :mod:`heldout.data.targets`)
make one multi-output regression: ``Dataset.target`` is then a DataFrame with a column per target.

>>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y1": [0.5, 0.1, 0.9], "y2": [10.0, 30.0, 20.0]})
>>> several = load(frame, target=["y1", "y2"])
>>> several.task, several.targets, several.n_outputs
('regression', ('y1', 'y2'), 2)
"""

from __future__ import annotations

import functools
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..task import Task
from ..task import get as get_task
from . import targets as targeting
from . import weights as weighting
from .fingerprint import row_fingerprints
from .kinds import check as check_kinds
from .kinds import column_kind

# An integer-valued numeric target with at most this many distinct values is read as classes.
MAX_INFERRED_CLASSES = 20


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, target and task, with one 64-bit fingerprint per row.

    ``groups``, ``time`` and ``weights`` are kept beside the features, never inside them: they say
    how rows may be split and how much each counts; they are not inputs of the model.
    """

    features: pd.DataFrame
    target: (
        pd.Series | pd.DataFrame
    )  # a DataFrame, a column per target, for several (multi-output regression)
    task: Task
    schema: dict[
        str, str
    ]  # feature column -> "numeric" | "bool" | "categorical" | "datetime" | "text"
    fingerprints: np.ndarray  # uint64, one per row, stable across processes
    name: str = "data"
    groups: pd.Series | None = None
    time: pd.Series | None = None
    classes: tuple | None = None  # sorted class labels for classification, None for regression
    weights: pd.Series | None = None  # how much each row counts (float64, >= 0), or None: once each
    class_weight: str | dict | None = (
        None  # "balanced", {label: weight}, or None: resolved on training rows
    )
    column_kinds: dict = field(
        default_factory=dict
    )  # the kinds the user gave (column -> kind), beside the schema

    def __len__(self) -> int:
        return len(self.target)

    @property
    def targets(self) -> tuple[str, ...]:
        """The target columns' names: one, or several for a multi-output regression."""
        several = isinstance(self.target, pd.DataFrame)
        return tuple(str(c) for c in self.target.columns) if several else (self.target.name,)

    @property
    def target_name(self) -> str | list[str]:
        """The target as ``load`` takes it: its column's name, or the list of names of several."""
        return self.targets[0] if len(self.targets) == 1 else list(self.targets)

    @property
    def n_outputs(self) -> int:
        """The model's outputs: one per target of a multi-output regression, else the task's own."""
        return targeting.n_outputs(self.targets, self.task, self.classes)

    @functools.cached_property
    def feature_fingerprints(self) -> np.ndarray:
        """One uint64 per row over the features alone (twins with another label share it); computed
        once per Dataset, for the leakage checks and the one look."""
        return row_fingerprints(self.features)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, rows={len(self)}, features={len(self.schema)}, "
            f"task={self.task!r}, target={self.target_name!r})"
        )

    def take(self, positions: np.ndarray) -> "Dataset":
        """The rows at these positions, as a Dataset with the same schema and task."""
        positions = np.asarray(positions)

        def pick(s):
            return None if s is None else s.iloc[positions].reset_index(drop=True)

        return replace(
            self,
            features=self.features.iloc[positions].reset_index(drop=True),
            target=pick(self.target),
            groups=pick(self.groups),
            time=pick(self.time),
            weights=pick(self.weights),
            fingerprints=self.fingerprints[positions],
        )

    def append(self, other: "Dataset") -> "Dataset":
        """These rows followed by ``other``'s (same columns), e.g. training and validation rows
        pooled for cross-validation."""

        def join(a, b):
            return None if a is None else pd.concat([a, b], ignore_index=True)

        return replace(
            self,
            features=pd.concat([self.features, other.features], ignore_index=True),
            target=join(self.target, other.target),
            groups=join(self.groups, other.groups),
            time=join(self.time, other.time),
            weights=join(self.weights, other.weights),
            fingerprints=np.concatenate([self.fingerprints, other.fingerprints]),
        )


def load(
    source: Any,
    target: Any = None,
    *,
    task: str | None = None,
    groups: str | None = None,
    time: str | None = None,
    weights: str | None = None,
    class_weight: str | dict | None = None,
    column_kinds: dict[str, str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Read ``source`` into a :class:`Dataset` whose target is the column ``target`` (or the
    columns: a list of names, for a multi-output regression).

    For numpy input, ``source`` is the feature matrix and ``target`` the label array. ``weights``
    names a column of non-negative row weights; ``class_weight`` is ``"balanced"`` or
    ``{label: weight}`` (classification only). ``column_kinds`` (``{column: kind}``, a kind of
    :data:`heldout.data.kinds.KINDS`) says how columns are read instead of their values.
    """
    if isinstance(source, Dataset):
        return source
    frame, target_name, default_name = _as_frame(source, target)
    if frame.shape[0] == 0:
        raise DataError(
            f"The table {default_name!r} has no rows. Give a table with at least a few rows of "
            "data."
        )
    if frame.columns.duplicated().any():
        dup = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise DataError(
            f"Column names must be unique, but {dup} appear more than once. Rename them."
        )
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    names = targeting.names(target_name, columns)
    for role, col in (("groups", groups), ("time", time), ("weights", weights)):
        if col is not None and col not in columns:
            raise DataError(
                f"The {role} column {col!r} is not in the table. The columns are: {columns}."
            )
        if col is not None and col in names:
            raise ConfigError(
                f"The {role} column {col!r} is also the target; choose another column."
            )

    if len(names) > 1:  # a multi-output regression: one numeric column per target
        task, y = targeting.several(frame, names, task)
    else:
        y = frame[names[0]]
        targeting.missing(y, names[0])
        task = _task(y, task, names[0])
        y = task.check_target(y, names[0])
    classes = task.classes_of(y)

    kept = [c for c in columns if c not in (*names, groups, time, weights)]
    if not kept:
        shown = names[0] if len(names) == 1 else names
        raise DataError(
            f"The table has no feature columns besides the target {shown!r}. Add features."
        )
    features = frame[kept].reset_index(drop=True)
    given = check_kinds(column_kinds, kept)
    schema = {c: given.get(c) or column_kind(features[c]) for c in kept}
    time_col = None if time is None else _as_time(frame[time], time).reset_index(drop=True)
    return Dataset(
        features=features,
        target=y.reset_index(drop=True),
        task=task,
        schema=schema,
        fingerprints=row_fingerprints(features, y),
        name=name or default_name,
        groups=None if groups is None else frame[groups].reset_index(drop=True),
        time=time_col,
        classes=classes,
        weights=None
        if weights is None
        else weighting.sample_weights(frame[weights], weights).reset_index(drop=True),
        class_weight=weighting.check_class_weight(class_weight, task, classes),
        column_kinds=given,
    )


def table(source: Any) -> pd.DataFrame:
    """A path, pandas, Polars or Arrow table as a pandas DataFrame (no target needed)."""
    if isinstance(source, np.ndarray):
        raise DataError("table() reads tables; for numpy arrays use load(X, y).")
    frame, _, _ = _as_frame(source, None)
    return frame


def _as_frame(source: Any, target: Any) -> tuple[pd.DataFrame, str | None, str]:
    """The source as a pandas DataFrame, the target's column name, and a display name."""
    if isinstance(source, (str, Path)):
        return _read_file(Path(source)), target, Path(source).stem
    if isinstance(source, pd.DataFrame):
        return source.copy(), target, "data"
    if type(source).__module__.split(".")[0] == "polars":
        return source.to_pandas(), target, "data"
    if type(source).__module__.split(".")[0] == "pyarrow":
        return source.to_pandas(), target, "data"
    if isinstance(source, tuple) and len(source) == 2 and target is None:
        source, target = source
    if isinstance(source, np.ndarray):
        X = source.reshape(len(source), -1) if source.ndim != 2 else source
        if target is None or isinstance(target, str):
            raise DataError("For numpy input give the labels as an array: load(X, y).")
        y = np.asarray(target)
        if len(y) != len(X):
            raise DataError(f"X has {len(X)} rows but the target has {len(y)}; they must match.")
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        if y.ndim == 2 and y.shape[1] > 1:  # several targets: target_0, target_1, ...
            names = [f"target_{j}" for j in range(y.shape[1])]
            return frame.assign(**dict(zip(names, y.T))), names, "array"
        frame["target"] = y.reshape(len(y)) if y.ndim == 2 else y
        return frame, "target", "array"
    raise DataError(
        f"Cannot read data of type {type(source).__name__}. Give a CSV or Parquet path, a pandas "
        "or Polars DataFrame, an Arrow table, or numpy arrays (X, y)."
    )


def _read_file(path: Path) -> pd.DataFrame:
    try:
        mode = path.stat().st_mode  # follows links: a loop or a dangling link fails here
    except FileNotFoundError:
        raise DataError(
            f"Data file not found: {str(path)!r}. Check the path (relative to {str(Path.cwd())!r})."
        ) from None
    except OSError as exc:
        raise DataError(
            f"Cannot open the data file {str(path)!r}: {exc.strerror}. Give the path of the file "
            "itself."
        ) from None
    if not stat.S_ISREG(
        mode
    ):  # a FIFO or a device would block or never end; a folder is not a table
        raise DataError(
            f"The data path {str(path)!r} is not a regular file (it is a "
            f"{'folder' if stat.S_ISDIR(mode) else 'pipe, socket or device'}). Give a .csv or "
            ".parquet file; copy streamed data to a file first."
        )
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv", ".gz"):
            sep = "\t" if suffix == ".tsv" else ","
            header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0].tolist()
            repeated = sorted({str(n) for n in header if header.count(n) > 1})
            if repeated:  # pandas would rename them a, a.1: say so rather than guess which is which
                raise DataError(
                    f"The file {str(path)!r} has repeated column names {repeated}. Rename them so "
                    "that each column has its own name."
                )
            return pd.read_csv(path, sep=sep)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(
            f"The file {str(path)!r} is empty. Give a table with a header and rows."
        ) from None
    except Exception as exc:  # pandas and pyarrow raise many types for unreadable files
        raise DataError(
            f"Could not read {str(path)!r} as a {suffix[1:]} table: {exc}. "
            "Check that the file is complete and in that format."
        ) from None
    raise DataError(f"Unknown file type {suffix!r} for {str(path)!r}. Use a .csv or .parquet file.")


def _task(y: pd.Series, task: str | None, name: str) -> Task:
    """The task given (checked against the target by the task itself), or the one the target
    implies."""
    distinct = y.nunique()
    if (
        distinct < 2 and task is None
    ):  # a given test table may hold one class; training tables are checked by split
        first = y.iloc[0].item() if hasattr(y.iloc[0], "item") else y.iloc[0]
        raise DataError(
            f"The target {name!r} has a single value ({first!r}) in every row: there is "
            "nothing to learn. Check the target column."
        )
    if task is not None:
        return get_task(task)
    numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
    if distinct == 2:
        return get_task("binary")
    if not numeric:
        return get_task("multiclass")
    integer_valued = bool(np.all(np.mod(y.to_numpy(dtype="float64"), 1) == 0))
    return get_task(
        "multiclass" if integer_valued and distinct <= MAX_INFERRED_CLASSES else "regression"
    )


def _as_time(column: pd.Series, name: str) -> pd.Series:
    """The time column as something totally ordered: numbers or datetimes (strings are parsed)."""
    if column.isna().any():
        raise DataError(
            f"The time column {name!r} has {int(column.isna().sum())} missing values. "
            "Every row needs a time to be split by time."
        )
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column
    try:
        return pd.to_datetime(column)
    except (ValueError, TypeError):
        raise DataError(
            f"The time column {name!r} holds values such as {column.iloc[0]!r} that are neither "
            "numbers nor dates. Give a numeric or date column."
        ) from None
