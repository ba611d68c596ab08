"""The pruning hooks of a batch: fold means, the median rule, synchronous successive halving."""

import pytest

import heldout
from heldout.search.pruning import Halving, Median, rungs


class Trial:
    """What a hook needs of an Optuna trial."""

    def __init__(self):
        self.values, self.prune = {}, False

    def report(self, value, step):
        self.values[step] = value

    def should_prune(self):
        return self.prune


def test_the_fold_mean_is_reported_once_every_fold_has_reported():
    trials = [Trial(), Trial()]
    hook = Median(trials, folds=2, epochs=30).report
    assert hook(0, 1, 1.0, 0.0) is False and trials[0].values == {}  # one fold of trial 0 so far
    assert hook(1, 1, 3.0, 0.0) is False and trials[0].values == {1: 2.0}
    trials[1].prune = True
    assert (
        hook(2, 1, 5.0, 0.0) is False and hook(3, 1, 7.0, 0.0) is True
    )  # trial 1's mean 6.0, pruned
    assert (
        trials[1].values == {1: 6.0} and hook(2, 2, 5.0, 0.0) is True
    )  # its other fold stops next


def test_rungs_divide_the_epochs_by_three_and_stop_below_five():
    assert rungs(150) == [6, 17, 50]
    assert rungs(45) == [5, 15]
    assert rungs(14) == []


def test_halving_keeps_the_best_third_at_each_rung_once_every_trial_has_reported_it():
    trials = [Trial() for _ in range(8)]
    hook = Halving(trials, folds=None, epochs=45).report  # rungs at 5 and 15
    for epoch in range(1, 6):
        for k in range(8):
            assert hook(k, epoch, float(8 - k) + (10 if epoch < 5 else 0), 0.0) is False
    assert trials[0].values == {5: 8.0} and trials[7].values == {
        5: 1.0
    }  # reported at the rung only
    # at epoch 6 the rung is complete: ceil(8 / 3) = 3 trials go on, the three lowest losses
    survivors = [k for k in range(8) if not hook(k, 6, 1.0, 0.0)]
    assert survivors == [5, 6, 7]
    for epoch in range(7, 16):
        for k in survivors:
            hook(k, epoch, {5: 0.3, 6: 0.1, 7: 0.2}[k], 0.0)
    assert [k for k in survivors if not hook(k, 16, 0.0, 0.0)] == [6]  # ceil(3 / 3) = 1


def test_halving_counts_a_trial_once_all_its_folds_have_reported_and_stops_every_fold():
    trials = [Trial() for _ in range(3)]
    hook = Halving(trials, folds=2, epochs=15).report  # one rung, at epoch 5
    for epoch in range(1, 6):
        for member in range(6):
            hook(member, epoch, [1.0, 3.0, 2.0][member // 2] + member % 2, 0.0)
    assert [t.values for t in trials] == [{5: 1.5}, {5: 3.5}, {5: 2.5}]
    assert [hook(member, 6, 1.0, 0.0) for member in range(6)] == [
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_halving_prunes_in_a_real_search_and_reports_at_the_rungs(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(
        split,
        candidates=["linear+mse"],
        trials=8,
        population=8,
        space={"epochs": 45, "lr": (1e-5, 0.3, "log"), "optimizer": ["momentum"]},
    )
    board = found.leaderboard
    assert (
        board["status"] == "pruned"
    ).sum() >= 5  # 8 -> 3 -> 1 at epochs 5 and 15, unless some stop early
    steps = {step for t in found.studies["linear+mse"].trials for step in t.intermediate_values}
    assert steps <= {5, 15}


@pytest.mark.parametrize("pruner", ["halving", "median", None])
def test_every_pruner_gives_a_complete_search(diabetes, pruner):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(
        split,
        candidates=["linear+mse"],
        trials=4,
        population=4,
        pruner=pruner,
        space={"epochs": 20},
    )
    assert (found.leaderboard["status"] == "complete").any()
