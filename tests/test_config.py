"""Negative tests drawn from the hyperparameter declarations themselves."""

import pytest

from heldout import ConfigError, TrainConfig
from heldout.config import HYPERPARAMETERS


def _invalid(h):
    values = ["text"]
    if h.low is not None:
        values.append(h.low if h.low_open else h.low - 1)
    if h.high is not None:
        values.append(h.high if h.high_open else h.high + 1)
    if h.kind is int:
        values.append(1.5)
    return values


@pytest.mark.parametrize("name", sorted(HYPERPARAMETERS))
def test_every_declared_constraint_is_enforced(name):
    for value in _invalid(HYPERPARAMETERS[name]):
        with pytest.raises(ConfigError, match=name):
            TrainConfig(**{name: value}).validated()


def test_defaults_are_valid_and_filled_in():
    c = TrainConfig(optimizer="gd").validated()
    assert (c.lr, c.epochs, c.patience, c.n_iter_no_change) == (0.1, 1000, 200, 100)
    c = TrainConfig().validated()
    assert (c.lr, c.epochs, c.patience, c.n_iter_no_change) == (0.01, 100, 20, 10)
