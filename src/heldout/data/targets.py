"""Which columns are the target: one column, or several numeric ones (multi-output regression).

``load(table, target=...)`` takes a column name or a list of names. A name that is a column of
the table is that one column, commas and all; a name that is not a column, but whose
comma-separated pieces all are, names those columns (so ``--target y1,y2`` and a column called
``"a,b"`` both work). A list of one name is that one target, exactly as the name alone.

Several targets make one regression model with one output per target, each target standardised
on the training rows on its own (:mod:`heldout.task.target_scale`). Each must be numeric and
have no missing values; a class label takes one target of its own.

>>> columns = ["x", "y1", "y2"]
>>> names("y1,y2", columns), names(["y2"], columns), names("a,b", ["x", "a,b", "a", "b"])
(['y1', 'y2'], ['y2'], ['a,b'])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..task import Task
from ..task import get as get_task


def names(target, columns: list[str]) -> list[str]:
    """The target columns that ``target`` (a name, or a list of names) says, checked against the
    table's ``columns``; a DataError that lists the columns when one is missing."""
    if target is None or (isinstance(target, (list, tuple)) and not target):
        raise DataError(
            f"Say which column is the target (target=... or --target). The columns are: {columns}."
        )
    if isinstance(target, (list, tuple)):
        given = [str(t) for t in target]
    elif str(target) in columns or "," not in str(target):
        given = [str(target)]
    else:  # not a column itself: a comma-separated list of columns
        given = [piece.strip() for piece in str(target).split(",")]
    missing = [t for t in given if t not in columns]
    if missing and len(given) == 1:
        raise DataError(
            f"Target column {given[0]!r} is not in the table. The columns are: {columns}."
        )
    if missing:
        raise DataError(
            f"Target columns {missing} (of {given}) are not in the table. The columns are: "
            f"{columns}."
        )
    repeated = sorted({t for t in given if given.count(t) > 1})
    if repeated:
        raise DataError(
            f"Target column(s) {repeated} are named more than once in {given}. Name each target "
            "once."
        )
    return given


def several(frame: pd.DataFrame, given: list[str], task: str | None) -> tuple[Task, pd.DataFrame]:
    """The regression task and the target columns (float64) of a multi-output table, or the error
    that says why these columns cannot be several targets."""
    if task is not None and get_task(task).has_classes:
        raise ConfigError(
            f"Several targets {given} make one multi-output regression, but task={task!r} was "
            "given. Multi-output needs numeric targets; classification takes one target: give one "
            "column, or task='regression'."
        )
    regression = get_task("regression")
    out = {}
    for name in given:
        y = frame[name]
        if not (pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)):
            raise DataError(
                f"The target {name!r} holds {y.dtype} values such as {y.iloc[0]!r}, but several "
                f"targets {given} make one multi-output regression. Multi-output needs numeric "
                "targets; classification takes one target: train a classifier on that column alone."
            )
        missing(y, name)
        out[name] = regression.check_target(y, name)
    return regression, pd.DataFrame(out).reset_index(drop=True)


def n_outputs(targets: tuple[str, ...], task: Task, classes: tuple | None) -> int:
    """A model's outputs: one per target of a multi-output regression, else the task's own."""
    return len(targets) if len(targets) > 1 else task.n_outputs(classes)


def missing(y: pd.Series, name: str) -> None:
    """A DataError naming the first rows where the target ``name`` has no value."""
    if y.isna().any():
        where = np.flatnonzero(y.isna().to_numpy())
        raise DataError(
            f"The target column {name!r} has {len(where)} missing values (first at rows "
            f"{where[:5].tolist()}). Drop those rows or fill them before training."
        )
