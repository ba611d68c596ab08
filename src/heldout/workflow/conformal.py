"""The run's conformal calibration: which model scores the validation rows for the bundled one.

The bundle's intervals (:mod:`heldout.model.conformal`) are only as honest as the scores behind
them: residuals of a model on rows it trained on are too small. A model trained on training rows
scores the validation rows itself. A model refit on training + validation rows has no held-out
rows left, so the selected trial's own model, trained on training rows, scores them, and the
refit model inherits those scores; the one look measures the coverage this gives.

That model is the search's (kept on disk for a resumed search, :mod:`heldout.search.kept`), so
a run killed and run again scores with the same bits and ends with the same bundle. Where the
search has none — the trial was trained by another worker of a shared study — the selected
configuration is trained here, alone, from the recorded settings and seed (checkpointed like the
refit): one trial's training.
"""

from __future__ import annotations

from ..data.fingerprint import set_fingerprint
from ..model import conformal
from ..model.conformal import Calibration
from ..model.model import Model
from ..search.result import Search
from ..train.checkpoints import resumable
from ..train.population import train_population
from .deadline import Deadline


def calibration(
    model: Model,
    found: Search,
    the_split,
    *,
    refit: bool,
    deadline: Deadline,
    seconds: float,
    checkpoints=None,
) -> Calibration | None:
    """The calibration of the run's bundled ``model`` (``refit``: trained on training + validation
    rows) on the validation rows of ``the_split``. After a refit, the scores come from the
    search's model of the selected trial; without one, from the selected configuration trained
    again on the training rows, if ``seconds`` (one trial's time) fits the ``deadline`` — else
    the bundle has no calibration and the summary lists it as left out. ``checkpoints`` keeps
    that training, as the refit's, for a run killed in the middle."""
    if not refit:
        return conformal.calibrate(model, the_split.validation)
    if found.best_model is not None:
        return conformal.calibrate(model, the_split.validation, scorer=found.best_model)
    if not deadline.fits("calibration", seconds):
        return None
    rows = {
        "train": set_fingerprint(the_split.train.fingerprints),
        "validation": set_fingerprint(the_split.validation.fingerprints),
    }
    hook, resume = resumable(
        checkpoints, "calibration", {"settings": found.best_settings, "rows": rows}
    )
    scorer = train_population(
        the_split.train,
        the_split.validation,
        [found.best_settings],
        seed=the_split.seed,
        summary=the_split.summary(),
        checkpoint=hook,
        resume=resume,
    ).model
    return conformal.calibrate(model, the_split.validation, scorer=scorer)
