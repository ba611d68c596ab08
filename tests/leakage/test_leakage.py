"""Each kind of leak, built into a table, is found with its severity and count; the clean table
raises none; the bundled datasets raise no false alarms."""

import json

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.workflow import procedures
from heldout.errors import DataError, LeakageError
from heldout.workflow.spec import DataSpec


def table(n=400, seed=0, **extra):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{i}": rng.standard_normal(n) for i in range(5)})
    frame["y"] = frame["x0"] + 0.5 * frame["x1"] + rng.standard_normal(n)
    for name, values in extra.items():
        frame[name] = values
    return frame


def found(report, kind):
    return [f for f in report.findings if f.kind == kind]


def no_alarms(report):
    return [f for f in report.findings if f.severity != "info"] == []


def test_a_clean_table_raises_nothing():
    report = heldout.check(heldout.split(heldout.load(table(), target="y"), seed=0))
    assert no_alarms(report)
    assert set(report.seconds) == {"duplicates", "near_duplicates", "entities", "time", "too_little", "target_proxy",
                                   "resplit"}


def test_exact_duplicates_across_parts_are_counted():
    base = table(300)
    frame = pd.concat([base, base.iloc[:60]], ignore_index=True)   # 60 rows copied
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    dup = [f for f in found(report, "duplicates") if "exactly" in f.message]
    assert dup and all(f.severity == "error" for f in dup)
    assert sum(f.count for f in dup) > 10
    assert report.errors


def test_conflicting_twins_are_information_only():
    base = table(300)
    twins = base.iloc[:40].assign(y=base["y"].iloc[:40] + 100.0)   # same features, other labels
    report = heldout.check(heldout.split(heldout.load(pd.concat([base, twins], ignore_index=True), target="y"),
                                         seed=0))
    conflicting = [f for f in found(report, "duplicates") if "another label" in f.message]
    assert conflicting and all(f.severity == "info" for f in conflicting) and not report.errors


def test_legitimate_repetition_in_survey_answers_is_not_an_error():
    rng = np.random.default_rng(1)
    answers = pd.DataFrame({f"q{i}": rng.integers(1, 4, 3000) for i in range(3)})   # 27 possible answer rows
    answers["satisfied"] = (answers.sum(axis=1) + rng.integers(0, 3, 3000) > 7).astype(int)
    report = heldout.check(heldout.split(heldout.load(answers, target="satisfied"), seed=0))
    assert not report.errors
    assert all(f.severity == "info" for f in found(report, "duplicates"))


def test_near_duplicates_are_found_without_an_n_by_n_matrix():
    base = table(600)
    jittered = base.iloc[:200].copy()
    jittered[[f"x{i}" for i in range(5)]] += 1e-4
    report = heldout.check(heldout.split(heldout.load(pd.concat([base, jittered], ignore_index=True), target="y"),
                                         seed=0))
    near = found(report, "near_duplicates")
    assert near and near[0].severity == "warning" and near[0].count > 5
    assert not found(heldout.check(heldout.split(heldout.load(table(600), target="y"), seed=0)), "near_duplicates")


def test_groups_on_both_sides_and_identifier_columns():
    groups = np.repeat(np.arange(40), 10)
    data = heldout.load(table(400, patient=groups), target="y", groups="patient")
    leaky = heldout.check(heldout.split(data, seed=0, strategy="random"))
    entity = found(leaky, "entities")
    assert entity and entity[0].severity == "error" and entity[0].count > 0
    assert not found(heldout.check(heldout.split(data, seed=0, strategy="group")), "entities")
    with_id = heldout.check(heldout.split(heldout.load(table(400, row_id=np.arange(400) + 1000), target="y"), seed=0))
    ids = found(with_id, "entities")
    assert ids and ids[0].severity == "warning" and ids[0].examples == ["row_id"]


def test_time_like_columns_under_a_random_split():
    dates = pd.date_range("2020-01-01", periods=400, freq="D").strftime("%Y-%m-%d")
    report = heldout.check(heldout.split(heldout.load(table(400, day=dates), target="y"), seed=0))
    time = found(report, "time")
    assert time and time[0].severity == "warning" and time[0].count > 40 and time[0].examples == ["day"]
    by_time = heldout.load(table(400, day=pd.to_datetime(dates)), target="y", time="day")
    assert not found(heldout.check(heldout.split(by_time, seed=0, strategy="time")), "time")


def test_a_feature_that_is_the_label_in_disguise():
    frame = table(500)
    frame["leak"] = frame["y"] * 2 + 1
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    proxy = found(report, "target_proxy")
    assert [f.examples for f in proxy] == [["leak"]] and proxy[0].severity == "error"


def test_re_split_after_unsealing():
    data = heldout.load(table(300), target="y")
    first = heldout.split(data, seed=0)
    run = heldout.fit(first, epochs=2)
    heldout.evaluate(run.model, first)
    heldout.Ledger().retire(first.test.seal, reason="moving on to a new split")
    again = heldout.check(heldout.split(data, seed=1))
    resplit = found(again, "resplit")
    assert resplit and all(f.severity == "error" for f in resplit) and sum(f.count for f in resplit) > 10


def test_too_little_to_trust():
    report = heldout.check(heldout.split(heldout.load(table(100), target="y"), seed=0, test=0.2))
    assert [f.severity for f in found(report, "too_little")] == ["warning"]
    rng = np.random.default_rng(0)
    rare = table(400, label=(rng.random(400) < 0.05).astype(int)).drop(columns="y")
    imbalanced = heldout.check(heldout.split(heldout.load(rare, target="label"), seed=0, strategy="random"))
    assert any("stratified" in f.message for f in found(imbalanced, "too_little"))


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "digits", "diabetes"])
def test_no_false_alarms_on_the_bundled_datasets(name):
    data = heldout.datasets.load(name)
    for strategy in (None, "random"):
        assert no_alarms(heldout.check(heldout.split(data, seed=0, strategy=strategy)))


def test_run_stops_on_an_error_finding_unless_allowed(tmp_path):
    base = table(300)
    path = tmp_path / "leaky.csv"
    pd.concat([base, base.iloc[:60]], ignore_index=True).to_csv(path, index=False)
    spec = DataSpec(source=str(path), target="y")
    with pytest.raises(LeakageError, match="--allow-leakage"):
        procedures.run_procedure(spec, out=tmp_path / "r", trials=4, population=4)
    summary = procedures.run_procedure(spec, out=tmp_path / "r2", trials=4, population=4, allow_leakage=True)
    assert summary["leakage_allowed"] and summary["leakage"][0]["kind"] == "duplicates"
    assert any(e["kind"] == "audit" and e["payload"]["info"].get("override") == "allow_leakage"
               for e in heldout.Ledger().entries())
    assert json.loads((tmp_path / "r2" / "leakage.json").read_text())["allowed"] is True


def test_bad_groups_and_time_columns_are_typed_errors():
    with pytest.raises(DataError, match="groups column 'nope' is not in the table"):
        heldout.load(table(), target="y", groups="nope")
    with pytest.raises(DataError, match="neither numbers nor dates"):
        heldout.load(table(400, when=["soon"] * 400), target="y", time="when")


def test_close_neighbours_by_chance_in_few_dimensions_are_not_near_duplicates():
    rng = np.random.default_rng(0)
    one_feature = pd.DataFrame({"x": rng.standard_normal(600)})
    one_feature["y"] = 2 * one_feature["x"] + rng.standard_normal(600)
    assert not found(heldout.check(heldout.split(heldout.load(one_feature, target="y"), seed=0)), "near_duplicates")
