"""Options shared by several commands: the data and its split (``check``, ``train``, ``tune``,
``run``) and the search (``tune``, ``run``)."""

from __future__ import annotations

import functools
import os

import click

# What the options' help shows, written here so that `--help` imports neither torch (the tasks),
# scikit-learn (the split) nor Optuna (the search); tests/cli/test_help.py holds them equal to
# heldout.task.TASKS, heldout.seal.split.STRATEGIES and heldout.search.tune.DEFAULT_TRIALS.
TASKS = ("regression", "binary", "multiclass")
STRATEGIES = ("random", "stratified", "group", "time", "hashed")
KINDS = ("numeric", "categorical", "datetime", "text")  # heldout.data.kinds.KINDS
DEFAULT_TRIALS = 24


def data_options(fn):
    """DATA or --dataset, --target, --task, --test, --validation, --seed, --strategy, --groups,
    --time, --column-kind, --weights, --class-weight, --stream, --ledger."""
    decorators = [
        click.argument("data", required=False, type=click.Path()),
        click.option(
            "--dataset", help="A bundled dataset instead of a file (see `heldout datasets`)."
        ),
        click.option(
            "--target",
            multiple=True,
            metavar="COLUMN",
            help="The target column of DATA. Several (one multi-output regression): repeat the "
            "option or separate the columns with commas (a column whose name holds a comma is "
            "still one target).",
        ),
        click.option("--task", type=click.Choice(list(TASKS)), help="Override the inferred task."),
        click.option(
            "--test",
            "test",
            default="0.2",
            show_default=True,
            help="Share of rows sealed as the test set, or a FILE holding the test set.",
        ),
        click.option(
            "--validation",
            default="0.2",
            show_default=True,
            help="Share of the non-test rows used for validation, or a FILE.",
        ),
        click.option(
            "--seed",
            default=0,
            show_default=True,
            type=int,
            help="Seed of the split and the initialisation.",
        ),
        click.option(
            "--strategy",
            type=click.Choice(STRATEGIES),
            help="How to split (default: stratified for classification, random for regression).",
        ),
        click.option("--groups", help="Column of group ids: each group stays wholly on one side."),
        click.option(
            "--time", "time_col", help="Column of times: the test set is later than training."
        ),
        click.option(
            "--column-kind",
            "column_kind",
            multiple=True,
            metavar="NAME=KIND",
            help=f"Read column NAME as KIND ({', '.join(KINDS)}) instead of from its values; "
            "repeat the option or separate pairs with commas.",
        ),
        click.option(
            "--weights",
            metavar="COLUMN",
            help="Column of row weights (numbers >= 0): a row of weight 2 "
            "counts as two in training, validation and the test metrics. Not a feature.",
        ),
        click.option(
            "--class-weight",
            "class_weight",
            metavar="balanced|LABEL=W,...",
            help="Class weights (classification): 'balanced' (learned from the training rows, "
            "every class weighing the same) or LABEL=WEIGHT pairs such as yes=3,no=1 (other "
            "classes 1).",
        ),
        click.option(
            "--stream",
            is_flag=True,
            help="Read DATA (a Parquet file, folder or glob) batch by batch, "
            "never whole: for tables larger than memory. The split is then 'hashed' (each row's "
            "part from its fingerprint and the seed).",
        ),
        click.option(
            "--ledger",
            help="The ledger the test set is sealed and counted in: a folder, or a "
            "postgresql:// URL shared by a team (default: $HELDOUT_LEDGER, else $HELDOUT_HOME, "
            "else .heldout in the git work tree).",
        ),
    ]

    @functools.wraps(fn)
    def wrapper(
        data,
        dataset,
        target,
        task,
        test,
        validation,
        seed,
        strategy,
        groups,
        time_col,
        column_kind,
        weights,
        class_weight,
        stream,
        ledger,
        **kwargs,
    ):
        from ..rundir.spec import DataSpec

        if data and not stream:
            from ..stream.source import streaming_reason

            reason = streaming_reason(data)
            if reason:  # said, not silent: the split is then the hashed one
                from ._output import err_console

                err_console.print(
                    f"Streaming: {reason} (as with --stream; the split is 'hashed').", markup=False
                )
                stream = True
        if ledger:  # for this process and the workers it starts, as if the shell had set it
            os.environ["HELDOUT_LEDGER"] = ledger
        spec = DataSpec(
            source=data,
            dataset=dataset,
            target=targets(target),
            task=task,
            groups=groups,
            time=time_col,
            test=_share_or_file(test),
            validation=_share_or_file(validation),
            seed=seed,
            strategy=strategy,
            column_kinds=column_kinds(column_kind),
            weights=weights,
            class_weight=class_weights(class_weight),
            stream=stream,
        )
        return fn(spec=spec, **kwargs)

    for decorator in reversed(decorators):
        wrapper = decorator(wrapper)
    return wrapper


def targets(values: tuple[str, ...]) -> str | list[str] | None:
    """``--target`` values: one column's name, or the list of several (repeated options). A value
    with commas stays as given here: :func:`heldout.data.targets.names` reads it against the table's
    columns, where a column of that very name is one target and otherwise the pieces are several."""
    if not values:
        return None
    return values[0] if len(values) == 1 else list(values)


def column_kinds(values: tuple[str, ...]) -> dict[str, str] | None:
    """``--column-kind`` values (``NAME=KIND``, repeated or comma-separated) as ``{name: kind}``. A
    value whose comma-separated pieces do not each hold ``=`` is one pair: a name with a comma."""
    pairs = []
    for value in values:
        pieces = value.split(",")
        pairs += pieces if all("=" in p for p in pieces) else [value]
    out = {}
    for pair in pairs:
        name, _, kind = pair.rpartition("=")
        if not name or kind not in KINDS:
            raise click.BadParameter(
                f"{pair!r} is not NAME=KIND with KIND one of {', '.join(KINDS)}. Try "
                "--column-kind zip_code=categorical.",
                param_hint="--column-kind",
            )
        out[name.strip()] = kind
    return out or None


def class_weights(value: str | None) -> str | dict[str, float] | None:
    """``--class-weight``: ``balanced``, or ``LABEL=WEIGHT`` pairs separated by commas, as
    ``{label: weight}`` (labels as text; heldout matches them to the target's labels)."""
    if value is None or value.strip() == "balanced":
        return None if value is None else "balanced"
    out = {}
    for pair in value.split(","):
        label, _, weight = pair.rpartition("=")
        try:
            number = float(weight)
        except ValueError:
            number = None
        if not label.strip() or number is None:
            raise click.BadParameter(
                f"{pair!r} is not LABEL=WEIGHT. Give 'balanced' or pairs such as "
                "--class-weight yes=3,no=1.",
                param_hint="--class-weight",
            )
        out[label.strip()] = number
    return out


def _share_or_file(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def search_options(fn):
    for decorator in reversed(
        [
            click.option(
                "--trials",
                default=DEFAULT_TRIALS,
                show_default=True,
                type=int,
                help="Trials in all (a resumed study counts the ones it has).",
            ),
            click.option(
                "--candidates",
                help="Comma-separated family+loss, e.g. linear+mse,mlp+mse (default: the "
                "task's candidates).",
            ),
            click.option(
                "--goal",
                help="Stop once a trial reaches this on validation, e.g. 'rmse<=55' or "
                "'accuracy>=0.97'.",
            ),
            click.option(
                "--timeout", type=float, help="Seconds of searching before the search stops."
            ),
            click.option(
                "--folds", type=int, help="Cross-validate every trial over this many folds."
            ),
            click.option(
                "--metric",
                help="Selection metric (default: rmse for regression, log_loss otherwise).",
            ),
            click.option(
                "--population",
                default=8,
                show_default=True,
                type=int,
                help="Trials trained together.",
            ),
            click.option(
                "--max-steps",
                "max_steps",
                default="auto",
                show_default=True,
                help="Optimizer steps a trial takes at most: 'auto' (3,000; on tables beyond "
                "16,000 training rows 3,000 per 16,000 rows, up to 24,000), a number, or 'none' "
                "(the epochs as drawn).",
            ),
            click.option(
                "--pruner",
                type=click.Choice(["halving", "median", "none"]),
                default="halving",
                show_default=True,
                help="How trailing trials stop: successive halving over each batch's "
                "epochs, Optuna's median rule, or not at all.",
            ),
            click.option(
                "--storage",
                help="A database the study is kept in, shared by every process and host that "
                "names it, e.g. postgresql://USER@HOST/DB (default: a journal file in the run "
                "directory).",
            ),
            click.option(
                "--study",
                "study_name",
                default="heldout",
                show_default=True,
                help="The study's name in --storage: processes giving the same name join one "
                "search.",
            ),
            click.option(
                "--workers",
                type=int,
                help="Search in this many local processes (this one and N-1 more) "
                "on the --storage study.",
            ),
            click.option(
                "--out",
                type=click.Path(file_okay=False),
                help="Run directory (default: runs/NAME-TIME); an existing one resumes its study.",
            ),
            click.option(
                "--fresh",
                is_flag=True,
                help="Start the --out directory anew: remove what heldout wrote there "
                "(its study, checkpoints, results) instead of going on with it.",
            ),
            click.option(
                "--json", "as_json", is_flag=True, help="Print the summary as one JSON object."
            ),
            click.option("--quiet", is_flag=True, help="No progress output."),
            click.option(
                "--mlflow",
                "mlflow_uri",
                help="Also log the run directory to this MLflow tracking URI.",
            ),
            click.option(
                "--verbose",
                is_flag=True,
                help="Off a terminal, a line per epoch as well as per batch.",
            ),
            click.option(
                "--no-descent",
                "no_descent",
                is_flag=True,
                help="Leave the descent picture out of the report "
                "(it trains the selected settings again at four learning rates).",
            ),
        ]
    ):
        fn = decorator(fn)
    return fn


def tune_options(
    candidates,
    goal,
    timeout,
    folds,
    metric,
    population,
    quiet,
    verbose,
    max_steps="auto",
    pruner="halving",
    storage=None,
    study_name="heldout",
    workers=None,
) -> dict:
    from ..report import progress

    return {
        "candidates": candidates.split(",") if candidates else None,
        "goal": goal,
        "timeout": timeout,
        "folds": folds,
        "metric": metric,
        "population": population,
        "max_steps": _steps(max_steps),
        "pruner": None if pruner == "none" else pruner,
        "storage": storage,
        "study_name": study_name,
        "workers": workers,
        "progress": progress.make("quiet" if quiet else "auto", epochs=verbose),
    }


def _steps(value: str):
    """``--max-steps``: 'auto', 'none' or a positive whole number."""
    if value in ("auto", "none"):
        return None if value == "none" else "auto"
    try:
        return int(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not 'auto', 'none' or a whole number of steps. Try --max-steps 3000.",
            param_hint="--max-steps",
        ) from None
