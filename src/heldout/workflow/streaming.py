"""`heldout train --stream`'s procedure: survey and split the Parquet table in one pass (its test
rows sealed by fingerprint), check the seeded samples for leakage, train on the rows read batch by
batch, and write the run directory — never holding the table in memory.

The leakage check runs on the three parts' seeded samples (sizes in ``leakage.json`` under
``stream``), beside exact counts over every row's fingerprint: test rows whose features appear
among training or validation rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.fingerprint import members
from ..errors import ConfigError
from ..report.page import report
from ..seal import hashed
from ..stream import training
from ..train.result import Run
from .artifacts import Artifacts
from .lock import claimed
from .procedures import checked_for_leakage, save_run
from .spec import DataSpec


def stream_train_procedure(spec: DataSpec, out=None, *, progress=None, allow_leakage: bool = False,
                           fresh: bool = False, draw_descent: bool = True, **settings) -> tuple[Artifacts, Run]:
    """:func:`~heldout.workflow.training.train_procedure` for a streamed table (``spec.stream``)."""
    if settings.get("folds") is not None:
        raise ConfigError("--folds needs the rows in memory: drop --stream, or train without folds.")
    out = Path(out) if out is not None else Artifacts.default_path(spec)
    with claimed(out, fresh) as claim:
        the_split = spec.split()
        claim.check_same_data(the_split)
        leakage = checked_for_leakage(the_split.sample_split(), allow_leakage)
        leakage["stream"] = exact_twins(the_split)
        run = training.fit(the_split, progress=progress, **settings)
        artifacts = save_run(out, spec, run, ledger=the_split.test.ledger)
        artifacts.write_leakage(leakage)
        report(artifacts.path)
    return artifacts, run


def exact_twins(the_split) -> dict:
    """The sample sizes the leakage check read, and exact counts over every row's fingerprints."""
    found = the_split.found
    seen = np.concatenate([found.feature_fingerprints[hashed.TRAIN], found.feature_fingerprints[hashed.VALIDATION]])
    test = found.feature_fingerprints[hashed.TEST]
    return {"sample_rows": the_split.sample_rows(),
            "rows": {"train": found.rows(hashed.TRAIN), "validation": found.rows(hashed.VALIDATION),
                     "test": found.rows(hashed.TEST)},
            "test_rows_with_features_in_training_or_validation": int(members(test, seen).sum()),
            "test_rows_identical_to_training_or_validation_rows": int(members(
                found.fingerprints[hashed.TEST],
                np.concatenate([found.fingerprints[hashed.TRAIN], found.fingerprints[hashed.VALIDATION]])).sum())}
