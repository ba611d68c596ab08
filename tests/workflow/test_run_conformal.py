"""The run's calibration (heldout.conformal.policy): a refit model, trained on its validation
rows too, inherits the scores of the configuration trained on training rows alone; and the
coverage the one look measured is in the summary, the evaluation and the report."""

import dataclasses
import json

import numpy as np
import pytest

import heldout
from heldout.conformal import scores as conformal
from heldout.conformal.policy import calibration
from heldout.rundir.spec import DataSpec
from heldout.train.population import train_population
from heldout.train.rows import Rows
from heldout.workflow.deadline import Deadline
from heldout.workflow.in_memory import InMemory
from heldout.workflow.procedures import run_procedure


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "ledger"))


def test_a_refit_model_is_calibrated_by_the_selected_trial_trained_on_training_rows():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    found = heldout.tune(split, candidates=["linear+mse"], trials=2, population=2)
    refit = found.refit(split).model
    own = np.sort(np.abs(split.validation.target.to_numpy() - refit.predict(split.validation)))
    data = InMemory(split)

    def calibrated(search, deadline):
        return calibration(
            refit,
            split.validation,
            refit=True,
            kept=search.best_model,
            retrain=lambda: data._scorer(search, deadline, None),
        )

    given = calibrated(found, Deadline(None))
    # the search's own model of the selected trial scores the validation rows
    assert given.info["refit"] and np.array_equal(
        given.scores, conformal.calibrate(refit, split.validation, scorer=found.best_model).scores
    )
    assert not np.allclose(
        given.scores, own
    )  # not the refit model's residuals on rows it trained on
    # a search without the trial's model (trained by another worker): the configuration trained
    # alone
    elsewhere = dataclasses.replace(found, best_model=None)
    alone = train_population(Rows.of(split), [found.best_settings]).model
    again = calibrated(elsewhere, Deadline(None))
    assert np.array_equal(
        again.scores, conformal.calibrate(refit, split.validation, scorer=alone).scores
    )
    # trained beside another member or alone, the same configuration agrees up to float32's last
    # digits
    np.testing.assert_allclose(given.scores, again.scores, atol=1e-3)
    late = Deadline(1e-9)
    late.started -= 1.0  # the budget is spent: one trial's training cannot fit
    assert calibrated(elsewhere, late) is None
    assert late.left_out == ["calibration"]


def test_the_coverage_of_the_one_look_is_in_the_summary_the_evaluation_and_the_report_once(
    tmp_path,
):
    summary = run_procedure(
        DataSpec(dataset="diabetes"),
        out=tmp_path / "r",
        trials=2,
        population=2,
        candidates=["linear+mse"],
        draw_descent=False,
    )
    measured = summary["test"]["conformal"]
    assert measured["level"] == 0.9 and measured["rows"] == summary["split"]["test"]
    assert measured["interval_95"][0] < measured["coverage"] < measured["interval_95"][1]
    assert measured["calibration"]["refit"] is True and summary["ledger_count"] == 1
    assert (
        json.loads((tmp_path / "r" / "evaluation.json").read_text())["metrics"]["conformal"]
        == measured
    )
    page = (tmp_path / "r" / "report.html").read_text()
    assert "Conformal intervals on the test rows" in page and f"{measured['coverage']:.4g}" in page
    bundled = heldout.load_model(tmp_path / "r" / "model.safetensors")
    assert bundled.calibration.info == measured["calibration"]
    # run again: the search resumes and keeps no trial's model; the refit model keeps its
    # calibration, so it is the model already looked with, and the look is not repeated
    again = run_procedure(
        DataSpec(dataset="diabetes"),
        out=tmp_path / "r",
        trials=2,
        population=2,
        candidates=["linear+mse"],
        draw_descent=False,
    )
    assert again["ledger_count"] == 1 and again["test"]["conformal"] == measured
    kept = heldout.load_model(tmp_path / "r" / "model.safetensors")
    assert kept.fingerprint == bundled.fingerprint
