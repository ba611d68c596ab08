"""`heldout tune`: the search on validation data, without the test set."""

from __future__ import annotations

import contextlib

import click

from ._options import data_options, search_options, tune_options
from ._output import console, emit_json, table


@click.command("tune")
@data_options
@search_options
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
) -> None:
    """Search candidates and hyperparameters on validation data; the test set stays sealed."""
    from ..workflow.procedures import tune_procedure
    from ..workflow.tracking import log_run

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
        out, _, found = tune_procedure(
            spec, out=out, trials=trials, draw_descent=not no_descent, fresh=fresh, **options
        )
    if mlflow_uri:
        log_run(out, mlflow_uri)
    board = found.leaderboard
    if as_json:
        emit_json(
            {
                "run_dir": str(out),
                "metric": found.metric,
                "stopped_by": found.stopped_by,
                "best": found.best,
                "trials": len(board),
            }
        )
        return
    shown = [
        c
        for c in (
            "trial",
            "candidate",
            found.metric,
            "status",
            "best_epoch",
            "lr",
            "batch_size",
            "optimizer",
        )
        if c in board.columns
    ]
    console.print(
        table(
            f"Leaderboard ({len(board)} trials, stopped by {found.stopped_by}); top 10",
            shown,
            board[shown].head(10).values.tolist(),
        )
    )
    console.print(
        f"Leaderboard and study: {out}. The test set is still sealed: `heldout run --out {out}` "
        "resumes this study, refits the best and evaluates once."
    )
