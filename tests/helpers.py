"""Small tables shared by the tests, and the command line as a user runs it."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd


def mixed_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Numeric, categorical, boolean and missing values, with a binary target that depends on
    them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n).astype(object)
    colour[rng.random(n) < 0.1] = None
    size = rng.normal(10, 3, size=n)
    size[rng.random(n) < 0.1] = np.nan
    flag = rng.random(n) < 0.5
    logit = 2 * x + (colour == "red") - 0.2 * (np.nan_to_num(size, nan=10) - 10) + flag
    y = np.where(logit + rng.normal(scale=0.5, size=n) > 0.5, "yes", "no")
    return pd.DataFrame({"x": x, "colour": colour, "size": size, "flag": flag, "label": y})


def dated_table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Dates (a timestamp column with missing values, and ISO date text as a CSV holds it), a
    string column with more distinct values than one-hot keeps, a short categorical column, a
    number with missing values, and a target ``y`` that depends on the month, the weekday and
    the words of the strings."""
    rng = np.random.default_rng(seed)
    stamps = pd.Series(
        pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 1500 * 24, n), unit="h")
    )
    words = [
        "police",
        "officer",
        "fire",
        "fighter",
        "clerk",
        "manager",
        "senior",
        "junior",
        "analyst",
        "engineer",
    ]
    title = pd.Series(
        [
            " ".join(rng.choice(words, rng.integers(1, 4))) + f" {rng.integers(0, 300)}"
            for _ in range(n)
        ]
    )
    day = pd.Series(
        pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    )
    amount = rng.normal(size=n)
    y = (
        np.sin(2 * np.pi * stamps.dt.month / 12)
        + (day.dt.weekday >= 5)
        + title.str.contains("police")
        + amount
        + rng.normal(scale=0.3, size=n)
    )
    return pd.DataFrame(
        {
            "when": stamps.where(rng.random(n) > 0.05),
            "day": day.dt.strftime("%Y-%m-%d"),
            "title": title.where(rng.random(n) > 0.05),
            "shift": rng.choice(["day", "night", None], n),
            "amount": np.where(rng.random(n) < 0.1, np.nan, amount),
            "y": y.to_numpy(),
        }
    )


def heldout(*args, check=True):
    """The command line as a user runs it: a new process, its output and exit code (exit 0 asserted
    unless ``check=False``)."""
    out = subprocess.run(
        [sys.executable, "-m", "heldout", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out
