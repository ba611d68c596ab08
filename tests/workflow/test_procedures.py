"""The ledger follows the run: a run directory records the ledger its test set was sealed in, and
every later step on it counts there, whatever the working directory or HELDOUT_HOME says then."""

import json
import os
from pathlib import Path

import pytest

import heldout
from heldout import LedgerError
from heldout.rundir.artifacts import Artifacts
from heldout.rundir.spec import DataSpec
from heldout.workflow import procedures
from heldout.workflow.evaluation import evaluate_run
from heldout.workflow.steps import save_run


def _trained(tmp_path) -> Path:
    spec = DataSpec(dataset="iris")
    the_split = spec.split()
    save_run(tmp_path / "r", spec, heldout.fit(the_split, epochs=2), ledger=the_split.test.ledger)
    return tmp_path / "r"


def test_the_run_directory_records_the_ledger_and_the_look_is_counted_there(tmp_path, monkeypatch):
    run_dir = _trained(tmp_path)
    sealed_in = os.environ["HELDOUT_HOME"]
    assert json.loads((run_dir / "config.json").read_text())["ledger"] == sealed_in
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "another"))  # what the environment says later
    first = evaluate_run(run_dir)
    assert (first.unsealings, first.models, first.ledger) == (1, 1, sealed_in)
    with pytest.warns(heldout.HeldoutWarning, match="evaluated 2 times, by 1 model"):
        assert evaluate_run(run_dir).unsealings == 2
    assert not (tmp_path / "another").exists()
    assert json.loads((run_dir / "evaluation.json").read_text())["ledger"] == sealed_in
    assert heldout.Ledger(sealed_in).looks(first.test_fingerprint) == (2, 1)


def test_a_recorded_ledger_that_is_gone_is_an_error_not_a_fresh_count(tmp_path):
    run_dir = _trained(tmp_path)
    ledger = heldout.Ledger()
    ledger.path.rename(tmp_path / "moved.sqlite")
    with pytest.raises(
        LedgerError, match=r"no ledger there now.*Restore that folder.*\"ledger\" in .*config.json"
    ):
        evaluate_run(run_dir)
    assert not ledger.path.exists()


def test_a_folder_from_before_the_ledger_was_recorded_uses_the_default_ledger(tmp_path):
    run_dir = _trained(tmp_path)
    config = json.loads((run_dir / "config.json").read_text())
    del config["ledger"]
    (run_dir / "config.json").write_text(json.dumps(config))
    assert Artifacts.open(run_dir).config().ledger is None
    assert evaluate_run(run_dir).ledger == os.environ["HELDOUT_HOME"]


def test_a_resumed_search_keeps_the_ledger_it_was_sealed_in(tmp_path, monkeypatch):
    options = dict(trials=2, population=2, candidates=["linear+mse"], draw_descent=False)
    out, first, _ = procedures.tune_procedure(
        DataSpec(dataset="diabetes"), tmp_path / "t", **options
    )
    sealed_in = os.environ["HELDOUT_HOME"]
    assert Artifacts.open(out).config().ledger == sealed_in
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "another"))
    _, again, _ = procedures.tune_procedure(
        DataSpec(dataset="diabetes"), tmp_path / "t", **dict(options, trials=4)
    )
    assert str(again.test.ledger.folder) == sealed_in and again.test.seal == first.test.seal
    assert not (tmp_path / "another").exists()


def test_a_time_budget_bounds_the_run_and_says_what_it_left_out(tmp_path):
    from heldout.workflow.procedures import run_procedure

    spec = DataSpec(dataset="diabetes")
    tight = run_procedure(spec, out=tmp_path / "tight", trials=24, population=4, time_budget=1e-3)
    assert (
        tight["trials"] == 4 and tight["stopped_by"] == "timeout"
    )  # one batch of trials, at least
    assert tight["time_budget"]["left_out"][:2] == ["descent", "refit"]
    assert tight["refit"] is False and "rmse" in tight["test"]  # the one look happened
    assert (tmp_path / "tight" / "model.safetensors").is_file() and (
        tmp_path / "tight" / "report.html"
    ).is_file()
    assert not (tmp_path / "tight" / "descent.json").exists()
    roomy = run_procedure(spec, out=tmp_path / "roomy", trials=4, population=4, time_budget=3600)
    assert roomy["time_budget"]["left_out"] == [] and roomy["refit"] is True
    with pytest.raises(heldout.ConfigError, match="time_budget must be a positive number"):
        run_procedure(spec, out=tmp_path / "bad", time_budget=0)
