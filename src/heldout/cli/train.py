"""`heldout train`: fit one model on the training rows, watching validation; write a run directory."""

from __future__ import annotations

import sys

import click

from .. import descent, progress
from ..config import HYPERPARAMETERS
from ..files import write_json
from ..fit import fit
from ..report import report
from ..tracking import log_run
from ..optim import OPTIMIZERS, SCHEDULES
from ..rundir import default_run_dir, save_run
from .options import data_options
from .output import console, emit_json, err_console, table

EXIT_DIVERGED = 1


class Numbers(click.ParamType):
    """One number, or several separated by commas (a grid axis: one member per value)."""

    name = "number[,number...]"

    def __init__(self, kind=float):
        self.kind = kind

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            values = [self.kind(v) for v in value.split(",") if v.strip()]
        except ValueError:
            self.fail(f"{value!r} is not a number or a comma-separated list of numbers", param, ctx)
        return values[0] if len(values) == 1 else values


def _hyper(flag: str, name: str, kind=float, many: bool = False):
    help_text = HYPERPARAMETERS[name].help + ("; several values, comma-separated, train one member each" if many
                                               else "")
    return click.option(flag, name, type=Numbers(kind) if many else kind, default=None, help=help_text)


@click.command("train")
@data_options
@click.option("--model", default="linear", show_default=True, type=click.Choice(["linear", "mlp"]))
@click.option("--loss", help="mse, mae, huber (regression); log_loss, cross_entropy, hinge (classification).")
@click.option("--optimizer", default="adam", show_default=True, type=click.Choice(list(OPTIMIZERS)))
@_hyper("--lr", "lr", many=True)
@_hyper("--epochs", "epochs", int)
@_hyper("--iterations", "iterations", int)
@click.option("--batch-size", "batch_size", default=32, show_default=True, type=int,
              help=HYPERPARAMETERS["batch_size"].help)
@click.option("--hidden", default="64", show_default=True, help="mlp hidden layer sizes, comma-separated.")
@click.option("--activation", default="relu", show_default=True)
@click.option("--init", help="zeros, normal, xavier or kaiming (default: the family's).")
@_hyper("--momentum", "momentum", many=True)
@_hyper("--weight-decay", "weight_decay", many=True)
@_hyper("--l2", "l2", many=True)
@click.option("--schedule", default="constant", show_default=True, type=click.Choice(list(SCHEDULES)))
@_hyper("--patience", "patience", int)
@click.option("--no-early-stopping", is_flag=True, help="Train to the end and keep the final weights.")
@click.option("--folds", type=int, help="Cross-validate: each configuration once per fold of the training and "
              "validation rows pooled.")
@click.option("--memory-budget", "memory_budget", type=int, help="Bytes a population may use (default: half the "
              "available memory); larger populations train in chunks.")
@click.option("--out", type=click.Path(file_okay=False), help="Run directory (default: runs/NAME-TIME).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--mlflow", "mlflow_uri", help="Also log the run directory to this MLflow tracking URI.")
@click.option("--no-descent", "no_descent", is_flag=True, help="Leave the descent picture out of the report (it "
              "trains the best configuration again at four learning rates).")
def command(spec, model, loss, optimizer, hidden, no_early_stopping, out, as_json, quiet, mlflow_uri, no_descent,
            **settings) -> None:
    """Train a model on DATA (or --dataset NAME); the test set stays sealed.

    Comma-separated values (--lr 0.001,0.01,0.1) and --folds train many members as one
    population and print one row per configuration.
    """
    the_split = spec.split()
    options = {k: v for k, v in settings.items() if v is not None}
    reporter = progress.make("quiet" if quiet or as_json else "auto")
    try:
        run = fit(the_split, model=model, loss=loss, optimizer=optimizer, seed=spec.seed,
                  hidden=tuple(int(h) for h in hidden.split(",") if h.strip()), early_stopping=not no_early_stopping,
                  progress=reporter, **options)
    finally:
        reporter.close()
    run_dir = save_run(out or default_run_dir(spec), spec, run)
    if not no_descent:
        write_json(run_dir / "descent.json", descent.trace(the_split, _best_config(run).to_dict()))
    report(run_dir)
    if mlflow_uri:
        log_run(run_dir, mlflow_uri)
    if len(run.members) > 1:
        _population_summary(run, run_dir, spec, as_json)
        return
    best = run.history.iloc[run.best_epoch]
    summary = {"run_dir": str(run_dir), "status": run.status, "message": run.message, "best_epoch": run.best_epoch,
               "epochs": int(run.history["epoch"].iloc[-1]), "split": run.split, "config": run.config.to_dict(),
               "validation": {"loss": float(best["val_loss"]), run.metric_name: float(best["val_metric"])},
               "model_fingerprint": run.model.fingerprint}
    if as_json:
        emit_json(summary)
    else:
        console.print(table(f"Trained {run.config.model}+{run.config.loss} with {optimizer} on {spec.name}",
                            ["status", "best epoch", "epochs", "val loss", f"val {run.metric_name}", "run dir"],
                            [[run.status, run.best_epoch, summary["epochs"], best["val_loss"], best["val_metric"],
                              str(run_dir)]]))
        console.print(f"The test set ({run.split['test']} rows, {run.split['test_fingerprint']}) is still sealed. "
                      f"Evaluate once, at the end: heldout evaluate {run_dir}")
    if run.status == "diverged":
        err_console.print(f"[red]diverged:[/red] {run.message}", highlight=False)
        sys.exit(EXIT_DIVERGED)


def _best_config(run):
    """The configuration the descent picture shows: the member with the best validation loss."""
    best = run.table()["val_loss"].fillna(float("inf"))
    return run.members[int(best.to_numpy().argmin())].config


def _population_summary(run, run_dir, spec, as_json: bool) -> None:
    configs = run.by_config()
    if as_json:
        emit_json({"run_dir": str(run_dir), "members": len(run.members), "folds": run.folds, "split": run.split,
                   "configurations": configs.to_dict(orient="records")})
        return
    folds = f" x {run.folds} folds" if run.folds else ""
    columns = list(configs.columns)
    console.print(table(f"{len(run.configs)} configurations{folds} ({len(run.members)} members, "
                        f"chunks {run.chunks}) on {spec.name}: mean best validation scores", columns,
                        configs.values.tolist()))
    console.print(f"Per-member rows and curves: {run_dir}/members.csv, {run_dir}/histories.csv. The test set "
                  f"({run.split['test']} rows) is still sealed: retrain the configuration you choose alone "
                  "and evaluate that run once.")
