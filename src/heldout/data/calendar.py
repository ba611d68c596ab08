"""Dates and times as a model can use them: calendar parts, periodic encodings and elapsed time.

A date column becomes its year, month, day of the week and day of the month (and the hour, when
the training values carry times of day), each standardised; the sine and cosine of its position
in the year's months, the week, the day and the year (so that December sits beside January);
and the time elapsed since 1970, standardised. A missing date is filled with the training
median before any of this, and flagged in a ``<missing>`` column when training had some.

Everything is computed from one number per row, the **wall-clock seconds**: seconds since
1970-01-01 00:00 of the date and time as written (a time-zone-aware column is read in its own
zone; text with mixed UTC offsets in UTC). The calendar is Howard Hinnant's ``civil_from_days``
on floored divisions, which the ONNX export repeats operation by operation.

>>> import pandas as pd
>>> s = wall_seconds(pd.Series(["2024-02-29 18:30", None]))
>>> s.tolist()
[1709231400.0, nan]
>>> {k: v.tolist() for k, v in parts(s[:1], with_time=True).items() if k in PARTS}
{'year': [2024.0], 'month': [2.0], 'weekday': [3.0], 'day': [29.0], 'hour': [18.0]}
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError
from ..task.target_scale import mean_std
from . import weights as weighting

DAY = 86400.0
# day of the year before the first of each month, in a common year
MONTH_STARTS = np.array([0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334], dtype=np.float64)
# standardised calendar parts, then (name, period) of each periodic encoding: its angle is
# 2π·(position within the period)/period
PARTS = ("year", "month", "weekday", "day", "hour")
CYCLES = (("month", 12.0), ("weekday", 7.0), ("hour", 24.0), ("yearday", 365.25))


def wall_seconds(values: pd.Series, name: str = "") -> np.ndarray:
    """Float64 wall-clock seconds since 1970 (NaN where missing or not a date)."""
    if (
        pd.api.types.is_numeric_dtype(values)
        and not pd.api.types.is_bool_dtype(values)
        and not pd.api.types.is_datetime64_any_dtype(values)
    ):
        raise DataError(
            f"Column {name!r} is read as dates but holds numbers such as "
            f"{values.dropna().iloc[:1].tolist()}. Give dates as datetimes or ISO text "
            "(2024-01-31), or read the column as numeric."
        )
    if isinstance(values.dtype, pd.ArrowDtype):  # Arrow dates and timestamps: as Python objects
        values = values.astype(object)
    stamps = values if pd.api.types.is_datetime64_any_dtype(values) else _parse(values)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)  # the wall clock of the column's own zone
    seconds = (stamps - pd.Timestamp(0)).dt.total_seconds()
    return seconds.to_numpy(dtype="float64", na_value=np.nan)


def _parse(values: pd.Series) -> pd.Series:
    text = values.astype(object).where(values.notna(), None)
    stamps = pd.to_datetime(text, errors="coerce", format="ISO8601")
    if not pd.api.types.is_datetime64_any_dtype(stamps):  # mixed UTC offsets: one clock, UTC's
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    return stamps


def _floor_div(a: np.ndarray, b: float) -> np.ndarray:
    return np.floor(a / b)


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day (1-31) of whole days since 1970-01-01, in float64 (Hinnant's
    ``civil_from_days``: eras of 400 years, years that start in March)."""
    z = days + 719468.0
    era = _floor_div(z, 146097.0)
    doe = z - era * 146097.0  # day of the era [0, 146096]
    yoe = _floor_div(
        doe - _floor_div(doe, 1460.0) + _floor_div(doe, 36524.0) - _floor_div(doe, 146096.0), 365.0
    )
    doy = doe - (
        365.0 * yoe + _floor_div(yoe, 4.0) - _floor_div(yoe, 100.0)
    )  # from March 1st [0, 365]
    mp = _floor_div(5.0 * doy + 2.0, 153.0)  # March = 0 [0, 11]
    day = doy - _floor_div(153.0 * mp + 2.0, 5.0) + 1.0
    month = mp + 3.0 - 12.0 * (mp >= 10.0)
    year = yoe + era * 400.0 + (month <= 2.0)
    return year, month, day


def leap(year: np.ndarray) -> np.ndarray:
    """1.0 in leap years (floored remainders, as the ONNX export computes them)."""

    def divides(k):
        return (year - k * _floor_div(year, k)) == 0.0

    return (divides(4.0) & ~divides(100.0) | divides(400.0)).astype(np.float64)


def parts(seconds: np.ndarray, with_time: bool) -> dict[str, np.ndarray]:
    """Every calendar part and periodic encoding of wall-clock ``seconds`` (no NaN), by name."""
    days = _floor_div(seconds, DAY)
    of_day = seconds - days * DAY
    year, month, day = civil(days)
    weekday = (
        days + 3.0 - 7.0 * _floor_div(days + 3.0, 7.0)
    )  # 1970-01-01 was a Thursday; Monday is 0
    yearday = MONTH_STARTS[month.astype(np.int64) - 1] + day + leap(year) * (month > 2.0)  # 1-366
    out = {"year": year, "month": month, "weekday": weekday, "day": day}
    if with_time:
        out["hour"] = _floor_div(of_day, 3600.0)
    position = {
        "month": month - 1.0,
        "weekday": weekday,
        "hour": of_day / 3600.0,
        "yearday": yearday - 1.0,
    }
    for cycle, period in CYCLES:
        if cycle == "hour" and not with_time:
            continue
        angle = position[cycle] * (2.0 * np.pi / period)
        out[f"{cycle}_sin"], out[f"{cycle}_cos"] = np.sin(angle), np.cos(angle)
    return out


def fit(name: str, values: pd.Series, weights: np.ndarray | None = None) -> dict:
    """The calendar treatment of a date column, learned from its training values (each row
    counted by its weight)."""
    seconds = wall_seconds(values, name)
    present = seconds[~np.isnan(seconds)]
    if len(present) == 0:
        raise DataError(
            f"Column {name!r} has no dates in the training rows (none could be read as a date), so "
            "they cannot be encoded. Drop the column, give it dates, or read it as text "
            "(column_kinds={'" + name + "': 'text'})."
        )
    fill = weighting.median(present, None if weights is None else weights[~np.isnan(seconds)])
    filled = np.where(np.isnan(seconds), fill, seconds)
    with_time = bool(np.any(np.mod(present, DAY) != 0.0))
    scaled = {
        "elapsed": filled,
        **{k: v for k, v in parts(filled, with_time).items() if k in PARTS},
    }
    # a list, not a dict: a bundle's metadata is written with sorted keys, and the order is the
    # output's
    stats = [[k, *_standardise(v, weights)] for k, v in scaled.items()]
    return {
        "name": name,
        "kind": "datetime",
        "treatment": "calendar",
        "fill": fill,
        "with_time": with_time,
        "standardise": stats,
        "indicator": bool(np.isnan(seconds).any()),
    }


def _standardise(v: np.ndarray, weights: np.ndarray | None) -> tuple[float, float]:
    mean, std = mean_std(v, weights)
    return mean, std if std > 0 else 1.0


def periodic(col: dict) -> list[str]:
    """The periodic encodings a column has, in output order."""
    return [
        f"{c}_{f}" for c, _ in CYCLES if c != "hour" or col["with_time"] for f in ("sin", "cos")
    ]


def names(col: dict) -> list[str]:
    """The output names, in the order :func:`transform` writes them."""
    out = [f"{col['name']}.{k}" for k in [*(s[0] for s in col["standardise"]), *periodic(col)]]
    return out + ([f"{col['name']}=<missing>"] if col["indicator"] else [])


def transform(col: dict, values: pd.Series) -> np.ndarray:
    seconds = wall_seconds(values, col["name"])
    missing = np.isnan(seconds)
    filled = np.where(missing, col["fill"], seconds)
    every = {"elapsed": filled, **parts(filled, col["with_time"])}
    blocks = [(every[k] - mean) / scale for k, mean, scale in col["standardise"]]
    blocks += [every[k] for k in periodic(col)]
    if col["indicator"]:
        blocks.append(missing.astype(np.float64))
    return np.stack(blocks, axis=1)
