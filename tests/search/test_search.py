"""Search and selection: validation only, one final look, goals, resumable studies, typed errors."""

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

import heldout
from heldout.errors import ConfigError
from heldout.rundir.spec import DataSpec
from heldout.search.ensemble import POOL
from heldout.train.population import train_population
from heldout.train.rows import Hooks, Rows
from heldout.workflow import procedures

QUICK = dict(trials=8, population=4, space={"epochs": (10, 30)})


def test_the_same_seed_gives_the_same_study(diabetes):
    split = heldout.split(diabetes, seed=0)
    a = heldout.tune(split, candidates=["linear+mse"], seed=1, **QUICK).leaderboard
    b = heldout.tune(split, candidates=["linear+mse"], seed=1, **QUICK).leaderboard
    pd.testing.assert_frame_equal(a.drop(columns="seconds"), b.drop(columns="seconds"))


def test_the_search_never_sees_test_rows(diabetes):
    """Two tables identical except for the test rows give the same choices and validation values."""
    rows = diabetes.take(np.arange(300))
    test_a = diabetes.take(np.arange(300, 442))
    frame_b = test_a.features.assign(target=test_a.target.to_numpy()[::-1])
    frame_b["bmi"] = frame_b["bmi"].to_numpy()[::-1]
    boards = []
    for test in (test_a, heldout.load(frame_b, target="target")):
        split = heldout.split(rows, test=test, seed=0)
        boards.append(
            heldout.tune(split, candidates=["linear+mse", "mlp+mse"], seed=0, **QUICK).leaderboard
        )
    pd.testing.assert_frame_equal(
        boards[0].drop(columns="seconds"), boards[1].drop(columns="seconds")
    )


def test_a_run_looks_at_the_test_set_exactly_once(tmp_path):
    summary = procedures.run_procedure(DataSpec(dataset="diabetes"), out=tmp_path / "r", **QUICK)
    assert (
        summary["ledger_count"] == 1
        and summary["trials"] == 8
        and set(summary["test"]) >= {"rmse", "r2"}
    )
    assert heldout.Ledger().unsealings(summary["split"]["test_fingerprint"]) == 1
    for name in (
        "leaderboard.csv",
        "study.journal",
        "model.safetensors",
        "history.csv",
        "summary.json",
    ):
        assert (tmp_path / "r" / name).is_file()
    assert json.loads((tmp_path / "r" / "summary.json").read_text())["test"] == summary["test"]


def test_the_goal_stops_the_search_early(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(
        split,
        candidates=["linear+mse"],
        goal="rmse<=90",
        trials=32,
        population=4,
        space={"epochs": (10, 30)},
    )
    assert found.stopped_by == "goal" and len(found.leaderboard) == 4
    assert found.leaderboard["rmse"].min() <= 90


def test_a_resumed_study_continues_where_it_stopped(diabetes, tmp_path):
    split = heldout.split(diabetes, seed=0)
    storage = lambda: JournalStorage(JournalFileBackend(str(tmp_path / "study.journal")))  # noqa: E731
    first = heldout.tune(split, candidates=["linear+mse"], storage=storage(), **QUICK).leaderboard
    more = dict(QUICK, trials=12)
    resumed = heldout.tune(split, candidates=["linear+mse"], storage=storage(), **more).leaderboard
    assert len(resumed) == 12 and set(first["trial"]) < set(resumed["trial"])
    again = resumed.set_index("trial").loc[first["trial"], "rmse"].to_numpy()
    assert np.allclose(again, first["rmse"].to_numpy(), equal_nan=True)


def test_the_selection_metric_not_the_loss_chooses_between_candidates(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(split, candidates=["linear+mse", "linear+mae"], **dict(QUICK, trials=8))
    board = found.leaderboard
    assert set(board["candidate"]) == {"linear+mse", "linear+mae"}
    assert found.best["rmse"] == board["rmse"].min()
    by_mae = heldout.tune(
        split, candidates=["linear+mse", "linear+mae"], metric="mae", **dict(QUICK, trials=8)
    )
    assert by_mae.best["mae"] == by_mae.leaderboard["mae"].min()


def test_pruned_members_stop_and_say_so(diabetes):
    split = heldout.split(diabetes, seed=0)
    run = train_population(
        Rows(split.train, split.validation),
        [dict(optimizer="sgd", lr=0.01, epochs=20)] * 2,
        Hooks(prune=lambda member, epoch, *values: member == 1 and epoch == 3),
    )
    assert run.members[1].status == "pruned" and run.members[1].history["epoch"][-1] == 3
    assert run.members[0].status != "pruned"


def test_refit_trains_on_training_and_validation_rows_for_the_selected_epochs(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(split, candidates=["linear+mse"], **QUICK)
    final = found.refit(split)
    assert final.history["epoch"].iloc[-1] == max(1, round(found.best["best_epoch"]))
    assert final.models[0].manifest["split"]["train"] == len(split.train) + len(split.validation)


def test_bad_searches_are_refused_with_typed_errors(diabetes):
    split = heldout.split(diabetes, seed=0)
    cases = [
        (
            dict(candidates=["linear+log_loss"]),
            "Unknown candidate 'linear+log_loss' for a regression task",
        ),
        (dict(candidates=["tree+mse"]), "Valid candidates"),
        (
            dict(space={"learning_rate": (0.1, 1.0)}),
            "Unknown search parameter 'learning_rate'. Valid names",
        ),
        (dict(space={"lr": (0.1, 0.01)}), "low < high"),
        (dict(space={"batch_size": []}), "choices for 'batch_size' are empty"),
        (dict(goal="accuracy>=0.9"), "does not fit a regression task"),
        (dict(goal="rmse=<5"), "A goal reads METRIC<=VALUE"),
        (dict(trials=0), "trials must be a positive integer"),
        (dict(metric="log_loss"), "selection metric 'log_loss' does not fit a regression task"),
    ]
    for options, message in cases:
        with pytest.raises(ConfigError, match=re.escape(message)):
            heldout.tune(split, **options)


def test_a_batch_of_trials_shares_its_shape_and_pruning_stops_trailing_members(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(
        split,
        candidates=["mlp+mse"],
        trials=16,
        population=8,
        seed=0,
        space={"epochs": 60, "lr": (1e-5, 1e-2, "log"), "optimizer": "adam"},
    )
    board = found.leaderboard.sort_values("trial")
    for first in (0, 8):
        batch = board[(board["trial"] >= first) & (board["trial"] < first + 8)]
        assert batch[["batch_size", "width", "depth", "optimizer"]].drop_duplicates().shape[0] == 1
    assert (board["status"] == "pruned").sum() >= 1
    with pytest.raises(ConfigError, match="Unknown pruner"):
        heldout.tune(split, pruner="sometimes")


def test_searches_and_runs_render_in_notebooks_with_escaped_text(diabetes):
    frame = diabetes.features.rename(columns={"bmi": "<script>alert(1)</script>"}).assign(
        y=diabetes.target
    )
    split = heldout.split(heldout.load(frame, target="y", name='<b>"x"</b>'), seed=0)
    found = heldout.tune(split, candidates=["linear+mse"], **QUICK)
    page = found._repr_html_()
    assert "<table" in page and "linear+mse" in page
    run = heldout.fit(split, lr=[0.01, 0.1], epochs=2)
    page = run._repr_html_()
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in page and '<b>"x"</b>' not in page


def test_searches_and_runs_print_as_tables_in_the_terminal(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(split, candidates=["linear+mse"], **QUICK)
    assert repr(found).startswith(
        f"Search({len(found.leaderboard)} trials, stopped by trials; selected linear+mse"
    )
    text = str(found)
    assert "┃ trial" in text and "linear+mse" in text and "\x1b[" not in text
    assert (
        len(text.splitlines()) == len(found.leaderboard) + 5
    )  # title, rule, header, rule, rows, rule
    run = heldout.fit(split, lr=[0.01, 0.1], epochs=2)
    lines = str(run).splitlines()
    assert lines[0].startswith("Run(2 members, 2 configurations) on diabetes")
    assert any("0.01" in line and "max_epochs" in line for line in lines)


def test_cross_validated_trials_are_pruned_on_their_folds_mean_curve(diabetes):
    split = heldout.split(diabetes, seed=0)
    found = heldout.tune(
        split,
        candidates=["linear+mse"],
        trials=12,
        population=4,
        folds=3,
        pruner="median",
        space={"epochs": 30, "lr": (1e-5, 0.3, "log"), "optimizer": ["momentum"]},
    )
    study = found.studies["linear+mse"]
    reported = [t for t in study.trials if t.intermediate_values]
    assert len(reported) == len(study.trials)  # every trial reported its fold-mean curve
    assert (found.leaderboard["status"] == "pruned").any()
    assert (found.leaderboard["status"] == "complete").any()


class _Crash(Exception):
    pass


class _Epochs:
    """A progress reporter that counts epochs, and crashes the search at epoch ``crash_at``."""

    def __init__(self, crash_at=None):
        self.seen, self.crash_at = 0, crash_at

    def epoch(self, progress):
        self.seen += 1
        if self.seen == self.crash_at:
            raise _Crash()

    def batch(self, state):
        pass


def test_a_search_that_crashed_mid_batch_goes_on_from_its_checkpoint_and_ends_as_if_uninterrupted(
    diabetes, tmp_path
):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from heldout.train.checkpoints import Checkpoints

    split = heldout.split(diabetes, seed=0)
    options = dict(
        candidates=["linear+mse", "mlp+mse"], trials=8, population=4, space={"epochs": 30}
    )
    whole = _Epochs()
    expected = heldout.tune(split, progress=whole, **options).leaderboard

    def storage():
        return JournalStorage(JournalFileBackend(str(tmp_path / "study.journal")))

    store = Checkpoints(tmp_path, interval=0)
    first = _Epochs(crash_at=whole.seen - 10)  # in the second batch
    with pytest.raises(_Crash):
        heldout.tune(split, progress=first, storage=storage(), checkpoints=store, **options)
    assert store.path("batch").is_file()
    second = _Epochs()
    found = heldout.tune(split, progress=second, storage=storage(), checkpoints=store, **options)
    assert (
        second.seen == 11
    )  # the epochs after the last checkpoint (the crash came before its epoch's)
    pd.testing.assert_frame_equal(
        found.leaderboard.drop(columns="seconds"), expected.drop(columns="seconds")
    )
    assert not store.path("batch").exists()
    # the best trials' models were kept beside the checkpoints (the selected one among them, the
    # pool an ensemble is chosen from): a search resumed with every trial told has them
    kept = {p.name for p in tmp_path.glob("trial-*.safetensors")}
    best = found.leaderboard[found.leaderboard["status"] == "complete"]["trial"].head(POOL)
    assert f"trial-{int(found.best['trial'])}.safetensors" in kept
    assert kept <= {f"trial-{int(t)}.safetensors" for t in best}
    again = heldout.tune(split, storage=storage(), checkpoints=store, **options)
    assert again.best["trial"] == found.best["trial"] and again.best_model is not None
    assert again.best_model.fingerprint == found.best_model.fingerprint
    assert all(torch.equal(a, b) for a, b in zip(again.best_model.params, found.best_model.params))
    # calibrated on the validation rows, new to it: the kept bundle gives intervals
    bundled = heldout.load_model(tmp_path / f"trial-{int(found.best['trial'])}.safetensors")
    assert bundled.calibration is not None and not bundled.calibration.info["refit"]
    assert bundled.predict_interval(split.validation.features, 0.9).shape == (
        len(split.validation),
        2,
    )
