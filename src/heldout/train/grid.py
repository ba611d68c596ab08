"""Grids of settings, and which configurations can train together as one population.

A setting given as a list (or tuple, range, array) is an axis of the grid; the grid is every
combination, in the order the axes were given. ``hidden`` is a tuple already, so its axis is a
list of tuples: ``hidden=[(32,), (64, 64)]``.

Members of one population may differ only in per-member settings
(:data:`~heldout.train.config.PER_MEMBER`, declared with the settings): those change numbers, not
shapes or the batch order. Configurations that differ elsewhere (model, loss, optimizer, batch size,
epochs, ...) form separate populations, trained one after another.

>>> configs, axes = expand({"lr": [0.1, 0.01], "seed": [0, 1], "optimizer": "sgd"})
>>> axes, [(c["lr"], c["seed"]) for c in configs]
(['lr', 'seed'], [(0.1, 0), (0.1, 1), (0.01, 0), (0.01, 1)])
"""

from __future__ import annotations

import itertools
from dataclasses import fields

import numpy as np

from ..errors import ConfigError
from .config import PER_MEMBER, SETTINGS, TrainConfig


def _is_axis(name: str, value) -> bool:
    if name == "hidden":
        return (
            isinstance(value, list)
            and len(value) > 0
            and all(isinstance(v, (list, tuple)) for v in value)
        )
    return isinstance(value, (list, tuple, range, np.ndarray))


def expand(settings: dict) -> tuple[list[dict], list[str]]:
    """Every combination of the list-valued settings, and the names of those settings (the axes)."""
    axes = [name for name, value in settings.items() if _is_axis(name, value)]
    for name in axes:
        if len(settings[name]) == 0:
            raise ConfigError(
                f"{name}=[] makes the grid empty: there is nothing to train. Give at least one "
                f"value, e.g. {name}=[{_example(name)}]."
            )
    values = [list(settings[name]) for name in axes]
    combos = []
    for combo in itertools.product(*values):
        one = dict(settings)
        one.update(
            {name: v.item() if isinstance(v, np.generic) else v for name, v in zip(axes, combo)}
        )
        combos.append(one)
    return combos, axes


def population_key(config: TrainConfig) -> tuple:
    """What members of one population must share: every setting outside :data:`PER_MEMBER`."""
    return tuple(
        (f.name, id(v) if callable(v) else v)
        for f in fields(config)
        if f.name not in PER_MEMBER
        for v in [getattr(config, f.name)]
    )


def _example(name: str) -> str:
    default = SETTINGS[name].default if name in SETTINGS else None
    return repr(default if default is not None else 0.01)
