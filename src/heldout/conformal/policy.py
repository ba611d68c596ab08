"""Which model scores the validation rows that calibrate a model's conformal intervals.

The intervals (:mod:`.scores`) are only as honest as the scores behind them: residuals of a model
on rows it trained on are too small. A model trained on training rows scores the validation rows
itself. A model refit on training + validation rows has no held-out rows left, so a model of the
same configuration trained on training rows only scores them — the search's own model of the
selected trial when it was kept (:mod:`heldout.search.kept`), so a run killed and run again
scores with the same bits — and the refit model inherits those scores; the one look measures the
coverage this gives. Where no such model was kept (another worker of a shared study trained the
trial), ``retrain`` trains one, and returns None when the time budget has no room for it.
"""

from __future__ import annotations

from typing import Callable

from .scores import Calibration, calibrate


def scorer(model, *, refit: bool, kept=None, retrain: Callable[[], object | None] | None = None):
    """The model that scores the validation rows for ``model``: itself when it did not train on
    them; else the kept model of its configuration trained on training rows; else what
    ``retrain`` gives (None: no scorer, so no calibration).

    >>> scorer("m", refit=False), scorer("m", refit=True, kept="k")
    ('m', 'k')
    >>> scorer("m", refit=True, retrain=lambda: None) is None
    True
    """
    if not refit:
        return model
    if kept is not None:
        return kept
    return retrain() if retrain is not None else None


def calibration(
    model, validation, *, refit: bool, kept=None, retrain: Callable[[], object | None] | None = None
) -> Calibration | None:
    """The calibration of ``model`` on the ``validation`` rows, scored by :func:`scorer`."""
    by = scorer(model, refit=refit, kept=kept, retrain=retrain)
    if by is None:
        return None
    return calibrate(model, validation) if by is model else calibrate(model, validation, scorer=by)
