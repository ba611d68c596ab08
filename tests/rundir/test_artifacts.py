"""The run directory as a declared format: typed, versioned, and clear about folders it cannot
read."""

import json

import pytest

import heldout
from heldout import DataError
from heldout.rundir.artifacts import FORMAT, Artifacts, RunConfig
from heldout.rundir.spec import DataSpec
from heldout.workflow.steps import save_run


def test_a_trained_run_directory_reads_back_typed(tmp_path):
    spec = DataSpec(dataset="iris")
    run = heldout.fit(spec.split(), epochs=3)
    artifacts = save_run(tmp_path / "r", spec, run)
    raw = json.loads((tmp_path / "r" / "config.json").read_text())
    assert raw["format"] == FORMAT
    config = Artifacts.open(tmp_path / "r").config()
    assert isinstance(config, RunConfig) and isinstance(config.data, DataSpec)
    assert (
        config.data.dataset == "iris" and config.status == run.status and not config.is_population
    )
    assert config.split["test_fingerprint"] == run.split["test_fingerprint"]
    assert list(artifacts.history()["member"].unique()) == [0]
    assert heldout.load_model(artifacts.model_path).fingerprint == run.model.fingerprint


def test_a_population_directory_says_so(tmp_path):
    spec = DataSpec(dataset="iris")
    run = heldout.fit(spec.split(), lr=[0.01, 0.1], epochs=2)
    artifacts = save_run(tmp_path / "p", spec, run)
    config = artifacts.config()
    assert config.is_population and config.members == 2 and config.axes == ["lr"]
    assert len(artifacts.members()) == 2 and set(artifacts.history()["member"]) == {0, 1}


@pytest.mark.parametrize(
    "config, expected",
    [
        (None, "is not a heldout run directory (no config.json)"),
        ("{not json", "has an unreadable config.json"),
        (
            json.dumps({"data": {}, "split": {}}),
            "of format None, and this heldout reads 'heldout-run/1'",
        ),
        (
            json.dumps({"format": "heldout-run/0", "data": {}, "split": {}}),
            "of format 'heldout-run/0'",
        ),
    ],
)
def test_an_old_or_foreign_folder_gets_a_clear_error(tmp_path, config, expected):
    (tmp_path / "d").mkdir()
    if config is not None:
        (tmp_path / "d" / "config.json").write_text(config)
    with pytest.raises(DataError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        Artifacts.open(tmp_path / "d")
    from heldout.cli import main

    with pytest.raises(SystemExit) as exit_code:
        main(["report", str(tmp_path / "d")])
    assert exit_code.value.code == 2
