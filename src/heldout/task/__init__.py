"""The task — ``regression``, ``binary`` or ``multiclass`` — and everything that depends on it.

A :class:`Task` is its own name (it compares equal to ``"regression"``, prints and serialises as
that string), and it owns what differs between tasks: the losses that fit it (its default
first), the metric watched every epoch, the metric candidates are compared on, the metrics of
the final look (and the same metrics of resampled rows, from row weights, for their intervals),
the baseline the final look is compared with, the link from a model's outputs to predictions,
the encoding of labels (and the scale a regression target is fitted on), the default split
strategy and the default search candidates. Code outside the task's modules asks the task; it
never branches on the task's name. The base is :mod:`heldout.task.base`; the tasks are
:mod:`heldout.task.regression` and :mod:`heldout.task.classification`; this module names them.

>>> t = get("binary")
>>> t == "binary", t.losses[0], t.monitor, t.selection, t.n_outputs(("no", "yes"))
(True, 'log_loss', 'accuracy', 'log_loss', 1)
>>> import numpy as np
>>> get("regression").score(np.array([1.0, 2.0]), np.array([1.0, 4.0]))["rmse"]
1.4142135623730951
"""

from __future__ import annotations

from ..errors import ConfigError
from .base import Task
from .classification import Binary, Multiclass
from .regression import MAX_TARGET, Regression

__all__ = ["MAX_TARGET", "TASKS", "Task", "get"]

TASKS: dict[str, Task] = {
    t: cls(t)
    for t, cls in (("regression", Regression), ("binary", Binary), ("multiclass", Multiclass))
}


def get(name: str | Task) -> Task:
    """The task called ``name``, or a ConfigError listing the tasks."""
    if not isinstance(name, str) or name not in TASKS:
        raise ConfigError(f"Unknown task {name!r}. Choose one of {list(TASKS)}.")
    return TASKS[str(name)]


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
