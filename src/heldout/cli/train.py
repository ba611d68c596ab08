"""`heldout train`: train given settings on the training rows, watching validation; write a run
directory.

Its training options are derived from the settings' declarations
(:data:`heldout.train.config.SETTINGS`): one option per setting, with the declared help and
default; per-member settings take comma-separated values (a grid axis).
"""

from __future__ import annotations

import sys

import click

from ..train.config import (
    BUILT_IN_NAMES,
    SETTINGS,
)  # the declarations alone: no torch until a choice is listed or checked
from ..train.settings import SHARED
from ._options import data_options
from ._output import console, emit_json, err_console, styled, table

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


class Sizes(click.ParamType):
    """Layer sizes, comma-separated: 64,32."""

    name = "size[,size...]"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return tuple(int(v) for v in value.split(",") if v.strip())
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of layer sizes", param, ctx)


class Names(click.Choice):
    """A choice among the names of a registry, looked up when they are listed (`heldout train
    --help`) or a value is checked, not when the option is declared: the registries live beside
    torch."""

    def __init__(self, names, listed: tuple[str, ...]):
        self.names, self.listed, self.case_sensitive = names, listed, True

    def get_metavar(self, param, ctx) -> str:
        # the built-in names: reading the registries would import torch just to print the help
        return "[" + "|".join(self.listed) + "]"

    @property
    def choices(self) -> tuple:
        return tuple(self.names())


def setting_options(fn):
    """One option per declared training setting that the CLI offers."""
    for name, declared in reversed(list(SETTINGS.items())):
        if declared.cli:
            fn = _option(name, declared)(fn)
    return fn


def _option(name: str, declared):
    flag = "--" + name.replace("_", "-")
    help_text = declared.help + (
        "" if declared.default is None else f" [default: {_shown(declared.default)}]"
    )
    if declared.kind is bool:
        return click.option(f"{flag}/--no-{flag[2:]}", name, default=None, help=help_text)
    if declared.kind is tuple:
        return click.option(flag, name, type=Sizes(), default=None, help=help_text)
    if declared.choices is not None:
        return click.option(
            flag,
            name,
            type=Names(declared.choices, BUILT_IN_NAMES.get(name, ())),
            default=None,
            help=help_text,
        )
    if declared.kind in (int, float):
        many = declared.role != SHARED
        kind = Numbers(declared.kind) if many else declared.kind
        return click.option(
            flag,
            name,
            type=kind,
            default=None,
            help=help_text
            + ("; several values, comma-separated, train one member each" if many else ""),
        )
    return click.option(flag, name, default=None, help=help_text)


def _shown(value) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


@click.command("train")
@data_options
@setting_options
@click.option(
    "--folds",
    type=int,
    help="Cross-validate: each configuration once per fold of the training and "
    "validation rows pooled.",
)
@click.option(
    "--memory-budget",
    "memory_budget",
    type=int,
    help="Bytes a population may use (default: half the "
    "available memory); larger populations train in chunks.",
)
@click.option(
    "--out", type=click.Path(file_okay=False), help="Run directory (default: runs/NAME-TIME)."
)
@click.option(
    "--fresh", is_flag=True, help="Start the --out directory anew: remove what heldout wrote there."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option(
    "--mlflow", "mlflow_uri", help="Also log the run directory to this MLflow tracking URI."
)
@click.option(
    "--no-descent",
    "no_descent",
    is_flag=True,
    help="Leave the descent picture out of the report (it "
    "trains the best configuration again at four learning rates).",
)
@click.option(
    "--allow-leakage",
    is_flag=True,
    help="Go on despite error findings of the leakage check (recorded).",
)
def command(
    spec, out, fresh, as_json, quiet, mlflow_uri, no_descent, allow_leakage, **settings
) -> None:
    """Train a model on DATA (or --dataset NAME); the test set stays sealed.

    Comma-separated values (--lr 0.001,0.01,0.1) and --folds train many members as one
    population and print one row per configuration.
    """
    from ..report import progress
    from ..workflow.tracking import log_run
    from ..workflow.training import train_procedure

    given = {k: v for k, v in settings.items() if v is not None}
    reporter = progress.make("quiet" if quiet or as_json or _beside_first() else "auto")
    try:
        artifacts, run = train_procedure(
            spec,
            out,
            progress=reporter,
            draw_descent=not no_descent,
            allow_leakage=allow_leakage,
            fresh=fresh,
            **given,
        )
    finally:
        reporter.close()
    if artifacts is None:
        return  # a process beside the first under torchrun: the first one writes and reports
    run_dir = artifacts.path
    if mlflow_uri:
        log_run(run_dir, mlflow_uri)
    if len(run.members) > 1:
        _population_summary(run, run_dir, spec, as_json)
        return
    best = run.history.iloc[run.best_epoch]
    summary = {
        "run_dir": str(run_dir),
        "status": run.status,
        "message": run.message,
        "best_epoch": run.best_epoch,
        "epochs": int(run.history["epoch"].iloc[-1]),
        "split": run.split,
        "config": run.config.to_dict(),
        "validation": {"loss": float(best["val_loss"]), run.metric_name: float(best["val_metric"])},
        "model_fingerprint": run.model.fingerprint,
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            table(
                f"Trained {run.config.model}+{run.config.loss} with {run.config.optimizer} on "
                f"{spec.name}",
                ["status", "best epoch", "epochs", "val loss", f"val {run.metric_name}", "run dir"],
                [
                    [
                        run.status,
                        run.best_epoch,
                        summary["epochs"],
                        best["val_loss"],
                        best["val_metric"],
                        str(run_dir),
                    ]
                ],
            )
        )
        console.print(
            f"The test set ({run.split['test']} rows, {run.split['test_fingerprint']}) is still "
            f"sealed. Evaluate once, at the end: heldout evaluate {run_dir}"
        )
    if run.status == "diverged":
        err_console.print(styled("diverged:", "red", run.message))
        sys.exit(EXIT_DIVERGED)


def _beside_first() -> bool:
    """Whether torchrun started this process beside process 0 (which alone shows progress)."""
    import os

    return int(os.environ.get("RANK", "0")) > 0


def _population_summary(run, run_dir, spec, as_json: bool) -> None:
    configs = run.by_config()
    if as_json:
        emit_json(
            {
                "run_dir": str(run_dir),
                "members": len(run.members),
                "folds": run.folds,
                "split": run.split,
                "configurations": configs.to_dict(orient="records"),
            }
        )
        return
    folds = f" x {run.folds} folds" if run.folds else ""
    columns = list(configs.columns)
    console.print(
        table(
            f"{len(run.configs)} configurations{folds} ({len(run.members)} members, "
            f"chunks {run.chunks}) on {spec.name}: mean best validation scores",
            columns,
            configs.values.tolist(),
        )
    )
    console.print(
        f"Per-member rows and curves: {run_dir}/members.csv, {run_dir}/histories.csv. The test set "
        f"({run.split['test']} rows) is still sealed: retrain the configuration you choose alone "
        "and evaluate that run once."
    )
