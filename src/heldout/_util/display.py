"""Tables for the terminal: rich tables for the CLI and for ``rich.print``, and the same tables
as plain text for ``print`` (no colour codes when the output is not a terminal)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    import pandas as pd


def table(title: str, columns: list[str], rows: list[list]) -> Table:
    """Every title, header and cell is text as it is: a column named ``[/red]`` is printed, not read
    as markup."""
    t = Table(title=Text(title), title_justify="left")
    for c in columns:
        t.add_column(Text(str(c)), overflow="fold")
    for r in rows:
        t.add_row(*[Text(fmt(v)) for v in r])
    return t


def frame(title: str, data: pd.DataFrame, limit: int = 20) -> Table:
    """A DataFrame's first ``limit`` rows as a table (the title says when rows were left out)."""
    more = f" (first {limit} of {len(data)})" if len(data) > limit else ""
    return table(title + more, list(data.columns), data.head(limit).values.tolist())


def pairs(title: str, values: dict) -> Table:
    """A dict as a two-column table, nested dicts one row per inner key (``hyperparameters.lr``)."""
    rows = []
    for key, value in values.items():
        if isinstance(value, dict):
            rows += [[f"{key}.{inner}", v] for inner, v in value.items()]
        else:
            rows.append([key, value])
    return table(title, ["", "value"], rows)


def fmt(value) -> str:
    """A cell: floats to 4 significant digits (lists of floats too, e.g. an interval), None
    empty."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, float) for v in value):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return "" if value is None else str(value)


def text(renderable, width: int = 120) -> str:
    """What ``renderable`` looks like printed, as plain text."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, highlight=False).print(renderable)
    return buffer.getvalue().rstrip("\n")
