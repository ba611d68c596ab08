"""`heldout run` (the whole procedure) and `heldout tune` (its search, without the test set)."""

from __future__ import annotations

import contextlib

import click

from .. import progress
from ..procedure import DEFAULT_TRIALS
from ..procedure import run as run_procedure
from ..procedure import search as search_procedure
from ..tracking import log_run
from .options import data_options
from .output import console, emit_json, err_console, table


def search_options(fn):
    for decorator in reversed([
        click.option("--trials", default=DEFAULT_TRIALS, show_default=True, type=int,
                     help="Trials in all (a resumed study counts the ones it has)."),
        click.option("--candidates", help="Comma-separated family+loss, e.g. linear+mse,mlp+mse (default: the "
                     "task's candidates)."),
        click.option("--goal", help="Stop once a trial reaches this on validation, e.g. 'rmse<=55' or "
                     "'accuracy>=0.97'."),
        click.option("--timeout", type=float, help="Seconds of searching before the search stops."),
        click.option("--folds", type=int, help="Cross-validate every trial over this many folds."),
        click.option("--metric", help="Selection metric (default: rmse for regression, log_loss otherwise)."),
        click.option("--population", default=8, show_default=True, type=int, help="Trials trained together."),
        click.option("--out", type=click.Path(file_okay=False),
                     help="Run directory (default: runs/NAME-TIME); an existing one resumes its study."),
        click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object."),
        click.option("--quiet", is_flag=True, help="No progress output."),
        click.option("--mlflow", "mlflow_uri", help="Also log the run directory to this MLflow tracking URI."),
        click.option("--verbose", is_flag=True, help="Off a terminal, a line per epoch as well as per batch."),
        click.option("--no-descent", "no_descent", is_flag=True, help="Leave the descent picture out of the report "
                     "(it trains the selected settings again at four learning rates)."),
    ]):
        fn = decorator(fn)
    return fn


def _tune_options(candidates, goal, timeout, folds, metric, population, quiet, verbose) -> dict:
    return {"candidates": candidates.split(",") if candidates else None, "goal": goal, "timeout": timeout,
            "folds": folds, "metric": metric, "population": population,
            "progress": progress.make("quiet" if quiet else "auto", epochs=verbose)}


@click.command("run")
@data_options
@search_options
@click.option("--no-refit", is_flag=True, help="Keep the selected model trained on training rows only.")
@click.option("--allow-leakage", is_flag=True, help="Go on despite error findings of the leakage check (recorded).")
def command(spec, trials, candidates, goal, timeout, folds, metric, population, out, as_json: bool, quiet: bool,
            mlflow_uri, verbose: bool, no_descent: bool, no_refit: bool, allow_leakage: bool) -> None:
    """The procedure on DATA, --dataset NAME, or (with neither) the default bundled dataset: split,
    search on validation, refit, one look at the test set, bundle."""
    if spec.source is None and spec.dataset is None and not as_json:
        console.print(f"No data given: using the bundled dataset {spec.name!r} (`heldout datasets` lists others).")
    options = _tune_options(candidates, goal, timeout, folds, metric, population, quiet or as_json, verbose)
    with contextlib.closing(options["progress"]):
        summary = run_procedure(spec, out=out, trials=trials, refit=not no_refit, allow_leakage=allow_leakage,
                                draw_descent=not no_descent, **options)
    if mlflow_uri:
        summary["mlflow_run_id"] = log_run(summary["run_dir"], mlflow_uri)
    if as_json:
        emit_json(summary)
        return
    for finding in summary["leakage"]:
        err_console.print(f"[yellow]{finding['severity']}:[/yellow] {finding['message']}", highlight=False)
    if summary["leakage_allowed"]:
        err_console.print("[red]leakage errors allowed by --allow-leakage; recorded in the ledger and the summary"
                          "[/red]", highlight=False)
    split = summary["split"]
    console.print(f"Split {split['dataset']!r} ({split['strategy']}, seed {split['seed']}): {split['train']} train, "
                  f"{split['validation']} validation, {split['test']} test rows sealed as {split['test_fingerprint']}.")
    console.print(f"Searched {summary['trials']} trials (stopped by {summary['stopped_by']}; {summary['pruned']} "
                  f"pruned, {summary['diverged']} diverged). Selected {summary['candidate']} on validation "
                  f"{summary['selection_metric']} {summary['validation'][summary['selection_metric']]:.4g}; "
                  f"{'refit on training + validation rows' if summary['refit'] else 'trained on training rows'} "
                  f"for {summary['epochs']} epochs.")
    test = {k: v for k, v in summary["test"].items() if k not in ("loss_name", "interval_95")}
    console.print(table("Test set, evaluated once", list(test), [list(test.values())]))
    console.print("95% bootstrap intervals over the test rows: " + ", ".join(
        f"{k} [{lo:.4g}, {hi:.4g}]" for k, (lo, hi) in summary["test"]["interval_95"].items()))
    console.print(f"Ledger count for this test set: {summary['ledger_count']}. Run directory: {summary['run_dir']}")


@click.command("tune")
@data_options
@search_options
def tune_command(spec, trials, candidates, goal, timeout, folds, metric, population, out, as_json: bool,
                 quiet: bool, mlflow_uri, verbose: bool, no_descent: bool) -> None:
    """Search candidates and hyperparameters on validation data; the test set stays sealed."""
    options = _tune_options(candidates, goal, timeout, folds, metric, population, quiet or as_json, verbose)
    with contextlib.closing(options["progress"]):
        out, _, found = search_procedure(spec, out=out, trials=trials, draw_descent=not no_descent, **options)
    if mlflow_uri:
        log_run(out, mlflow_uri)
    board = found.leaderboard
    if as_json:
        emit_json({"run_dir": str(out), "metric": found.metric, "stopped_by": found.stopped_by, "best": found.best,
                   "trials": len(board)})
        return
    shown = [c for c in ("trial", "candidate", found.metric, "status", "best_epoch", "lr", "batch_size", "optimizer")
             if c in board.columns]
    console.print(table(f"Leaderboard ({len(board)} trials, stopped by {found.stopped_by}); top 10", shown,
                        board[shown].head(10).values.tolist()))
    console.print(f"Leaderboard and study: {out}. The test set is still sealed: `heldout run --out {out}` resumes "
                  "this study, refits the best and evaluates once.")
