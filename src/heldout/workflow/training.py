"""`heldout train`'s procedure: the spine's split and check, then given settings trained (a grid,
folds) instead of a search, and the run directory written — in one process, or in several that
``torchrun`` started, splitting every batch's rows between them (:mod:`heldout.train.shards`)."""

from __future__ import annotations

from ..errors import ConfigError
from ..nn.family import trained_by_library
from ..report.page import report
from ..rundir.artifacts import Artifacts
from ..rundir.lock import claimed
from ..rundir.spec import DataSpec
from ..train.config import SETTINGS, TrainConfig
from ..train.grid import expand
from ..train.result import Run
from ..train.shards import decided_by_first, finished, from_environment
from . import descent
from .data import open_data
from .inspection import inspect
from .procedures import _out
from .steps import checked_for_leakage, save_run


def train_procedure(
    spec: DataSpec,
    out=None,
    *,
    progress=None,
    draw_descent: bool = True,
    allow_leakage: bool = False,
    fresh: bool = False,
    **settings,
) -> tuple[Artifacts | None, Run]:
    """Split, check the split for leakage (as `heldout run` does: an error finding stops here unless
    ``allow_leakage``), train ``settings`` (a grid, folds) with :func:`heldout.fit`, and write the
    run directory; with ``draw_descent``, the best member's settings are traced for the report.
    Started by ``torchrun`` (several processes), every process trains its share of each batch
    (:mod:`heldout.train.shards`) and process 0 alone splits first, checks, writes the run
    directory and the report; the others split after it (its seal already in the ledger) and
    return ``(None, run)``."""
    declared = {k: v for k, v in settings.items() if k in SETTINGS}  # not fit's own options
    for combo in expand(declared)[0]:  # a bad setting is refused before any work or folder
        TrainConfig.from_dict(combo).validated()
    shards = from_environment()  # one of several processes that torchrun started, or None
    if shards is not None and shards.rank > 0:
        return None, _train_beside(spec, shards, settings)
    with claimed(_out(out, spec), fresh) as artifacts:
        try:
            data = open_data(spec)
            artifacts.check_same_data(data.split)
            leakage = checked_for_leakage(data, allow_leakage)
        except Exception as exc:
            decided_by_first(shards, str(exc))  # the other processes stop too, saying why
            raise
        decided_by_first(shards, None)
        # across processes, no checkpoints: every process would have to resume from the same one
        store = artifacts.checkpoints() if shards is None else None
        run = data.fit(settings, progress=progress, checkpoints=store, shards=shards)
        finished(shards)
        save_run(artifacts.path, spec, run, ledger=data.split.test.ledger)
        artifacts.write_leakage(leakage.to_dict())
        _inspect_and_draw(artifacts, data, run, spec.seed, draw_descent)
        report(artifacts.path)
        artifacts.clear_checkpoints()
    return artifacts, run


def _inspect_and_draw(artifacts: Artifacts, data, run: Run, seed: int, draw: bool) -> None:
    """A single member's calibration and importance on validation rows it did not train on (a
    population has no one model until one is chosen), and the descent of the best member's
    settings, on the rows the search would read."""
    if len(run.members) == 1:
        selection = data.searched.task.selection
        artifacts.write_inspection(
            inspect(run.model, data.searched.validation, selection, seed=seed)
        )
    if draw and not trained_by_library(run.members[0].config.model):  # no gradient steps to draw
        best = run.table()["val_loss"].fillna(float("inf")).to_numpy().argmin()
        artifacts.write_descent(
            descent.trace(data.searched, run.members[int(best)].config.to_dict())
        )


def _train_beside(spec: DataSpec, shards, settings: dict) -> Run:
    """A process other than the first under torchrun: train beside process 0, once it has split and
    checked the data (an error there stops this process too), and write nothing."""
    stopped = decided_by_first(shards, None)
    if stopped is not None:
        raise ConfigError(
            f"Process 0 stopped before training, so this process stops too: {stopped}"
        )
    run = open_data(spec).fit(settings, shards=shards)
    finished(shards)  # process 0 waits for every process at the end of training
    return run
