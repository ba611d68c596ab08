"""The procedures behind `heldout train`, `tune` and `run`, each writing a run directory.

``run_procedure`` splits the data (sealing the test set), checks the split for leakage (an error
finding stops it unless allowed), searches the candidates on validation data only
(:func:`heldout.tune`), refits the selected configuration on training + validation rows, calibrates
its conformal intervals on the validation rows (:mod:`heldout.conformal.policy`), looks at
the sealed test set once, and writes the run directory (:class:`~heldout.rundir.artifacts.Artifacts`).
Running it again on the same directory resumes the study: trials already told count toward the
budget. ``tune_procedure`` stops before the refit and the test set; ``evaluate_run``
(:mod:`heldout.workflow.evaluation`) is the later look at a trained run directory (``heldout
train``'s procedure is :mod:`heldout.workflow.training`). A streamed table (``spec.stream``) is
searched on its seeded samples and its selected configuration trained on every row, streamed
(:mod:`heldout.workflow.streaming`).

A run directory records the ledger its test set was sealed in (``config.json``'s ``ledger``), and
every later step on it — the look of ``evaluate_run``, a resumed ``run`` or ``tune`` — uses that
ledger, from whatever working directory, so its counts are the ones recorded at training time.
"""

from __future__ import annotations

from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ..conformal.policy import calibration
from ..data.fingerprint import set_fingerprint
from ..model.model import Model
from ..report import inspection
from ..report.page import report
from ..rundir.artifacts import Artifacts, RunConfig
from ..rundir.lock import claimed
from ..rundir.spec import DataSpec
from ..search.result import Search
from ..search.tune import DEFAULT_TRIALS, tune
from ..stream.split import StreamedSplit
from ..train.checkpoints import resumable
from ..train.population import train_population
from . import descent
from . import workers as workers_of
from .deadline import Deadline
from .evaluation import recorded_ledger
from .look import look_once
from .steps import checked_for_leakage, save_run
from .streaming import final_streamed, searched_rows

SEARCH_SHARE = (
    0.6  # of the time left after the leakage check, the search's; the rest: refit, look, report
)


def tune_procedure(
    spec: DataSpec | None = None,
    out=None,
    *,
    trials: int = DEFAULT_TRIALS,
    progress=None,
    allow_leakage: bool = False,
    write_report: bool = True,
    draw_descent: bool = True,
    deadline: Deadline | None = None,
    fresh: bool = False,
    **tune_options,
) -> tuple[Path, object, Search]:
    """Split, check the split for leakage, and search on validation data, keeping the study in
    ``out/study.journal``. An ``error`` finding stops here unless ``allow_leakage``, and the
    override is recorded in the ledger and in ``out/leakage.json``. With ``draw_descent``, the
    selected settings are traced at a few learning rates for the report (``out/descent.json``).
    With a ``deadline``, the search gets :data:`SEARCH_SHARE` of the time left after the check
    (one batch of trials at least), and the descent is drawn only if its estimate fits."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh):
        return _tune(
            spec,
            out,
            trials,
            progress,
            allow_leakage,
            write_report,
            draw_descent,
            deadline or Deadline(None),
            tune_options,
        )


def _tune(
    spec,
    out: Path,
    trials,
    progress,
    allow_leakage,
    write_report,
    draw_descent,
    deadline,
    tune_options,
):
    workers = tune_options.pop("workers", None)
    workers_of.check(workers, tune_options.get("storage"))
    resumed = Artifacts(out) if (out / "config.json").is_file() else None
    # a resumed run keeps the ledger it was sealed in, from whatever directory it is resumed
    the_split = spec.split(recorded_ledger(resumed) if resumed else None)
    searched = searched_rows(the_split)  # a streamed table's seeded samples, else the split itself
    Artifacts(out).check_same_data(the_split)
    leakage = checked_for_leakage(searched, allow_leakage)
    if searched is not the_split:
        leakage["stream"] = the_split.exact_twins()
    artifacts = Artifacts.create(out)
    artifacts.write_leakage(leakage)
    if tune_options.get("storage") is None:
        # an absolute path (Optuna's lock is a symlink to it), and no lock left by a killed process:
        # this process holds the run directory, so no other uses the journal
        journal = artifacts.study_path.resolve()
        Path(f"{journal}.lock").unlink(missing_ok=True)
        tune_options["storage"] = JournalStorage(JournalFileBackend(str(journal)))
    if deadline.seconds is not None:
        share = max(SEARCH_SHARE * deadline.left(), 1e-3)  # one batch runs whatever is left
        given = tune_options.get("timeout")
        tune_options["timeout"] = share if given is None else min(given, share)
    with workers_of.started(workers, tune_procedure, spec, out, trials, tune_options):
        found = tune(
            searched,
            trials=trials,
            seed=spec.seed,
            progress=progress,
            checkpoints=artifacts.checkpoints(),
            **tune_options,
        )
    artifacts.write_leaderboard(found.leaderboard)
    selection = _selection(found, spec, the_split)
    artifacts.write_summary(selection)
    # the picture of the descent: the selected settings at a few learning rates, on training rows
    # (four rates trained together: about twice one trial's training, by the leaderboard's seconds)
    draw_descent = draw_descent and deadline.fits("descent", 2 * _trial_seconds(found))
    artifacts.write_descent(
        descent.trace(searched, dict(found.best_settings, epochs=selection["epochs"]))
        if draw_descent
        else None
    )
    if not artifacts.has_config():
        artifacts.write_config(
            RunConfig(spec, the_split.summary(), ledger=the_split.test.ledger.location)
        )
    if write_report:
        report(artifacts.path)
    return artifacts.path, the_split, found


def run_procedure(
    spec: DataSpec | None = None,
    out=None,
    *,
    trials: int = DEFAULT_TRIALS,
    refit: bool = True,
    progress=None,
    allow_leakage: bool = False,
    draw_descent: bool = True,
    time_budget: float | None = None,
    fresh: bool = False,
    **tune_options,
) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset); return the summary.

    ``time_budget`` (seconds) bounds the whole run: the search takes a share of it, and the refit,
    the descent picture and the best-linear baseline are left out (and listed in the summary)
    when their estimate — from the leaderboard's training seconds — would not fit; the one look
    and the report always happen."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh):
        return _run(
            spec,
            out,
            trials,
            refit,
            progress,
            allow_leakage,
            draw_descent,
            time_budget,
            tune_options,
        )


def _run(
    spec, out: Path, trials, refit, progress, allow_leakage, draw_descent, time_budget, tune_options
) -> dict:
    deadline = Deadline(time_budget)
    out, the_split, found = tune_procedure(
        spec,
        out,
        trials=trials,
        progress=progress,
        allow_leakage=allow_leakage,
        write_report=False,
        draw_descent=draw_descent,
        deadline=deadline,
        **tune_options,
    )
    artifacts = Artifacts(out)
    leakage = artifacts.leakage()
    if isinstance(the_split, StreamedSplit):
        (final_model, result), refit = (
            final_streamed(artifacts, spec, the_split, found, deadline),
            False,
        )
    else:
        final_model, refit, result = _final(artifacts, spec, the_split, found, deadline, refit)
    summary = {
        **_selection(found, spec, the_split),
        "run_dir": str(out),
        "refit": refit,
        "test": result.metrics,
        "ledger_count": result.unsealings,
        "models": result.models,
        "ledger": result.ledger,
        "leakage": [
            {k: f[k] for k in ("kind", "severity", "category", "count", "message")}
            for f in leakage["findings"]
            if f["severity"] != "info"
        ],
        "leakage_allowed": leakage["allowed"],
    }
    if time_budget is not None:
        summary["time_budget"] = {
            "seconds": time_budget,
            "used": round(deadline.used(), 2),
            "left_out": deadline.left_out,
        }
    artifacts.write_summary(summary)
    report(out)
    artifacts.clear_checkpoints()
    return summary


def _final(
    artifacts: Artifacts, spec: DataSpec, the_split, found: Search, deadline: Deadline, refit: bool
):
    """The selected configuration refit (when asked and the budget allows), calibrated, inspected and
    looked at once: ``(model, refit, evaluation)``."""
    out, store = artifacts.path, artifacts.checkpoints()
    # the selected configuration, refit on training + validation rows (or as trained on training rows)
    pooled = (len(the_split.train) + len(the_split.validation)) / max(len(the_split.train), 1)
    wanted, refit = refit, refit and deadline.fits("refit", _trial_seconds(found) * pooled)

    # conformal scores on validation rows, from a model that did not train on them (workflow/conformal.py)
    def calibrated(model, refit):
        return calibration(
            model,
            the_split.validation,
            refit=refit,
            kept=found.best_model,
            retrain=lambda: _scorer(found, the_split, deadline, store),
        )

    if not refit and wanted and found.best_model is not None:
        final_model = (
            found.best_model
        )  # the budget left the refit out: the selected trial's own model
        final_model.calibration = calibrated(final_model, refit=False)
        _save_model(out, spec, the_split, final_model)
    else:
        final = (
            found.refit(the_split, checkpoints=store)
            if refit
            else train_population(
                the_split.train,
                the_split.validation,
                [found.best_settings],
                seed=the_split.seed,
                summary=the_split.summary(),
            )
        )
        final.model.calibration = calibrated(final.model, refit=refit)
        save_run(out, spec, final, ledger=the_split.test.ledger)
        final_model = final.model
    # calibration and importance on validation rows, for the report: by the selected trial as trained on
    # training rows, to which they are new (else by the refit model, marked); before the look, without it.
    # Without the trial's model (another worker trained it), the inspection made earlier of this model stays
    inspected = found.best_model or (None if refit else final_model)
    if (
        inspected is not None
        or (artifacts.inspection() or {}).get("final") != final_model.fingerprint
    ):
        artifacts.write_inspection(
            dict(
                inspection.inspect(
                    inspected or final_model,
                    the_split.validation,
                    found.metric,
                    seed=spec.seed,
                    seen=inspected is None,
                    fits=deadline.fits,
                ),
                final=final_model.fingerprint,
            )
        )
    with_linear = found.best["candidate"].startswith("linear+") or deadline.fits(
        "best linear", _trial_seconds(found) * pooled
    )
    result = look_once(
        artifacts,
        final_model,
        the_split,
        lambda: _best_linear(found, the_split, refit, store) if with_linear else {},
    )
    return final_model, refit, result


def _trial_seconds(found: Search) -> float:
    """One trial's training time, by the leaderboard (its slowest completed trial, to be safe)."""
    board = found.leaderboard
    done = board[board["status"] == "complete"] if "seconds" in board else board.iloc[:0]
    return float(done["seconds"].max()) if len(done) else 0.0


def _save_model(out, spec: DataSpec, the_split, model: Model) -> None:
    """The selected trial's model, trained on training rows, as the run directory's bundle."""
    artifacts = Artifacts.create(out)
    model.save(artifacts.model_path)
    artifacts.write_config(
        RunConfig(
            spec,
            the_split.summary(),
            model.config,
            status=model.manifest.get("status"),
            best_epoch=model.manifest.get("best_epoch"),
            message="trained on training rows: the time budget left the refit out",
            ledger=the_split.test.ledger.location,
        )
    )


def _best_linear(found: Search, the_split, refit: bool, store=None) -> dict[str, Model]:
    """When the selected candidate is not linear, the best linear one, trained as the selected one
    was (refit, or on training rows), as the baseline "best linear": whether the extra machinery
    pays becomes a difference with an interval, from the same look."""
    linear = None if found.best["candidate"].startswith("linear+") else found.best_of("linear")
    if linear is None:
        return {}
    trained = (
        found.refit(the_split, trial=linear["trial"], checkpoints=store)
        if refit
        else train_population(
            the_split.train,
            the_split.validation,
            [found.settings(linear["trial"])],
            seed=the_split.seed,
            summary=the_split.summary(),
        )
    )
    return {"best linear": trained.model}


def _selection(found: Search, spec: DataSpec, the_split) -> dict:
    best = found.best
    streamed = (
        {"search_rows": the_split.sample_rows()} if isinstance(the_split, StreamedSplit) else {}
    )
    return {
        **streamed,
        "dataset": spec.name,
        "split": the_split.summary(),
        "candidate": best["candidate"],
        "hyperparameters": {
            k: v for k, v in found.best_settings.items() if k not in ("model", "loss")
        },
        "selection_metric": found.metric,
        "validation": {found.metric: best[found.metric]},
        "epochs": int(max(1, round(best["best_epoch"]))),
        "trials": len(found.leaderboard),
        "stopped_by": found.stopped_by,
        "pruned": int((found.leaderboard["status"] == "pruned").sum()),
        "diverged": int((found.leaderboard["status"] == "diverged").sum()),
        # trials a killed process left in this run's study: continued from the checkpoint, or failed
        "recovered_trials": {
            "continued": found.recovered.get("continued", 0),
            "failed": found.recovered.get("failed", 0),
        },
    }


def _scorer(found: Search, the_split, deadline: Deadline, store):
    """The selected configuration trained again on the training rows, to score the validation
    rows after a refit, when one trial's time fits the deadline (checkpointed like the refit)."""
    if not deadline.fits("calibration", _trial_seconds(found)):
        return None
    rows = {
        "train": set_fingerprint(the_split.train.fingerprints),
        "validation": set_fingerprint(the_split.validation.fingerprints),
    }
    hook, resume = resumable(store, "calibration", {"settings": found.best_settings, "rows": rows})
    return train_population(
        the_split.train,
        the_split.validation,
        [found.best_settings],
        seed=the_split.seed,
        summary=the_split.summary(),
        checkpoint=hook,
        resume=resume,
    ).model
