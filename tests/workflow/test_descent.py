"""The descent picture: paths of several learning rates from one start, over the loss they
descend."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

import heldout
from heldout.nn.family import make_family
from heldout.task import get as get_task
from heldout.workflow import descent


def _one_feature(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(3, 2, n)
    return heldout.split(
        heldout.load(pd.DataFrame({"x": x, "y": 2 * x + 1 + rng.normal(0, 0.5, n)}), "y"), seed=0
    )


def test_a_two_parameter_model_is_drawn_in_its_own_coordinates_over_its_true_loss():
    split = _one_feature()
    settings = dict(model="linear", loss="mse", optimizer="gd", lr=0.3, epochs=40)
    picture = descent.trace(split, settings)
    assert picture["kind"] == "parameters" and picture["axes"] == [
        "layers.0.weight",
        "layers.0.bias",
    ]
    # the chosen path ends where the same training, alone, ends
    alone = heldout.fit(split, **settings, early_stopping=False)
    weight, bias = (float(p.reshape(-1)[0]) for p in alone.model.params)
    chosen = picture["paths"][picture["chosen"]]
    # (the target is standardised, so the bias ends near 0: compared to a few float32 roundings)
    assert chosen["a"][-1] == pytest.approx(weight, rel=1e-5) and chosen["b"][-1] == pytest.approx(
        bias, abs=1e-6
    )
    start = [
        float(p.reshape(-1)[0])
        for p in make_family("linear", hidden=(), activation="relu", init=None).init(1, 1, [0])
    ]
    assert [chosen["a"][0], chosen["b"][0]] == pytest.approx(start) and chosen["epoch"][-1] == 40
    # the contours are the mean squared error at each grid point, on the (standardised) training
    # rows against the target as the model fits it (standardised too)
    features = alone.model.features
    X = features.transform(split.train.features)[: picture["grid_rows"], 0]
    y = alone.model.target_scale.standardise(split.train.target.to_numpy())[: picture["grid_rows"]]
    i, j = 7, 19
    a, b = picture["grid"]["a"][j], picture["grid"]["b"][i]
    assert picture["grid"]["loss"][i][j] == pytest.approx(
        float(np.mean((a * X + b - y) ** 2)), rel=1e-4
    )


def test_a_small_rate_crawls_and_a_large_one_diverges_on_the_plane_of_the_chosen_path():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    picture = descent.trace(
        split, dict(model="linear", loss="mse", optimizer="gd", lr=0.1, epochs=30)
    )
    assert picture["kind"] == "plane" and picture["parameters"] == 11
    small, chosen, _, large = picture["paths"]
    assert [small["lr"], chosen["lr"], large["lr"]] == pytest.approx([0.01, 0.1, 1.0])
    # start, midpoint and end of the chosen path span the plane: the start is the origin, the end on
    # axis a
    assert chosen["a"][0] == 0 and chosen["b"][0] == 0
    assert chosen["b"][-1] == pytest.approx(0, abs=1e-6 * chosen["a"][-1])
    middle = len(chosen["a"]) // 2
    assert math.hypot(chosen["a"][middle], chosen["b"][middle]) > 0
    # too small: after as many steps it is still far above the chosen rate's loss
    assert (
        small["train_loss"][-1] > 2 * chosen["train_loss"][-1] and small["status"] == "max_epochs"
    )
    assert math.hypot(small["a"][-1], small["b"][-1]) < 0.8 * chosen["a"][-1]
    assert large["status"] == "diverged" and len(large["a"]) < len(chosen["a"])
    # the chosen rate's training loss falls along its path
    assert chosen["train_loss"][-1] < 0.2 * chosen["train_loss"][0]
    # every grid value is a loss (finite, positive) over the window that holds the chosen path
    grid = np.array(picture["grid"]["loss"], dtype=float)
    assert (
        grid.shape == (descent.GRID, descent.GRID) and np.isfinite(grid).all() and (grid > 0).all()
    )
    assert picture["grid"]["a"][0] < 0 < chosen["a"][-1] < picture["grid"]["a"][-1]


def test_large_models_keep_fewer_points_and_large_tables_are_sampled(monkeypatch):
    split = heldout.split(heldout.datasets.load("digits"), seed=0)
    monkeypatch.setattr(
        descent, "MAX_BYTES", 8 * 4810 * 4 * 11
    )  # room for 11 points per path of 4,810 numbers
    monkeypatch.setattr(descent, "ROWS", 300)
    monkeypatch.setattr(descent, "GRID_WORK", 1)  # the contours on the fewest rows
    monkeypatch.setattr(descent, "GRID_NUMBERS", 4810 * 100)  # and 100 grid points at a time
    picture = descent.trace(
        split, dict(model="mlp", hidden=(64,), optimizer="adam", lr=0.003, epochs=40)
    )
    assert picture["parameters"] == 4810 and picture["rows"] == 300 and picture["every"] == 4
    assert (
        picture["grid_rows"] == 64
        and np.isfinite(np.array(picture["grid"]["loss"], dtype=float)).all()
    )
    for path in picture["paths"]:
        assert len(path["epoch"]) <= 11 and path["epoch"][0] == 0
        assert len(path["epoch"]) == len(path["a"]) == len(path["train_loss"])
    chosen = picture["paths"][picture["chosen"]]
    assert chosen["epoch"] == [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40]


def test_the_picture_reads_no_test_row():
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    before = len(split.test.ledger.entries())
    descent.trace(split, dict(model="linear", optimizer="adam", lr=0.01, epochs=5))
    assert len(split.test.ledger.entries()) == before


def test_a_user_module_is_drawn_too():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)

    factory = lambda n_in, n_out: torch.nn.Sequential(  # noqa: E731 (the name drawn is <lambda>)
        torch.nn.Linear(n_in, 8), torch.nn.Tanh(), torch.nn.Linear(8, n_out)
    )
    picture = descent.trace(
        split, dict(model=factory, loss="cross_entropy", optimizer="adam", lr=0.01, epochs=10)
    )
    assert picture["parameters"] == 4 * 8 + 8 + 8 * 3 + 3 and len(picture["paths"]) == 4
    assert get_task("multiclass").n_outputs(split.train.classes) == 3
    assert (
        json.loads(json.dumps(picture))["model"] == "<lambda>"
    )  # plain values, ready for descent.json
