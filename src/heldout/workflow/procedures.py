"""The procedure behind `heldout tune` and `heldout run`: one spine over typed records.

split → check → search → final model → one look → write. Each step returns a record
(:mod:`heldout.workflow.records`); the summary is assembled from them once and written once
(:class:`~heldout.rundir.summary.Summary`). `heldout tune` is the spine's prefix (split, check,
search); `heldout train` (:mod:`heldout.workflow.training`) shares the split and the check and
trains given settings instead of searching. A table in memory and a streamed one are two
implementations of one protocol (:mod:`heldout.workflow.data`), so the spine never asks which.

A run directory records the ledger its test set was sealed in (``config.json``'s ``ledger``), and
every later step on it — the look of ``evaluate_run``, a resumed ``run`` or ``tune`` — uses that
ledger, from whatever working directory, so its counts are the ones recorded at training time.
Running again on the same directory resumes: the study's told trials count toward the budget,
checkpoints continue the training a kill interrupted, and a look already taken is not taken
again (:mod:`heldout.workflow.look`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._util.declared import checked
from ..nn.family import trained_by_library
from ..report.page import report
from ..rundir.artifacts import Artifacts, RunConfig
from ..rundir.lock import claimed
from ..rundir.spec import DataSpec
from ..rundir.summary import LookSummary, Summary
from ..search import storage
from ..search.options import SearchOptions
from ..search.tune import DEFAULT_TRIALS, tune
from . import descent, workers
from .data import Data, open_data
from .deadline import TIME_BUDGET, Deadline
from .evaluation import recorded_ledger
from .in_memory import trial_seconds
from .inspection import inspect
from .look import look_once
from .records import FinalModel, Leakage, Selection
from .steps import checked_for_leakage, save_final
from .workers import WORKERS

SEARCH_SHARE = 0.6  # of the time left after the leakage check, the search's


@dataclass(frozen=True)
class Plan:
    """What a `heldout tune` or `heldout run` was asked to do."""

    spec: DataSpec
    options: SearchOptions
    refit: bool = True  # refit the selected configuration on training + validation rows
    ensemble: bool = True  # combine the best trials when that does better on validation rows
    allow_leakage: bool = False  # go on despite error findings of the leakage check (recorded)
    draw_descent: bool = True  # trace the selected settings at a few learning rates
    progress: object = None  # a reporter from heldout.report.progress


SEARCHED = {
    name: tune.__constraints__[name]
    for name in ("trials", "population", "timeout", "folds", "max_steps", "pruner")
}


@checked(time_budget=TIME_BUDGET, workers=WORKERS, **SEARCHED)
def run_procedure(
    spec: DataSpec | None = None,
    out=None,
    *,
    trials: int = DEFAULT_TRIALS,
    refit: bool = True,
    ensemble: bool = True,
    progress=None,
    allow_leakage: bool = False,
    draw_descent: bool = True,
    time_budget: float | None = None,
    fresh: bool = False,
    **search_options,
) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset) into the run
    directory ``out``; return the summary. ``ensemble``: combine the search's best trials,
    weights chosen on validation rows, when that does better there than the selected trial alone
    (:mod:`heldout.search.ensemble`). ``time_budget`` (seconds) bounds the whole run: the
    search takes a share of it, and the refit, the descent picture and the best-linear baseline
    are left out (and listed in the summary) when their estimate — from the leaderboard's
    training seconds — would not fit; the one look and the report always happen."""
    asked = dict(refit=refit, ensemble=ensemble, allow_leakage=allow_leakage)
    plan = _plan(spec, trials, progress, search_options, draw_descent=draw_descent, **asked)
    deadline = Deadline(time_budget)
    with claimed(_out(out, plan.spec), fresh) as artifacts:
        return _run(plan, artifacts, deadline).to_dict()


@checked(workers=WORKERS, **SEARCHED)
def tune_procedure(
    spec: DataSpec | None = None,
    out=None,
    *,
    trials: int = DEFAULT_TRIALS,
    progress=None,
    allow_leakage: bool = False,
    draw_descent: bool = True,
    fresh: bool = False,
    **search_options,
) -> tuple[Path, object, object]:
    """The spine's prefix: split, check the split for leakage, search on validation rows only
    (the study kept in ``out/study.journal`` unless ``storage`` is given), and write the summary
    of the selection and the report. Returns ``(run directory, split, Search)``."""
    asked = dict(allow_leakage=allow_leakage, draw_descent=draw_descent)
    plan = _plan(spec, trials, progress, search_options, **asked)
    with claimed(_out(out, plan.spec), fresh) as artifacts:
        data, _, selection = _searched(plan, artifacts, Deadline(None))
        artifacts.write_summary(Summary(selection.summary))
        report(artifacts.path)
    return artifacts.path, data.split, selection.search


def _run(plan: Plan, artifacts: Artifacts, deadline: Deadline) -> Summary:
    """The spine: each phase one step, each step's result a record."""
    # split (the test set sealed), check for leakage, search on validation rows only
    data, leakage, selection = _searched(plan, artifacts, deadline)
    selection = data.ensembled(selection) if plan.ensemble else selection
    # the final model: the selected configuration refit (or as trained), calibrated, saved
    final = data.final(
        selection, refit=plan.refit, deadline=deadline, checkpoints=artifacts.checkpoints()
    )
    save_final(artifacts, plan.spec, data.split, final)
    # calibration and importance on validation rows, for the report: before the look, without it
    _inspect(artifacts, final, selection, plan.spec.seed, deadline)
    # the one look at the sealed test set, recorded in the ledger before it is shown
    look = look_once(artifacts, final.model, data, final.baselines)
    # the summary, assembled once and written once; the report over the run directory
    summary = Summary(selection.summary, _look_summary(artifacts, final, look, leakage, deadline))
    artifacts.write_summary(summary)
    report(artifacts.path)
    artifacts.clear_checkpoints()
    return summary


def _searched(plan: Plan, artifacts: Artifacts, deadline: Deadline):
    """Split, check and search: ``(data, Leakage, Selection)``."""
    options = plan.options
    workers.check(options.workers, options.storage)
    # a resumed run keeps the ledger it was sealed in, from whatever directory it is resumed
    data = open_data(plan.spec, recorded_ledger(artifacts) if artifacts.has_config() else None)
    artifacts.check_same_data(data.split)
    leakage = checked_for_leakage(data, plan.allow_leakage)
    artifacts.write_leakage(leakage.to_dict())
    if options.storage is None:
        options = options.replace(storage=storage.journal(artifacts.study_path))
    if deadline.seconds is not None:  # the search's share of what is left; one batch at least
        share = max(SEARCH_SHARE * deadline.left(), 1e-3)
        options = options.replace(timeout=min(options.timeout or share, share))
    with workers.started(options.workers, tune_procedure, plan.spec, artifacts.path, options):
        found = tune(
            data.searched,
            seed=plan.spec.seed,
            progress=plan.progress,
            checkpoints=artifacts.checkpoints(),
            **options.for_tune(),
        )
    artifacts.write_leaderboard(found.leaderboard)
    selection = Selection.of(found, plan.spec.name, data.split, data.search_rows())
    _draw_descent(artifacts, data, selection, plan.draw_descent, deadline)
    if not artifacts.has_config():
        ledger = data.split.test.ledger.location
        artifacts.write_config(RunConfig(plan.spec, data.split.describe(), ledger=ledger))
    return data, leakage, selection


def _draw_descent(artifacts, data: Data, selection: Selection, wanted: bool, deadline) -> None:
    """The picture of the descent: the selected settings at a few learning rates, on training
    rows (four rates trained together: about twice one trial's training)."""
    found = selection.search
    # a family trained by another library takes no gradient steps: no descent to draw
    drawable = not trained_by_library(found.best_settings.get("model"))
    if wanted and drawable and deadline.fits("descent", 2 * trial_seconds(found)):
        settings = dict(found.best_settings, epochs=selection.summary.epochs)
        artifacts.write_descent(descent.trace(data.searched, settings))
    else:
        artifacts.write_descent(None)


def _inspect(artifacts, final: FinalModel, selection: Selection, seed: int, deadline) -> None:
    """Calibration and importance on validation rows: by a model to which they are new (else by
    the final model, marked ``seen``). Without such a model (another worker trained the trial),
    an inspection made earlier of the same final model stays."""
    fingerprint = final.model.fingerprint
    if final.inspected is None and (artifacts.inspection() or {}).get("final") == fingerprint:
        return
    inspected = inspect(
        final.inspected or final.model,
        final.inspected_rows,
        selection.search.metric,
        seed=seed,
        seen=final.inspected is None,
        fits=deadline.fits,
    )
    artifacts.write_inspection(dict(inspected, final=fingerprint))


def _look_summary(artifacts, final: FinalModel, look, leakage: Leakage, deadline) -> LookSummary:
    budget = deadline.seconds
    return LookSummary(
        run_dir=str(artifacts.path),
        refit=final.refit,
        test=look.metrics,
        ledger_count=look.unsealings,
        models=look.models,
        ledger=look.ledger,
        leakage=leakage.notable(),
        leakage_allowed=leakage.allowed,
        time_budget=None
        if budget is None
        else {"seconds": budget, "used": round(deadline.used(), 2), "left_out": deadline.left_out},
    )


def _plan(spec, trials, progress, search_options, **asked) -> Plan:
    options = SearchOptions.of(trials=trials, **search_options)
    return Plan(spec or DataSpec(), options, progress=progress, **asked)


def _out(out, spec: DataSpec) -> Path:
    return Path(out) if out is not None else Artifacts.default_path(spec)
