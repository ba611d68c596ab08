"""Row weights and class weights: checked when the data is loaded, resolved on training rows, and
the weighted statistics preprocessing learns with them (each equal to its unweighted form on rows
repeated by their integer weights)."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError, DataError
from heldout.data import weights as weighting
from heldout.task.target_scale import mean_std


def _table(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "w": rng.integers(1, 4, n).astype(float),
            "label": np.where(np.arange(n) % 4 == 0, "yes", "no"),
        }
    )


def test_the_weights_column_is_kept_beside_the_features_and_travels_with_the_rows():
    data = heldout.load(_table(), "label", weights="w", class_weight="balanced")
    assert (
        list(data.schema) == ["x"] and data.weights.name == "w" and data.class_weight == "balanced"
    )
    part = data.take(np.array([3, 1]))
    assert part.weights.tolist() == [data.weights[3], data.weights[1]]
    assert len(part.append(part).weights) == 4
    split = heldout.split(data, seed=0)
    assert split.train.weights is not None and split.validation.class_weight == "balanced"


@pytest.mark.parametrize(
    "value, what", [(-1.0, "negative"), (np.nan, "missing"), (np.inf, "infinite")]
)
def test_bad_weights_name_the_column_the_rows_and_the_fix(value, what):
    frame = _table()
    frame.loc[5, "w"] = value
    with pytest.raises(
        DataError,
        match=rf"weights column 'w' holds 1 {what} value\(s\) \(first at rows \[5\].*"
        r"Weights must be finite and >= 0",
    ):
        heldout.load(frame, "label", weights="w")


def test_weights_that_count_nothing_or_are_not_numbers_are_refused():
    with pytest.raises(DataError, match="Every weight in the column 'w' is 0"):
        heldout.load(_table().assign(w=0.0), "label", weights="w")
    with pytest.raises(DataError, match="weights column 'w' must hold numbers"):
        heldout.load(_table().assign(w="heavy"), "label", weights="w")
    with pytest.raises(DataError, match="weights column 'nope' is not in the table"):
        heldout.load(_table(), "label", weights="nope")
    with pytest.raises(ConfigError, match="weights column 'label' is also the target"):
        heldout.load(_table(), "label", weights="label")


def test_training_rows_that_all_weigh_zero_are_refused_when_training():
    frame = _table(60).assign(t=np.arange(60))
    frame.loc[:39, "w"] = (
        0.0  # the earliest rows, which a split by time trains on, count for nothing
    )
    split = heldout.split(heldout.load(frame, "label", weights="w", time="t"), seed=0)
    with pytest.raises(DataError, match="Every training row weighs 0 under the weights column 'w'"):
        heldout.fit(split, epochs=1)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("uniform", "class_weight must be 'balanced' or a mapping"),
        ({"maybe": 2.0}, r"names label\(s\) \['maybe'\] that the target does not hold"),
        ({"yes": -1.0}, "class weight of 'yes' must be a finite number >= 0"),
        ({"yes": float("nan")}, "class weight of 'yes' must be a finite number >= 0"),
        ({"yes": 0.0, "no": 0.0}, "Every class weight is 0"),
    ],
)
def test_bad_class_weights_say_what_is_wrong(spec, message):
    with pytest.raises(ConfigError, match=message):
        heldout.load(_table(), "label", class_weight=spec)


def test_class_weights_need_classes():
    frame = _table().assign(label=np.arange(40) * 1.5)
    with pytest.raises(ConfigError, match="class_weight needs classes, but the task is regression"):
        heldout.load(frame, "label", class_weight="balanced")


def test_balanced_weights_make_every_class_weigh_the_same_on_the_rows_they_are_learned_from():
    labels = pd.Series(["a"] * 6 + ["b"] * 2 + ["c"] * 2)
    w = pd.Series([1.0] * 6 + [3.0, 1.0] + [1.0, 1.0])
    resolved = weighting.resolve("balanced", labels, w, ("a", "b", "c", "d"))
    totals = {c: resolved[c] * w[labels == c].sum() for c in "abc"}
    assert totals["a"] == pytest.approx(totals["b"]) == pytest.approx(totals["c"])
    assert resolved["d"] == 1.0  # absent from these rows
    # given weights are matched by their labels' text (a command line gives text); other classes
    # weigh 1
    assert weighting.resolve({"1": 3}, pd.Series([0, 1]), None, (0, 1)) == {0: 1.0, 1: 3.0}


def test_weighted_statistics_equal_the_statistics_of_repeated_rows():
    rng = np.random.default_rng(1)
    for _ in range(50):
        x = np.round(rng.normal(size=rng.integers(1, 12)), 1)  # ties included
        w = rng.integers(0, 4, len(x)).astype(float)
        if not w.any():
            continue
        repeated = np.repeat(x, w.astype(int))
        assert weighting.median(x, w) == pytest.approx(np.median(repeated))
        assert mean_std(x, w) == pytest.approx((repeated.mean(), repeated.std()))
        labels = pd.Series(x.astype(str))
        assert (
            weighting.counts(labels, w).to_dict()
            == pd.Series(repeated.astype(str)).value_counts().to_dict()
        )
