"""Real datasets that work offline: the files scikit-learn ships, read as heldout Datasets.

>>> ds = load("iris")
>>> ds.task, len(ds), len(ds.schema)
('multiclass', 150, 4)
>>> [info["name"] for info in catalog()]
['breast_cancer', 'diabetes', 'digits', 'iris', 'wine']
"""

from __future__ import annotations

from typing import Callable

import pandas as pd
from sklearn import datasets as _sk

from . import dataset as data
from ..errors import DataError

DEFAULT = "breast_cancer"

# name -> (loader returning a frame with a "target" column, one-line description)
_REGISTRY: dict[str, tuple[Callable[[], pd.DataFrame], str]] = {
    "breast_cancer": (lambda: _sk.load_breast_cancer(as_frame=True).frame,
                      "Wisconsin diagnostic breast cancer: malignant (0) or benign (1) from 30 cell-nucleus measurements"),
    "diabetes": (lambda: _sk.load_diabetes(as_frame=True, scaled=False).frame,
                 "Diabetes progression one year after baseline, from age, sex, BMI, blood pressure and 6 serum values"),
    "digits": (lambda: _sk.load_digits(as_frame=True).frame,
               "Handwritten digits 0-9 as 8x8 images of pixel intensities"),
    "iris": (lambda: _sk.load_iris(as_frame=True).frame,
             "Iris species from sepal and petal lengths and widths"),
    "wine": (lambda: _sk.load_wine(as_frame=True).frame,
             "Wine cultivar from 13 chemical measurements"),
}


def names() -> list[str]:
    """The bundled dataset names, sorted."""
    return sorted(_REGISTRY)


def load(name: str) -> data.Dataset:
    """The bundled dataset ``name`` as a Dataset whose target column is ``target``."""
    if name not in _REGISTRY:
        raise DataError(f"Unknown dataset {name!r}. The bundled datasets are: {names()} "
                        "(`heldout datasets` lists them).")
    frame = _REGISTRY[name][0]()
    return data.load(frame, target="target", name=name)


def catalog() -> list[dict]:
    """One record per bundled dataset: name, rows, features, task, classes, description."""
    out = []
    for name in names():
        ds = load(name)
        out.append({"name": name, "rows": len(ds), "features": len(ds.schema), "task": ds.task,
                    "classes": None if ds.classes is None else len(ds.classes),
                    "description": _REGISTRY[name][1]})
    return out
