"""`--weights COLUMN` and `--class-weight` on the command line: recorded in the run directory, so
`heldout evaluate` weighs the test rows as training did; bad values are one-paragraph errors."""

import json

import numpy as np

from helpers import heldout, mixed_table


def test_a_weighted_run_records_its_weights_and_the_look_uses_them(tmp_path):
    frame = mixed_table().assign(w=np.random.default_rng(0).integers(1, 4, 200).astype(float))
    frame.to_csv(tmp_path / "table.csv", index=False)
    heldout(
        "train",
        str(tmp_path / "table.csv"),
        "--target",
        "label",
        "--weights",
        "w",
        "--class-weight",
        "yes=2",
        "--epochs",
        "5",
        "--out",
        str(tmp_path / "run"),
        "--json",
    )
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["weights"] == "w" and config["data"]["class_weight"] == {"yes": 2.0}
    look = json.loads(heldout("evaluate", str(tmp_path / "run"), "--json").stdout)
    assert set(look["metrics"]["interval_95"]) >= {
        "accuracy",
        "f1",
    }  # a weighted accuracy: bootstrapped
    # the weight column may stay in the rows to predict, as the target may
    heldout(
        "predict",
        str(tmp_path / "run" / "model.safetensors"),
        str(tmp_path / "table.csv"),
        "-o",
        str(tmp_path / "p.csv"),
    )


def test_bad_class_weights_are_errors_that_say_the_fix(tmp_path):
    mixed_table().to_csv(tmp_path / "table.csv", index=False)
    for value, message in (
        ("yes=lots", "is not LABEL=WEIGHT"),
        ("maybe=2", "names label(s) ['maybe']"),
    ):
        out = heldout(
            "train",
            str(tmp_path / "table.csv"),
            "--target",
            "label",
            "--class-weight",
            value,
            "--epochs",
            "1",
            "--out",
            str(tmp_path / value),
            check=False,
        )
        assert out.returncode == 2 and message in out.stderr and "Traceback" not in out.stderr, (
            out.stderr
        )
