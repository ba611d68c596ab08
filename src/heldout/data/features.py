"""Preprocessing learned from training rows only, stored as plain numbers.

Numeric, boolean and datetime columns: missing values filled with the training median, then
standardised with the training mean and standard deviation. Categorical columns: one-hot over
the training categories (the most frequent ``max_categories``). A category never seen in training
encodes as all zeros, unless the column had more than ``max_categories`` categories: then every
category outside the kept ones, seen or unseen, shares one last ``<infrequent>`` column.

>>> import pandas as pd
>>> train = pd.DataFrame({"size": [1.0, 2.0, None, 3.0], "colour": ["red", "blue", "red", None]})
>>> f = Features().fit(train)
>>> f.output_names_
['size', 'colour=<missing>', 'colour=blue', 'colour=red']
>>> f.transform(pd.DataFrame({"size": [2.0], "colour": ["green"]})).tolist()  # unseen colour: zeros
[[0.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .dataset import column_kind
from ..errors import ConfigError, DataError

MISSING = "<missing>"
INFREQUENT = "<infrequent>"


class Features:
    """Fit-on-train preprocessing. ``fit`` learns ``columns_``; ``transform`` applies it to any rows."""

    def __init__(self, max_categories: int = 50):
        self.max_categories = max_categories  # one-hot width cap per column; rarer categories share one column

    def fit(self, frame: pd.DataFrame) -> "Features":
        if self.max_categories < 1:
            raise ConfigError(f"max_categories must be at least 1, got {self.max_categories}.")
        self.columns_ = [self._fit_column(name, frame[name]) for name in frame.columns]
        return self

    @property
    def output_names_(self) -> list[str]:
        names = []
        for col in self.columns_:
            if col["kind"] == "categorical":
                names += [f"{col['name']}={c}" for c in col["categories"]]
            else:
                names.append(col["name"])
        return names

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows as a float32 matrix, using only what ``fit`` learned."""
        if not hasattr(self, "columns_"):
            raise ConfigError("This Features instance is not fitted yet. Call 'fit' with the training rows first.")
        blocks = []
        for col in self.columns_:
            if col["name"] not in frame.columns:
                raise DataError(f"Column {col['name']!r} is missing from the data. The model was trained with "
                                f"columns {[c['name'] for c in self.columns_]}.")
            values = frame[col["name"]]
            if col["kind"] == "categorical":
                blocks.append(_one_hot(values, col["categories"]))
            else:
                x = _numeric(values, col["name"], col["kind"])
                x = np.where(np.isnan(x), col["fill"], x)
                blocks.append(((x - col["mean"]) / col["scale"])[:, None])
        return np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)

    def to_dict(self) -> dict:
        return {"max_categories": self.max_categories, "columns": self.columns_}

    @classmethod
    def from_dict(cls, state: dict) -> "Features":
        f = cls(max_categories=state["max_categories"])
        f.columns_ = state["columns"]
        return f

    def _fit_column(self, name: str, values: pd.Series) -> dict:
        kind = column_kind(values)
        if kind == "categorical":
            labels = _labels(values)
            counts = labels.value_counts()
            keep = sorted(counts.index[: self.max_categories].tolist())
            if len(counts) > self.max_categories:
                keep.append(INFREQUENT)
            return {"name": name, "kind": kind, "categories": keep}
        x = _numeric(values, name, kind)
        present = x[~np.isnan(x)]
        if len(present) == 0:
            raise DataError(f"Column {name!r} has no values in the training rows, so its missing values cannot "
                            "be imputed. Drop the column or give it values.")
        fill = float(np.median(present))
        filled = np.where(np.isnan(x), fill, x)
        std = float(filled.std())
        return {"name": name, "kind": kind, "fill": fill, "mean": float(filled.mean()),
                "scale": std if std > 0 else 1.0}


def _numeric(values: pd.Series, name: str, kind: str) -> np.ndarray:
    """Float64 values with NaN for missing; infinities are refused (they cannot be imputed honestly)."""
    if kind == "datetime":
        stamps = pd.to_datetime(values, errors="coerce")
        x = (stamps - pd.Timestamp(0, tz=getattr(stamps.dt, "tz", None))).dt.total_seconds().to_numpy(dtype="float64",
                                                                                                      na_value=np.nan)
        return x
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        if len(bad):
            raise DataError(f"Column {name!r} must be numeric (as in training) but holds {bad.iloc[0]!r}. "
                            "Give numbers in that column.")
        values = pd.to_numeric(values, errors="coerce")
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        rows = np.flatnonzero(infinite)
        raise DataError(f"Column {name!r} has {len(rows)} infinite value(s) (first at rows {rows[:5].tolist()}), "
                        "which cannot be imputed or scaled. Replace them with missing values (NaN) to impute "
                        "them, clip them to a finite range, or drop the rows.")
    return x


def _labels(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), MISSING).map(str)


def _one_hot(values: pd.Series, categories: list[str]) -> np.ndarray:
    labels = _labels(values)
    known = categories[:-1] if categories and categories[-1] == INFREQUENT else categories
    index = {c: i for i, c in enumerate(known)}
    codes = labels.map(index)
    out = np.zeros((len(values), len(categories)), dtype=np.float32)
    hit = codes.notna().to_numpy()
    out[np.flatnonzero(hit), codes[hit].astype(int).to_numpy()] = 1.0
    if len(known) < len(categories):  # everything outside the kept categories shares the last column
        out[:, -1] = (~hit).astype(np.float32)
    return out
