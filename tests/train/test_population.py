"""Populations beyond the contract suite (which checks every family × optimiser): float32 over long
runs, members that stop early, cross-validation members equal separately trained folds, grids,
chunks and the errors of bad populations."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import heldout
from contracts import assert_same_member, small_net
from heldout.errors import BudgetError, ConfigError, DataError, HeldoutWarning
from heldout.nn import optim
from heldout.seal import folds as folding


@pytest.fixture(scope="module")
def cancer():
    data = heldout.datasets.load("breast_cancer")
    return heldout.split(data.take(np.arange(240)), seed=3)


def test_members_in_float32_over_long_runs_agree_to_plotting_precision(cancer):
    together = heldout.fit(
        cancer,
        model="mlp",
        hidden=(16,),
        optimizer="sgd",
        lr=[0.01, 0.03, 0.1],
        epochs=60,
        early_stopping=False,
        tol=0,
    )
    for m in together.members:
        alone = heldout.fit(
            cancer,
            model="mlp",
            hidden=(16,),
            optimizer="sgd",
            lr=m.config.lr,
            epochs=60,
            early_stopping=False,
            tol=0,
        ).members[0]
        assert np.allclose(m.history["train_loss"], alone.history["train_loss"], rtol=1e-3)


def test_a_diverging_member_does_not_touch_the_others():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    calm = heldout.fit(split, optimizer="sgd", lr=[0.001, 0.01], epochs=30)
    stormy = heldout.fit(split, optimizer="sgd", lr=[0.001, 0.01, 50.0], epochs=30)
    assert stormy.members[2].status == "diverged" and "diverge" in stormy.members[2].message
    assert len(stormy.members[2].history["epoch"]) < len(stormy.members[0].history["epoch"])
    for a, b in zip(calm.members, stormy.members[:2]):
        assert_same_member(b, a, rtol=1e-6)


def test_stopped_members_leave_the_computation_and_keep_their_state(cancer):
    run = heldout.fit(cancer, optimizer="adam", lr=[0.3, 0.001], epochs=50, patience=3, tol=0)
    fast, slow = run.members
    assert fast.status == "early_stopped" and len(fast.history["epoch"]) < len(
        slow.history["epoch"]
    )
    alone = heldout.fit(cancer, optimizer="adam", lr=0.3, epochs=50, patience=3, tol=0).members[0]
    assert_same_member(fast, alone)


def _folds_equal_separately_trained_folds(split, settings) -> None:
    cv = heldout.fit(split, lr=[0.01, 0.1], folds=3, **settings)
    assert len(cv.members) == 6 and [m.fold for m in cv.members] == [0, 1, 2, 0, 1, 2]
    pool = split.train.append(split.validation)
    for f, (tr, va) in enumerate(folding.assign(pool, 3, split.strategy, split.seed)):
        one_fold = dataclasses.replace(split, train=pool.take(tr), validation=pool.take(va))
        for m in (cv.members[f], cv.members[3 + f]):
            alone = heldout.fit(one_fold, lr=m.config.lr, **settings).members[0]
            assert_same_member(m, alone)
    table = cv.by_config()
    assert len(table) == 2 and "val_accuracy_std" in table.columns


@pytest.mark.parametrize("optimizer", ["gd", "sgd", "adam"])
def test_cross_validation_members_equal_separately_trained_folds(cancer, optimizer):
    _folds_equal_separately_trained_folds(
        cancer,
        dict(
            model="mlp",
            hidden=(5,),
            optimizer=optimizer,
            epochs=30 if optimizer == "gd" else 3,
            batch_size=16,
        ),
    )


def test_a_fold_out_of_rows_stands_still_under_an_update_that_writes_over_its_input():
    """Folds of 133, 133 and 134 training rows in batches of 19: at each epoch's last batch two
    folds have no rows left and stand still. With 64 hidden units (2,049 parameters a member) Adam
    takes the fused step, which writes over the parameters it is given; the engine keeps the still
    folds' copies."""
    split = heldout.split(heldout.datasets.load("breast_cancer").take(np.arange(250)), seed=3)
    pool = split.train.append(split.validation)
    sizes = sorted(len(tr) for tr, _ in folding.assign(pool, 3, split.strategy, split.seed))
    assert -(-sizes[0] // 19) < -(-sizes[-1] // 19), sizes
    settings = dict(model="mlp", hidden=(64,), optimizer="adam", epochs=3, batch_size=19)
    _folds_equal_separately_trained_folds(split, settings)
    assert optim._fuses([p.unsqueeze(0) for p in heldout.fit(split, **settings).models[0].params])


def test_folds_follow_groups_and_refuse_too_many():
    frame = dict(x=np.arange(40.0), g=np.repeat(np.arange(4), 10), y=np.arange(40.0) * 0.5 + 0.1)
    data = heldout.load(pd.DataFrame(frame), target="y", groups="g")
    split = heldout.split(data, strategy="group", seed=0, test=0.25, validation=0.34)
    with pytest.raises(
        DataError,
        match="folds=4 needs at least 4 groups, but the training and validation rows hold 3",
    ):
        heldout.fit(split, folds=4, epochs=1)
    assert len(heldout.fit(split, folds=3, epochs=1).members) == 3
    pool = split.train.append(split.validation)
    for tr, va in folding.assign(pool, 2, "group", 0):
        assert not set(pool.groups[tr]) & set(pool.groups[va])


def test_a_user_module_trains_as_a_population_of_eight_rates_through_torch_func(cancer):
    rates = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3]
    run = heldout.fit(
        cancer, model=small_net, optimizer="sgd", lr=rates, epochs=5, early_stopping=False
    )
    assert len(run.members) == 8 and type(run.models[0].family).__name__ == "Module"
    losses = [m.history["train_loss"][-1] for m in run.members]
    assert losses[4] < losses[0] and len(set(losses)) == 8  # each member followed its own rate
    probabilities = run.models[5].predict_proba(cancer.validation.features)
    assert probabilities.shape == (len(cancer.validation), 2)


def test_table_has_one_row_per_member_with_its_settings(cancer):
    run = heldout.fit(
        cancer, lr=[0.01, 0.1], seed=[0, 1], momentum=[0.5, 0.9], optimizer="momentum", epochs=2
    )
    table = run.table()
    assert len(table) == 8
    assert {"lr", "seed", "momentum", "best_epoch", "val_loss", "val_accuracy", "status"} <= set(
        table.columns
    )
    assert table[["lr", "seed", "momentum"]].drop_duplicates().shape[0] == 8


def test_configurations_of_different_shapes_train_as_separate_populations(cancer):
    run = heldout.fit(cancer, model=["linear", "mlp"], optimizer=["sgd", "adam"], lr=0.01, epochs=2)
    assert len(run.members) == 4 and run.chunks == [1, 1, 1, 1]
    assert [m.config.optimizer for m in run.members] == ["sgd", "adam", "sgd", "adam"]


def test_a_population_over_the_memory_budget_trains_in_chunks_and_says_so(cancer):
    whole = heldout.fit(
        cancer, model="mlp", hidden=(32,), optimizer="sgd", lr=[0.001, 0.01, 0.03, 0.1], epochs=3
    )
    with pytest.warns(HeldoutWarning, match="in 2 chunks"):
        chunked = heldout.fit(
            cancer,
            model="mlp",
            hidden=(32,),
            optimizer="sgd",
            lr=[0.001, 0.01, 0.03, 0.1],
            epochs=3,
            memory_budget=80_000,
        )
    assert chunked.chunks == [2, 2]
    for a, b in zip(chunked.members, whole.members):
        assert_same_member(a, b)


def test_bad_populations_are_refused_with_typed_errors(cancer):
    with pytest.raises(ConfigError, match=r"lr=\[\] makes the grid empty"):
        heldout.fit(cancer, lr=[])
    with pytest.raises(BudgetError, match="One member needs about"):
        heldout.fit(cancer, model="mlp", hidden=(512, 512), lr=[0.1, 0.01], memory_budget=10_000)
    smallest = int(cancer.train.append(cancer.validation).target.value_counts().min())
    with pytest.raises(
        DataError, match=f"folds={smallest + 1} needs at least {smallest + 1} rows of every class"
    ):
        heldout.fit(cancer, folds=smallest + 1)
    with pytest.raises(ConfigError, match="folds must be an integer of at least 2"):
        heldout.fit(cancer, folds=1)


def test_folds_preprocess_from_their_own_training_rows(cancer):
    run = heldout.fit(cancer, folds=3, epochs=1)
    means = {round(m.features.to_dict()["columns"][0]["mean"], 6) for m in run.models}
    assert len(means) == 3  # each fold's statistics from its own training rows
