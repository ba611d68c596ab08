"""Invariant 1: no test rows in training, tuning or selection — within a process and across processes."""

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
    """The rows of ``frame`` that are neither training nor validation rows (i.e. the sealed ones)."""
    ds = heldout.load(frame, target="target")
    seen = set(split.train.fingerprints.tolist()) | set(split.validation.fingerprints.tolist())
    return frame[[fp not in seen for fp in ds.fingerprints.tolist()]]


def test_test_rows_copied_back_into_a_training_table_are_refused_in_another_process(tmp_path):
    ds = heldout.datasets.load("wine")
    frame = ds.features.assign(target=ds.target)
    frame.to_csv(tmp_path / "wine.csv", index=False)
    # process 1 seals the test set (the ledger records its rows)
    subprocess.run([sys.executable, "-c", "import heldout; heldout.split(heldout.load('wine.csv', target='target'), "
                    "seed=0)"], check=True, cwd=tmp_path)
    split = heldout.split(heldout.load(tmp_path / "wine.csv", target="target"), seed=0)
    leaked = pd.concat([frame.iloc[:100], _test_rows(frame, split).iloc[:5]])
    leaked.to_csv(tmp_path / "new_training_table.csv", index=False)
    # process 2 builds a new split from a table that holds five of those rows, and tries to train
    code = ("import heldout\n"
            "s = heldout.split(heldout.load('new_training_table.csv', target='target'), test=0.1, seed=1)\n"
            "try:\n    heldout.fit(s, epochs=2)\nexcept heldout.LeakageError as e:\n    print('REFUSED', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
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
    """iris holds identical rows; one copy may land in test and one in training of the same split."""
    frame = pd.DataFrame({"x": np.r_[np.arange(50.0), np.arange(50.0)], "target": np.r_[np.zeros(50), np.ones(50)]})
    split = heldout.split(heldout.load(frame.assign(x2=frame.x % 7), target="target"), seed=0)
    heldout.fit(split, epochs=1)
