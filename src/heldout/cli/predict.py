"""`heldout predict BUNDLE DATA -o OUT.csv`: predictions for new rows."""

from __future__ import annotations

import click

from ._output import console


@click.command("predict")
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="CSV file to write.")
def command(bundle: str, data: str, output: str) -> None:
    """Predict DATA's rows with the model in BUNDLE; write one prediction per row to OUTPUT."""
    import pandas as pd

    from .._util.files import atomic_write
    from ..data.dataset import table as read_table
    from ..model.model import Model
    model = Model.load(bundle)
    rows = read_table(data)
    out = pd.DataFrame({"prediction": model.predict(rows)})
    if model.task.has_classes:
        out["prediction"] = out["prediction"].map(_not_a_formula)
        for label, column in zip(model.classes, model.predict_proba(rows).T):
            out[f"p_{label}"] = column   # starts with p_: never a formula
    atomic_write(output, out.to_csv(index=False))
    console.print(f"Wrote {len(out)} predictions to {output}")


def _not_a_formula(value):
    """A label a spreadsheet would run as a formula (=, +, -, @ first) gets a leading quote (OWASP's
    CSV-injection rule); numbers stay numbers."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
