"""Several targets from the command line (--target y1,y2 or --target y1 --target y2): `train` and
`run` end to end, per-target test metrics and intervals in evaluation.json and the report, one
prediction column per target, and the bad target lists refused in one paragraph."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers import heldout


def table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Two targets of scale ~1 and ~1000 (the second named with a comma), and a text column."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1],
            "c": x[:, 2],
            "colour": rng.choice(["red", "blue"], n),
            "y1": 1 + x @ [0.5, -0.2, 0.1] + 0.1 * rng.normal(size=n),
            "y,2": 1000 + x @ [300.0, 100.0, -50.0] + 10 * rng.normal(size=n),
        }
    )


@pytest.fixture
def csv(tmp_path):
    table().to_csv(tmp_path / "t.csv", index=False)
    return str(tmp_path / "t.csv")


def test_train_evaluate_and_predict_write_one_column_per_target(csv, tmp_path):
    # "y,2" is a column: the repeated option names it whole
    trained = json.loads(
        heldout(
            "train",
            csv,
            "--target",
            "y1",
            "--target",
            "y,2",
            "--optimizer",
            "gd",
            "--lr",
            "0.5",
            "--epochs",
            "200",
            "--no-descent",
            "--out",
            str(tmp_path / "r"),
            "--json",
        ).stdout
    )
    assert trained["split"]["task"] == "regression" and trained["validation"]["rmse"] < 0.2
    looked = json.loads(heldout("evaluate", str(tmp_path / "r"), "--json").stdout)["metrics"]
    assert set(looked["targets"]) == {"y1", "y,2"} and looked["targets"]["y,2"]["rmse"] > 1
    assert looked["targets"]["y1"]["rmse"] < 1 and looked["targets"]["y1"]["interval_95"]["rmse"]
    rows = table().drop(columns=["y1", "y,2"]).head(5)
    rows.to_csv(tmp_path / "new.csv", index=False)
    heldout(
        "predict",
        str(tmp_path / "r" / "model.safetensors"),
        str(tmp_path / "new.csv"),
        "-o",
        str(tmp_path / "p.csv"),
        "--interval",
        "0.9",
    )
    written = pd.read_csv(tmp_path / "p.csv")
    assert list(written.columns) == ["y1", "y,2", "y1_lower", "y1_upper", "y,2_lower", "y,2_upper"]
    assert (
        written["y,2"].between(0, 2500).all() and written["y1"].abs().lt(10).all()
    )  # each in its units
    assert (written["y,2_lower"] < written["y,2"]).all() and (
        written["y,2"] < written["y,2_upper"]
    ).all()


def test_run_with_a_comma_separated_target_list_looks_once_and_reports_each_target(tmp_path):
    table().rename(columns={"y,2": "y2"}).to_csv(tmp_path / "t.csv", index=False)
    summary = json.loads(
        heldout(
            "run",
            str(tmp_path / "t.csv"),
            "--target",
            "y1,y2",
            "--trials",
            "4",
            "--population",
            "4",
            "--candidates",
            "linear+mse,linear+huber",
            "--out",
            str(tmp_path / "r"),
            "--json",
        ).stdout
    )
    assert summary["selection_metric"] == "rmse" and summary["ledger_count"] == 1
    evaluation = json.loads((tmp_path / "r" / "evaluation.json").read_text())
    for name in ("y1", "y2"):
        one = evaluation["metrics"]["targets"][name]
        assert set(one["interval_95"]) == {"rmse", "mae", "r2"} and one["conformal"]["interval_95"]
        assert one["versus"]["baseline"]["rmse"]["verdict"] == "better"
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert set(report["test"]["targets"]) == {"y1", "y2"}
    page = (tmp_path / "r" / "report.html").read_text()
    assert (
        "rmse (y2)" in page
        and "rmse (all targets)" in page
        and "Residuals of y2 on the test rows" in page
    )
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (
        config["data"]["target"] == "y1,y2"
    )  # as given: read against the columns again by `evaluate`


@pytest.mark.parametrize(
    "targets, said",
    [
        (
            ["--target", "y1,nope"],
            "Target columns ['nope'] (of ['y1', 'nope']) are not in the table",
        ),
        (
            ["--target", "y1", "--target", "colour"],
            "Multi-output needs numeric targets; classification takes one",
        ),
        (["--target", "y1", "--target", "y1"], "['y1'] are named more than once"),
    ],
)
def test_bad_target_lists_are_refused_in_one_paragraph(csv, targets, said):
    out = heldout("train", csv, *targets, "--epochs", "2", check=False)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert said in " ".join(out.stderr.split())


def test_a_streamed_table_takes_one_target(tmp_path):
    table().rename(columns={"y,2": "y2"}).to_parquet(tmp_path / "t.parquet")
    out = heldout(
        "train",
        str(tmp_path / "t.parquet"),
        "--target",
        "y1,y2",
        "--stream",
        "--epochs",
        "2",
        check=False,
    )
    assert out.returncode == 2 and "A streamed table takes one target column" in " ".join(
        out.stderr.split()
    )
