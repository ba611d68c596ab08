import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import heldout
from heldout import DataError
from heldout.data.fingerprint import row_fingerprints
from helpers import mixed_table


def test_every_source_kind_gives_the_same_dataset(tmp_path):
    frame = mixed_table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    import polars as pl

    sources = [
        frame,
        tmp_path / "t.csv",
        str(tmp_path / "t.parquet"),
        pa.Table.from_pandas(frame),
        pl.from_pandas(frame),
    ]
    loaded = [heldout.load(s, target="label") for s in sources]
    for ds in loaded:
        assert ds.task == "binary" and len(ds) == 200 and ds.classes == ("no", "yes")
        assert ds.schema == {
            "x": "numeric",
            "colour": "categorical",
            "size": "numeric",
            "flag": "bool",
        }
        assert (ds.fingerprints == loaded[0].fingerprints).all()


def test_numpy_arrays():
    X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    ds = heldout.load(X, y)
    assert ds.task == "binary" and list(ds.schema) == ["x0", "x1"]
    assert (heldout.load((X, y)).fingerprints == ds.fingerprints).all()


@pytest.mark.parametrize(
    "values, task",
    [
        ([1.5, 2.25, 3.0, 4.75] * 10, "regression"),
        ([0, 1] * 20, "binary"),
        ([0, 1, 2, 3] * 10, "multiclass"),
        (["a", "b", "c", "d"] * 10, "multiclass"),
        (list(range(40)), "regression"),
    ],
)
def test_task_inference(values, task):
    frame = pd.DataFrame({"x": np.arange(len(values), dtype=float), "y": values})
    assert heldout.load(frame, target="y").task == task


def test_task_override_and_its_checks():
    frame = pd.DataFrame({"x": np.arange(40.0), "y": [0, 1, 2, 3] * 10})
    assert heldout.load(frame, target="y", task="regression").task == "regression"
    with pytest.raises(DataError, match="must be numeric"):
        heldout.load(frame.assign(y=["a", "b"] * 20), target="y", task="regression")


def test_fingerprints_are_canonical_and_stable_across_processes():
    a = pd.DataFrame({"x": [0.0, 1.0, np.nan], "c": ["u", None, "v"]})
    b = pd.DataFrame(
        {"x": [-0.0, 1, float("nan")], "c": pd.Series(["u", None, "v"], dtype="category")}
    )
    fa = row_fingerprints(a, pd.Series([1, 2, 3]))
    assert (fa == row_fingerprints(b, pd.Series([1.0, 2.0, 3.0]))).all()
    assert len(set(fa.tolist())) == 3
    assert (row_fingerprints(a.rename(columns={"x": "z"})) != row_fingerprints(a)).all()
    code = (
        "import pandas as pd, numpy as np; from heldout.data.fingerprint import row_fingerprints;"
        "print(row_fingerprints(pd.DataFrame({'x': [0.0, 1.0, np.nan], 'c': ['u', None, 'v']}),"
        " pd.Series([1, 2, 3])).tolist())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    )
    assert eval(other.stdout) == fa.tolist()


def test_bad_input_is_a_clear_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        heldout.load(tmp_path / "nope.csv", target="y")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        heldout.load(tmp_path / "empty.csv", target="y")
    (tmp_path / "header.csv").write_text("a,y\n")
    with pytest.raises(DataError, match="no rows"):
        heldout.load(tmp_path / "header.csv", target="y")
    (tmp_path / "bad.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataError, match="Could not read"):
        heldout.load(tmp_path / "bad.parquet", target="y")
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    with pytest.raises(
        DataError, match=r"'nope' is not in the table. The columns are: \['a', 'y'\]"
    ):
        heldout.load(frame, target="nope")
    with pytest.raises(DataError, match="1 missing values"):
        heldout.load(frame.assign(y=[0, None, 1]), target="y")
    with pytest.raises(DataError, match="single value"):
        heldout.load(frame.assign(y=[1, 1, 1]), target="y")
    with pytest.raises(DataError, match="groups column 'g' is not in the table"):
        heldout.load(frame, target="y", groups="g")
    with pytest.raises(DataError, match="time column 't' is not in the table"):
        heldout.load(frame, target="y", time="t")
    with pytest.raises(DataError, match="Say which column"):
        heldout.load(frame)
