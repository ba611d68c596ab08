"""Steps every procedure takes: the leakage check before training, and writing a trained run."""

from __future__ import annotations

from pathlib import Path

from ..errors import LeakageError
from ..leakage import check
from ..ledger.ledger import Ledger
from ..rundir.artifacts import Artifacts, RunConfig
from ..rundir.spec import DataSpec
from ..train.result import Run
from .records import FinalModel, Leakage


def checked_for_leakage(data, allow_leakage: bool) -> Leakage:
    """The leakage check every procedure runs before training, on the rows the search reads
    (with a streamed table's exact counts beside): an ``error`` finding stops it unless
    ``allow_leakage``, and then the override is recorded in the ledger (and in ``leakage.json``)."""
    the_split = data.searched
    checked = check(the_split)
    errors = checked.errors
    if errors and not allow_leakage:
        raise LeakageError(
            "The leakage check found " + "; ".join(f.message for f in errors) + " To go on anyway, "
            "pass --allow-leakage (allow_leakage=True); the override is recorded."
        )
    if errors:
        the_split.test.ledger.record_audit(
            the_split.test.seal, {"override": "allow_leakage", "findings": [f.kind for f in errors]}
        )
    found = checked.to_dict()
    allowed = bool(errors) and allow_leakage
    return Leakage(found["findings"], found["seconds"], allowed, data.exact_twins())


def save_final(artifacts: Artifacts, spec: DataSpec, the_split, final: FinalModel) -> None:
    """The run's final model as its bundle: with the history of the training that made it, or
    (the search's own model of the selected trial) with the message that says why."""
    if final.run is not None:
        save_run(artifacts.path, spec, final.run, ledger=the_split.test.ledger)
        return
    model = final.model
    model.save(artifacts.model_path)
    if final.history is not None:
        artifacts.write_history(final.history)
    artifacts.write_config(
        RunConfig(
            spec,
            the_split.describe(),
            model.config,
            status=model.manifest.get("status"),
            best_epoch=model.manifest.get("best_epoch"),
            message=final.message,
            ledger=the_split.test.ledger.location,
        )
    )


def save_run(
    out, spec: DataSpec, run: Run, *, ledger: Ledger | str | Path | None = None
) -> Artifacts:
    """Write config, history and bundle of a single-member run; for a population, ``members.csv``
    and ``histories.csv`` instead of a bundle: which member deserves one is a selection, made on
    validation scores by the caller. ``ledger`` is the one the run's test set was sealed in (a
    Ledger or its location; default: the project's), recorded in ``config.json``."""
    artifacts = Artifacts.create(out)
    location = (ledger if isinstance(ledger, Ledger) else Ledger(ledger)).location
    if len(run.members) > 1:
        artifacts.write_members(run.table())
        artifacts.write_histories(run.histories())
        artifacts.write_config(
            RunConfig(
                spec,
                run.split,
                [c.to_dict() for c in run.configs],
                members=len(run.members),
                folds=run.folds,
                axes=run.axes,
                ledger=location,
            )
        )
        return artifacts
    artifacts.write_history(run.history)
    run.model.save(artifacts.model_path)
    # last: a run directory with a config is complete
    artifacts.write_config(
        RunConfig(
            spec,
            run.split,
            run.config.to_dict(),
            status=run.status,
            best_epoch=run.best_epoch,
            message=run.message,
            ledger=location,
        )
    )
    return artifacts
