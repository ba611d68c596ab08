"""Twins — rows with the same feature values in two parts of a split — and whether chance explains
them.

Survey answers on a few short scales repeat by chance: many people give the same answers. A
panel's people recurring over several years, or copied measurements, repeat because they are
the same rows: they agree on columns with many distinct values, where chance agreement is rare.
The test: a twinned row's expected number of chance matches among the ``pool`` rows,

    E = n_pool × Π p_j(x_j)    over the columns j with more than ``DISCRETE_LEVELS`` distinct
    values,

with p_j the frequency of the row's value in column j among the pool rows (columns are taken as
independent). Discrete columns contribute nothing: their values may be determined by each other
(answers to related questions), and counting them would call legitimate repetition improbable.
A twin with E below ``IMPROBABLE`` is not chance: it is entity recurrence or a copied row.

>>> import pandas as pd
>>> pool = pd.DataFrame({"income": [float(i) for i in range(100)], "answer": [1, 2] * 50})
>>> expected_chance_matches(pool.iloc[[3]], pool).round(3).tolist()   # a unique income: 100 × 1/100
[1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.fingerprint import members

DISCRETE_LEVELS = 50  # columns with at most this many distinct values are discrete (iris: 22 to 43)
IMPROBABLE = 0.05  # fewer expected chance matches than this: the twin is not chance
FREQUENCY_ROWS = 50_000  # value frequencies are estimated on at most this many pool rows


def twin_mask(rows, pools: list) -> np.ndarray:
    """Which of ``rows`` (a Dataset) have the same feature values as some row of the ``pools``."""
    theirs = (
        np.concatenate([p.feature_fingerprints for p in pools]) if pools else np.zeros(0, np.uint64)
    )
    return members(rows.feature_fingerprints, theirs)


def pool_sample(pools: list, seed: int = 0) -> tuple[pd.DataFrame, int]:
    """At most ``FREQUENCY_ROWS`` feature rows drawn from the pools (Datasets) in proportion to
    their sizes, and the pools' total row count: value frequencies without copying every row."""
    total = sum(len(p) for p in pools)
    rng = np.random.default_rng(seed)
    parts = []
    for p in pools:
        share = len(p) if total <= FREQUENCY_ROWS else int(round(FREQUENCY_ROWS * len(p) / total))
        pick = (
            np.arange(len(p))
            if share >= len(p)
            else np.sort(rng.choice(len(p), share, replace=False))
        )
        parts.append(p.features.iloc[pick])
    return pd.concat(parts, ignore_index=True), total


def expected_chance_matches(
    rows: pd.DataFrame, sample: pd.DataFrame, n_pool: int | None = None
) -> np.ndarray:
    """For each of ``rows``, how many of ``n_pool`` rows (value frequencies from ``sample``, by
    default the whole pool) would share its values on the many-valued columns by chance (see the
    module docstring)."""
    n_pool = len(sample) if n_pool is None else n_pool
    log_expected = np.full(len(rows), np.log(max(n_pool, 1)))
    for column in sample.columns:
        values = _canonical(sample[column])
        frequencies = values.value_counts(normalize=True, dropna=False)
        if len(frequencies) <= DISCRETE_LEVELS:
            continue
        looked_up = (
            _canonical(rows[column])
            .map(np.log(frequencies))
            .to_numpy(dtype=float, na_value=-np.inf)
        )
        log_expected += looked_up
    return np.exp(log_expected)


def unexplained(rows: pd.DataFrame, twins: np.ndarray, pools: list) -> tuple[np.ndarray, float]:
    """The twins that chance does not explain (a mask over ``rows``' features) given the ``pools``
    (Datasets) they were found in, and how many twinned rows chance would give among them."""
    out = np.zeros(len(rows), dtype=bool)
    if not twins.any():
        return out, 0.0
    where = np.flatnonzero(twins)
    sample, n_pool = pool_sample(pools)
    expected = expected_chance_matches(rows.iloc[where], sample, n_pool)
    out[where[expected < IMPROBABLE]] = True
    return out, float((1 - np.exp(-expected[expected < IMPROBABLE])).sum())


def _canonical(column: pd.Series) -> pd.Series:
    """Values as keys: numbers as float64 (1 and 1.0 agree), everything else as text; missing as one
    key."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return pd.Series(column.to_numpy(dtype="float64", na_value=np.nan) + 0.0)
    return pd.Series(
        [None if v is None or v != v else str(v) for v in column.astype(object)], dtype=object
    )


def copied_test_rows(train, validation, sealed) -> dict[str, np.ndarray]:
    """Positions of training and validation rows identical (features and label) to rows of the
    split's own test set that chance does not explain — copies, not legitimate repetition."""
    out = {}
    for part, rows in (("training", train), ("validation", validation)):
        same = sealed.holds(rows.fingerprints)
        if same.any():
            copies, _ = unexplained(rows.features, same, [train, validation])
            if copies.any():
                out[part] = np.flatnonzero(copies)
    return out
