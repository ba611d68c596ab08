"""Each kind of leak, built into a table, is found with its severity and count; the clean table
raises none; the bundled datasets raise no false alarms."""

import json

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.errors import DataError, LeakageError
from heldout.rundir.spec import DataSpec
from heldout.workflow import procedures


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
    assert set(report.seconds) == {
        "duplicates",
        "near_duplicates",
        "entities",
        "time",
        "too_little",
        "target_proxy",
        "resplit",
    }


def test_exact_duplicates_across_parts_are_counted():
    base = table(300)
    frame = pd.concat([base, base.iloc[:60]], ignore_index=True)  # 60 rows copied
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    dup = [f for f in found(report, "duplicates") if "chance does not explain" in f.message]
    assert dup and all(f.severity == "error" for f in dup)
    assert sum(f.count for f in dup) > 10
    assert report.errors


def test_twins_with_other_labels_count_in_the_same_finding():
    base = table(300)
    twins = base.iloc[:40].assign(y=base["y"].iloc[:40] + 100.0)  # same features, other labels
    report = heldout.check(
        heldout.split(heldout.load(pd.concat([base, twins], ignore_index=True), target="y"), seed=0)
    )
    test = [f for f in found(report, "duplicates") if f.message.split()[1] == "test"]
    assert len(test) == 1 and "with another" in test[0].message and test[0].severity != "info"
    twins_in_all = int(test[0].message.split(" twins in all")[0].split("; ")[-1])
    assert twins_in_all == test[0].count  # every twin here is improbable: continuous features


def _panel(people=150, years=4, seed=0):
    """The same people over several years: their continuous covariates repeat exactly."""
    rng = np.random.default_rng(seed)
    person = pd.DataFrame(
        {
            "height": rng.normal(170, 10, people).round(1),
            "income": rng.lognormal(10, 1, people),
            "education": rng.integers(8, 20, people),
        }
    )
    rows = pd.concat(
        [person.assign(year_effect=rng.normal(size=people)) for _ in range(years)],
        ignore_index=True,
    )
    rows["y"] = 0.01 * rows["height"] + 0.3 * np.log(rows["income"]) + rows.pop("year_effect")
    return rows


def test_entity_recurrence_in_a_panel_is_an_error():
    report = heldout.check(heldout.split(heldout.load(_panel(), target="y"), seed=0))
    dup = [f for f in found(report, "duplicates") if f.message.split()[1] == "test"]
    assert dup and dup[0].severity == "error" and "entity recurrence" in dup[0].message


def test_a_small_share_of_copied_measurements_warns_without_stopping():
    base = table(1290, seed=3)
    frame = pd.concat(
        [base, base.iloc[:9]], ignore_index=True
    )  # a handful of repeated measurements
    split = heldout.split(heldout.load(frame, target="y"), seed=0)
    report = heldout.check(split)
    dup = [f for f in found(report, "duplicates") if f.message.split()[1] == "test"]
    assert (
        dup
        and dup[0].severity == "warning"
        and "less than the test set's own uncertainty" in dup[0].message
    )
    assert not report.errors


def test_test_rows_twinned_in_the_validation_part_count_too(tmp_path):
    base = table(400, seed=4)
    official_test = base.iloc[:80]
    training = pd.concat([base.iloc[80:], official_test.iloc[:12]], ignore_index=True)
    training.to_csv(tmp_path / "train.csv", index=False)
    official_test.to_csv(tmp_path / "test.csv", index=False)
    data = heldout.load(tmp_path / "train.csv", target="y")
    split = heldout.split(data, test=tmp_path / "test.csv", validation=0.5, seed=0)
    in_validation = np.isin(split.validation.fingerprints, data.fingerprints[-12:]).sum()
    assert in_validation > 0
    dup = [f for f in found(heldout.check(split), "duplicates") if f.message.split()[1] == "test"]
    assert dup and dup[0].count == 12 and "training or validation" in dup[0].message


def test_legitimate_repetition_in_survey_answers_is_not_an_error():
    rng = np.random.default_rng(1)
    answers = pd.DataFrame(
        {f"q{i}": rng.integers(1, 4, 3000) for i in range(3)}
    )  # 27 possible answer rows
    answers["satisfied"] = (answers.sum(axis=1) + rng.integers(0, 3, 3000) > 7).astype(int)
    report = heldout.check(heldout.split(heldout.load(answers, target="satisfied"), seed=0))
    assert not report.errors
    assert all(f.severity == "info" for f in found(report, "duplicates"))


def test_near_duplicates_are_found_without_an_n_by_n_matrix():
    base = table(600)
    jittered = base.iloc[:200].copy()
    jittered[[f"x{i}" for i in range(5)]] += 1e-4
    report = heldout.check(
        heldout.split(
            heldout.load(pd.concat([base, jittered], ignore_index=True), target="y"), seed=0
        )
    )
    near = found(report, "near_duplicates")
    assert near and near[0].severity == "warning" and near[0].count > 5
    assert not found(
        heldout.check(heldout.split(heldout.load(table(600), target="y"), seed=0)),
        "near_duplicates",
    )


def test_groups_on_both_sides_and_identifier_columns():
    groups = np.repeat(np.arange(40), 10)
    data = heldout.load(table(400, patient=groups), target="y", groups="patient")
    leaky = heldout.check(heldout.split(data, seed=0, strategy="random"))
    entity = found(leaky, "entities")
    assert entity and entity[0].severity == "error" and entity[0].count > 0
    assert not found(heldout.check(heldout.split(data, seed=0, strategy="group")), "entities")
    with_id = heldout.check(
        heldout.split(heldout.load(table(400, row_id=np.arange(400) + 1000), target="y"), seed=0)
    )
    ids = found(with_id, "entities")
    assert ids and ids[0].severity == "warning" and ids[0].examples == ["row_id"]


def test_time_like_columns_under_a_random_split():
    dates = pd.date_range("2020-01-01", periods=400, freq="D").strftime("%Y-%m-%d")
    report = heldout.check(heldout.split(heldout.load(table(400, day=dates), target="y"), seed=0))
    time = found(report, "time")
    assert (
        time
        and time[0].severity == "warning"
        and time[0].count > 40
        and time[0].examples == ["day"]
    )
    by_time = heldout.load(table(400, day=pd.to_datetime(dates)), target="y", time="day")
    assert not found(heldout.check(heldout.split(by_time, seed=0, strategy="time")), "time")


def test_a_feature_that_is_the_label_in_disguise():
    frame = table(500)
    frame["leak"] = frame["y"] * 2 + 1
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    proxy = found(report, "target_proxy")
    assert [f.examples for f in proxy] == [["leak"]] and proxy[0].severity == "error"


def test_each_of_several_targets_is_checked_for_its_own_proxy():
    frame = table(500)
    frame["z"] = frame["x2"] - frame["x3"] + 0.5 * np.random.default_rng(1).standard_normal(500)
    frame["leak"] = frame["z"] * 1000
    report = heldout.check(heldout.split(heldout.load(frame, target=["y", "z"]), seed=0))
    proxy = found(report, "target_proxy")
    assert [f.examples for f in proxy] == [["leak"]] and "predicts the target 'z'" in proxy[
        0
    ].message


def test_re_split_after_unsealing():
    data = heldout.load(table(300), target="y")
    first = heldout.split(data, seed=0)
    run = heldout.fit(first, epochs=2)
    heldout.evaluate(run.model, first)
    heldout.Ledger().retire(first.test.seal, reason="moving on to a new split")
    again = heldout.check(heldout.split(data, seed=1))
    resplit = found(again, "resplit")
    assert (
        resplit
        and all(f.severity == "error" for f in resplit)
        and sum(f.count for f in resplit) > 10
    )


def test_too_little_to_trust():
    report = heldout.check(heldout.split(heldout.load(table(100), target="y"), seed=0, test=0.2))
    assert [f.severity for f in found(report, "too_little")] == ["warning"]
    rng = np.random.default_rng(0)
    rare = table(400, label=(rng.random(400) < 0.05).astype(int)).drop(columns="y")
    imbalanced = heldout.check(
        heldout.split(heldout.load(rare, target="label"), seed=0, strategy="random")
    )
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
    summary = procedures.run_procedure(
        spec, out=tmp_path / "r2", trials=4, population=4, allow_leakage=True
    )
    assert summary["leakage_allowed"] and summary["leakage"][0]["kind"] == "duplicates"
    assert any(
        e["kind"] == "audit" and e["payload"]["info"].get("override") == "allow_leakage"
        for e in heldout.Ledger().entries()
    )
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
    assert not found(
        heldout.check(heldout.split(heldout.load(one_feature, target="y"), seed=0)),
        "near_duplicates",
    )


def _repeated_measures(column="Subject", subjects=24, days=8, seed=0):
    rng = np.random.default_rng(seed)
    subject_effect = rng.normal(0, 40, subjects)
    rows = pd.DataFrame(
        {
            column: np.repeat(np.arange(300, 300 + subjects), days),
            "Days": np.tile(np.arange(days), subjects),
            "age": np.repeat(rng.integers(20, 60, subjects), days),
        }
    )  # an attribute of the subject
    rows["Reaction"] = (
        250 + 10 * rows["Days"] + subject_effect[rows[column] - 300] + rng.normal(0, 20, len(rows))
    )
    return rows


@pytest.mark.parametrize("column", ["Subject", "patient_id", "PacienteID", "haushalt", "k"])
def test_an_entity_code_column_is_reported_with_the_fix(column):
    report = heldout.check(
        heldout.split(heldout.load(_repeated_measures(column), target="Reaction"), seed=0)
    )
    entity = [f for f in found(report, "entities") if repr(column) in f.message]
    assert entity and entity[0].severity == "warning" and f"--groups {column}" in entity[0].message


def test_calendar_codes_and_categories_are_not_entities():
    rng = np.random.default_rng(2)
    n = 310
    frame = pd.DataFrame(
        {
            "Day": np.tile(np.arange(1, 32), 10),
            "Month": np.repeat(np.arange(1, 11), 31),
            "colour": rng.choice(["red", "green", "blue"], n),
            "x": rng.normal(size=n),
        }
    )
    frame["y"] = frame["x"] + rng.normal(size=n)
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    assert not found(report, "entities")


def test_exact_copies_are_not_counted_again_as_near_duplicates():
    base = table(600, seed=5)
    frame = pd.concat([base, base.iloc[:150]], ignore_index=True)  # exact copies only
    report = heldout.check(heldout.split(heldout.load(frame, target="y"), seed=0))
    assert found(report, "duplicates") and not found(report, "near_duplicates")
