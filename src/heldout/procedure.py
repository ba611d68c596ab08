"""``run()``: the whole procedure in one call — split, train, one final evaluation, bundle.

It trains the default candidate for the task (a linear model with the task's loss and link,
full-batch gradient descent, early stopping on validation), evaluates it once on the sealed test
set, and writes a run directory with ``summary.json``. The summary's ``test`` key holds the test
metrics. (Searching over candidates on validation data replaces the single default candidate
when ``heldout tune`` arrives.)
"""

from __future__ import annotations

from pathlib import Path

from .files import write_json
from .fit import fit
from .evaluate import evaluate
from .rundir import DataSpec, default_run_dir, save_run

DEFAULT_CANDIDATE = {"model": "linear", "optimizer": "gd", "lr": 0.1}


def run(spec: DataSpec | None = None, out=None, **train_options) -> dict:
    """Carry out the procedure on ``spec`` (default: the default bundled dataset); return the summary."""
    spec = spec or DataSpec()
    out = Path(out) if out is not None else default_run_dir(spec)
    the_split = spec.split()
    options = {**DEFAULT_CANDIDATE, "seed": spec.seed, **train_options}
    trained = fit(the_split, **options)
    save_run(out, spec, trained)
    result = evaluate(trained.model, the_split)
    write_json(out / "evaluation.json", result.to_dict())
    summary = {
        "dataset": spec.name, "run_dir": str(out), "split": the_split.summary(),
        "candidate": f"{trained.config.model}+{trained.config.loss}",
        "hyperparameters": {k: getattr(trained.config, k) for k in ("optimizer", "lr", "epochs", "batch_size", "seed")},
        "status": trained.status, "best_epoch": trained.best_epoch,
        "validation": {trained.metric_name: float(trained.history["val_metric"][trained.best_epoch]),
                       "loss": float(trained.history["val_loss"][trained.best_epoch])},
        "test": result.metrics, "ledger_count": result.unsealings,
    }
    write_json(out / "summary.json", summary)
    return summary
