"""`heldout run`: the whole procedure — split, train, one final evaluation, bundle."""

from __future__ import annotations

import click

from ..procedure import run as run_procedure
from .options import data_options
from .output import console, emit_json, table


@click.command("run")
@data_options
@click.option("--out", type=click.Path(file_okay=False), help="Run directory (default: runs/NAME-TIME).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def command(spec, out, as_json: bool) -> None:
    """Run the procedure on DATA, --dataset NAME, or (with neither) the default bundled dataset."""
    if spec.source is None and spec.dataset is None and not as_json:
        console.print(f"No data given: using the bundled dataset {spec.name!r} (`heldout datasets` lists others).")
    summary = run_procedure(spec, out=out)
    if as_json:
        emit_json(summary)
        return
    split = summary["split"]
    console.print(f"Split {split['dataset']!r} ({split['strategy']}, seed {split['seed']}): {split['train']} train, "
                  f"{split['validation']} validation, {split['test']} test rows sealed as {split['test_fingerprint']}.")
    validation = ", ".join(f"{k} {v:.4g}" for k, v in summary["validation"].items())
    console.print(f"Trained {summary['candidate']}: {summary['status']}, best epoch {summary['best_epoch']}, "
                  f"validation {validation}.")
    test = {k: v for k, v in summary["test"].items() if k != "loss_name"}
    console.print(table("Test set, evaluated once", list(test), [list(test.values())]))
    console.print(f"Ledger count for this test set: {summary['ledger_count']}. Run directory: {summary['run_dir']}")
