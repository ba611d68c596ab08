"""The procedures behind `heldout train`, `tune` and `run`, each writing a run directory.

``run_procedure`` splits the data (sealing the test set), checks the split for leakage (an error
finding stops it unless allowed), searches the candidates on validation data only
(:func:`heldout.tune`), refits the selected configuration on training + validation rows, calibrates
its conformal intervals on the validation rows (:mod:`heldout.workflow.conformal`), looks at
the sealed test set once, and writes the run directory (:class:`~heldout.workflow.artifacts.Artifacts`).
Running it again on the same directory resumes the study: trials already told count toward the
budget. ``tune_procedure`` stops before the refit and the test set; ``evaluate_run`` is the later
look at a trained run directory (``heldout train``'s procedure is :mod:`heldout.workflow.training`).

A run directory records the ledger its test set was sealed in (``config.json``'s ``ledger``), and
every later step on it — the look of ``evaluate_run``, a resumed ``run`` or ``tune`` — uses that
ledger, from whatever working directory, so its counts are the ones recorded at training time.
"""

from __future__ import annotations

import functools
from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ..errors import ConfigError, DataError, LeakageError, LedgerError
from ..leakage import check
from ..model.model import Model
from ..report import descent, inspection
from ..report.page import report
from ..search.result import Search
from ..search.tune import DEFAULT_TRIALS, tune
from ..seal.evaluate import Evaluation, evaluate
from ..seal.ledger import Ledger
from ..train.population import train_population
from ..train.result import Run
from . import workers as workers_of
from .artifacts import Artifacts, RunConfig
from .conformal import calibration
from .deadline import Deadline
from .lock import claimed
from .look import look_once
from .spec import DataSpec


def checked_for_leakage(the_split, allow_leakage: bool) -> dict:
    """The leakage check every procedure runs before training: an ``error`` finding stops it unless
    ``allow_leakage``, and then the override is recorded in the ledger (and in ``leakage.json``)."""
    checked = check(the_split)
    errors = checked.errors
    if errors and not allow_leakage:
        raise LeakageError("The leakage check found " + "; ".join(f.message for f in errors) + " To go on anyway, "
                           "pass --allow-leakage (allow_leakage=True); the override is recorded.")
    if errors:
        the_split.test.ledger.record_audit(the_split.test.seal, {"override": "allow_leakage",
                                                                 "findings": [f.kind for f in errors]})
    return dict(checked.to_dict(), allowed=bool(errors) and allow_leakage)


def save_run(out, spec: DataSpec, run: Run, *, ledger: Ledger | str | Path | None = None) -> Artifacts:
    """Write config, history and bundle of a single-member run; for a population, ``members.csv``
    and ``histories.csv`` instead of a bundle: which member deserves one is a selection, made on
    validation scores by the caller. ``ledger`` is the one the run's test set was sealed in (a
    Ledger or its location; default: the project's), recorded in ``config.json``."""
    artifacts = Artifacts.create(out)
    location = (ledger if isinstance(ledger, Ledger) else Ledger(ledger)).location
    if len(run.members) > 1:
        artifacts.write_members(run.table())
        artifacts.write_histories(run.histories())
        artifacts.write_config(RunConfig(spec, run.split, [c.to_dict() for c in run.configs], members=len(run.members),
                                         folds=run.folds, axes=run.axes, ledger=location))
        return artifacts
    artifacts.write_history(run.history)
    run.model.save(artifacts.model_path)
    # last: a run directory with a config is complete
    artifacts.write_config(RunConfig(spec, run.split, run.config.to_dict(), status=run.status,
                                     best_epoch=run.best_epoch, message=run.message, ledger=location))
    return artifacts


SEARCH_SHARE = 0.6   # of the time left after the leakage check, the search's; the rest: refit, look, report


def tune_procedure(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, progress=None,
                   allow_leakage: bool = False, write_report: bool = True, draw_descent: bool = True,
                   deadline: Deadline | None = None, fresh: bool = False, **tune_options) -> tuple[Path, object, Search]:
    """Split, check the split for leakage, and search on validation data, keeping the study in
    ``out/study.journal``. An ``error`` finding stops here unless ``allow_leakage``, and the
    override is recorded in the ledger and in ``out/leakage.json``. With ``draw_descent``, the
    selected settings are traced at a few learning rates for the report (``out/descent.json``).
    With a ``deadline``, the search gets :data:`SEARCH_SHARE` of the time left after the check
    (one batch of trials at least), and the descent is drawn only if its estimate fits."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh):
        return _tune(spec, out, trials, progress, allow_leakage, write_report, draw_descent, deadline or Deadline(None),
                     tune_options)


def _tune(spec, out: Path, trials, progress, allow_leakage, write_report, draw_descent, deadline, tune_options):
    workers = tune_options.pop("workers", None)
    workers_of.check(workers, tune_options.get("storage"))
    resumed = Artifacts(out) if (out / "config.json").is_file() else None
    # a resumed run keeps the ledger it was sealed in, from whatever directory it is resumed
    the_split = spec.split(recorded_ledger(resumed) if resumed else None)
    Artifacts(out).check_same_data(the_split)
    leakage = checked_for_leakage(the_split, allow_leakage)
    artifacts = Artifacts.create(out)
    artifacts.write_leakage(leakage)
    if tune_options.get("storage") is None:
        # an absolute path (Optuna's lock is a symlink to it), and no lock left by a killed process:
        # this process holds the run directory, so no other uses the journal
        journal = artifacts.study_path.resolve()
        Path(f"{journal}.lock").unlink(missing_ok=True)
        tune_options["storage"] = JournalStorage(JournalFileBackend(str(journal)))
    if deadline.seconds is not None:
        share = max(SEARCH_SHARE * deadline.left(), 1e-3)   # one batch runs whatever is left
        given = tune_options.get("timeout")
        tune_options["timeout"] = share if given is None else min(given, share)
    with workers_of.started(workers, tune_procedure, spec, out, trials, tune_options):
        found = tune(the_split, trials=trials, seed=spec.seed, progress=progress, checkpoints=artifacts.checkpoints(),
                     **tune_options)
    artifacts.write_leaderboard(found.leaderboard)
    selection = _selection(found, spec, the_split)
    artifacts.write_summary(selection)
    # the picture of the descent: the selected settings at a few learning rates, on training rows
    # (four rates trained together: about twice one trial's training, by the leaderboard's seconds)
    draw_descent = draw_descent and deadline.fits("descent", 2 * _trial_seconds(found))
    artifacts.write_descent(descent.trace(the_split, dict(found.best_settings, epochs=selection["epochs"]))
                            if draw_descent else None)
    if not artifacts.has_config():
        artifacts.write_config(RunConfig(spec, the_split.summary(), ledger=the_split.test.ledger.location))
    if write_report:
        report(artifacts.path)
    return artifacts.path, the_split, found


def run_procedure(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, refit: bool = True,
                  progress=None, allow_leakage: bool = False, draw_descent: bool = True,
                  time_budget: float | None = None, fresh: bool = False, **tune_options) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset); return the summary.

    ``time_budget`` (seconds) bounds the whole run: the search takes a share of it, and the refit,
    the descent picture and the best-linear baseline are left out (and listed in the summary)
    when their estimate — from the leaderboard's training seconds — would not fit; the one look
    and the report always happen."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh):
        return _run(spec, out, trials, refit, progress, allow_leakage, draw_descent, time_budget, tune_options)


def _run(spec, out: Path, trials, refit, progress, allow_leakage, draw_descent, time_budget, tune_options) -> dict:
    deadline = Deadline(time_budget)
    out, the_split, found = tune_procedure(spec, out, trials=trials, progress=progress, allow_leakage=allow_leakage,
                                           write_report=False, draw_descent=draw_descent, deadline=deadline,
                                           **tune_options)
    artifacts = Artifacts(out)
    store = artifacts.checkpoints()
    leakage = artifacts.leakage()
    # the selected configuration, refit on training + validation rows (or as trained on training rows)
    pooled = (len(the_split.train) + len(the_split.validation)) / max(len(the_split.train), 1)
    wanted, refit = refit, refit and deadline.fits("refit", _trial_seconds(found) * pooled)
    # conformal scores on validation rows, from a model that did not train on them (workflow/conformal.py)
    calibrated = functools.partial(calibration, found=found, the_split=the_split, deadline=deadline,
                                   seconds=_trial_seconds(found), checkpoints=store)
    if not refit and wanted and found.best_model is not None:
        final_model = found.best_model   # the budget left the refit out: the selected trial's own model
        final_model.calibration = calibrated(final_model, refit=False)
        _save_model(out, spec, the_split, final_model)
    else:
        final = found.refit(the_split, checkpoints=store) if refit else train_population(
            the_split.train, the_split.validation, [found.best_settings], seed=the_split.seed,
            summary=the_split.summary())
        final.model.calibration = calibrated(final.model, refit=refit)
        save_run(out, spec, final, ledger=the_split.test.ledger)
        final_model = final.model
    # calibration and importance on validation rows, for the report: by the selected trial as trained on
    # training rows, to which they are new (else by the refit model, marked); before the look, without it.
    # A resumed search keeps no trial's model: the inspection its first process made of this model stays
    inspected = found.best_model or (None if refit else final_model)
    if inspected is not None or (artifacts.inspection() or {}).get("final") != final_model.fingerprint:
        artifacts.write_inspection(dict(inspection.inspect(
            inspected or final_model, the_split.validation, found.metric, seed=spec.seed, seen=inspected is None,
            fits=deadline.fits), final=final_model.fingerprint))
    with_linear = found.best["candidate"].startswith("linear+") or deadline.fits("best linear",
                                                                                _trial_seconds(found) * pooled)
    result = look_once(artifacts, final_model, the_split,
                       lambda: _best_linear(found, the_split, refit, store) if with_linear else {})
    summary = {
        **_selection(found, spec, the_split), "run_dir": str(out), "refit": refit,
        "test": result.metrics, "ledger_count": result.unsealings, "models": result.models, "ledger": result.ledger,
        "leakage": [{k: f[k] for k in ("kind", "severity", "category", "count", "message")}
                    for f in leakage["findings"] if f["severity"] != "info"],
        "leakage_allowed": leakage["allowed"],
    }
    if time_budget is not None:
        summary["time_budget"] = {"seconds": time_budget, "used": round(deadline.used(), 2),
                                  "left_out": deadline.left_out}
    artifacts.write_summary(summary)
    report(out)
    artifacts.clear_checkpoints()
    return summary


def evaluate_run(run_dir, *, strict: bool = False) -> Evaluation:
    """Re-create the run's split in the ledger the run recorded, check it is the one trained on, and
    evaluate the bundle once (the look is counted in that ledger)."""
    artifacts = Artifacts.open(run_dir)
    config = artifacts.config()
    if config.is_population:
        raise ConfigError(f"{str(run_dir)!r} holds {config.members} members and no single model. Choose one "
                          "configuration on its validation scores (members.csv), train it alone with `heldout train` "
                          "and evaluate that run.")
    the_split = config.data.split(recorded_ledger(artifacts))
    recorded = config.split["test_fingerprint"]
    if the_split.test.seal != recorded:
        raise DataError(f"The data behind {str(run_dir)!r} changed since training: its test set is now "
                        f"{the_split.test.seal}, but the model was trained beside test set {recorded}. Restore the "
                        "original data, or train again.")
    if config.data.stream:
        from ..stream.look import evaluate as evaluate_streamed
        result = evaluate_streamed(Model.load(artifacts.model_path), the_split, strict=strict)
    else:
        result = evaluate(Model.load(artifacts.model_path), the_split, strict=strict)
    artifacts.write_evaluation(result.to_dict())
    return result


def recorded_ledger(artifacts: Artifacts) -> Ledger:
    """The ledger a run directory's test set was sealed in (the default one for a folder from before
    it was recorded). A recorded ledger that is gone is an error: a fresh one would count the next
    look as the first. A recorded database is reached with the password libpq finds (PGPASSWORD,
    ~/.pgpass) or the one in ``$HELDOUT_LEDGER``: a run directory records no password."""
    location = artifacts.config().ledger
    if location is None:
        return Ledger()
    ledger = Ledger(location)
    if not ledger.exists():
        missing = f"no {ledger.path.name}" if ledger.path is not None else "the database holds no ledger tables"
        raise LedgerError(f"The run directory {str(artifacts.path)!r} was sealed in the ledger at {location!r}, but "
                          f"there is no ledger there now ({missing}). Counting this look in a new ledger would report "
                          "it as the first, whatever came before. Restore that folder (or database); if the ledger "
                          "was moved, write its new location as \"ledger\" in "
                          f"{str(artifacts.path / 'config.json')!r}.")
    return ledger


def _trial_seconds(found: Search) -> float:
    """One trial's training time, by the leaderboard (its slowest completed trial, to be safe)."""
    board = found.leaderboard
    done = board[board["status"] == "complete"] if "seconds" in board else board.iloc[:0]
    return float(done["seconds"].max()) if len(done) else 0.0


def _save_model(out, spec: DataSpec, the_split, model: Model) -> None:
    """The selected trial's model, trained on training rows, as the run directory's bundle."""
    artifacts = Artifacts.create(out)
    model.save(artifacts.model_path)
    artifacts.write_config(RunConfig(spec, the_split.summary(), model.config, status=model.manifest.get("status"),
                                     best_epoch=model.manifest.get("best_epoch"),
                                     message="trained on training rows: the time budget left the refit out",
                                     ledger=the_split.test.ledger.location))


def _best_linear(found: Search, the_split, refit: bool, store=None) -> dict[str, Model]:
    """When the selected candidate is not linear, the best linear one, trained as the selected one
    was (refit, or on training rows), as the baseline "best linear": whether the extra machinery
    pays becomes a difference with an interval, from the same look."""
    linear = None if found.best["candidate"].startswith("linear+") else found.best_of("linear")
    if linear is None:
        return {}
    trained = found.refit(the_split, trial=linear["trial"], checkpoints=store) if refit else train_population(
        the_split.train, the_split.validation, [found.settings(linear["trial"])], seed=the_split.seed,
        summary=the_split.summary())
    return {"best linear": trained.model}


def _selection(found: Search, spec: DataSpec, the_split) -> dict:
    best = found.best
    return {"dataset": spec.name, "split": the_split.summary(), "candidate": best["candidate"],
            "hyperparameters": {k: v for k, v in found.best_settings.items() if k not in ("model", "loss")},
            "selection_metric": found.metric, "validation": {found.metric: best[found.metric]},
            "epochs": int(max(1, round(best["best_epoch"]))), "trials": len(found.leaderboard),
            "stopped_by": found.stopped_by, "pruned": int((found.leaderboard["status"] == "pruned").sum()),
            "diverged": int((found.leaderboard["status"] == "diverged").sum()),
            # trials a killed process left in this run's study: continued from the checkpoint, or failed
            "recovered_trials": {"continued": found.recovered.get("continued", 0),
                                 "failed": found.recovered.get("failed", 0)}}
