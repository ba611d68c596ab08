"""Terminal output: rich tables for people, one JSON object for machines."""

from __future__ import annotations

import json
import math

import click
from rich.console import Console
from rich.text import Text

from .._util.display import fmt, table  # the CLI's tables are the library's

__all__ = ["console", "err_console", "emit_json", "fmt", "print_look", "styled", "table"]

# user text (column names, values, paths, reasons) is printed as text, never read as markup: the
# consoles read none, and the few styled words go through :func:`styled`
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)


def styled(label: str, style: str, text: str) -> Text:
    """``label`` in ``style``, then ``text`` exactly as it is."""
    return Text.assemble((label, style), " ", str(text))


def emit_json(value) -> None:
    """One JSON object on stdout (NaN becomes null so any JSON reader accepts it)."""
    click.echo(json.dumps(_finite(value), indent=None, sort_keys=True, default=str))


def print_look(title: str, metrics: dict) -> None:
    """The metrics of the look at the test set with their 95% intervals (and on the rows without
    a twin in training or validation, when some have one), then the comparison with baselines."""
    from ..report.page import metric_rows, versus_rows  # the report's rows

    rows = metric_rows(metrics)
    console.print(table(title, list(rows[0]), [list(r.values()) for r in rows]))
    compared = versus_rows(metrics)
    if compared:
        console.print(
            table(
                "Compared with baselines on the same test rows (baseline: learned from the "
                "training rows; an interval that excludes 0 says which is better)",
                list(compared[0]),
                [list(r.values()) for r in compared],
            )
        )


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
