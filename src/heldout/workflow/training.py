"""`heldout train`'s procedure: split, check, train given settings (a grid, folds), write the run
directory — in one process, or in several that ``torchrun`` started, splitting every batch's
rows between them (:mod:`heldout.train.shards`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..report import inspection
from ..report.page import report
from ..rundir.artifacts import Artifacts
from ..rundir.lock import claimed
from ..rundir.spec import DataSpec
from ..train.config import SETTINGS, TrainConfig
from ..train.fit import fit
from ..train.grid import expand
from ..train.result import Run
from ..train.shards import decided_by_first, finished, from_environment
from . import descent
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
) -> tuple[Artifacts, Run]:
    """Split, check the split for leakage (as `heldout run` does: an error finding stops here unless
    ``allow_leakage``), train ``settings`` (a grid, folds) with :func:`heldout.fit`, and write the
    run directory; with ``draw_descent``, the best member's settings are traced for the report.

    Started by ``torchrun`` (several processes), every process trains its share of each batch
    (:mod:`heldout.train.shards`) and process 0 alone splits first, checks, writes the run
    directory and the report; the others split after it (its seal already in the ledger) and
    return ``(None, run)``."""
    if spec.stream:  # a Parquet table read batch by batch (heldout.stream)
        from .streaming import stream_train_procedure

        return stream_train_procedure(
            spec,
            out,
            progress=progress,
            allow_leakage=allow_leakage,
            fresh=fresh,
            draw_descent=draw_descent,
            **settings,
        )
    declared = {
        k: v for k, v in settings.items() if k in SETTINGS
    }  # the training settings, not fit's own
    for combo in expand(declared)[
        0
    ]:  # a bad setting is refused before any work, and before --out is made
        TrainConfig.from_dict(combo).validated()
    shards = from_environment()  # one of several processes that torchrun started, or None
    if shards is not None and shards.rank > 0:
        return None, _train_beside(spec, shards, settings)
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh) as claim:
        try:
            the_split = spec.split()
            claim.check_same_data(the_split)
            leakage = checked_for_leakage(the_split, allow_leakage)
        except Exception as exc:
            decided_by_first(shards, str(exc))  # the other processes stop too, saying why
            raise
        decided_by_first(shards, None)
        # across processes, no checkpoints: every process would have to resume from the same one
        run = fit(
            the_split,
            seed=spec.seed,
            progress=progress,
            shards=shards,
            checkpoints=claim.checkpoints() if shards is None else None,
            **settings,
        )
        finished(shards)
        artifacts = save_run(out, spec, run, ledger=the_split.test.ledger)
        artifacts.write_leakage(leakage)
        if len(run.members) == 1:  # a population has no one model to inspect until one is chosen
            artifacts.write_inspection(
                inspection.inspect(
                    run.model, the_split.validation, the_split.task.selection, seed=spec.seed
                )
            )
        if draw_descent:
            best = run.table()["val_loss"].fillna(float("inf")).to_numpy().argmin()
            artifacts.write_descent(
                descent.trace(the_split, run.members[int(best)].config.to_dict())
            )
        report(artifacts.path)
        artifacts.clear_checkpoints()
    return artifacts, run


def _train_beside(spec: DataSpec, shards, settings: dict) -> Run:
    """A process other than the first under torchrun: train beside process 0, once it has split and
    checked the data (an error there stops this process too), and write nothing."""
    stopped = decided_by_first(shards, None)
    if stopped is not None:
        raise ConfigError(
            f"Process 0 stopped before training, so this process stops too: {stopped}"
        )
    run = fit(spec.split(), seed=spec.seed, shards=shards, **settings)
    finished(shards)
    return run
