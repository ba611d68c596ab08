"""The help and `heldout datasets` answer at once: they import none of the heavy libraries (the
wall times are measured by hand and quoted in the README, not asserted here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from heldout.cli import COMMANDS, _options

HEAVY = ("torch", "sklearn", "optuna", "matplotlib", "pandas", "mlflow")

# Command lines run one after another in one fresh process; after each, the heavy libraries imported
# so far.
_PROBE = """
import json, sys
from heldout.cli import main
imported = []
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
    except SystemExit as exc:
        assert not exc.code, (argv, exc.code)
    heavy = set(json.loads(sys.argv[2]))
    imported.append([argv, sorted({m.split(".")[0] for m in sys.modules} & heavy)])
print(json.dumps(imported), file=sys.stderr)
"""


def _imported(*argvs: list[str]) -> dict[str, list[str]]:
    """The heavy libraries each command line imported, run one after another in one process."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argvs), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {" ".join(argv): modules for argv, modules in json.loads(done.stderr.splitlines()[-1])}


def test_help_version_and_datasets_import_no_heavy_library():
    argvs = [["--help"], ["--version"], ["datasets"], ["datasets", "--json"]]
    argvs += [[name, "--help"] for name in COMMANDS]
    assert _imported(*argvs) == {" ".join(argv): [] for argv in argvs}


def test_train_help_lists_the_registries_names_without_importing_them():
    """`heldout train --help` lists the built-in families, losses, optimisers... from a torch-free
    list, which is the registries' own; a registered name is still accepted when checked."""
    from heldout.train.config import BUILT_IN_NAMES, _registries

    assert {kind: tuple(names) for kind, names in _registries().items()} == BUILT_IN_NAMES
    shown = subprocess.run(
        [sys.executable, "-m", "heldout", "train", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    assert "[gd|sgd|momentum|nesterov|adam|adamw]" in shown and "[linear|gbdt|mlp]" in shown


def test_the_help_lists_every_command_module():
    modules = {
        p.stem for p in (Path(_options.__file__).parent).glob("*.py") if not p.stem.startswith("_")
    }
    assert set(COMMANDS) == modules
    listed = subprocess.run(
        [sys.executable, "-m", "heldout", "--help"], capture_output=True, text=True
    ).stdout
    assert all(f"  {name}  " in listed for name in COMMANDS)


def test_the_choices_the_help_shows_are_the_librarys():
    from heldout.data.kinds import KINDS
    from heldout.seal.split import STRATEGIES
    from heldout.search.tune import DEFAULT_TRIALS
    from heldout.task import TASKS

    assert (_options.TASKS, _options.STRATEGIES, _options.DEFAULT_TRIALS) == (
        tuple(TASKS),
        STRATEGIES,
        DEFAULT_TRIALS,
    )
    assert _options.KINDS == KINDS


_EXIT_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > 0, file=sys.stderr))
from heldout.cli import main
for _ in range(2):
    try:
        main(["datasets"])
    except SystemExit as exc:
        assert not exc.code, exc.code
print("frozen before exit:", gc.get_freeze_count() > 0, file=sys.stderr)
"""


def test_the_command_leaves_the_final_collection_to_the_process_end_and_runs_other_exit_hooks():
    """At exit the command freezes the objects of the libraries it imported (the interpreter's last
    collections would walk them all), once however often main ran; handlers registered before it
    still run, after it."""
    done = subprocess.run(
        [sys.executable, "-c", _EXIT_PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.splitlines()[-2:] == ["frozen before exit: False", "frozen at exit: True"]
