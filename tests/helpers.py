"""Small tables shared by the tests."""

import numpy as np
import pandas as pd


def mixed_table(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Numeric, categorical, boolean and missing values, with a binary target that depends on them."""
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
