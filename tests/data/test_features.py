import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import DataError


def test_statistics_come_from_training_rows_only():
    """Invariant 2: validation and test are transformed with training statistics, never fitted
    on."""
    s = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    f = heldout.Features().fit(s.train.features)
    assert np.allclose(f.transform(s.train.features).mean(0), 0, atol=1e-5)
    val = f.transform(s.validation.features)
    expected = (s.validation.features["bmi"] - s.train.features["bmi"].mean()) / s.train.features[
        "bmi"
    ].std(ddof=0)
    assert np.allclose(val[:, list(s.train.schema).index("bmi")], expected, atol=1e-5)
    run = heldout.fit(s, epochs=2)
    assert run.model.features.to_dict() == f.to_dict()


def test_changing_validation_rows_changes_no_learned_statistic():
    s = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    f1 = heldout.Features().fit(s.train.features)
    wild = s.validation.features * 1000
    f1.transform(wild)
    assert f1.to_dict() == heldout.Features().fit(s.train.features).to_dict()


def test_missing_values_and_unseen_categories():
    train = pd.DataFrame({"a": [1.0, np.nan, 3.0], "c": ["x", "y", None], "b": [True, False, True]})
    f = heldout.Features().fit(train)
    out = f.transform(pd.DataFrame({"a": [np.nan], "c": ["never-seen"], "b": [False]}))
    assert f.output_names_ == [
        "a",
        "a=<missing>",
        "c=<missing>",
        "c=x",
        "c=y",
        "b",
    ]  # 'a' had missing values
    assert out.shape == (1, 2 + 3 + 1) and np.isfinite(out).all()
    assert out[0, 2:5].tolist() == [0.0, 0.0, 0.0]  # unseen category: all zeros, no crash
    assert out[0, 0] == pytest.approx((2.0 - 2.0) / 1.0)  # imputed with the training median (2.0)
    assert out[0, 1] == 1.0  # ... and flagged


def test_many_categories_are_capped_when_said_categorical_and_encoded_as_text_otherwise():
    train = pd.DataFrame({"c": [f"v{i % 80}" for i in range(400)]})
    f = heldout.Features(max_categories=10, column_kinds={"c": "categorical"}).fit(train)
    assert len(f.output_names_) == 11 and f.output_names_[-1] == "c=<infrequent>"
    assert heldout.Features(max_categories=10).fit(train).output_names_[0] == "c.text0"


def test_values_that_cannot_be_imputed_are_refused():
    with pytest.raises(DataError, match=r"'a' has 1 infinite value"):
        heldout.Features().fit(pd.DataFrame({"a": [1.0, np.inf, 2.0]}))
    with pytest.raises(DataError, match="no values in the training rows"):
        heldout.Features().fit(pd.DataFrame({"a": [np.nan, np.nan]}))
    f = heldout.Features().fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(DataError, match="must be numeric"):
        f.transform(pd.DataFrame({"a": ["one"]}))
