"""`heldout run` compares a selected non-linear candidate with the best linear one, trained the same
way, in the same look at the test set."""

import dataclasses

import pytest

import heldout
from heldout.workflow.deadline import Deadline
from heldout.workflow.in_memory import InMemory
from heldout.workflow.records import Selection


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "ledger"))


def test_a_selected_mlp_is_compared_with_the_best_linear_candidate():
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    found = heldout.tune(
        split,
        candidates=["linear+cross_entropy", "mlp+cross_entropy"],
        trials=4,
        population=2,
        seed=0,
    )
    linear, mlp = found.best_of("linear"), found.best_of("mlp")
    assert linear["candidate"] == "linear+cross_entropy" and mlp["candidate"] == "mlp+cross_entropy"
    board = found.leaderboard[found.leaderboard["candidate"] == "linear+cross_entropy"]
    assert len(board) == 2 and linear[found.metric] == board[found.metric].min()
    # whichever the search selected, make the selected one the mlp
    as_mlp = dataclasses.replace(found, best=mlp, best_settings=found.settings(mlp["trial"]))
    # a linear final model has no "best linear" baseline: the look would compare it with itself
    as_linear = dataclasses.replace(
        found, best=linear, best_settings=found.settings(linear["trial"]), pool={}
    )
    final = InMemory(split).final(
        Selection.of(as_linear, "wine", split, None),
        refit=False,
        deadline=Deadline(None),
        checkpoints=None,
    )
    assert final.model.config["model"] == "linear" and final.baselines() == {}
    for refit in (True, False):
        baselines = InMemory(split)._best_linear(as_mlp, refit=refit, checkpoints=None)
        model = baselines["best linear"]
        assert model.config["model"] == "linear" and model.config["lr"] == pytest.approx(
            linear["lr"]
        )
        # trained as the selected one is refit: the trial's own epochs on training + validation
        if refit:
            assert model.config["epochs"] == max(1, round(linear["best_epoch"]))
    final = as_mlp.refit(split)
    assert final.model.config["model"] == "mlp"
    result = heldout.evaluate(final.model, split, baselines=baselines)
    assert set(result.metrics["versus"]) == {"baseline", "best linear"}
    assert result.metrics["versus"]["best linear"]["log_loss"]["interval_95"] is not None
