"""Options shared by the commands that read data and split it: ``train`` and ``run``."""

from __future__ import annotations

import functools

import click

from ..rundir import DataSpec
from ..split import STRATEGIES


def data_options(fn):
    """DATA or --dataset, --target, --task, --test, --validation, --seed, --strategy, --groups, --time."""
    decorators = [
        click.argument("data", required=False, type=click.Path(dir_okay=False)),
        click.option("--dataset", help="A bundled dataset instead of a file (see `heldout datasets`)."),
        click.option("--target", help="The target column of DATA."),
        click.option("--task", type=click.Choice(["regression", "binary", "multiclass"]),
                     help="Override the inferred task."),
        click.option("--test", "test", default="0.2", show_default=True,
                     help="Share of rows sealed as the test set, or a FILE holding the test set."),
        click.option("--validation", default="0.2", show_default=True,
                     help="Share of the non-test rows used for validation, or a FILE."),
        click.option("--seed", default=0, show_default=True, type=int, help="Seed of the split and the initialisation."),
        click.option("--strategy", type=click.Choice(STRATEGIES),
                     help="How to split (default: stratified for classification, random for regression)."),
        click.option("--groups", help="Column of group ids: each group stays wholly on one side."),
        click.option("--time", "time_col", help="Column of times: the test set is later than training."),
    ]

    @functools.wraps(fn)
    def wrapper(data, dataset, target, task, test, validation, seed, strategy, groups, time_col, **kwargs):
        spec = DataSpec(source=data, dataset=dataset, target=target, task=task, groups=groups, time=time_col,
                        test=_share_or_file(test), validation=_share_or_file(validation), seed=seed,
                        strategy=strategy)
        return fn(spec=spec, **kwargs)

    for decorator in reversed(decorators):
        wrapper = decorator(wrapper)
    return wrapper


def _share_or_file(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value
