"""Stable 64-bit fingerprints of rows and of row sets.

Rows are hashed with pandas' ``hash_pandas_object`` after canonicalisation, so the same row gets
the same fingerprint in every process and whatever its dtypes: integers and floats of equal value
agree, ``-0.0`` equals ``0.0``, every NaN is one NaN, and a missing category is one missing value.
Column names take part, so equal numbers under different columns do not collide; column *order*
does not: the per-column hashes are combined in sorted column-name order, so a table whose columns
were reordered has the same row fingerprints. Rows of a table with extra columns are recognised
by fingerprinting them over the columns they share (``row_fingerprints(frame[columns], ...)``).

The target takes part under a key of its own (``_TARGET``), so its column name does not. A
multi-output table's targets (a DataFrame) each take part under ``_TARGETS`` + its name: their names
do, their order does not. One target given as a one-column DataFrame is that column: its rows
keep the single-target fingerprint.

The definition is versioned (:data:`FINGERPRINT_VERSION`): the ledger stores fingerprints of
sealed rows, so a change here is a new version, and a ledger written under another one is
refused rather than silently failing to recognise its rows. ``tests/data/test_fingerprint.py``
pins the current definition with golden values.

>>> import pandas as pd
>>> a = row_fingerprints(pd.DataFrame({"x": [1, 2], "c": ["u", "v"]}), pd.Series([0, 1]))
>>> b = row_fingerprints(pd.DataFrame({"c": ["u", "v"], "x": [1.0, 2.0]}), pd.Series([0.0, 1.0]))
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

# 1: columns combined in table order. 2: combined in sorted column-name order (order-independent).
FINGERPRINT_VERSION = 2

_MISSING = "\x00<missing>"
_TARGET = "\x00target"  # the target's key: its column name does not take part
_TARGETS = "\x00target:"  # several targets: each under this key and its name
_MIX = np.uint64(
    0x9E3779B97F4A7C15
)  # odd constant: keeps the combination sensitive to which column is which


def row_fingerprints(
    features: pd.DataFrame, target: pd.Series | pd.DataFrame | None = None
) -> np.ndarray:
    """One uint64 per row over the feature columns (and the target, or the targets of a
    multi-output table, when given), independent of the order of the columns."""
    columns = {str(c): features[c] for c in features.columns}
    if isinstance(target, pd.DataFrame) and target.shape[1] == 1:
        target = target.iloc[:, 0]
    if isinstance(target, pd.DataFrame):
        columns.update({f"{_TARGETS}{c}": target[c] for c in target.columns})
    elif target is not None:
        columns[_TARGET] = target
    out = np.zeros(len(features), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name in sorted(columns):
            hashed = pd.util.hash_pandas_object(_canonical(columns[name]), index=False).to_numpy()
            out = out * _MIX + (hashed ^ _name_hash(name))
    return out


def set_fingerprint(fingerprints: np.ndarray) -> str:
    """A hex digest of a set of rows: independent of their order."""
    return hashlib.sha256(np.sort(np.asarray(fingerprints, dtype=np.uint64)).tobytes()).hexdigest()[
        :16
    ]


def _canonical(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        values = np.where(np.isnan(values), np.nan, values + 0.0)  # one NaN; -0.0 + 0.0 == +0.0
        return pd.Series(values)
    values = column.astype(object).where(column.notna(), _MISSING)
    return pd.Series([str(v) for v in values], dtype=object)


def _name_hash(name: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little"))


def members(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Which ``values`` occur in ``pool``: one sort and a binary search (several times faster than
    ``np.isin`` on a million 64-bit fingerprints, which hashes both sides)."""
    pool = np.sort(np.asarray(pool, dtype=np.uint64))
    if len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    values = np.asarray(values, dtype=np.uint64)
    return pool[np.searchsorted(pool, values).clip(max=len(pool) - 1)] == values
