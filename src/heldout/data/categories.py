"""Categories, one-hot: one column per training category (the most frequent ``max_categories``,
a missing value being the category ``<missing>``). A category never seen in training encodes as
all zeros, unless the column had more categories than kept: then every category outside the
kept ones, seen or unseen, shares one last ``<infrequent>`` column.

>>> import pandas as pd
>>> col = fit("colour", pd.Series(["red", "blue", "red", None]), max_categories=50)
>>> names(col), transform(col, pd.Series(["red", "green"])).tolist()
(['colour=<missing>', 'colour=blue', 'colour=red'], [[0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import weights as weighting

MISSING = "<missing>"
INFREQUENT = "<infrequent>"


def labels(values: pd.Series) -> pd.Series:
    """Each value as the text its category is named by (``str(value)``; ``<missing>`` where
    missing)."""
    return values.astype(object).where(values.notna(), MISSING).map(str)


def fit(
    name: str,
    values: pd.Series,
    max_categories: int,
    kind: str = "categorical",
    weights: np.ndarray | None = None,
) -> dict:
    """The one-hot treatment learned from training ``values``, each row counted by its weight."""
    counts = weighting.counts(labels(values), weights)
    keep = sorted(counts.index[:max_categories].tolist())
    if len(counts) > max_categories:
        keep.append(INFREQUENT)
    return {"name": name, "kind": kind, "treatment": "one_hot", "categories": keep}


def known(col: dict) -> list[str]:
    """The categories that have a column of their own (all but ``<infrequent>``)."""
    categories = col["categories"]
    return categories[:-1] if categories and categories[-1] == INFREQUENT else categories


def names(col: dict) -> list[str]:
    return [f"{col['name']}={c}" for c in col["categories"]]


def transform(col: dict, values: pd.Series) -> np.ndarray:
    categories, kept = col["categories"], known(col)
    codes = labels(values).map({c: i for i, c in enumerate(kept)})
    out = np.zeros((len(values), len(categories)), dtype=np.float64)
    hit = codes.notna().to_numpy()
    out[np.flatnonzero(hit), codes[hit].astype(int).to_numpy()] = 1.0
    if len(kept) < len(categories):  # everything outside the kept categories shares the last column
        out[:, -1] = (~hit).astype(np.float64)
    return out
