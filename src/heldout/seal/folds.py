"""Cross-validation folds over the rows a model may learn from (training and validation pooled).

The folds follow the split's strategy, through scikit-learn's splitters: ``stratified`` keeps
each class's share in every fold (``StratifiedKFold``), ``group`` keeps each group within one
fold (``GroupKFold``), ``time`` validates each fold on rows later than all of its training rows
(``TimeSeriesSplit``), ``random`` is ``KFold``. Shuffling is seeded by the split's seed.

>>> import numpy as np, pandas as pd
>>> from heldout.data.dataset import load
>>> ds = load(pd.DataFrame({"x": np.arange(10.0), "y": [0, 1] * 5}), target="y")
>>> [len(v) for _, v in assign(ds, 5, "stratified", seed=0)]
[2, 2, 2, 2, 2]
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

from ..data.dataset import Dataset
from ..errors import ConfigError, DataError


def assign(rows: Dataset, k: int, strategy: str, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` pairs of (training positions, validation positions) over ``rows``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ConfigError(
            f"folds must be an integer of at least 2, got {k!r}. Try folds=5, or leave it out "
            "to validate on the split's validation rows."
        )
    if k > len(rows):
        raise DataError(
            f"folds={k} is more than the {len(rows)} rows available for cross-validation. "
            f"Use folds<={len(rows)}."
        )
    if strategy == "stratified":
        counts = rows.target.value_counts()
        if counts.min() < k:
            raise DataError(
                f"folds={k} needs at least {k} rows of every class, but class {counts.idxmin()!r} "
                f"has {counts.min()} among the training and validation rows. Use "
                f"folds<={counts.min()}."
            )
        parts = StratifiedKFold(k, shuffle=True, random_state=seed).split(
            rows.features, rows.target
        )
    elif strategy == "group":
        n_groups = rows.groups.nunique()
        if n_groups < k:
            raise DataError(
                f"folds={k} needs at least {k} groups, but the training and validation rows hold "
                f"{n_groups}. Use folds<={n_groups}."
            )
        parts = GroupKFold(k, shuffle=True, random_state=seed).split(
            rows.features, groups=rows.groups
        )
    elif strategy == "time":
        order = np.argsort(rows.time.to_numpy(), kind="stable")
        parts = ((order[tr], order[va]) for tr, va in TimeSeriesSplit(k).split(order))
    else:
        parts = KFold(k, shuffle=True, random_state=seed).split(rows.features)
    return [(np.sort(tr), np.sort(va)) for tr, va in parts]
