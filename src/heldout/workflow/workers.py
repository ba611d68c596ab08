"""Local workers of one shared search (``--workers N``): N − 1 more processes on this host join the
study this process searches, each in its own run directory under ``OUT/workers/``. They search
only — the refit and the one look at the test set stay with the process that started them — and
a worker that dies leaves its trials to the others (the study's heartbeats).

Each worker is a fresh process (``spawn``: nothing of this process's state is inherited) running
:func:`~heldout.workflow.procedures.tune_procedure` (passed in: it starts the workers) on the same
data spec, storage and study.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from pathlib import Path

from .._util.declared import Constraint
from ..errors import ConfigError

WORKERS = Constraint(int, low=1, says="a positive whole number", hint="Try --workers 2.")


def check(workers, storage) -> None:
    """Refuse a worker count that is not a positive whole number, or several workers without a
    storage they can share (a run directory's journal belongs to one process)."""
    if workers is None:
        return
    WORKERS.check("workers", workers)
    if workers > 1 and storage is None:
        raise ConfigError(
            "--workers needs a study storage that processes share: give --storage "
            "postgresql://USER@HOST/DB (see the README's 'Scale out')."
        )


@contextlib.contextmanager
def started(workers: int | None, procedure, spec, out: Path, options):
    """Start ``workers − 1`` processes running ``procedure`` (the search, with the same
    :class:`~heldout.search.options.SearchOptions`) for the block (none for ``None`` or 1); wait
    for them at its end, and stop them if it fails."""
    if workers is None or workers == 1:
        yield []
        return
    context = multiprocessing.get_context("spawn")
    options = options.replace(workers=None)
    processes = [
        context.Process(
            target=_work,
            args=(procedure, spec, out / "workers" / str(k), options),
            name=f"heldout-worker-{k}",
            daemon=False,
        )
        for k in range(2, workers + 1)
    ]
    for process in processes:
        process.start()
    try:
        yield processes
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join()


def _work(procedure, spec, out: Path, options) -> None:
    procedure(spec, out, draw_descent=False, **options.as_kwargs())
