"""Rows across processes: `torchrun --nproc-per-node 2 -m heldout train` (gloo) splits every
batch's rows between two processes and ends with the parameters one process reaches on the same
batches; process 0 alone writes the run directory and the ledger."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import load_file

from heldout.ledger.ledger import Ledger

ROWS = 100_000
TRAIN = [
    "--target",
    "y",
    "--model",
    "mlp",
    "--hidden",
    "16",
    "--epochs",
    "3",
    "--batch-size",
    "1024",
    "--no-descent",
    "--quiet",
    "--json",
]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, 20)).astype("float32")
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    frame["y"] = (
        X @ rng.standard_normal(20) + 0.5 * np.sin(X[:, 0]) + 0.3 * rng.standard_normal(ROWS)
    )
    frame["w"] = rng.integers(1, 4, ROWS).astype(float)  # row weights, for the weighted case
    path = tmp_path_factory.mktemp("rows") / "table.parquet"
    frame.to_parquet(path)
    return path


def _train(
    launcher: list[str], table, out, optimizer: str, env: dict, *more
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [
            *launcher,
            "-m",
            "heldout",
            "train",
            str(table),
            *TRAIN,
            "--optimizer",
            optimizer,
            "--out",
            str(out),
            *more,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("torchrun") is None, reason="torchrun (PyTorch's launcher) is not on the PATH"
)
@pytest.mark.parametrize(
    "optimizer, more", [("gd", ()), ("sgd", ()), ("adam", ()), ("sgd", ("--weights", "w"))]
)
def test_two_processes_reach_the_parameters_of_one(table, tmp_path, optimizer, more):
    env = {**os.environ, "HELDOUT_HOME": str(tmp_path / "ledger")}
    two = _train(
        [shutil.which("torchrun"), "--standalone", "--nproc-per-node", "2"],
        table,
        tmp_path / "two",
        optimizer,
        env,
        *more,
    )
    one = _train([sys.executable], table, tmp_path / "one", optimizer, env, *more)
    assert (
        json.loads(two.stdout)["status"] == json.loads(one.stdout)["status"]
    )  # one summary, from process 0
    a, b = (
        load_file(tmp_path / "one" / "model.safetensors"),
        load_file(tmp_path / "two" / "model.safetensors"),
    )
    for name in a:
        # the same updates, the rows' gradients summed in another order: equal to float32 rounding;
        # the conformal scores are validation residuals in the target's units (spread ~5), computed
        # from those parameters, so their rounding is the parameters' times the target's scale; the
        # rows' weights are kept in the scores' order, which rounding may swap between near-ties
        if name == "calibration.weights":
            assert np.array_equal(np.sort(b[name]), np.sort(a[name]))
            continue
        tolerance = 1e-5 if name.startswith("calibration.") else 1e-6
        np.testing.assert_allclose(b[name], a[name], rtol=tolerance, atol=tolerance, err_msg=name)
    # process 1 wrote nothing: one run directory each, and the test set sealed once
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger", "one", "two"]
    assert [e["kind"] for e in Ledger(tmp_path / "ledger").entries()].count("seal") == 1


def test_folds_are_refused_across_processes(tmp_path):
    import heldout
    from heldout.errors import ConfigError
    from heldout.train.shards import Shards

    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    with pytest.raises(ConfigError, match="Folds cannot be trained across processes"):
        heldout.fit(split, folds=3, shards=Shards(0, 2))


def test_each_process_takes_its_own_rows_of_every_batch():
    from heldout.train.shards import Shards

    bounds = [Shards(r, 3).bounds(10) for r in range(3)]
    assert bounds == [(0, 3), (3, 6), (6, 10)]
    assert [Shards(r, 4).bounds(2) for r in range(4)] == [
        (0, 0),
        (0, 1),
        (1, 1),
        (1, 2),
    ]  # fewer rows than processes
