"""`heldout predict BUNDLE DATA -o OUT.csv [--interval 0.9]`: predictions for new rows, and with
``--interval`` their conformal intervals (``lower``, ``upper``) or prediction sets
(``prediction_set``, the classes as a JSON list). A multi-output model writes one column per target,
named after it, and with ``--interval`` its ``NAME_lower`` and ``NAME_upper``."""

from __future__ import annotations

import click

from ._output import console


@click.command("predict")
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write."
)
@click.option(
    "--interval",
    type=float,
    metavar="LEVEL",
    help="Also write conformal intervals (regression: lower, upper) or prediction sets "
    "(classification: prediction_set) that hold the true value with probability LEVEL, e.g. 0.9; "
    "calibrated on the validation rows.",
)
def command(bundle: str, data: str, output: str, interval: float | None) -> None:
    """Predict DATA's rows with the model in BUNDLE; write one prediction per row to OUTPUT."""
    import json

    import pandas as pd

    from .._util.files import atomic_write
    from ..data.dataset import table as read_table
    from ..model.model import Model

    model = Model.load(bundle)
    rows = read_table(data)
    predicted = model.predict(rows)
    several = len(model.targets) > 1  # a multi-output model: one column per target, named after it
    out = (
        pd.DataFrame(predicted, columns=list(model.targets))
        if several
        else pd.DataFrame({"prediction": predicted})
    )
    if model.task.has_classes:
        out["prediction"] = out["prediction"].map(_not_a_formula)
        for label, column in zip(model.classes, model.predict_proba(rows).T):
            out[f"p_{label}"] = column  # starts with p_: never a formula
    if (
        interval is not None and model.task.has_classes
    ):  # a JSON list starts with [: never a formula
        out["prediction_set"] = [
            json.dumps(list(labels), default=str) for labels in model.predict_set(rows, interval)
        ]
    elif interval is not None:
        out = out.join(model.predict_interval(rows, interval))
    if (
        several
    ):  # the columns are named after the targets: one a spreadsheet would run gets a quote too
        out.columns = [_not_a_formula(c) for c in out.columns]
    atomic_write(output, out.to_csv(index=False))
    made = (
        ""
        if interval is None
        else f" with {interval:g} {'sets' if model.task.has_classes else 'intervals'}"
    )
    console.print(f"Wrote {len(out)} predictions{made} to {output}")


def _not_a_formula(value):
    """A label a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote (OWASP's
    CSV-injection rule); numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
