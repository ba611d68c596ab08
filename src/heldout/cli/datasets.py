"""`heldout datasets`: the bundled real datasets."""

from __future__ import annotations

import click

from ..data import datasets as _datasets  # a table: it imports neither scikit-learn nor pandas
from ._output import console, emit_json, table


@click.command("datasets")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def command(as_json: bool) -> None:
    """List the bundled datasets with their shape and task."""
    catalog = _datasets.catalog()
    if as_json:
        emit_json({"datasets": catalog, "default": _datasets.DEFAULT})
        return
    console.print(
        table(
            "Bundled datasets (offline)",
            ["name", "rows", "features", "task", "classes", "description"],
            [
                [d["name"], d["rows"], d["features"], d["task"], d["classes"], d["description"]]
                for d in catalog
            ],
        )
    )
