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

from ..errors import ConfigError
from ..rundir.artifacts import Artifacts


def log_run(run_dir, uri: str, experiment: str = "heldout") -> str:
    """Log ``run_dir`` to the MLflow tracking server or store at ``uri``; return the MLflow run
    id."""
    try:
        import mlflow
    except ImportError:
        raise ConfigError(
            "Logging to MLflow needs the mlflow package: pip install 'heldout[mlflow]'."
        ) from None
    artifacts = Artifacts.open(run_dir)
    try:
        return _log(mlflow, artifacts, uri, experiment)
    except mlflow.exceptions.MlflowException as exc:
        raise ConfigError(f"MLflow at {uri!r} refused the run: {exc}") from None


def _log(mlflow, artifacts: Artifacts, uri: str, experiment: str) -> str:
    config, summary, run_dir = artifacts.config(), artifacts.summary() or {}, artifacts.path
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_dir.name) as active:
        params = summary.get("hyperparameters") or (
            config.train if isinstance(config.train, dict) else {}
        )
        params = {k: v for k, v in params.items() if v is not None}
        if summary.get("candidate"):
            params["candidate"] = summary["candidate"]
        if summary.get("ensemble"):  # the members by trial, with their weights
            members = summary["ensemble"]["members"]
            params["ensemble"] = " ".join(f"{m['trial']}:{m['weight']:.4g}" for m in members)
        mlflow.log_params({k: str(v)[:250] for k, v in params.items()})
        mlflow.set_tags(
            {
                "dataset": str(config.split.get("dataset", "")),
                "test_fingerprint": str(config.split.get("test_fingerprint", "")),
            }
        )
        history = artifacts.history() if not config.is_population else None
        for row in [] if history is None else history.to_dict(orient="records"):
            mlflow.log_metrics(
                {
                    k: float(row[k])
                    for k in ("train_loss", "val_loss", "val_metric")
                    if isinstance(row.get(k), float) and row[k] == row[k]
                },  # NaN: skipped
                step=int(row["epoch"]),
            )
        evaluation = artifacts.evaluation()
        if evaluation is not None:
            metrics = evaluation["metrics"]
            mlflow.log_metrics(
                {f"test_{k}": float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
            )
        for name in ("report.html", "report.json", "model.safetensors", "leaderboard.csv"):
            if (run_dir / name).is_file():
                mlflow.log_artifact(str(run_dir / name))
        return active.info.run_id
