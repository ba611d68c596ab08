"""The population state is one value that can be saved mid-training, loaded in a fresh process,
and continued to exactly the numbers of an uninterrupted run (CPU, bit for bit)."""

import subprocess
import sys
import textwrap

import numpy as np
import torch

import heldout
from heldout.train.population import train_population
from heldout.train.rows import Hooks, Rows

SETTINGS = [
    dict(
        model="mlp",
        hidden=(8,),
        optimizer=o,
        lr=lr,
        seed=s,
        epochs=12,
        batch_size=32,
        tol=0,
        patience=4,
        l2=1e-3,
        weight_decay=w,
    )
    for o, lr, w in (("adam", 0.01, 0.0), ("adam", 3.0, 0.0), ("momentum", 0.003, 1e-4))
    for s in (0, 1)
]
SCRIPT = textwrap.dedent("""
    import sys, torch, heldout
    from heldout.train.population import train_population
    from heldout.train.rows import Hooks, Rows
    sys.path.insert(0, {tests!r})
    from train.test_state import SETTINGS, outcome, rows
    train, validation, folds = rows({folds})
    saved = torch.load({saved!r}, weights_only=True)
    run = train_population(Rows(train, validation, 0, folds), SETTINGS, Hooks(resume=saved))
    torch.save(outcome(run), {out!r})
""")


def rows(folds: bool):
    split = heldout.split(heldout.datasets.load("breast_cancer"), seed=0)
    if not folds:
        return split.train, split.validation, None
    pool = split.train.append(split.validation)
    return pool, None, heldout.seal.folds.assign(pool, 3, split.strategy, split.seed)


def outcome(run) -> dict:
    return {
        "params": [[p.clone() for p in m.params] for m in run.members],
        "history": [m.history for m in run.members],
        "status": [m.status for m in run.members],
        "best_epoch": [m.best_epoch for m in run.members],
    }


def _resumed_in_a_fresh_process_equals_uninterrupted(tmp_path, folds: bool, stop_after: int):
    train, validation, parts = rows(folds)
    saved, states = {}, {}

    def checkpoint(key, state):
        if state.epoch == stop_after:
            saved[key] = state.to_bytes()
            states[key] = state

    whole = train_population(
        Rows(train, validation, 0, parts), SETTINGS, Hooks(checkpoint=checkpoint)
    )
    assert len(saved) == 2 and any(
        0 < len(s.alive) < len(s.members) for s in states.values()
    )  # some had left
    torch.save(saved, tmp_path / "state.pt")
    script = SCRIPT.format(
        tests=str(__import__("pathlib").Path(__file__).parents[1]),
        folds=folds,
        saved=str(tmp_path / "state.pt"),
        out=str(tmp_path / "resumed.pt"),
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    resumed, expected = torch.load(tmp_path / "resumed.pt", weights_only=True), outcome(whole)
    assert (
        resumed["status"] == expected["status"] and resumed["best_epoch"] == expected["best_epoch"]
    )
    assert resumed["history"] == expected["history"]
    for a, b in zip(resumed["params"], expected["params"]):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    return expected


def test_a_population_saved_mid_training_and_resumed_in_a_fresh_process_ends_bit_identical(
    tmp_path,
):
    expected = _resumed_in_a_fresh_process_equals_uninterrupted(tmp_path, folds=False, stop_after=5)
    assert (
        "early_stopped" in expected["status"]
        and max(len(h["epoch"]) for h in expected["history"]) > 6
    )


def test_cross_validated_populations_resume_bit_identical_too(tmp_path):
    _resumed_in_a_fresh_process_equals_uninterrupted(tmp_path, folds=True, stop_after=4)


def test_take_keeps_the_rows_of_the_members_that_go_on():
    train, validation, _ = rows(False)
    states = []
    train_population(
        Rows(train, validation), SETTINGS[:3], Hooks(checkpoint=lambda key, s: states.append(s))
    )
    first = states[0]
    kept = first.take([0, 2])
    assert kept.alive == [first.alive[0], first.alive[2]]
    assert torch.equal(kept.params[0][1], first.params[0][2]) and torch.equal(
        kept.best_val, first.best_val[[0, 2]]
    )
    assert np.array_equal(kept.steps.numpy(), first.steps[[0, 2]].numpy())
