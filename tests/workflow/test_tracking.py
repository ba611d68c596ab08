"""Experiment tracking against a real local MLflow file store."""

import json
import os
import subprocess
import sys

import pytest

mlflow = pytest.importorskip(
    "mlflow", reason="mlflow-skinny is part of the test extra: pip install -e '.[test]'"
)
STORE_ENV = {
    **os.environ,
    "MLFLOW_ALLOW_FILE_STORE": "true",
}  # MLflow 3 keeps local file stores opt-in


def test_a_run_is_logged_with_parameters_curves_test_metrics_and_artifacts(tmp_path, monkeypatch):
    store = (tmp_path / "mlruns").as_uri()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "run",
            "--dataset",
            "diabetes",
            "--trials",
            "4",
            "--population",
            "4",
            "--quiet",
            "--out",
            str(tmp_path / "r"),
            "--mlflow",
            store,
            "--json",
        ],
        capture_output=True,
        text=True,
        env=STORE_ENV,
    )
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout)["mlflow_run_id"]
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.tracking.MlflowClient(tracking_uri=store)
    run = client.get_run(run_id)
    assert run.data.params["candidate"] and "lr" in run.data.params
    assert "test_rmse" in run.data.metrics
    curve = client.get_metric_history(run_id, "val_loss")
    assert len(curve) > 1 and [m.step for m in curve] == sorted(m.step for m in curve)
    artifacts = {a.path for a in client.list_artifacts(run_id)}
    assert {"report.html", "report.json", "model.safetensors", "leaderboard.csv"} <= artifacts


def test_train_logs_too(tmp_path, monkeypatch):
    store = (tmp_path / "mlruns").as_uri()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "train",
            "--dataset",
            "wine",
            "--epochs",
            "3",
            "--quiet",
            "--out",
            str(tmp_path / "t"),
            "--mlflow",
            store,
        ],
        capture_output=True,
        text=True,
        env=STORE_ENV,
    )
    assert out.returncode == 0, out.stderr
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    client = mlflow.tracking.MlflowClient(tracking_uri=store)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments)
    assert len(runs) == 1 and runs[0].data.params["optimizer"] == "adam"
    assert "val_loss" in runs[0].data.metrics
