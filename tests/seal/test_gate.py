"""Invariant 1: no test rows in training, tuning or selection — within a process and across
processes."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError, LeakageError


def test_handing_the_sealed_test_set_to_fit_is_refused():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    with pytest.raises(LeakageError, match="sealed test set"):
        heldout.fit(split.test)
    with pytest.raises(ConfigError, match="takes a Split"):
        heldout.fit(heldout.datasets.load("iris"))


def _test_rows(frame: pd.DataFrame, split) -> pd.DataFrame:
    """The rows of ``frame`` that are neither training nor validation rows (i.e. the sealed
    ones)."""
    ds = heldout.load(frame, target="target")
    seen = set(split.train.fingerprints.tolist()) | set(split.validation.fingerprints.tolist())
    return frame[[fp not in seen for fp in ds.fingerprints.tolist()]]


def test_test_rows_copied_back_into_a_training_table_are_refused_in_another_process(tmp_path):
    ds = heldout.datasets.load("wine")
    frame = ds.features.assign(target=ds.target)
    frame.to_csv(tmp_path / "wine.csv", index=False)
    # process 1 seals the test set (the ledger records its rows)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import heldout; heldout.split(heldout.load('wine.csv', target='target'), seed=0)",
        ],
        check=True,
        cwd=tmp_path,
    )
    split = heldout.split(heldout.load(tmp_path / "wine.csv", target="target"), seed=0)
    leaked = pd.concat([frame.iloc[:100], _test_rows(frame, split).iloc[:5]])
    leaked.to_csv(tmp_path / "new_training_table.csv", index=False)
    # process 2 builds a new split from a table that holds five of those rows, and tries to train
    code = (
        "import heldout\ns = heldout.split(heldout.load('new_training_table.csv', "
        "target='target'), test=0.1, seed=1)\ntry:\n    heldout.fit(s, epochs=2)\nexcept "
        "heldout.LeakageError as e:\n    print('REFUSED', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert out.stdout.startswith("REFUSED")
    assert f"belong to test set {split.test.seal}" in out.stdout and "retire" in out.stdout


def test_a_resplit_with_another_seed_is_refused_until_the_old_test_set_is_retired():
    ds = heldout.datasets.load("diabetes")
    first = heldout.split(ds, seed=0)
    heldout.fit(first, epochs=1)
    second = heldout.split(ds, seed=1)
    with pytest.raises(LeakageError, match=first.test.seal):
        heldout.fit(second, epochs=1)
    heldout.Ledger().retire(first.test.seal, reason="moving to a split by seed 1")
    heldout.fit(second, epochs=1)
    kinds = [e["kind"] for e in heldout.Ledger().entries()]
    assert kinds == ["seal", "seal", "retire"]


def test_exact_duplicates_within_one_dataset_do_not_block_training():
    """iris holds identical rows; one copy may land in test and one in training of the same
    split."""
    frame = pd.DataFrame(
        {"x": np.r_[np.arange(50.0), np.arange(50.0)], "target": np.r_[np.zeros(50), np.ones(50)]}
    )
    split = heldout.split(heldout.load(frame.assign(x2=frame.x % 7), target="target"), seed=0)
    heldout.fit(split, epochs=1)


@pytest.mark.parametrize("change", ["columns reordered", "a constant column added"])
def test_a_resplit_of_the_same_rows_in_another_shape_is_refused_and_reported(change):
    """Rows of an evaluated test set are recognised by their values, whatever the table looks
    like."""
    ds = heldout.datasets.load("diabetes")
    frame = ds.features.assign(target=ds.target)
    first = heldout.split(heldout.load(frame, target="target"), seed=0)
    heldout.evaluate(heldout.fit(first, epochs=1).model, first)
    reshaped = (
        frame[frame.columns[::-1]] if change == "columns reordered" else frame.assign(site="north")
    )
    again = heldout.split(heldout.load(reshaped, target="target"), seed=1)
    assert again.test.seal != first.test.seal
    with pytest.raises(
        LeakageError,
        match=rf"training row\(s\) \(positions \[\d+.*belong to test set {first.test.seal}",
    ):
        heldout.fit(again, epochs=1)
    resplit = [f for f in heldout.check(again).findings if f.kind == "resplit"]
    assert resplit and all(f.severity == "error" and first.test.seal in f.message for f in resplit)
    # every row of the first test set that the re-split put in training or validation is found
    # (matched on values)
    sealed = first.test._rows.features.assign(target=first.test._rows.target)
    moved = pd.concat(
        [
            p.features[list(ds.features.columns)].assign(target=p.target)
            for p in (again.train, again.validation)
        ]
    ).merge(sealed)
    assert sum(f.count for f in resplit) == len(moved) > len(first.test) // 2


def test_each_sealed_set_s_columns_are_hashed_once_and_only_when_they_differ(monkeypatch):
    from heldout.ledger import ledger as ledger_module

    frame = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7, "y": np.arange(60.0) % 2})
    heldout.split(heldout.load(frame, target="y"), seed=0)
    heldout.split(heldout.load(frame, target="y"), seed=1)  # two sealed sets with the same columns
    calls = []
    real = ledger_module.row_fingerprints
    monkeypatch.setattr(
        ledger_module, "row_fingerprints", lambda f, t: calls.append(list(f.columns)) or real(f, t)
    )
    same = heldout.load(frame[["b", "a", "y"]], target="y")
    assert (
        len(
            heldout.Ledger().sealed_overlap(
                same.features, same.target, fingerprints=same.fingerprints
            )
        )
        == 2
    )
    assert calls == []  # the table's own fingerprints serve both
    wider = heldout.load(frame.assign(c=1.0), target="y")
    found = heldout.Ledger().sealed_overlap(
        wider.features, wider.target, fingerprints=wider.fingerprints
    )
    assert len(found) == 2 and sorted(calls) == [
        ["a", "b"]
    ]  # one pass over the shared columns for both
    narrower = heldout.load(
        frame[["a", "y"]], target="y"
    )  # lacks a sealed column: cannot hold those rows
    assert heldout.Ledger().sealed_overlap(narrower.features, narrower.target) == []


def test_rows_copied_from_the_given_test_file_into_the_training_file_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    frame["y"] = frame["a"] - frame["b"] + rng.normal(size=300)
    test_file, train_file = tmp_path / "test.csv", tmp_path / "train.csv"
    frame.iloc[:100].to_csv(test_file, index=False)
    pd.concat([frame.iloc[100:], frame.iloc[:20]]).to_csv(
        train_file, index=False
    )  # 20 test rows copied
    split = heldout.split(heldout.load(train_file, target="y"), test=test_file, seed=0)
    with pytest.raises(LeakageError, match=r"identical to rows of this split's test set"):
        heldout.fit(split, epochs=1)
    with pytest.raises(LeakageError, match="copied"):
        heldout.tune(split, trials=1, population=1)
    from heldout.cli import main

    with pytest.raises(SystemExit) as exit_code:
        main(
            [
                "train",
                str(train_file),
                "--target",
                "y",
                "--test",
                str(test_file),
                "--epochs",
                "1",
                "--quiet",
                "--no-descent",
                "--out",
                str(tmp_path / "run"),
            ]
        )
    assert exit_code.value.code == 2
    assert not (tmp_path / "run" / "config.json").exists()


def test_discrete_rows_that_repeat_by_chance_in_a_given_test_file_still_train(tmp_path):
    rng = np.random.default_rng(1)
    answers = pd.DataFrame({f"q{i}": rng.integers(1, 4, 600) for i in range(3)})
    answers["y"] = (answers.sum(axis=1) > 6).astype(int)
    answers.iloc[:150].to_csv(tmp_path / "test.csv", index=False)
    answers.iloc[150:].to_csv(tmp_path / "train.csv", index=False)
    split = heldout.split(
        heldout.load(tmp_path / "train.csv", target="y"), test=tmp_path / "test.csv", seed=0
    )
    assert split.test.holds(split.train.fingerprints).any()  # the same answers, by chance
    heldout.fit(split, epochs=1)
