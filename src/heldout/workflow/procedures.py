"""The procedures behind `heldout train`, `tune` and `run`, each writing a run directory.

``run_procedure`` splits the data (sealing the test set), checks the split for leakage (an error
finding stops it unless allowed), searches the candidates on validation data only
(:func:`heldout.tune`), refits the selected configuration on training + validation rows, looks at
the sealed test set once, and writes the run directory (:class:`~heldout.workflow.artifacts.Artifacts`).
Running it again on the same directory resumes the study: trials already told count toward the
budget. ``tune_procedure`` stops before the refit and the test set; ``train_procedure`` trains
given settings; ``evaluate_run`` is the later look at a trained run directory.
"""

from __future__ import annotations

from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ..errors import ConfigError, DataError, LeakageError
from ..leakage import check
from ..model.model import Model
from ..report import descent
from ..report.page import report
from ..search.result import Search
from ..search.tune import DEFAULT_TRIALS, tune
from ..seal.evaluate import Evaluation, evaluate
from ..train.fit import fit
from ..train.population import train_population
from ..train.result import Run
from .artifacts import Artifacts, RunConfig
from .spec import DataSpec


def train_procedure(spec: DataSpec, out=None, *, progress=None, draw_descent: bool = True,
                    **settings) -> tuple[Artifacts, Run]:
    """Split, train ``settings`` (a grid, folds) with :func:`heldout.fit`, and write the run
    directory; with ``draw_descent``, the best member's settings are traced for the report."""
    the_split = spec.split()
    run = fit(the_split, seed=spec.seed, progress=progress, **settings)
    artifacts = save_run(out or Artifacts.default_path(spec), spec, run)
    if draw_descent:
        best = run.table()["val_loss"].fillna(float("inf")).to_numpy().argmin()
        artifacts.write_descent(descent.trace(the_split, run.members[int(best)].config.to_dict()))
    report(artifacts.path)
    return artifacts, run


def save_run(out, spec: DataSpec, run: Run) -> Artifacts:
    """Write config, history and bundle of a single-member run; for a population, ``members.csv``
    and ``histories.csv`` instead of a bundle: which member deserves one is a selection, made on
    validation scores by the caller."""
    artifacts = Artifacts.create(out)
    if len(run.members) > 1:
        artifacts.write_members(run.table())
        artifacts.write_histories(run.histories())
        artifacts.write_config(RunConfig(spec, run.split, [c.to_dict() for c in run.configs], members=len(run.members),
                                         folds=run.folds, axes=run.axes))
        return artifacts
    artifacts.write_history(run.history)
    run.model.save(artifacts.model_path)
    # last: a run directory with a config is complete
    artifacts.write_config(RunConfig(spec, run.split, run.config.to_dict(), status=run.status,
                                     best_epoch=run.best_epoch, message=run.message))
    return artifacts


def tune_procedure(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, progress=None,
                   allow_leakage: bool = False, write_report: bool = True, draw_descent: bool = True,
                   **tune_options) -> tuple[Path, object, Search]:
    """Split, check the split for leakage, and search on validation data, keeping the study in
    ``out/study.journal``. An ``error`` finding stops here unless ``allow_leakage``, and the
    override is recorded in the ledger and in ``out/leakage.json``. With ``draw_descent``, the
    selected settings are traced at a few learning rates for the report (``out/descent.json``)."""
    spec = spec or DataSpec()
    the_split = spec.split()
    checked = check(the_split)
    errors = checked.errors
    if errors and not allow_leakage:
        raise LeakageError("The leakage check found " + "; ".join(f.message for f in errors) + " To go on anyway, "
                           "pass --allow-leakage (allow_leakage=True); the override is recorded.")
    artifacts = Artifacts.create(out if out is not None else Artifacts.default_path(spec))
    if errors:
        the_split.test.ledger.record_audit(the_split.test.seal, {"override": "allow_leakage",
                                                                 "findings": [f.kind for f in errors]})
    artifacts.write_leakage(dict(checked.to_dict(), allowed=bool(errors) and allow_leakage))
    storage = JournalStorage(JournalFileBackend(str(artifacts.study_path)))
    found = tune(the_split, trials=trials, seed=spec.seed, storage=storage, progress=progress, **tune_options)
    artifacts.write_leaderboard(found.leaderboard)
    selection = _selection(found, spec, the_split)
    artifacts.write_summary(selection)
    # the picture of the descent: the selected settings at a few learning rates, on training rows
    artifacts.write_descent(descent.trace(the_split, dict(found.best_settings, epochs=selection["epochs"]))
                            if draw_descent else None)
    if not artifacts.has_config():
        artifacts.write_config(RunConfig(spec, the_split.summary()))
    if write_report:
        report(artifacts.path)
    return artifacts.path, the_split, found


def run_procedure(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, refit: bool = True,
                  progress=None, allow_leakage: bool = False, draw_descent: bool = True, **tune_options) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset); return the summary."""
    spec = spec or DataSpec()
    out, the_split, found = tune_procedure(spec, out, trials=trials, progress=progress, allow_leakage=allow_leakage,
                                           write_report=False, draw_descent=draw_descent, **tune_options)
    artifacts = Artifacts(out)
    leakage = artifacts.leakage()
    # the selected configuration, refit on training + validation rows (or as trained on training rows)
    final = found.refit(the_split) if refit else train_population(
        the_split.train, the_split.validation, [found.best_settings], seed=the_split.seed,
        summary=the_split.summary())
    save_run(out, spec, final)
    result = evaluate(final.model, the_split)
    artifacts.write_evaluation(result.to_dict())
    summary = {
        **_selection(found, spec, the_split), "run_dir": str(out), "refit": refit,
        "test": result.metrics, "ledger_count": result.unsealings,
        "leakage": [{k: f[k] for k in ("kind", "severity", "category", "count", "message")}
                    for f in leakage["findings"] if f["severity"] != "info"],
        "leakage_allowed": leakage["allowed"],
    }
    artifacts.write_summary(summary)
    report(out)
    return summary


def evaluate_run(run_dir, *, strict: bool = False) -> Evaluation:
    """Re-create the run's split, check it is the one trained on, and evaluate the bundle once."""
    artifacts = Artifacts.open(run_dir)
    config = artifacts.config()
    if config.is_population:
        raise ConfigError(f"{str(run_dir)!r} holds {config.members} members and no single model. Choose one "
                          "configuration on its validation scores (members.csv), train it alone with `heldout train` "
                          "and evaluate that run.")
    the_split = config.data.split()
    recorded = config.split["test_fingerprint"]
    if the_split.test.seal != recorded:
        raise DataError(f"The data behind {str(run_dir)!r} changed since training: its test set is now "
                        f"{the_split.test.seal}, but the model was trained beside test set {recorded}. Restore the "
                        "original data, or train again.")
    result = evaluate(Model.load(artifacts.model_path), the_split, strict=strict)
    artifacts.write_evaluation(result.to_dict())
    return result


def _selection(found: Search, spec: DataSpec, the_split) -> dict:
    best = found.best
    return {"dataset": spec.name, "split": the_split.summary(), "candidate": best["candidate"],
            "hyperparameters": {k: v for k, v in found.best_settings.items() if k not in ("model", "loss")},
            "selection_metric": found.metric, "validation": {found.metric: best[found.metric]},
            "epochs": int(max(1, round(best["best_epoch"]))), "trials": len(found.leaderboard),
            "stopped_by": found.stopped_by, "pruned": int((found.leaderboard["status"] == "pruned").sum()),
            "diverged": int((found.leaderboard["status"] == "diverged").sum())}
