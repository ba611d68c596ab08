"""`heldout check`: the leakage checks over a split, before any training."""

from __future__ import annotations

import sys

import click

from ._options import data_options
from ._output import console, emit_json, table

EXIT_FINDINGS = 1


@click.command("check")
@data_options
@click.option("--json", "as_json", is_flag=True, help="Print the findings as one JSON object.")
def command(spec, as_json: bool) -> None:
    """Look for the ways the split of DATA (or --dataset NAME) can lie; exit 1 on an error
    finding."""
    from ..leakage import check

    report = check(spec.split())
    if as_json:
        emit_json(report.to_dict())
    else:
        rows = [[f.severity, f.kind, f.category, f.count, f.message] for f in report.findings]
        console.print(
            table(
                f"Leakage check of {spec.name}: {len(report.errors)} error(s)",
                ["severity", "kind", "category", "count", "finding"],
                rows,
            )
            if rows
            else f"Leakage check of {spec.name}: no findings."
        )
    if report.errors:
        sys.exit(EXIT_FINDINGS)
