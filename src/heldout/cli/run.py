"""`heldout run`: the whole procedure — split, check, search on validation, refit, one look."""

from __future__ import annotations

import contextlib

import click
from rich.text import Text

from ._options import data_options, search_options, tune_options
from ._output import console, emit_json, err_console, print_look, styled


@click.command("run")
@data_options
@search_options
@click.option(
    "--no-refit", is_flag=True, help="Keep the selected model trained on training rows only."
)
@click.option(
    "--no-ensemble",
    is_flag=True,
    help="Keep the selected trial alone, even when an ensemble of the best trials (weights chosen "
    "on validation rows) does better there.",
)
@click.option(
    "--allow-leakage",
    is_flag=True,
    help="Go on despite error findings of the leakage check (recorded).",
)
@click.option(
    "--time-budget",
    "time_budget",
    type=float,
    help="Seconds for the whole run: the search takes a share, "
    "and the refit, the descent and the best-linear baseline are left out (and listed) when they "
    "would not fit; the one look and the report always happen.",
)
def command(
    spec,
    trials,
    candidates,
    goal,
    timeout,
    folds,
    metric,
    population,
    max_steps,
    pruner,
    storage,
    study_name,
    workers,
    out,
    fresh,
    as_json: bool,
    quiet: bool,
    mlflow_uri,
    verbose: bool,
    no_descent: bool,
    no_refit: bool,
    no_ensemble: bool,
    allow_leakage: bool,
    time_budget,
) -> None:
    """The procedure on DATA, --dataset NAME, or (with neither) the default bundled dataset: split,
    search on validation, refit, one look at the test set, bundle."""
    from ..workflow.procedures import run_procedure
    from ..workflow.tracking import log_run

    if spec.source is None and spec.dataset is None and not as_json:
        console.print(
            f"No data given: using the bundled dataset {spec.name!r} (`heldout datasets` lists "
            "others)."
        )
    options = tune_options(
        candidates,
        goal,
        timeout,
        folds,
        metric,
        population,
        quiet or as_json,
        verbose,
        max_steps,
        pruner,
        storage,
        study_name,
        workers,
    )
    with contextlib.closing(options["progress"]):
        summary = run_procedure(
            spec,
            out=out,
            trials=trials,
            refit=not no_refit,
            ensemble=not no_ensemble,
            allow_leakage=allow_leakage,
            draw_descent=not no_descent,
            time_budget=time_budget,
            fresh=fresh,
            **options,
        )
    if mlflow_uri:
        summary["mlflow_run_id"] = log_run(summary["run_dir"], mlflow_uri)
    if as_json:
        emit_json(summary)
        return
    for finding in summary["leakage"]:
        err_console.print(styled(f"{finding['severity']}:", "yellow", finding["message"]))
    if summary["leakage_allowed"]:
        err_console.print(
            Text(
                "leakage errors allowed by --allow-leakage; recorded in the ledger and the summary",
                style="red",
            )
        )
    split = summary["split"]
    console.print(
        f"Split {split['dataset']!r} ({split['strategy']}, seed {split['seed']}): "
        f"{split['train']} train, {split['validation']} validation, {split['test']} test rows "
        f"sealed as {split['test_fingerprint']}."
    )
    metric = summary["selection_metric"]
    trained = (
        "refit on training + validation rows" if summary["refit"] else "trained on training rows"
    )
    console.print(
        f"Searched {summary['trials']} trials (stopped by {summary['stopped_by']}; "
        f"{summary['pruned']} pruned, {summary['diverged']} diverged). "
        f"Selected {summary['candidate']} on validation "
        f"{metric} {summary['validation'][metric]:.4g}; {trained} for {summary['epochs']} epochs."
    )
    ensemble = summary.get("ensemble")
    if ensemble:
        members = ", ".join(
            f"trial {m['trial']} {m['candidate']} ×{m['weight']:.2f}" for m in ensemble["members"]
        )
        console.print(
            f"Combined {len(ensemble['members'])} trials, weights chosen on validation rows "
            f"({members}): validation {metric} {ensemble['validation']:.4g} against "
            f"{ensemble['single']:.4g} for the selected trial alone."
        )
    print_look("Test set, evaluated once", summary["test"])
    console.print(
        f"Ledger at {summary['ledger']}: evaluation {summary['ledger_count']} of this test set, "
        f"{summary['models']} distinct model(s). Run directory: {summary['run_dir']}",
        soft_wrap=True,
    )
