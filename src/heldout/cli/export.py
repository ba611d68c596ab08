"""`heldout export BUNDLE --onnx MODEL.onnx`: the model as one ONNX graph, preprocessing
included."""

from __future__ import annotations

import click

from ._output import console, table


@click.command("export")
@click.argument("bundle", type=click.Path(dir_okay=False))
@click.option(
    "--onnx",
    "onnx_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="ONNX file to write: one graph with the preprocessing, the network and the link.",
)
def command(bundle: str, onnx_path: str) -> None:
    """Write the model in BUNDLE as one ONNX graph, with one input per feature column."""
    from ..model.model import Model
    from ..model.portable import export_onnx

    inputs = export_onnx(Model.load(bundle), onnx_path)
    console.print(
        table(
            f"Wrote {onnx_path}: its inputs, one per column ([n, 1]; text: [n, n-grams])",
            ["input", "column", "type", "holds"],
            [list(i.values()) for i in inputs],
        )
    )
