"""`heldout report`: rebuild report.html and report.json of a run directory."""

from __future__ import annotations

from pathlib import Path

import click

from ._output import console


@click.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
def command(run_dir: str) -> None:
    """Write RUN_DIR/report.html (self-contained, offline) and RUN_DIR/report.json, and print
    its tables."""
    from ..report.page import report

    console.print(report(run_dir))
    console.print(f"Report written: {Path(run_dir) / 'report.html'}")
