"""Stable 64-bit fingerprints of rows and of row sets.

Rows are hashed with pandas' ``hash_pandas_object`` after canonicalisation, so the same row gets
the same fingerprint in every process and whatever its dtypes: integers and floats of equal value
agree, ``-0.0`` equals ``0.0``, every NaN is one NaN, and a missing category is one missing value.
Column names take part, so equal numbers under different columns do not collide.

>>> import pandas as pd
>>> a = row_fingerprints(pd.DataFrame({"x": [1, 2]}), pd.Series([0, 1]))
>>> b = row_fingerprints(pd.DataFrame({"x": [1.0, 2.0]}), pd.Series([0.0, 1.0]))
>>> bool((a == b).all())
True
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

_MISSING = "\x00<missing>"
_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd constant: keeps column order significant when combining


def row_fingerprints(features: pd.DataFrame, target: pd.Series | None = None) -> np.ndarray:
    """One uint64 per row over the feature columns (and the target, when given)."""
    columns = [(str(c), features[c]) for c in features.columns]
    if target is not None:
        columns.append(("\x00target", target))
    out = np.zeros(len(features), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name, column in columns:
            hashed = pd.util.hash_pandas_object(_canonical(column), index=False).to_numpy()
            out = out * _MIX + (hashed ^ _name_hash(name))
    return out


def set_fingerprint(fingerprints: np.ndarray) -> str:
    """A hex digest of a set of rows: independent of their order."""
    return hashlib.sha256(np.sort(np.asarray(fingerprints, dtype=np.uint64)).tobytes()).hexdigest()[:16]


def _canonical(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        values = np.where(np.isnan(values), np.nan, values + 0.0)  # one NaN; -0.0 + 0.0 == +0.0
        return pd.Series(values)
    values = column.astype(object).where(column.notna(), _MISSING)
    return pd.Series([str(v) for v in values], dtype=object)


def _name_hash(name: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little"))
