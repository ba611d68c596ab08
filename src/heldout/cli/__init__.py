"""The ``heldout`` command: one small module per command, each a thin map to one library call.

Library errors become one-paragraph messages and a non-zero exit code here, in one place; the
traceback is shown only when ``HELDOUT_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
import warnings

import click

from ..errors import HeldoutError, HeldoutWarning
from . import check, datasets, evaluate, ledger, predict, report, run, train, tune
from ._output import err_console

EXIT_ERROR = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="heldout")
def cli() -> None:
    """Train models by gradient descent without fooling yourself.

    The test set is sealed when the data is split; it is opened once, by `heldout evaluate`
    (or at the end of `heldout run`), and every opening is recorded in the ledger.
    """


for command in (run.command, tune.command, check.command, report.command, datasets.command, train.command,
                evaluate.command, predict.command, ledger.command):
    cli.add_command(command)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, HeldoutWarning):
        err_console.print(f"[yellow]warning:[/yellow] {message}", highlight=False)


def main(argv: list[str] | None = None) -> None:
    warnings.showwarning = _show_warning
    warnings.simplefilter("always", HeldoutWarning)
    try:
        cli.main(args=argv, prog_name="heldout", standalone_mode=False)
    except HeldoutError as exc:
        if os.environ.get("HELDOUT_DEBUG"):
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
