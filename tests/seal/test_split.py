import copy
import pickle

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError, DataError, SealedError


def _parts(split):
    """Row fingerprints of train and validation (the test rows are sealed: recovered via the
    source)."""
    return set(split.train.fingerprints.tolist()), set(split.validation.fingerprints.tolist())


def test_random_and_stratified_sizes_and_class_shares():
    ds = heldout.datasets.load("breast_cancer")
    s = heldout.split(ds, test=0.2, validation=0.25, seed=3)
    assert s.strategy == "stratified"
    assert len(s.train) + len(s.validation) + len(s.test) == len(ds)
    assert len(s.test) == 114
    share = ds.target.mean()
    assert (
        abs(s.train.target.mean() - share) < 0.01 and abs(s.validation.target.mean() - share) < 0.02
    )
    r = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    assert r.strategy == "random" and len(r.test) == 89


def test_the_same_seed_gives_the_same_split():
    ds = heldout.datasets.load("wine")
    a, b = heldout.split(ds, seed=5), heldout.split(ds, seed=5)
    assert a.test.seal == b.test.seal
    assert (a.train.fingerprints == b.train.fingerprints).all()
    assert a.describe() == b.describe()
    c = a.describe()
    assert len({c["train_fingerprint"], c["validation_fingerprint"], c["test_fingerprint"]}) == 3


def test_group_split_keeps_every_group_on_one_side():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "patient": np.repeat(np.arange(60), 5),
            "y": rng.normal(size=300),
        }
    )
    s = heldout.split(heldout.load(frame, target="y", groups="patient"), seed=1)
    assert s.strategy == "group"
    train_groups, val_groups = set(s.train.groups), set(s.validation.groups)
    assert not train_groups & val_groups
    assert len(train_groups) + len(val_groups) + len(s.test) // 5 == 60


def test_time_split_puts_test_strictly_after_training_and_validation_after_training():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "day": rng.integers(0, 50, size=200), "y": rng.normal(size=200)}
    )
    s = heldout.split(heldout.load(frame, target="y", time="day"), test=0.2, seed=0)
    assert s.strategy == "time"
    test_days = set(frame["day"]) - set(s.train.time) - set(s.validation.time)
    assert min(test_days) > max(s.validation.time) > max(s.train.time) or min(test_days) > max(
        s.train.time
    )
    assert s.validation.time.min() > s.train.time.max()
    all_same = frame.assign(day=7)
    with pytest.raises(DataError, match="strictly later"):
        heldout.split(heldout.load(all_same, target="y", time="day"))


def test_given_test_table_is_sealed_just_the_same(tmp_path):
    ds = heldout.datasets.load("iris")
    frame = ds.features.assign(target=ds.target)
    frame.iloc[:30].to_csv(tmp_path / "test.csv", index=False)
    s = heldout.split(
        heldout.load(frame.iloc[30:], target="target"), test=str(tmp_path / "test.csv"), seed=0
    )
    assert len(s.test) == 30 and len(s.train) + len(s.validation) == 120
    with pytest.raises(SealedError):
        s.test[0]
    given_val = heldout.split(
        heldout.load(frame.iloc[30:], target="target"),
        test=0.2,
        validation=heldout.load(frame.iloc[:30], target="target", task="multiclass"),
    )
    assert len(given_val.validation) == 30


def test_sealed_test_set_exposes_no_rows():
    s = heldout.split(heldout.datasets.load("iris"), seed=0)
    for attempt in (
        lambda: s.test[0],
        lambda: list(s.test),
        lambda: np.asarray(s.test),
        lambda: pickle.dumps(s.test),
        lambda: copy.deepcopy(s.test),
        lambda: setattr(s.test, "seal", "x"),
    ):
        with pytest.raises(SealedError):
            attempt()
    assert (
        "rows" not in dir(s.test)
        and not hasattr(s.test, "features")
        and not hasattr(s.test, "target")
    )


def test_bad_splits_are_clear_errors():
    ds = heldout.datasets.load("iris")
    with pytest.raises(ConfigError, match="strictly between 0 and 1"):
        heldout.split(ds, test=1.5)
    with pytest.raises(ConfigError, match="Unknown split strategy"):
        heldout.split(ds, strategy="fancy")
    with pytest.raises(DataError, match="needs a groups column"):
        heldout.split(ds, strategy="group")
    with pytest.raises(DataError, match="needs a time column"):
        heldout.split(ds, strategy="time")
    tiny = heldout.load(pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [1.0, 2.5, 3.5]}), target="y")
    with pytest.raises(DataError, match=r"training rows hold a single target value \(1.0\)"):
        heldout.split(tiny, test=0.3, validation=0.3)
    late_class = pd.DataFrame(
        {"x": np.arange(40.0), "t": np.arange(40), "y": ["a", "c"] * 18 + ["b"] * 4}
    )
    with pytest.raises(
        DataError, match=r"Class\(es\) \['b'\] appear in the test set but not in training"
    ):
        heldout.split(heldout.load(late_class, target="y", time="t"), test=0.1, validation=0.1)
    one_of_class = pd.DataFrame({"x": np.arange(30.0), "y": ["a"] * 29 + ["b"]})
    with pytest.raises(DataError, match="smallest class 'b' has 1 row"):
        heldout.split(heldout.load(one_of_class, target="y"))
