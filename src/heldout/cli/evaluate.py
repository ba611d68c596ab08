"""`heldout evaluate RUN_DIR`: the one final look at the sealed test set, recorded in the ledger."""

from __future__ import annotations

import click

from ._output import console, emit_json, print_look


@click.command("evaluate")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--strict", is_flag=True, help="Refuse a second evaluation of the same test set.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def command(run_dir: str, strict: bool, as_json: bool) -> None:
    """Evaluate the model of RUN_DIR on its sealed test set (recorded before it is shown)."""
    from ..report.page import report
    from ..workflow.evaluation import evaluate_run

    result = evaluate_run(run_dir, strict=strict)
    report(run_dir)  # the report now shows the test metrics and the ledger line
    if as_json:
        emit_json({k: v for k, v in result.to_dict().items() if k != "diagnostics"})
        return
    print_look(f"Test set {result.test_fingerprint} ({result.rows} rows)", result.metrics)
    console.print(
        f"Recorded in the ledger at {result.ledger}: evaluation {result.unsealings} of this test "
        f"set, {result.models} distinct model(s) (model {result.model_fingerprint}, loss = "
        f"{result.metrics['loss_name']}).",
        soft_wrap=True,
    )
