"""The models of the best trials so far, kept in the run directory.

A search keeps its trials' models in memory only; once a killed search is resumed, the trials
told before the kill have none. The run still needs the selected trial's model as trained on
training rows: it scores the validation rows for the conformal intervals of a refit model
(:mod:`heldout.conformal.policy`) and is the model the report inspects. So after each batch,
before its trials are told, the best complete trials so far (the selected one, and the pool an
ensemble is chosen from: :mod:`heldout.search.ensemble`) — those the batch trained — are written
to ``trial-N.safetensors`` (atomically, as bundles), and the files of trials that dropped out of
the best are removed.
A resumed search reads it back: the same bits as the model the uninterrupted search held, so a
killed run, an uninterrupted one and a finished one run again end with the same bundle. The file
stays: it is the selected trial's model as its validation figures were measured, which
``heldout predict`` reads as it reads ``model.safetensors``. A trial that another worker trained
(a shared study) has no file here; the run then trains its configuration again.
"""

from __future__ import annotations

import math

from ..conformal import scores as conformal
from ..errors import BundleError
from ..model.model import Model

PREFIX = "trial-"


def best_index(rows: list[dict], metric: str, sign: float) -> int | None:
    """Where in ``rows`` the search's selected row is: the complete row of least ``sign * metric``,
    the first of ties (None: no complete row with a value)."""
    ranked = best_indices(rows, metric, sign, 1)
    return ranked[0] if ranked else None


def best_indices(rows: list[dict], metric: str, sign: float, count: int) -> list[int]:
    """Where in ``rows`` the best ``count`` complete rows are, best first (ties: the first)."""
    scored = [
        (sign * r[metric], i)
        for i, r in enumerate(rows)
        if r["status"] == "complete" and not math.isnan(r[metric])
    ]
    return [i for _, i in sorted(scored)[:count]]


def keep(
    checkpoints, rows: list[dict], metric: str, sign: float, trained: dict, count: int = 1
) -> None:
    """After a batch: the models of the best ``count`` of ``rows`` (every told row and the
    batch's) that the batch trained (``trained``: trial number -> its model) are written; the
    files of trials no longer among the best are removed."""
    best = {rows[i]["trial"] for i in best_indices(rows, metric, sign, count)}
    for trial in sorted(best & trained.keys()):
        trained[trial].save(_path(checkpoints, trial))
    wanted = {_path(checkpoints, trial).name for trial in best}
    for path in checkpoints.folder.glob(f"{PREFIX}*.safetensors"):
        if path.name not in wanted:
            path.unlink(missing_ok=True)


def selected(checkpoints, trial: int, trained: Model | None, validation) -> Model | None:
    """The selected trial's model — ``trained`` when this process trained it, else the kept one
    (None when neither) — calibrated on the ``validation`` rows, which are new to it, and kept
    so: ``trial-N.safetensors`` then gives intervals as ``model.safetensors`` does."""
    found = trained if trained is not None or not checkpoints else model(checkpoints, trial)
    if found is None or found.calibration is not None:
        return found
    found.calibration = conformal.calibrate(found, validation)
    if checkpoints and _path(checkpoints, trial).is_file():
        found.save(_path(checkpoints, trial))
    return found


def model(checkpoints, trial: int) -> Model | None:
    """Trial ``trial``'s kept model, or None when this folder holds none."""
    path = _path(checkpoints, trial)
    try:
        return Model.load(path) if path.is_file() else None
    except BundleError:  # a model of a user module (which needs its factory) is trained again
        return None


def _path(checkpoints, trial: int):
    return checkpoints.folder / f"{PREFIX}{trial}.safetensors"
