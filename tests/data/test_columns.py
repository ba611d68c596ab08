"""Column kinds and treatments: dates as calendar parts, many-valued strings as text, missing
indicators, kinds given by the user — all learned from training rows only, applied identically
to new rows, and shown per column."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError, DataError
from heldout.data import kinds
from heldout.data.features import Features
from helpers import dated_table


@pytest.fixture(scope="module")
def table():
    return dated_table()


def test_each_kind_gets_its_treatment(table):
    f = Features().fit(table.drop(columns="y"))
    treatments = {row["column"]: row["treatment"].split(" ")[0] for row in f.describe()}
    assert treatments == {
        "when": "calendar",
        "day": "calendar",
        "title": "tf-idf",
        "shift": "one-hot",
        "amount": "median-imputed",
    }
    names = f.output_names_
    assert {
        "when.month_sin",
        "when.hour_cos",
        "when.yearday_sin",
        "when.elapsed",
        "when=<missing>",
    } <= set(names)
    assert (
        "day.hour" not in names and "day.hour_sin" not in names
    )  # the dates carry no times of day
    assert (
        "amount=<missing>" in names and "title=<missing>" in names and "day=<missing>" not in names
    )
    assert sum(n.startswith("title.text") for n in names) == 30
    X = f.transform(table)
    assert X.shape == (len(table), len(names)) and X.dtype == np.float32 and np.isfinite(X).all()


def test_the_calendar_parts_are_pandas_own(table):
    f = Features().fit(table[["when"]])
    X = pd.DataFrame(f.transform(table[["when"]]), columns=f.output_names_)
    col = f.columns_[0]
    stamps = table["when"].fillna(pd.Timestamp(col["fill"], unit="s"))
    for part, mean, scale in col["standardise"]:
        if part != "elapsed":
            truth = getattr(stamps.dt, {"weekday": "day_of_week"}.get(part, part))
            assert np.allclose(X[f"when.{part}"] * scale + mean, truth, atol=1e-4), part
    angle = 2 * np.pi * (stamps.dt.day_of_year - 1) / 365.25
    assert np.allclose(X["when.yearday_sin"], np.sin(angle), atol=1e-6)
    assert np.allclose(X["when.hour_cos"], np.cos(2 * np.pi * stamps.dt.hour / 24), atol=1e-6)
    assert (X["when=<missing>"] == table["when"].isna()).all()


def test_december_sits_beside_january():
    dates = pd.Series(pd.to_datetime(["2020-01-15", "2020-12-15", "2020-07-15", "2021-03-01"]))
    f = Features().fit(pd.DataFrame({"d": dates}))
    X = pd.DataFrame(f.transform(pd.DataFrame({"d": dates})), columns=f.output_names_)
    month = X[["d.month_sin", "d.month_cos"]].to_numpy()
    assert np.linalg.norm(month[0] - month[1]) < np.linalg.norm(month[0] - month[2]) / 3


def test_dates_given_as_text_or_with_a_time_zone_read_as_their_wall_clock():
    text = pd.Series(["2024-03-01T08:00:00", "2024-03-02T20:30:00", None])
    zoned = pd.Series(
        pd.to_datetime(["2024-03-01 08:00", "2024-03-02 20:30", None])
    ).dt.tz_localize("Europe/Paris")
    assert kinds.column_kind(text) == "datetime" and kinds.column_kind(zoned) == "datetime"
    a = Features().fit(pd.DataFrame({"t": text}))
    b = Features().fit(pd.DataFrame({"t": zoned}))
    assert np.array_equal(
        a.transform(pd.DataFrame({"t": text})), b.transform(pd.DataFrame({"t": zoned}))
    )
    assert kinds.column_kind(pd.Series(["2024-03-01", "soon"])) == "categorical"


def test_statistics_come_from_training_rows_only(table):
    """Invariant 2, for every treatment: the learned state depends on the training rows alone."""
    train, other = table.iloc[:400], table.iloc[400:]
    f = Features().fit(train.drop(columns="y"))
    before = f.to_dict(), {k: v.copy() for k, v in f.arrays().items()}
    f.transform(other.assign(amount=other["amount"] * 1e6, title="never seen words"))
    assert f.to_dict() == before[0] and all(
        np.array_equal(v, before[1][k]) for k, v in f.arrays().items()
    )
    again = Features().fit(train.drop(columns="y"))
    assert (
        again.to_dict() == f.to_dict()
    )  # and refitting the same rows learns the same (seeded SVD)
    when = f.columns_[0]
    seconds = (train["when"].dropna() - pd.Timestamp(0)).dt.total_seconds()
    assert when["fill"] == pytest.approx(seconds.median())


def test_a_many_valued_column_is_text_unless_said_categorical(table):
    frame = table[["title"]]
    assert Features().fit(frame).describe()[0]["treatment"].startswith("tf-idf")
    said = Features(column_kinds={"title": "categorical"}).fit(frame)
    assert said.describe()[0] == {
        "column": "title",
        "kind": "categorical",
        "kind from": "given",
        "treatment": "one-hot over 50 categories, the rarer ones sharing <infrequent>",
        "inputs": 51,
        "missing indicator": True,
    }
    few = Features(column_kinds={"shift": "text"}).fit(table[["shift"]])
    assert few.describe()[0]["treatment"].startswith("tf-idf")
    numbers = Features(column_kinds={"code": "categorical"}).fit(
        pd.DataFrame({"code": [1, 2, 2, 3]})
    )
    assert numbers.output_names_ == ["code=1", "code=2", "code=3"]


def test_column_kinds_reach_the_model_through_load_split_and_fit(table):
    data = heldout.load(table, "y", column_kinds={"shift": "text", "amount": "categorical"})
    assert data.schema["shift"] == "text" and data.schema["amount"] == "categorical"
    split = heldout.split(data, seed=0)
    model = heldout.fit(split, epochs=1).model
    given = {r["column"]: r["kind from"] for r in model.features.describe()}
    assert given == {
        "when": "values",
        "day": "values",
        "title": "values",
        "shift": "given",
        "amount": "given",
    }
    assert model.predict(table.drop(columns="y").head(5)).shape == (5,)


def test_wrong_column_kinds_are_refused_with_the_fix():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [0.0, 1.0, 2.0]})
    with pytest.raises(
        ConfigError, match=r"kind of column 'a' must be one of \['numeric', 'categorical', "
    ):
        heldout.load(frame, "y", column_kinds={"a": "date"})
    with pytest.raises(ConfigError, match=r"names 'b', which is not a feature column.*\['a'\]"):
        heldout.load(frame, "y", column_kinds={"b": "numeric"})
    with pytest.raises(DataError, match="read as dates but holds numbers"):
        Features(column_kinds={"a": "datetime"}).fit(frame[["a"]])
    with pytest.raises(DataError, match="'a' must be numeric"):
        Features(column_kinds={"a": "numeric"}).fit(pd.DataFrame({"a": ["x", "y"]}))
    with pytest.raises(DataError, match="no dates in the training rows"):
        Features(column_kinds={"a": "datetime"}).fit(pd.DataFrame({"a": ["x", None]}))


def test_new_rows_are_encoded_as_the_training_rows_were(table):
    """Model.predict on new rows runs the stored treatments: rows given again (as a CSV gives them:
    dates as text) predict exactly as before."""
    split = heldout.split(heldout.load(table, "y"), seed=0)
    model = heldout.fit(split, epochs=2).model
    rows = table.drop(columns="y").head(40)
    as_text = rows.assign(
        when=rows["when"].dt.strftime("%Y-%m-%d %H:%M:%S").where(rows["when"].notna())
    )
    assert np.array_equal(model.predict(rows), model.predict(as_text))


def test_the_calendar_arithmetic_is_pandas_own_from_1811_to_2128():
    from heldout.data import calendar

    rng = np.random.default_rng(1)
    seconds = (
        rng.integers(-5_000_000_000, 5_000_000_000, 20_000).astype(float)
        + rng.integers(0, 1000, 20_000) / 1000
    )
    seconds = np.concatenate(
        [seconds, [0.0, -1.0, 951_782_400.0, 4_107_542_399.0]]
    )  # 1970, 2000-02-29, 2100-02-28
    stamps = pd.Series(pd.to_datetime(seconds, unit="s"))
    parts = calendar.parts(seconds, with_time=True)
    for part, truth in (
        ("year", "year"),
        ("month", "month"),
        ("day", "day"),
        ("weekday", "day_of_week"),
        ("hour", "hour"),
    ):
        assert np.array_equal(parts[part], getattr(stamps.dt, truth).to_numpy(dtype=float)), part
    angle = 2 * np.pi * (stamps.dt.day_of_year.to_numpy() - 1) / 365.25
    assert np.allclose(parts["yearday_sin"], np.sin(angle)) and np.allclose(
        parts["yearday_cos"], np.cos(angle)
    )
