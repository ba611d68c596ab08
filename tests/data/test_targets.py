"""Several target columns: how they are named, checked, split and fingerprinted (multi-output
regression)."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError, DataError
from heldout.data.fingerprint import row_fingerprints


def several(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Two numeric features and three numeric targets on very different scales."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1],
            "y1": x[:, 0] + rng.normal(size=n) * 0.1,
            "y2": 1000 + 300 * x[:, 1] + rng.normal(size=n),
            "y3": -x[:, 0] * 0.01,
        }
    )


def test_a_list_a_comma_separated_name_and_a_column_with_a_comma():
    frame = several()
    listed = heldout.load(frame, target=["y1", "y2"])
    assert listed.task == "regression" and listed.targets == ("y1", "y2") and listed.n_outputs == 2
    assert list(listed.target.columns) == ["y1", "y2"] and list(listed.schema) == ["a", "b", "y3"]
    assert listed.target_name == ["y1", "y2"] and "target=['y1', 'y2']" in repr(listed)
    commas = heldout.load(frame, target="y1,y2")
    assert commas.targets == ("y1", "y2") and (commas.fingerprints == listed.fingerprints).all()
    named = heldout.load(
        frame.rename(columns={"y1": "y1,y2"}), target="y1,y2"
    )  # the column itself: one target
    assert (
        named.targets == ("y1,y2",) and isinstance(named.target, pd.Series) and "y2" in named.schema
    )


def test_a_list_of_one_target_is_that_target_with_its_single_target_fingerprints():
    frame = several()
    one, alone = heldout.load(frame, target=["y1"]), heldout.load(frame, target="y1")
    assert isinstance(one.target, pd.Series) and one.targets == ("y1",) and one.n_outputs == 1
    assert (one.fingerprints == alone.fingerprints).all()
    # a one-column frame of targets reduces to the single-target definition
    features = frame[["a", "b"]]
    assert (
        row_fingerprints(features, frame[["y1"]]) == row_fingerprints(features, frame["y1"])
    ).all()


def test_several_targets_fingerprint_each_under_its_name_whatever_their_order():
    frame = several()
    features = frame[["a", "b"]]
    both = row_fingerprints(features, frame[["y1", "y2"]])
    assert (
        both == row_fingerprints(features, frame[["y2", "y1"]])
    ).all()  # order does not take part
    swapped = frame.rename(columns={"y1": "y2", "y2": "y1"})[["y1", "y2"]]
    assert not (both == row_fingerprints(features, swapped)).any()  # names do
    assert not (
        both == row_fingerprints(features, frame["y1"])
    ).any()  # nor is it the one-target row
    changed = frame[["y1", "y2"]].assign(y2=frame["y2"] + 1)
    assert not (both == row_fingerprints(features, changed)).any()


@pytest.mark.parametrize(
    "target, error, said",
    [
        (
            ["y1", "missing"],
            DataError,
            "Target columns ['missing'] (of ['y1', 'missing']) are not in the table",
        ),
        ("y1,nope", DataError, "Target columns ['nope']"),
        (["y1", "y1"], DataError, "['y1'] are named more than once"),
        (
            ["y1", "colour"],
            DataError,
            "Multi-output needs numeric targets; classification takes one target",
        ),
        ([], DataError, "Say which column is the target"),
    ],
)
def test_bad_target_lists_say_what_is_wrong(target, error, said):
    frame = several().assign(colour=["red", "blue"] * 30)
    with pytest.raises(error) as raised:
        heldout.load(frame, target=target)
    assert said in str(raised.value)


def test_several_targets_refuse_a_classification_task_missing_values_and_a_role_column():
    frame = several()
    with pytest.raises(ConfigError, match="classification takes one target"):
        heldout.load(frame, target=["y1", "y2"], task="binary")
    with pytest.raises(DataError, match=r"'y2' has 1 missing values \(first at rows \[3\]\)"):
        heldout.load(frame.assign(y2=frame["y2"].where(frame.index != 3)), target=["y1", "y2"])
    with pytest.raises(ConfigError, match="The groups column 'y2' is also the target"):
        heldout.load(frame, target=["y1", "y2"], groups="y2")
    with pytest.raises(DataError, match="infinite"):
        heldout.load(frame.assign(y1=np.inf), target=["y1", "y2"])


def test_numpy_with_a_two_dimensional_target():
    X, Y = (
        np.random.default_rng(0).normal(size=(20, 3)),
        np.random.default_rng(1).normal(size=(20, 2)),
    )
    ds = heldout.load(X, Y)
    assert (
        ds.targets == ("target_0", "target_1")
        and ds.n_outputs == 2
        and list(ds.schema) == ["x0", "x1", "x2"]
    )


def test_a_split_keeps_the_targets_together_and_refuses_a_constant_one():
    ds = heldout.load(several(), target=["y1", "y2"])
    split = heldout.split(ds, seed=0)
    assert (
        split.strategy == "random"
        and split.train.targets == ("y1", "y2")
        and split.train.target.shape[1] == 2
    )
    with pytest.raises(ConfigError, match="stratified"):
        heldout.split(ds, strategy="stratified")
    flat = heldout.load(several().assign(y3=1.0), target=["y1", "y3"])
    with pytest.raises(DataError, match=r"single value of the target\(s\) \['y3'\]"):
        heldout.split(flat, seed=0)
