"""Columns as Parquet and Arrow readers give them — dates as Python ``date`` objects, strings as
Arrow dictionaries — get the same kinds, treatments and predictions as their plain pandas form."""

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

import heldout
from heldout.data.kinds import column_kind


def _table(n: int = 400) -> pa.Table:
    rng = np.random.default_rng(0)
    dates = [dt.date(2024, 1, 1) + dt.timedelta(days=int(i)) for i in rng.integers(0, 300, n)]
    x, labels = rng.normal(size=n), rng.choice(["x", "y", "z"], n)
    y = x + (labels == "x") + 0.1 * rng.normal(size=n)
    return pa.table(
        {"day": pa.array(dates), "shop": pa.array(labels).dictionary_encode(), "x": x, "y": y}
    )


def test_date_objects_and_arrow_dictionaries_are_read_as_dates_and_categories():
    for mapper in (None, pd.ArrowDtype):  # numpy-backed (date objects), Arrow-backed
        frame = _table().to_pandas(types_mapper=mapper)
        assert column_kind(frame["day"]) == "datetime"
        assert column_kind(frame["shop"]) == "categorical"


def test_either_form_trains_and_predicts_the_same_numbers(tmp_path):
    predictions = []
    for i, mapper in enumerate((None, pd.ArrowDtype)):
        frame = _table().to_pandas(types_mapper=mapper)
        split = heldout.split(heldout.load(frame, target="y"), seed=0, ledger=tmp_path / str(i))
        model = heldout.fit(split, epochs=5).model
        treatments = {c["name"]: c["treatment"] for c in model.features.columns_}
        assert treatments == {"day": "calendar", "shop": "one_hot", "x": "number"}
        predictions.append(model.predict(split.validation))
    np.testing.assert_array_equal(*predictions)
