"""``run()`` and ``search()``: the whole procedure in one call, and its search half.

``run`` splits the data (sealing the test set), searches the candidates on validation data only
(:func:`heldout.tune`), refits the selected configuration on training + validation rows, looks
at the sealed test set once, and writes a run directory: ``config.json``, ``leaderboard.csv``,
``study.journal`` (the Optuna study: a local journal file), ``leakage.json`` (the leakage
check, run first: an error finding stops the run unless allowed), ``history.csv``,
``model.safetensors``, ``evaluation.json``, ``summary.json`` (test metrics under ``test``),
``descent.json`` (:mod:`heldout.descent`) and ``report.html`` / ``report.json``.
Running it again on the same directory resumes the study: trials already told count toward the
budget. ``search`` stops before the refit and the test set.
"""

from __future__ import annotations

import json
from pathlib import Path

from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from . import descent
from .evaluate import evaluate
from .files import atomic_write, write_json
from .errors import LeakageError
from .fit import fit_many
from .leakage import check
from .rundir import DataSpec, default_run_dir, save_run
from .report import report
from .search import DEFAULT_TRIALS, Search, tune


def search(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, progress=None,
           allow_leakage: bool = False, write_report: bool = True, draw_descent: bool = True,
           **tune_options) -> tuple[Path, object, Search]:
    """Split, check the split for leakage, and search on validation data, keeping the study in
    ``out/study.journal``. An ``error`` finding stops here unless ``allow_leakage``, and the
    override is recorded in the ledger and in ``out/leakage.json``. With ``draw_descent``, the
    selected settings are traced at a few learning rates for the report (``out/descent.json``)."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else default_run_dir(spec)
    the_split = spec.split()
    checked = check(the_split)
    errors = checked.errors
    if errors and not allow_leakage:
        raise LeakageError("The leakage check found " + "; ".join(f.message for f in errors) + " To go on anyway, "
                           "pass --allow-leakage (allow_leakage=True); the override is recorded.")
    out.mkdir(parents=True, exist_ok=True)
    if errors:
        the_split.test.ledger.record_audit(the_split.test.seal, {"override": "allow_leakage",
                                                                 "findings": [f.kind for f in errors]})
    write_json(out / "leakage.json", dict(checked.to_dict(), allowed=bool(errors) and allow_leakage))
    storage = JournalStorage(JournalFileBackend(str(out / "study.journal")))
    found = tune(the_split, trials=trials, seed=spec.seed, storage=storage, progress=progress, **tune_options)
    atomic_write(out / "leaderboard.csv", found.leaderboard.to_csv(index=False))
    selection = _selection(found, spec, the_split)
    write_json(out / "summary.json", selection)
    # the picture of the descent: the selected settings at a few learning rates, on training rows
    if draw_descent:
        write_json(out / "descent.json", descent.trace(the_split, dict(found.best_settings, epochs=selection["epochs"])))
    else:
        (out / "descent.json").unlink(missing_ok=True)
    if not (out / "config.json").exists():
        write_json(out / "config.json", {"data": spec.to_dict(), "split": the_split.summary()})
    if write_report:
        report(out)
    return out, the_split, found


def _selection(found: Search, spec: DataSpec, the_split) -> dict:
    best = found.best
    return {"dataset": spec.name, "split": the_split.summary(), "candidate": best["candidate"],
            "hyperparameters": {k: v for k, v in found.best_settings.items() if k not in ("model", "loss")},
            "selection_metric": found.metric, "validation": {found.metric: best[found.metric]},
            "epochs": int(max(1, round(best["best_epoch"]))), "trials": len(found.leaderboard),
            "stopped_by": found.stopped_by, "pruned": int((found.leaderboard["status"] == "pruned").sum()),
            "diverged": int((found.leaderboard["status"] == "diverged").sum())}


def run(spec: DataSpec | None = None, out=None, *, trials: int = DEFAULT_TRIALS, refit: bool = True,
        progress=None, allow_leakage: bool = False, draw_descent: bool = True, **tune_options) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset); return the summary."""
    spec = spec or DataSpec()
    out, the_split, found = search(spec, out, trials=trials, progress=progress, allow_leakage=allow_leakage,
                                   write_report=False, draw_descent=draw_descent, **tune_options)
    leakage = json.loads((out / "leakage.json").read_text())
    # the selected configuration, refit on training + validation rows (or as trained on training rows)
    final = found.refit(the_split) if refit else fit_many(the_split, [found.best_settings])
    save_run(out, spec, final)
    result = evaluate(final.model, the_split)
    write_json(out / "evaluation.json", result.to_dict())
    summary = {
        **_selection(found, spec, the_split), "run_dir": str(out), "refit": refit,
        "test": result.metrics, "ledger_count": result.unsealings,
        "leakage": [{k: f[k] for k in ("kind", "severity", "category", "count", "message")}
                    for f in leakage["findings"] if f["severity"] != "info"],
        "leakage_allowed": leakage["allowed"],
    }
    write_json(out / "summary.json", summary)
    report(out)
    return summary
