"""Experiment tracking: a run directory logged to MLflow.

``log_run(run_dir, uri)`` opens one MLflow run and logs what the directory holds: the training
settings or the selected hyperparameters as parameters, every epoch's training loss, validation
loss and metric as step-indexed metrics, the test metrics when the test set has been looked at,
and ``report.html``, ``report.json`` and the bundle as artifacts. Any MLflow tracking URI works
(a local ``file:`` store — MLflow 3 wants ``MLFLOW_ALLOW_FILE_STORE=true`` for those — a
``sqlite:`` database, a server). MLflow is an optional dependency: ``pip install
"heldout[mlflow]"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .errors import ConfigError


def log_run(run_dir, uri: str, experiment: str = "heldout") -> str:
    """Log ``run_dir`` to the MLflow tracking server or store at ``uri``; return the MLflow run id."""
    try:
        import mlflow
    except ImportError:
        raise ConfigError("Logging to MLflow needs the mlflow package: pip install 'heldout[mlflow]'.") from None
    run_dir = Path(run_dir)
    try:
        return _log(mlflow, run_dir, uri, experiment)
    except mlflow.exceptions.MlflowException as exc:
        raise ConfigError(f"MLflow at {uri!r} refused the run: {exc}") from None


def _log(mlflow, run_dir: Path, uri: str, experiment: str) -> str:
    config = json.loads((run_dir / "config.json").read_text()) if (run_dir / "config.json").is_file() else {}
    summary = json.loads((run_dir / "summary.json").read_text()) if (run_dir / "summary.json").is_file() else {}
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_dir.name) as active:
        params = summary.get("hyperparameters") or (config.get("train") if isinstance(config.get("train"), dict)
                                                    else {})
        params = {k: v for k, v in params.items() if v is not None}
        if summary.get("candidate"):
            params["candidate"] = summary["candidate"]
        mlflow.log_params({k: str(v)[:250] for k, v in params.items()})
        mlflow.set_tags({"dataset": str(config.get("split", {}).get("dataset", "")),
                         "test_fingerprint": str(config.get("split", {}).get("test_fingerprint", ""))})
        history = run_dir / "history.csv"
        if history.is_file():
            for row in pd.read_csv(history).to_dict(orient="records"):
                mlflow.log_metrics({k: float(row[k]) for k in ("train_loss", "val_loss", "val_metric")
                                    if pd.notna(row.get(k))}, step=int(row["epoch"]))
        evaluation = run_dir / "evaluation.json"
        if evaluation.is_file():
            metrics = json.loads(evaluation.read_text())["metrics"]
            mlflow.log_metrics({f"test_{k}": float(v) for k, v in metrics.items() if isinstance(v, (int, float))})
        for name in ("report.html", "report.json", "model.safetensors", "leaderboard.csv"):
            if (run_dir / name).is_file():
                mlflow.log_artifact(str(run_dir / name))
        return active.info.run_id
