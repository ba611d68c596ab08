"""gbdt: gradient-boosted trees trained by LightGBM, behind the family protocol — in fit, the
search, ensembles and bundles as any family, with its own search space."""

import numpy as np
import pytest
import torch

import heldout
from heldout import ConfigError
from heldout.model.ensemble import combine
from heldout.nn.boosted import OBJECTIVES
from heldout.search.space import Space

TASKS = {"diabetes": "mse", "breast_cancer": "log_loss", "wine": "cross_entropy"}


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    """Each table split with its test set sealed in a ledger of its own (the project's stays clean
    for the other tests' tables)."""
    ledger = tmp_path_factory.mktemp("ledger")
    load = heldout.datasets.load
    return {name: heldout.split(load(name), seed=0, ledger=ledger) for name in TASKS}


@pytest.mark.parametrize("name", list(TASKS))
def test_a_booster_trains_watches_validation_and_keeps_its_best_rounds(splits, name, tmp_path):
    split = splits[name]
    run = heldout.fit(split, model="gbdt", loss=TASKS[name], lr=0.1, epochs=400, leaves=8)
    member = run.members[0]
    rounds = len(member.history["val_loss"])
    best = int(np.argmin(member.history["val_loss"])) + 1
    assert member.best_epoch == best and member.status == "early_stopped" and rounds < 400
    model = run.model
    # the bundle holds the best rounds' trees as text: loaded, it predicts the same numbers
    path = tmp_path / "m.safetensors"
    model.save(path)
    loaded = heldout.load_model(path)
    assert loaded.fingerprint == model.fingerprint
    np.testing.assert_array_equal(
        loaded.predictions(split.validation), model.predictions(split.validation)
    )
    text = bytes(model.params[0].numpy()).decode()
    lgb = pytest.importorskip("lightgbm")
    assert lgb.Booster(model_str=text).current_iteration() == best  # plain text, parsed
    # its validation loss is the history's at the best round
    assert model.score(split.validation)["loss"] == pytest.approx(
        member.history["val_loss"][best - 1], rel=1e-5
    )


def test_the_same_seed_trains_the_same_trees_and_a_refit_trains_the_rounds_given(splits):
    split = splits["diabetes"]
    settings = dict(model="gbdt", lr=0.05, row_fraction=0.7, feature_fraction=0.6, seed=3)
    a, b = heldout.fit(split, **settings), heldout.fit(split, **settings)
    assert torch.equal(a.model.params[0], b.model.params[0])
    fixed = heldout.fit(split, **settings, epochs=17, early_stopping=False)
    assert len(fixed.members[0].history["epoch"]) == 17 and fixed.members[0].best_epoch == 17


def test_the_search_draws_the_boosters_own_space(splits):
    space = Space.for_candidate("gbdt+mse", "regression", rows=5_000)
    assert {"leaves", "min_leaf_rows", "feature_fraction", "row_fraction", "lr"} <= set(
        space.params
    )
    assert not {"batch_size", "optimizer", "momentum", "schedule"} & set(space.params)
    found = heldout.tune(splits["diabetes"], candidates=["gbdt+mse"], trials=4, population=2)
    board = found.leaderboard
    assert (board["candidate"] == "gbdt+mse").all() and "leaves" in board
    assert found.best_model.config["model"] == "gbdt"


def test_losses_it_cannot_train_are_refused_as_candidates():
    with pytest.raises(ConfigError, match="gbdt\\+hinge"):
        Space.for_candidate("gbdt+hinge", "binary")
    assert set(OBJECTIVES) >= {"mse", "log_loss", "cross_entropy"}
    assert "gbdt+mse" in heldout.task.get("regression").candidates


def test_trees_and_networks_in_one_ensemble(splits, tmp_path):
    split = splits["breast_cancer"]
    trees = heldout.fit(split, model="gbdt", loss="log_loss", lr=0.1).model
    net = heldout.fit(split, model="mlp", hidden=(8,), epochs=20).model
    ensemble = combine([trees, net], [0.6, 0.4])
    rows = split.validation
    mean = 0.6 * trees.predict_proba(rows) + 0.4 * net.predict_proba(rows)
    np.testing.assert_allclose(ensemble.predict_proba(rows), mean, atol=1e-6)
    ensemble.save(tmp_path / "e.safetensors")
    loaded = heldout.load_model(tmp_path / "e.safetensors")
    np.testing.assert_allclose(loaded.predict_proba(rows), mean, atol=1e-6)
    from heldout.model.portable import export_onnx

    with pytest.raises(ConfigError, match="gradient-boosted trees"):
        export_onnx(loaded, tmp_path / "e.onnx")


def test_gradient_steps_are_refused_with_how_it_trains():
    family = heldout.nn.family.make_family("gbdt", hidden=(), activation="relu", init=None)
    with pytest.raises(ConfigError, match="trained by LightGBM"):
        family.loss_and_grads([torch.zeros(1, 0, dtype=torch.uint8)], None, None, None, "mse")
