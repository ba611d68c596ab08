"""Numbers (and booleans): missing values filled with the training median, then standardised
with the training mean and standard deviation; a ``<missing>`` column flags the filled rows
when training had missing values.

>>> import pandas as pd
>>> col = fit("size", pd.Series([1.0, None, 3.0]))
>>> names(col), transform(col, pd.Series([None, 3.0])).tolist()
(['size', 'size=<missing>'], [[0.0, 1.0], [1.224744871391589, 0.0]])
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ..task.target_scale import mean_std
from . import weights as weighting


def values_of(values: pd.Series, name: str, kind: str) -> np.ndarray:
    """Float64 values with NaN for missing; infinities are refused (they cannot be imputed
    honestly). ``kind='datetime'`` reads seconds since 1970 UTC: how bundles written before the
    calendar treatment encoded dates, still read by them."""
    if kind == "datetime":
        stamps = pd.to_datetime(values, errors="coerce")
        return (
            (stamps - pd.Timestamp(0, tz=getattr(stamps.dt, "tz", None)))
            .dt.total_seconds()
            .to_numpy(dtype="float64", na_value=np.nan)
        )
    if not (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)):
        bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
        if len(bad):
            raise DataError(
                f"Column {name!r} must be numeric (as in training) but holds {bad.iloc[0]!r}. "
                "Give numbers in that column."
            )
        values = pd.to_numeric(values, errors="coerce")
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(x)
    if infinite.any():
        rows = np.flatnonzero(infinite)
        raise DataError(
            f"Column {name!r} has {len(rows)} infinite value(s) (first at rows "
            f"{rows[:5].tolist()}), which cannot be imputed or scaled. Replace them with missing "
            "values (NaN) to impute them, clip them to a finite range, or drop the rows."
        )
    return x


def fit(
    name: str, values: pd.Series, kind: str = "numeric", weights: np.ndarray | None = None
) -> dict:
    """The number treatment learned from training ``values``, each row counted by its weight."""
    x = values_of(values, name, kind)
    present, w = x[~np.isnan(x)], None if weights is None else weights[~np.isnan(x)]
    if len(present) == 0:
        raise DataError(
            f"Column {name!r} has no values in the training rows, so its missing values cannot "
            "be imputed. Drop the column or give it values."
        )
    fill = weighting.median(present, w)
    mean, std = mean_std(np.where(np.isnan(x), fill, x), weights)
    return {
        "name": name,
        "kind": kind,
        "treatment": "number",
        "fill": fill,
        "mean": mean,
        "scale": std if std > 0 else 1.0,
        "indicator": bool(len(present) < len(x)),
    }


def names(col: dict) -> list[str]:
    return [col["name"]] + ([f"{col['name']}=<missing>"] if col.get("indicator") else [])


def transform(col: dict, values: pd.Series) -> np.ndarray:
    x = values_of(values, col["name"], col["kind"])
    missing = np.isnan(x)
    scaled = (np.where(missing, col["fill"], x) - col["mean"]) / col["scale"]
    return np.stack(
        [scaled, missing.astype(np.float64)] if col.get("indicator") else [scaled], axis=1
    )
