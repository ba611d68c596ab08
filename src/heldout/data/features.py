"""Preprocessing learned from training rows only, stored as plain numbers and strings.

Each column gets a treatment from its kind (:mod:`heldout.data.kinds`, overridable with
``column_kinds``), learned from the training rows and applied identically to any other rows:

- ``number`` (numeric and boolean columns, :mod:`.numeric`): median-imputed, standardised;
- ``one_hot`` (categorical columns with at most ``max_categories`` training values, or said to
  be categorical, :mod:`.categories`);
- ``calendar`` (dates and timestamps, :mod:`.calendar`): calendar parts, periodic encodings
  and elapsed time;
- ``text`` (text, and categorical columns with more values than one-hot keeps, :mod:`.text`):
  tf-idf of character n-grams reduced by truncated SVD.

A column with missing values in training also gets a ``<missing>`` indicator column (one-hot
columns have the ``<missing>`` category instead). The learned state is JSON (:meth:`to_dict`)
plus, for text columns, numeric arrays (:meth:`arrays`) that a bundle stores as tensors.

>>> import pandas as pd
>>> train = pd.DataFrame({"size": [1.0, 2.0, None, 3.0], "colour": ["red", "blue", "red", None]})
>>> f = Features().fit(train)
>>> f.output_names_
['size', 'size=<missing>', 'colour=<missing>', 'colour=blue', 'colour=red']
>>> f.transform(pd.DataFrame({"size": [2.0], "colour": ["green"]})).tolist()  # unseen colour: zeros
[[0.0, 0.0, 0.0, 0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from . import calendar, categories, kinds, numeric, text

MISSING, INFREQUENT = categories.MISSING, categories.INFREQUENT
TREATMENTS = {"number": numeric, "one_hot": categories, "calendar": calendar, "text": text}
ARRAYS = ("idf", "components")  # the column state's entries kept as arrays, not JSON


class Features:
    """Fit-on-train preprocessing. ``fit`` learns ``columns_``; ``transform`` applies it to any
    rows."""

    def __init__(self, max_categories: int = 50, column_kinds: dict[str, str] | None = None):
        self.max_categories = (
            max_categories  # one-hot width cap per column; beyond it, text (or <infrequent>)
        )
        self.column_kinds = (
            column_kinds  # column -> kind (kinds.KINDS), overriding the kind read from values
        )

    def fit(self, frame: pd.DataFrame, weights: np.ndarray | None = None) -> "Features":
        """Learn each column's treatment from these rows, each counted by its weight (when given:
        weighted median, mean, standard deviation and category counts, :mod:`heldout.data.weights`;
        the text encoder counts every row once)."""
        if self.max_categories < 1:
            raise ConfigError(f"max_categories must be at least 1, got {self.max_categories}.")
        given = kinds.check(self.column_kinds, frame.columns)
        self.columns_ = [
            self._fit_column(str(name), frame[name], given.get(str(name)), weights)
            for name in frame.columns
        ]
        return self

    @property
    def output_names_(self) -> list[str]:
        return [name for col in self.columns_ for name in _treatment(col).names(col)]

    def widths(self) -> list[int]:
        """How many model inputs each column becomes, in order: :meth:`transform`'s matrix is these
        blocks side by side, each computed from its own column alone."""
        return [len(_treatment(col).names(col)) for col in self.columns_]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows as a float32 matrix, using only what ``fit`` learned."""
        if not hasattr(self, "columns_"):
            raise ConfigError(
                "This Features instance is not fitted yet. Call 'fit' with the training rows first."
            )
        for col in self.columns_:
            if col["name"] not in frame.columns:
                raise DataError(
                    f"Column {col['name']!r} is missing from the data. The model was trained with "
                    f"columns {[c['name'] for c in self.columns_]}."
                )
        # each column's block written in place: no float64 matrix of every block, then a float32
        # copy
        out, at = np.empty((len(frame), sum(self.widths())), dtype=np.float32), 0
        for col in self.columns_:
            block = np.asarray(_treatment(col).transform(col, frame[col["name"]]))
            out[:, at : at + block.shape[1]] = block
            at += block.shape[1]
        return out

    def to_dict(self) -> dict:
        """The learned state as JSON-able values, without :meth:`arrays`."""
        columns = [{k: v for k, v in col.items() if k not in ARRAYS} for col in self.columns_]
        return {"max_categories": self.max_categories, "columns": columns}

    def arrays(self) -> dict[str, np.ndarray]:
        """The learned numeric arrays (text columns' idf weights and SVD components), by
        ``COLUMN_INDEX.NAME``; none for a table without text columns."""
        return {
            f"{i}.{key}": np.asarray(col[key])
            for i, col in enumerate(self.columns_)
            for key in ARRAYS
            if key in col
        }

    @classmethod
    def from_dict(cls, state: dict, arrays: dict[str, np.ndarray] | None = None) -> "Features":
        """The preprocessing :meth:`to_dict` and :meth:`arrays` describe (also the state of bundles
        written before treatments were named: numbers, dates as seconds, and one-hot)."""
        f = cls(max_categories=state["max_categories"])
        f.columns_ = [dict(col) for col in state["columns"]]
        for key, value in (arrays or {}).items():
            index, name = key.split(".", 1)
            f.columns_[int(index)][name] = np.asarray(value, dtype=np.float64)
        return f

    def describe(self) -> list[dict]:
        """One row per column: its kind, whether the kind was given or read from the values, its
        treatment in words, how many model inputs it became, and whether it has a missing
        indicator."""
        return [
            {
                "column": col["name"],
                "kind": col["kind"],
                "kind from": "given" if col.get("given") else "values",
                "treatment": _words(col),
                "inputs": len(_treatment(col).names(col)),
                "missing indicator": bool(col.get("indicator"))
                or MISSING in col.get("categories", ()),
            }
            for col in self.columns_
        ]

    def _fit_column(
        self, name: str, values: pd.Series, given: str | None, weights: np.ndarray | None
    ) -> dict:
        kind = given or kinds.column_kind(values)
        if kind in ("numeric", "bool"):
            col = numeric.fit(name, values, kind, weights)
        elif kind == "datetime":
            col = calendar.fit(name, values, weights)
        elif kind == "text" or (given is None and _distinct(values) > self.max_categories):
            col = text.fit(
                name, values
            )  # read as text: more values than one-hot keeps, or said to be text
        else:
            col = categories.fit(name, values, self.max_categories, kind, weights)
        return dict(col, given=True) if given else col


def _distinct(values: pd.Series) -> int:
    return int(values.dropna().astype(str).nunique())


def treatment_of(col: dict) -> str:
    """The name of a column's treatment (bundles written before treatments were named hold numbers
    and one-hot columns only)."""
    return col.get("treatment") or ("one_hot" if col["kind"] == "categorical" else "number")


def _treatment(col: dict):
    return TREATMENTS[treatment_of(col)]


def _words(col: dict) -> str:
    treatment = treatment_of(col)
    if treatment == "one_hot":
        kept = categories.known(col)
        return f"one-hot over {len(kept)} categories" + (
            ", the rarer ones sharing <infrequent>" if len(kept) < len(col["categories"]) else ""
        )
    if treatment == "calendar":
        parts = [s[0] for s in col["standardise"] if s[0] != "elapsed"]
        cycles = [c for c, _ in calendar.CYCLES if c != "hour" or col["with_time"]]
        return (
            f"calendar parts ({', '.join(parts)}) standardised; sine and cosine of "
            f"{', '.join(cycles)}; time elapsed since 1970, standardised; missing dates filled "
            "with the median"
        )
    if treatment == "text":
        return (
            f"tf-idf of {len(col['vocabulary'])} character "
            f"{text.NGRAMS[0]}-{text.NGRAMS[1]}-grams, truncated SVD to {len(col['mean'])} "
            "components"
        )
    if col["kind"] == "datetime":
        return "seconds since 1970, median-imputed, standardised"
    return f"median-imputed ({col['fill']:.4g}), standardised"
