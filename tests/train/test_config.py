"""Negative tests drawn from the hyperparameter declarations themselves."""

import pytest

from heldout import ConfigError, TrainConfig
from heldout.train.config import SETTINGS


@pytest.mark.parametrize("name", sorted(n for n, s in SETTINGS.items() if s.invalid_values()))
def test_every_declared_constraint_is_enforced(name):
    for value in SETTINGS[name].invalid_values():
        with pytest.raises(ConfigError, match=name):
            TrainConfig(**{name: value}).validated()


def test_defaults_are_valid_and_filled_in():
    c = TrainConfig(optimizer="gd").validated()
    assert (c.lr, c.epochs, c.patience, c.n_iter_no_change) == (0.1, 1000, 200, 100)
    c = TrainConfig().validated()
    assert (c.lr, c.epochs, c.patience, c.n_iter_no_change) == (0.01, 100, 20, 10)
