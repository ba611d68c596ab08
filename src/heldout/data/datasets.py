"""Real datasets that work offline: the files scikit-learn ships, read as heldout Datasets.

>>> ds = load("iris")
>>> ds.task, len(ds), len(ds.schema)
('multiclass', 150, 4)
>>> [info["name"] for info in catalog()]
['breast_cancer', 'diabetes', 'digits', 'iris', 'wine']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, NamedTuple

from ..errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from .dataset import Dataset

DEFAULT = "breast_cancer"


class Bundled(NamedTuple):
    """A bundled dataset: its loader, and what `heldout datasets` lists without loading it
    (scikit-learn and pandas take a second to import; tests/data/test_datasets.py holds the shape
    equal to the loaded Dataset's)."""

    frame: Callable[[], pd.DataFrame]  # reads it as a frame with a "target" column
    rows: int
    features: int
    task: str
    classes: int | None
    description: str


def _sklearn(loader: str, **options) -> Callable[[], pd.DataFrame]:
    def read() -> pd.DataFrame:
        from sklearn import datasets  # imported when a dataset is loaded, not when they are listed

        return getattr(datasets, loader)(as_frame=True, **options).frame

    return read


_REGISTRY: dict[str, Bundled] = {
    "breast_cancer": Bundled(
        _sklearn("load_breast_cancer"),
        569,
        30,
        "binary",
        2,
        "Wisconsin diagnostic breast cancer: malignant (0) or benign (1) from 30 cell-nucleus "
        "measurements",
    ),
    "diabetes": Bundled(
        _sklearn("load_diabetes", scaled=False),
        442,
        10,
        "regression",
        None,
        "Diabetes progression one year after baseline, from age, sex, BMI, blood pressure and 6 "
        "serum values",
    ),
    "digits": Bundled(
        _sklearn("load_digits"),
        1797,
        64,
        "multiclass",
        10,
        "Handwritten digits 0-9 as 8x8 images of pixel intensities",
    ),
    "iris": Bundled(
        _sklearn("load_iris"),
        150,
        4,
        "multiclass",
        3,
        "Iris species from sepal and petal lengths and widths",
    ),
    "wine": Bundled(
        _sklearn("load_wine"),
        178,
        13,
        "multiclass",
        3,
        "Wine cultivar from 13 chemical measurements",
    ),
}


def names() -> list[str]:
    """The bundled dataset names, sorted."""
    return sorted(_REGISTRY)


def load(name: str) -> Dataset:
    """The bundled dataset ``name`` as a Dataset whose target column is ``target``."""
    if name not in _REGISTRY:
        raise DataError(
            f"Unknown dataset {name!r}. The bundled datasets are: {names()} "
            "(`heldout datasets` lists them)."
        )
    from . import dataset  # pandas and torch: imported to load, not to list

    return dataset.load(_REGISTRY[name].frame(), target="target", name=name)


def catalog() -> list[dict]:
    """One record per bundled dataset: name, rows, features, task, classes, description (as declared
    above, without loading any)."""
    return [
        {"name": name, **{k: v for k, v in _REGISTRY[name]._asdict().items() if k != "frame"}}
        for name in names()
    ]
