"""`heldout run` with an ensemble of the search's best trials: chosen on validation rows only,
the final model one bundle, one look."""

import json

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout.ledger.ledger import Ledger
from heldout.rundir.spec import DataSpec
from heldout.search import kept
from heldout.search.ensemble import POOL, metric_score, select
from heldout.train.checkpoints import Checkpoints
from heldout.workflow.procedures import run_procedure


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same run with and without an ensemble, both sealed in one ledger."""
    home = tmp_path_factory.mktemp("home")
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELDOUT_LEDGER", str(home))
        for ensemble in (True, False):
            folder = tmp_path_factory.mktemp("run") / "r"
            spec = DataSpec(dataset="diabetes")
            summary = run_procedure(spec, folder, trials=24, ensemble=ensemble, draw_descent=False)
            out[ensemble] = (folder, summary)
    return out, home


def test_the_run_looks_with_the_ensemble_chosen_on_validation(runs):
    (folder, summary), _ = runs[0][True], runs[1]
    chosen = summary["ensemble"]
    weights = [m["weight"] for m in chosen["members"]]
    assert len(weights) >= 2 and sum(weights) == pytest.approx(1.0)
    assert chosen["validation"] < chosen["single"]  # rmse: lower is better
    model = heldout.load_model(folder / "model.safetensors")
    assert model.config["model"] == "ensemble" and model.config["weights"] == weights
    assert model.calibration is not None  # intervals, scored by members new to the validation
    assert json.loads((folder / "summary.json").read_text())["ensemble"] == chosen
    # the report shows the members and their weights
    page = (folder / "report.html").read_text()
    assert "<h2>Ensemble</h2>" in page and "weights chosen on the validation rows" in page.lower()
    # whether the ensemble's machinery pays: the best linear trial, compared in the same look
    if not all(m["candidate"].startswith("linear+") for m in chosen["members"]):
        assert "best linear" in summary["test"]["versus"]


def test_the_weights_are_what_the_validation_rows_give_from_the_kept_trials(runs):
    """Recomputed from the best trials' kept models and the validation rows alone, the weights are
    the run's: nothing else (the test rows least of all) chose them."""
    folder, summary = runs[0][True]
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0, ledger=runs[1])
    checkpoints = Checkpoints(folder)
    ranked = pd.read_csv(folder / "leaderboard.csv")["trial"].tolist()  # best first
    pool = {t: kept.model(checkpoints, t) for t in ranked if kept.model(checkpoints, t)}
    assert 2 <= len(pool) <= POOL
    rows, first = split.validation, next(iter(pool.values()))
    y = first.task.encode(rows.target, first.classes).numpy()
    score = metric_score(first.task, "rmse", 1.0, y, None)
    again = select({t: m.predictions(rows) for t, m in pool.items()}, score)
    assert again.weights == {m["trial"]: m["weight"] for m in summary["ensemble"]["members"]}


def test_without_ensemble_the_selected_trial_alone_and_one_look_each(runs):
    (_, alone), home = runs[0][False], runs[1]
    assert "ensemble" not in alone
    model = heldout.load_model(alone["run_dir"] + "/model.safetensors")
    assert model.config["model"] == alone["candidate"].split("+")[0]
    assert alone["ledger_count"] == 2  # the same test set: the ensemble's look, then this one
    looks = [e for e in Ledger(home).entries() if e["kind"] == "unseal"]
    assert len(looks) == 2 and len({e["payload"]["model"] for e in looks}) == 2


def test_the_cli_says_which_trials_it_combined(tmp_path):
    from click.testing import CliRunner

    from heldout.cli import cli

    args = ["run", "--dataset", "diabetes", "--trials", "24", "--no-descent"]
    done = CliRunner().invoke(
        cli, [*args, "--out", str(tmp_path / "r"), "--ledger", str(tmp_path / "home")]
    )
    assert done.exit_code == 0, done.output
    assert "Combined" in done.output and "weights chosen on validation rows" in done.output
    done = CliRunner().invoke(
        cli,
        [*args, "--no-ensemble", "--out", str(tmp_path / "s"), "--ledger", str(tmp_path / "h")],
    )
    assert done.exit_code == 0, done.output
    assert "Combined" not in done.output
    assert np.isfinite(json.loads((tmp_path / "s" / "summary.json").read_text())["epochs"])
