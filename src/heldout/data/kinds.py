"""How a feature column is read — its kind — from its values, or as the user says.

The kinds read from values: ``bool``, ``numeric``, ``datetime`` (datetimes; columns of Python
``date`` or ``datetime`` objects, as Parquet and Arrow readers give dates; and text whose every
value is an ISO date or timestamp such as ``2024-01-31`` or ``2024-01-31T08:00:00Z``, as CSV
files hold them) and ``categorical`` (any other text). What a kind becomes is the preprocessing's
choice (:mod:`heldout.data.features`): a categorical column with more distinct training values
than the one-hot cap is encoded as text. ``column_kinds={"name": kind}`` (``--column-kind
name=kind``) says a column's kind instead, one of :data:`KINDS`; a column said to be categorical
is one-hot encoded however many values it has.

>>> import pandas as pd
>>> dates = pd.Series(["2024-01-31", "2024-02-01 08:00", None])
>>> column_kind(dates), column_kind(pd.Series(["a", "b"]))
('datetime', 'categorical')
>>> check({"zip": "categorical"}, ["zip", "price"])
{'zip': 'categorical'}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..errors import ConfigError

KINDS = ("numeric", "categorical", "datetime", "text")  # what column_kinds may say
_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"


def column_kind(column: pd.Series) -> str:
    """How a feature column is read from its values: 'bool', 'numeric', 'datetime' or
    'categorical'."""
    if pd.api.types.is_bool_dtype(column):
        return "bool"
    if pd.api.types.is_datetime64_any_dtype(column):
        return "datetime"
    if pd.api.types.is_numeric_dtype(column):
        return "numeric"
    # the values as Python objects: Arrow-backed columns (strings, dictionaries) read alike
    present = pd.Series(list(column.dropna().unique()), dtype=object)
    if len(present) and present.map(lambda v: isinstance(v, (dt.date, pd.Timestamp))).all():
        return "datetime"  # dates and timestamps as objects, as Parquet and Arrow readers give them
    return "datetime" if _dates_as_text(present) else "categorical"


def _dates_as_text(present: pd.Series) -> bool:
    """Whether every present value (distinct, as Python objects) is text in ISO date form that
    pandas reads as a date."""
    for rows in (
        present.iloc[:100],
        present,
    ):  # most text columns fail on their first values: cheaply
        if (
            len(rows) == 0
            or not rows.map(lambda v: isinstance(v, str)).all()
            or not rows.str.match(_ISO).all()
        ):
            return False
    return bool(pd.to_datetime(present, errors="coerce", format="ISO8601", utc=True).notna().all())


def check(column_kinds: Any, columns) -> dict[str, str]:
    """``column_kinds`` as a dict, or the ConfigError that says which name or kind is wrong."""
    if column_kinds is None:
        return {}
    if not isinstance(column_kinds, dict):
        raise ConfigError(
            f"column_kinds must be a mapping {{column: kind}}, got {column_kinds!r}. Try "
            "column_kinds={'zip_code': 'categorical'} or --column-kind zip_code=categorical."
        )
    columns = [str(c) for c in columns]
    for name, kind in column_kinds.items():
        if kind not in KINDS:
            raise ConfigError(
                f"The kind of column {name!r} must be one of {list(KINDS)}, got {kind!r}."
            )
        if str(name) not in columns:
            raise ConfigError(
                f"column_kinds names {name!r}, which is not a feature column. The feature columns "
                f"are: {columns}."
            )
    return {str(k): v for k, v in column_kinds.items()}
