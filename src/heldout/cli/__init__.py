"""The ``heldout`` command: one small module per command, each a thin map to one library call.

Library errors become one-paragraph messages and a non-zero exit code here, in one place; the
traceback is shown only when ``HELDOUT_DEBUG=1``.

A command's module is imported when the command is named (``heldout --help`` imports them all for
their one-line help), and it imports the library inside the command, when it runs: the help and
``heldout datasets`` answer without importing torch, scikit-learn, Optuna, matplotlib or pandas.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import os
import sys
import warnings

import click

from ..errors import HeldoutError, HeldoutWarning
from ._output import err_console, styled

EXIT_ERROR = 2
COMMANDS = (
    "check",
    "datasets",
    "evaluate",
    "export",
    "ledger",
    "predict",
    "report",
    "run",
    "train",
    "tune",
)  # cli/NAME.py


class _LazyGroup(click.Group):
    """A group whose commands are the ``command`` of the module ``heldout.cli.NAME``, imported when
    first asked for (click's lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *COMMANDS])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            return importlib.import_module(f".{name}", __name__).command
        return super().get_command(ctx, name)


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="heldout")
def cli() -> None:
    """Train models by gradient descent without fooling yourself.

    The test set is sealed when the data is split; it is opened once, by `heldout evaluate`
    (or at the end of `heldout run`), and every opening is recorded in the ledger.
    """


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, HeldoutWarning):
        err_console.print(styled("warning:", "yellow", message))


def main(argv: list[str] | None = None) -> None:
    # At exit, the interpreter's last garbage collections walk every object that torch,
    # scikit-learn and pandas made on import (a fifth of a process that only imports them:
    # benchmarks/MEASUREMENTS.md). Frozen, they are left to the process's end; the exit handlers
    # still run.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    warnings.showwarning = _show_warning
    warnings.simplefilter("always", HeldoutWarning)
    try:
        cli.main(args=argv, prog_name="heldout", standalone_mode=False)
    except HeldoutError as exc:
        if os.environ.get("HELDOUT_DEBUG"):
            raise
        err_console.print(styled("error:", "red", exc))
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
