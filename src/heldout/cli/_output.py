"""Terminal output: rich tables for people, one JSON object for machines."""

from __future__ import annotations

import json
import math

import click
from rich.console import Console

from .._util.display import fmt, table  # the CLI's tables are the library's

__all__ = ["console", "err_console", "emit_json", "fmt", "table"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def emit_json(value) -> None:
    """One JSON object on stdout (NaN becomes null so any JSON reader accepts it)."""
    click.echo(json.dumps(_finite(value), indent=None, sort_keys=True, default=str))


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
