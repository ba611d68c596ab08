"""The command line, run as a user runs it: a real process, its output, its exit code, its files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from helpers import heldout, mixed_table


def test_datasets_lists_shape_and_task():
    listing = json.loads(heldout("datasets", "--json").stdout)
    rows = {d["name"]: d for d in listing["datasets"]}
    assert rows["digits"]["rows"] == 1797 and rows["digits"]["task"] == "multiclass"
    assert "diabetes" in heldout("datasets").stdout


def test_train_evaluate_predict_ledger_from_a_csv(tmp_path):
    frame = mixed_table()
    frame.to_csv(tmp_path / "table.csv", index=False)
    trained = json.loads(
        heldout(
            "train",
            str(tmp_path / "table.csv"),
            "--target",
            "label",
            "--model",
            "mlp",
            "--hidden",
            "8",
            "--epochs",
            "20",
            "--out",
            str(tmp_path / "run"),
            "--json",
        ).stdout
    )
    assert trained["split"]["test"] == 40 and trained["status"] in {
        "max_epochs",
        "early_stopped",
        "converged",
    }
    run_dir = tmp_path / "run"
    assert {p.name for p in run_dir.iterdir()} == {
        "config.json",
        "descent.json",
        "history.csv",
        "model.safetensors",
        "leakage.json",
        "inspection.json",
        "report.html",
        "report.json",
        ".lock",
    }
    history = pd.read_csv(run_dir / "history.csv")
    assert list(history.columns) == ["epoch", "lr", "train_loss", "val_loss", "val_metric"]

    first = json.loads(heldout("evaluate", str(run_dir), "--json").stdout)
    assert first["ledger_count"] == 1 and set(first["metrics"]) >= {
        "accuracy",
        "log_loss",
        "roc_auc",
        "f1",
        "loss",
    }
    again = heldout("evaluate", str(run_dir), "--json")
    assert json.loads(again.stdout)["ledger_count"] == 2 and "evaluated 2 times" in again.stderr
    refused = heldout("evaluate", str(run_dir), "--strict", check=False)
    assert (
        refused.returncode == 2
        and "strict mode" in refused.stderr
        and "Traceback" not in refused.stderr
    )

    frame.drop(columns="label").iloc[:7].to_csv(tmp_path / "new.csv", index=False)
    heldout(
        "predict",
        str(run_dir / "model.safetensors"),
        str(tmp_path / "new.csv"),
        "-o",
        str(tmp_path / "p.csv"),
    )
    predictions = pd.read_csv(tmp_path / "p.csv")
    assert len(predictions) == 7 and set(predictions.columns) == {"prediction", "p_no", "p_yes"}

    ledger = json.loads(heldout("ledger", "--json", "--verify").stdout)
    assert [e["kind"] for e in ledger["entries"]] == [
        "seal",
        "audit",
        "unseal",
        "unseal",
    ]  # audit: the leakage check before training
    assert ledger["verified"]["ok"]


def test_the_look_is_counted_in_the_ledger_the_run_was_sealed_in_from_any_directory(tmp_path):
    """HELDOUT_HOME unset: the project's ledger is .heldout at its git root, and `evaluate` from
    another project counts the look there, not in a ledger of its own."""
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    for root in (project, elsewhere):
        (root / ".git").mkdir(parents=True)  # fake git work trees: nothing reaches outside tmp_path
    (project / "src").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "HELDOUT_HOME"}
    env.update(COLUMNS="120", XDG_DATA_HOME=str(tmp_path / "user-data"))

    def cli(cwd, *args):
        out = subprocess.run(
            [sys.executable, "-m", "heldout", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
        )
        assert out.returncode == 0, out.stderr
        return out

    run_dir = project / "runs" / "a"
    cli(
        project / "src",
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "3",
        "--out",
        str(run_dir),
        "--quiet",
    )
    ledger = (project / ".heldout").resolve()
    assert (ledger / "ledger.sqlite").is_file()
    assert Path(json.loads((run_dir / "config.json").read_text())["ledger"]).resolve() == ledger

    first = json.loads(cli(elsewhere, "evaluate", str(run_dir), "--json").stdout)
    assert (
        first["ledger_count"] == 1
        and first["models"] == 1
        and Path(first["ledger"]).resolve() == ledger
    )
    again = cli(elsewhere, "evaluate", str(run_dir))
    assert (
        f"Recorded in the ledger at {first['ledger']}: evaluation 2 of this test set, 1 distinct "
        "model(s)" in (again.stdout)
    )
    assert "evaluated 2 times, by 1 model" in again.stderr
    assert not (elsewhere / ".heldout").exists() and not (tmp_path / "user-data").exists()
    assert json.loads((run_dir / "report.json").read_text())["ledger_folder"] == first["ledger"]
    listed = json.loads(cli(project, "ledger", "--json").stdout)
    assert [e["kind"] for e in listed["entries"] if e["kind"] != "audit"] == [
        "seal",
        "unseal",
        "unseal",
    ]
    assert listed["fingerprint_version"] == 2


def test_run_on_a_bundled_dataset_ends_with_one_final_evaluation(tmp_path):
    summary = json.loads(
        heldout("run", "--dataset", "wine", "--out", str(tmp_path / "r"), "--json").stdout
    )
    assert summary["test"]["accuracy"] > 0.85 and summary["ledger_count"] == 1
    assert (tmp_path / "r" / "summary.json").is_file() and (
        tmp_path / "r" / "model.safetensors"
    ).is_file()
    default = heldout("run", "--out", str(tmp_path / "d"))
    assert "using the bundled dataset 'breast_cancer'" in default.stdout


def test_diverged_training_exits_nonzero_with_the_advice(tmp_path):
    out = heldout(
        "train",
        "--dataset",
        "diabetes",
        "--optimizer",
        "gd",
        "--lr",
        "3",
        "--out",
        str(tmp_path / "x"),
        check=False,
    )
    assert (
        out.returncode == 1
        and "diverge at epoch" in out.stderr
        and "Try 0.3 or lower" in out.stderr
    )


def test_errors_are_one_paragraph_with_the_fix_and_no_traceback(tmp_path):
    cases = [
        (["train", str(tmp_path / "missing.csv"), "--target", "y"], "not found"),
        (["train", "--dataset", "iris", "--lr", "-1"], "lr must be > 0"),
        (["train", "--dataset", "iris", "--batch-size", "0"], "batch_size must be >= 1"),
        (["train", "--dataset", "nope"], "Unknown dataset 'nope'"),
        (["evaluate", str(tmp_path)], "not a heldout run directory"),
        (
            [
                "predict",
                str(tmp_path / "m.safetensors"),
                str(tmp_path / "d.csv"),
                "-o",
                str(tmp_path / "o.csv"),
            ],
            "Model file not found",
        ),
    ]
    mixed_table().to_csv(tmp_path / "t.csv", index=False)
    cases.append((["train", str(tmp_path / "t.csv"), "--target", "nope"], "The columns are"))
    for args, message in cases:
        out = heldout(*args, check=False)
        assert out.returncode == 2, (args, out.stderr)
        assert message in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)
    assert not (tmp_path / "o.csv").exists()
    debug = subprocess.run(
        [sys.executable, "-m", "heldout", "train", "--dataset", "nope"],
        capture_output=True,
        text=True,
        env={**os.environ, "HELDOUT_DEBUG": "1"},
    )
    assert "Traceback" in debug.stderr


def test_predict_with_wrong_columns_writes_nothing(tmp_path):
    frame = mixed_table()
    frame.to_csv(tmp_path / "t.csv", index=False)
    heldout(
        "train",
        str(tmp_path / "t.csv"),
        "--target",
        "label",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "r"),
    )
    frame.drop(columns=["label", "x"]).to_csv(tmp_path / "bad.csv", index=False)
    out = heldout(
        "predict",
        str(tmp_path / "r" / "model.safetensors"),
        str(tmp_path / "bad.csv"),
        "-o",
        str(tmp_path / "p.csv"),
        check=False,
    )
    assert out.returncode == 2 and "['x'] are missing" in out.stderr
    assert not (tmp_path / "p.csv").exists() and not list(Path(tmp_path).glob(".p.csv*"))


def test_tampered_ledger_fails_verification(tmp_path):
    import sqlite3

    heldout("run", "--dataset", "iris", "--out", str(tmp_path / "r"))
    db = sqlite3.connect(os.environ["HELDOUT_HOME"] + "/ledger.sqlite")
    db.execute("UPDATE entries SET time = '2020-01-01' WHERE seq = 2")
    db.commit()
    out = heldout("ledger", "--verify", check=False)
    assert out.returncode == 1 and "entry 2" in out.stderr


def test_train_with_several_rates_and_folds_writes_one_row_per_member(tmp_path):
    out = json.loads(
        heldout(
            "train",
            "--dataset",
            "wine",
            "--optimizer",
            "sgd",
            "--lr",
            "0.01,0.1",
            "--folds",
            "3",
            "--epochs",
            "5",
            "--out",
            str(tmp_path / "p"),
            "--json",
        ).stdout
    )
    assert out["members"] == 6 and out["folds"] == 3
    assert [round(c["lr"], 3) for c in out["configurations"]] == [0.01, 0.1]
    members = pd.read_csv(tmp_path / "p" / "members.csv")
    assert len(members) == 6 and sorted(members["fold"].unique()) == [0, 1, 2]
    assert set(pd.read_csv(tmp_path / "p" / "histories.csv")["member"]) == set(range(6))
    refused = heldout("evaluate", str(tmp_path / "p"), check=False)
    assert refused.returncode == 2 and "holds 6 members and no single model" in refused.stderr
    bad = heldout("train", "--dataset", "wine", "--lr", "0.1,x", check=False)
    assert bad.returncode == 2 and "comma-separated list of numbers" in bad.stderr


def test_tune_then_run_resumes_the_study_and_looks_once(tmp_path):
    out = str(tmp_path / "r")
    tuned = json.loads(
        heldout(
            "tune",
            "--dataset",
            "diabetes",
            "--trials",
            "4",
            "--population",
            "4",
            "--candidates",
            "linear+mse",
            "--out",
            out,
            "--json",
        ).stdout
    )
    assert tuned["trials"] == 4 and tuned["metric"] == "rmse"
    shown = heldout(
        "run",
        "--dataset",
        "diabetes",
        "--trials",
        "8",
        "--population",
        "4",
        "--candidates",
        "linear+mse",
        "--out",
        out,
    )
    assert (
        "Searched 8 trials" in shown.stdout
        and "trials 8/8 (last batch: 4 linear+mse): best rmse" in shown.stderr
    )
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert (
        summary["ledger_count"] == 1 and len(pd.read_csv(tmp_path / "r" / "leaderboard.csv")) == 8
    )
    assert summary["ledger"] == os.environ["HELDOUT_HOME"] and summary["models"] == 1
    assert (
        f"Ledger at {os.environ['HELDOUT_HOME']}: evaluation 1 of this test set, 1 distinct "
        "model(s)" in shown.stdout
    )
    bad = heldout("run", "--dataset", "wine", "--goal", "rmse<=3", check=False)
    assert bad.returncode == 2 and "does not fit a multiclass task" in bad.stderr


def test_check_prints_findings_as_json_and_exits_1_on_an_error(tmp_path):
    clean = json.loads(heldout("check", "--dataset", "wine", "--json").stdout)
    assert all(f["severity"] == "info" for f in clean["findings"])
    frame = mixed_table()
    frame["leak"] = frame["label"].astype(str) + "!"
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = heldout("check", str(tmp_path / "t.csv"), "--target", "label", "--json", check=False)
    findings = json.loads(out.stdout)["findings"]
    assert out.returncode == 1
    assert {"kind", "severity", "category", "count"} <= set(findings[0])
    assert any(f["kind"] == "target_proxy" and f["severity"] == "error" for f in findings)


def test_tune_takes_a_step_budget_and_a_pruner(tmp_path):
    out = tmp_path / "r"
    heldout(
        "tune",
        "--dataset",
        "digits",
        "--trials",
        "4",
        "--population",
        "4",
        "--candidates",
        "linear+cross_entropy",
        "--max-steps",
        "40",
        "--pruner",
        "none",
        "--out",
        str(out),
        "--json",
        "--no-descent",
    )
    board = pd.read_csv(out / "leaderboard.csv")
    # 1,149 training rows: a batch of 16 takes 72 steps an epoch, so 40 steps leave one epoch
    assert (board["epochs"] * -(-1149 // board["batch_size"]) <= 72).all() and (
        board["status"] != "pruned"
    ).all()
    bad = heldout("tune", "--dataset", "diabetes", "--max-steps", "lots", check=False)
    assert (
        bad.returncode == 2
        and "'lots' is not 'auto', 'none' or a whole number of steps" in bad.stderr
    )


def test_ledger_anchor_prints_the_head_hash_and_verify_checks_it():
    heldout("train", "--dataset", "iris", "--epochs", "2", "--no-descent")
    anchor = heldout("ledger", "--anchor").stdout.strip()
    assert len(anchor) == 64 and int(anchor, 16) >= 0
    assert "intact" in heldout("ledger", "--verify", "--anchor", anchor).stdout
    bogus = heldout("ledger", "--verify", "--anchor", "f" * 64, check=False)
    assert bogus.returncode == 1 and "is not the hash of any entry" in bogus.stderr


def test_the_ledger_option_names_where_the_test_set_is_sealed_and_counted(tmp_path):
    """--ledger works as HELDOUT_LEDGER: the split is sealed there, the run directory records it,
    and `heldout evaluate` counts the look there from any directory."""
    from heldout.ledger.ledger import Ledger

    heldout(
        "train",
        "--dataset",
        "diabetes",
        "--epochs",
        "2",
        "--no-descent",
        "--ledger",
        str(tmp_path / "team"),
        "--out",
        str(tmp_path / "run"),
    )
    assert json.loads((tmp_path / "run" / "config.json").read_text())["ledger"] == str(
        tmp_path / "team"
    )
    heldout("evaluate", str(tmp_path / "run"))
    assert [e["kind"] for e in Ledger(tmp_path / "team").entries()][-1] == "unseal"
    assert not (tmp_path / ".heldout").exists()  # the default ledger was not written


def test_predict_interval_writes_bounds_or_prediction_sets_and_refuses_a_bad_level(
    tmp_path, monkeypatch
):
    import heldout as library

    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "ledger"))
    diabetes = library.split(library.datasets.load("diabetes"), seed=0)
    library.fit(diabetes, model="linear", optimizer="gd", lr=0.1).model.save(
        tmp_path / "reg.safetensors"
    )
    iris = library.split(library.datasets.load("iris"), seed=0)
    library.fit(iris, epochs=20).model.save(tmp_path / "cls.safetensors")
    diabetes.validation.features.head(5).to_csv(tmp_path / "d.csv", index=False)
    iris.validation.features.head(5).to_csv(tmp_path / "i.csv", index=False)

    shown = heldout(
        "predict",
        str(tmp_path / "reg.safetensors"),
        str(tmp_path / "d.csv"),
        "-o",
        str(tmp_path / "reg.csv"),
        "--interval",
        "0.9",
    )
    bounds = pd.read_csv(tmp_path / "reg.csv")
    assert (
        list(bounds.columns) == ["prediction", "lower", "upper"]
        and "with 0.9 intervals" in shown.stdout
    )
    assert (bounds["lower"] < bounds["prediction"]).all() and (
        bounds["prediction"] < bounds["upper"]
    ).all()
    heldout(
        "predict",
        str(tmp_path / "cls.safetensors"),
        str(tmp_path / "i.csv"),
        "-o",
        str(tmp_path / "cls.csv"),
        "--interval",
        "0.9",
    )
    sets = pd.read_csv(tmp_path / "cls.csv")
    assert list(sets.columns) == ["prediction", "p_0", "p_1", "p_2", "prediction_set"]
    for predicted, members in zip(sets["prediction"], sets["prediction_set"].map(json.loads)):
        assert set(members) <= {0, 1, 2} and (predicted in members or not members)
    bad = heldout(
        "predict",
        str(tmp_path / "reg.safetensors"),
        str(tmp_path / "d.csv"),
        "-o",
        str(tmp_path / "bad.csv"),
        "--interval",
        "90",
        check=False,
    )
    assert (
        bad.returncode == 2
        and "strictly between 0 and 1, got 90.0" in bad.stderr
        and "Try 0.9" in bad.stderr
    )
    assert not (tmp_path / "bad.csv").exists()
