"""A streamed table's procedures (``spec.stream``, :mod:`heldout.stream`): never the whole table in memory.

- `heldout train --stream`: survey and split the Parquet table in one pass (its test rows sealed
  by fingerprint), check the seeded samples for leakage, train on the rows read batch by batch,
  and write the run directory.
- `heldout tune --stream` and `heldout run --stream` search on the seeded samples of training and
  validation rows (:meth:`StreamedSplit.sample_split`: up to 100,000 and 20,000 rows, chosen by
  fingerprint, so the search is the in-memory one on those rows). `run` then trains the selected
  configuration on every training row, streamed, watching every validation row — there is no
  refit on training + validation rows: that model's validation rows stay held out, so it is
  calibrated (conformal) and inspected on the validation sample it never trained on — and looks
  at the test set once, streamed.

The leakage check runs on the three parts' samples (sizes in ``leakage.json`` under ``stream``),
beside exact counts over every row's fingerprint (:meth:`StreamedSplit.exact_twins`).
"""

from __future__ import annotations

from pathlib import Path

from ..conformal import scores as conformal
from ..errors import ConfigError
from ..report import inspection
from ..report.page import report
from ..rundir.artifacts import Artifacts
from ..rundir.lock import claimed
from ..rundir.spec import DataSpec
from ..search.result import Search
from ..stream import training
from ..stream.split import StreamedSplit
from ..train.result import Run
from .deadline import Deadline
from .look import look_once
from .steps import checked_for_leakage, save_run


def stream_train_procedure(
    spec: DataSpec,
    out=None,
    *,
    progress=None,
    allow_leakage: bool = False,
    fresh: bool = False,
    draw_descent: bool = True,
    **settings,
) -> tuple[Artifacts, Run]:
    """:func:`~heldout.workflow.training.train_procedure` for a streamed table (``spec.stream``)."""
    if settings.get("folds") is not None:
        raise ConfigError(
            "--folds needs the rows in memory: drop --stream, or train without folds."
        )
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh) as claim:
        the_split = spec.split()
        claim.check_same_data(the_split)
        leakage = checked_for_leakage(the_split.sample_split(), allow_leakage)
        leakage["stream"] = the_split.exact_twins()
        run = training.fit(the_split, progress=progress, **settings)
        artifacts = save_run(out, spec, run, ledger=the_split.test.ledger)
        artifacts.write_leakage(leakage)
        report(artifacts.path)
    return artifacts, run


def searched_rows(the_split):
    """The rows a search reads: a streamed table's seeded samples (an in-memory split whose test
    sample is sealed under the real test set's seal), else the split itself."""
    return the_split.sample_split() if isinstance(the_split, StreamedSplit) else the_split


def final_streamed(
    artifacts: Artifacts,
    spec: DataSpec,
    the_split: StreamedSplit,
    found: Search,
    deadline: Deadline,
) -> tuple:
    """`heldout run --stream` after its search: the selected configuration trained on every training
    row, streamed, watching every validation row; calibrated and inspected on the validation sample;
    the one look, streamed. Returns ``(model, evaluation)``."""
    validation = the_split.sample_split().validation
    run = training.fit(the_split, **found.best_settings)
    model = run.model
    model.calibration = conformal.calibrate(model, validation)
    save_run(artifacts.path, spec, run, ledger=the_split.test.ledger)
    if (artifacts.inspection() or {}).get("final") != model.fingerprint:
        artifacts.write_inspection(
            dict(
                inspection.inspect(
                    model, validation, found.metric, seed=spec.seed, fits=deadline.fits
                ),
                final=model.fingerprint,
            )
        )
    return model, look_once(artifacts, model, the_split, lambda: {})
