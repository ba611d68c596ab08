"""A trial's budget follows the table's size: batch sizes grow with the rows, epochs are cut to a
step budget."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.errors import ConfigError
from heldout.search import budget
from heldout.search.space import Space


@pytest.mark.parametrize(
    "rows, sizes",
    [
        (300, (16, 32, 64, 128)),
        (6_400, (32, 64, 128, 256)),
        (64_000, (256, 512, 1024, 2048)),
        (640_000, (512, 1024, 2048, 4096)),
    ],
)
def test_batch_sizes_grow_with_the_training_rows(rows, sizes):
    assert budget.batch_sizes(rows) == sizes


def test_epochs_are_cut_to_the_step_budget_and_never_below_one():
    assert (
        budget.capped_epochs(150, batch_size=16, rows=300, full_batch=False, max_steps=3000) == 150
    )  # 19 steps an epoch
    assert (
        budget.capped_epochs(150, batch_size=32, rows=64_000, full_batch=False, max_steps=3000) == 1
    )
    assert (
        budget.capped_epochs(5000, batch_size=32, rows=64_000, full_batch=True, max_steps=3000)
        == 3000
    )
    assert (
        budget.capped_epochs(150, batch_size=1, rows=10**6, full_batch=False, max_steps=3000) == 1
    )
    assert (
        budget.capped_epochs(150, batch_size=32, rows=10**6, full_batch=False, max_steps=None)
        == 150
    )


class Fixed:
    """An Optuna trial that answers every suggestion with the largest epochs and the first
    choice."""

    params = {}

    def suggest_categorical(self, name, choices):
        return choices[0]

    def suggest_int(self, name, low, high, log=False):
        return high

    def suggest_float(self, name, low, high, log=False):
        return low


def test_a_space_for_a_large_table_searches_larger_batches_and_fewer_epochs():
    space = Space.for_candidate("mlp+mse", "regression", rows=64_000)
    assert space.params["batch_size"].choices == (256, 512, 1024, 2048)
    settings = space.settings(Fixed(), seed=0)
    assert (
        settings["batch_size"] == 256 and settings["epochs"] == 12000 // 250
    )  # 250 steps an epoch


def test_the_users_batch_sizes_and_epochs_are_kept():
    space = Space.for_candidate(
        "linear+mse", "regression", {"batch_size": [8], "epochs": (100, 200)}, rows=64_000
    )
    settings = space.settings(Fixed(), seed=0)
    assert settings["batch_size"] == 8 and settings["epochs"] == 200


def test_a_search_on_a_larger_table_keeps_every_trial_within_the_step_budget():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.standard_normal((12_000, 4)), columns=list("abcd"))
    frame["y"] = frame["a"] - 2 * frame["b"] + 0.1 * rng.standard_normal(len(frame))
    split = heldout.split(heldout.load(frame, target="y"), seed=0)
    found = heldout.tune(
        split, candidates=["linear+mse"], trials=4, population=4, max_steps=600, pruner=None
    )
    board = found.leaderboard
    assert set(board["batch_size"]) <= {32, 64, 128, 256}  # 7,680 training rows: the sizes doubled
    steps = board["epochs"] * np.ceil(len(split.train) / board["batch_size"])
    assert (steps <= 600).all() and (board["epochs"] >= 1).all()


def test_max_steps_must_be_a_positive_integer(diabetes):
    split = heldout.split(diabetes, seed=0)
    with pytest.raises(ConfigError, match="max_steps must be a positive integer, .auto. or None"):
        heldout.tune(split, max_steps=0)


def test_the_default_step_budget_grows_with_the_rows_up_to_eight_times():
    assert budget.steps_for(300) == budget.steps_for(16_000) == 3000
    assert budget.steps_for(64_000) == 12000
    assert budget.steps_for(10**8) == 24000


def test_a_large_model_is_given_fewer_steps_than_a_small_one_on_the_same_table():
    wide = Space.for_candidate(
        "mlp+mse",
        "regression",
        {"width": [128], "depth": [2], "batch_size": [1024]},
        rows=64_000,
        shape=(20, 1),
    )
    small = Space.for_candidate(
        "linear+mse", "regression", {"batch_size": [1024]}, rows=64_000, shape=(20, 1)
    )
    assert (
        wide.settings(Fixed(), seed=0)["epochs"] == budget.WORK // (3 * 1024 * 19_201) // 63
    )  # 27
    assert (
        small.settings(Fixed(), seed=0)["epochs"] == 150
    )  # 12,000 steps allow all of them (63 an epoch)
