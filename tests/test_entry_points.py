"""Every public entry point refuses each value its declarations refuse, before any work, with an
error that names the argument. The cases are generated from the declarations
(:func:`heldout._util.declared.checked` keeps them on each function), so an argument is covered
the day its constraint is declared."""

import pytest

import heldout
from heldout.conformal.scores import COVERAGE_LEVEL, check_level
from heldout.errors import ConfigError
from heldout.rundir.spec import DataSpec
from heldout.workflow import procedures
from heldout.workflow.deadline import TIME_BUDGET, Deadline
from heldout.workflow.workers import WORKERS, check


@pytest.fixture(scope="module")
def split():
    return heldout.split(heldout.datasets.load("diabetes"), seed=0)


def _cases(function):
    return [
        pytest.param(function, name, value, id=f"{function.__name__}-{name}-{value!r}")
        for name, constraint in function.__constraints__.items()
        for value in constraint.invalid_values()
    ]


ENTRY_POINTS = [heldout.split, heldout.tune, procedures.run_procedure, procedures.tune_procedure]


@pytest.mark.parametrize(
    "function, name, value", [case for f in ENTRY_POINTS for case in _cases(f)]
)
def test_each_entry_point_refuses_what_its_declarations_refuse(
    function, name, value, split, tmp_path
):
    first = {
        heldout.split: split.train,
        heldout.tune: split,
    }.get(function, DataSpec(dataset="diabetes"))
    out = {"out": tmp_path / "r"} if function in procedures_entry_points() else {}
    with pytest.raises(ConfigError, match=name):
        function(first, **{name: value}, **out)
    assert not (tmp_path / "r").exists()  # refused before any work


def procedures_entry_points():
    return (procedures.run_procedure, procedures.tune_procedure)


def test_every_entry_point_declares_what_it_checks():
    assert set(heldout.split.__constraints__) == {"seed"}
    assert {"trials", "population", "timeout", "folds", "max_steps", "seed", "pruner"} <= set(
        heldout.tune.__constraints__
    )
    assert {"time_budget", "workers", "trials"} <= set(procedures.run_procedure.__constraints__)


@pytest.mark.parametrize(
    "refuse, constraint",
    [
        (Deadline, TIME_BUDGET),
        (lambda v: check(v, "postgresql://x"), WORKERS),
        (check_level, COVERAGE_LEVEL),
    ],
)
def test_budgets_worker_counts_and_levels_refuse_their_declared_invalid_values(refuse, constraint):
    for value in constraint.invalid_values():
        with pytest.raises(ConfigError, match=f"got {value!r}"):
            refuse(value)


def test_the_declared_values_pass():
    Deadline(60)
    check(2, "postgresql://x")
    assert check_level(0.9) == 0.9
