"""The procedure's spine: one short function over typed records, summary.json written once and
valid against its shipped schema, search options a frozen value, and the table in memory and the
streamed one behind one protocol."""

import inspect
import json
import subprocess
import sys
import typing

import jsonschema
import pytest

from heldout.errors import ConfigError
from heldout.rundir import summary as summary_format
from heldout.search.options import SearchOptions
from heldout.search.tune import tune
from heldout.workflow import procedures
from heldout.workflow.data import Data
from heldout.workflow.in_memory import InMemory
from heldout.workflow.streamed import Streamed

COUNT_WRITES = """
import os, sys
writes = []
def hook(event, args):
    if event == "open" and str(args[0]).endswith("summary.json") and "w" in str(args[1]):
        writes.append(("open", args[0]))
    elif event == "os.rename" and str(args[1]).endswith("summary.json"):
        writes.append(("rename", args[1]))
sys.addaudithook(hook)
from heldout.rundir.spec import DataSpec
from heldout.workflow.procedures import run_procedure
run_procedure(DataSpec(dataset="diabetes"), out=sys.argv[1], trials=2, population=2,
              candidates=["linear+mse"], draw_descent=False)
print(len(writes))
"""


def test_a_run_writes_summary_json_once_and_it_validates_against_the_schema(tmp_path):
    env = {**__import__("os").environ, "HELDOUT_HOME": str(tmp_path / "ledger")}
    done = subprocess.run(
        [sys.executable, "-c", COUNT_WRITES, str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "1"  # one atomic write of summary.json, no second
    written = json.loads((tmp_path / "r" / "summary.json").read_text())
    jsonschema.validate(written, summary_format.schema())
    assert written["ledger_count"] == 1 and written["candidate"] == "linear+mse"


def test_the_schema_refuses_a_summary_that_lacks_or_garbles_a_field():
    good = {
        "dataset": "d",
        "split": {
            "dataset": "d",
            "seed": 0,
            "strategy": "random",
            "train": 1,
            "validation": 1,
            "test": 1,
            "test_fingerprint": "f",
        },
        "candidate": "linear+mse",
        "hyperparameters": {},
        "selection_metric": "rmse",
        "validation": {"rmse": 1.0},
        "epochs": 3,
        "trials": 2,
        "stopped_by": "trials",
        "pruned": 0,
        "diverged": 0,
        "recovered_trials": {"continued": 0, "failed": 0},
    }
    schema = summary_format.schema()
    jsonschema.validate(good, schema)
    for broken in (
        {k: v for k, v in good.items() if k != "candidate"},
        dict(good, stopped_by="luck"),
        dict(good, epochs=0),
        dict(good, test={}),  # a look without its ledger count
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_the_spine_fits_on_one_screen_and_asks_no_split_type():
    spine = inspect.getsource(procedures._run)
    assert len(spine.splitlines()) <= 30
    source = inspect.getsource(procedures)
    assert "isinstance" not in source and "StreamedSplit" not in source


@pytest.mark.parametrize("implementation", [InMemory, Streamed])
def test_both_tables_implement_the_declared_protocol(implementation):
    declared = {
        name for name, member in vars(Data).items() if not name.startswith("_") and callable(member)
    } | set(typing.get_type_hints(Data))
    assert declared >= {"split", "searched", "final", "look", "fit", "search_rows"}
    assert all(hasattr(implementation, name) for name in declared - {"split", "searched"})
    for name in declared - {"split", "searched"}:
        ours = inspect.signature(getattr(implementation, name))
        theirs = inspect.signature(getattr(Data, name))
        assert list(ours.parameters) == list(theirs.parameters), name


def test_search_options_are_frozen_and_default_as_tune_does():
    options = SearchOptions.of(candidates=["linear+mse"], trials=3)
    with pytest.raises(AttributeError):
        options.trials = 4  # frozen: a change is a new value
    assert options.replace(trials=4).trials == 4 and options.trials == 3
    defaults = inspect.signature(tune).parameters
    for name, value in SearchOptions().for_tune().items():
        assert defaults[name].default == value, name
    with pytest.raises(ConfigError, match=r"Unknown search option\(s\) \['trails'\]"):
        SearchOptions.of(trails=3)
