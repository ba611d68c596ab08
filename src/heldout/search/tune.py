"""``tune()``: search candidates and hyperparameters on validation data only, with Optuna.

Each candidate (``family+loss``) has its own Optuna study, so pruning compares curves of the same
loss; candidates are compared with each other on one selection metric computed from validation
predictions (rmse for regression, log loss for classification, or ``metric=``). Trials are asked
in batches of ``population`` that share their shape settings (batch size, width, depth,
optimizer, epochs), trained together as one population, and told their validation values.
Pruning (Optuna's median or successive-halving pruner) reads each member's per-epoch validation
loss. The sampler is seeded: the same seed gives the same study. A study kept in ``storage``
resumes where it stopped. The test set is never touched.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> found = heldout.tune(split, candidates=["linear+mse"], trials=4, population=4, seed=0)
>>> len(found.leaderboard), found.best["candidate"]
(4, 'linear+mse')
"""

from __future__ import annotations

import contextlib
import math
import operator
import re
import time
from dataclasses import replace

import numpy as np
import optuna
import pandas as pd

from .._util.declared import SECONDS, SEED, Constraint, checked
from ..data.features import Features
from ..errors import ConfigError
from ..seal import folds as folding
from ..seal.gate import training_split
from ..seal.split import Split
from ..task import get as get_task
from ..task import metrics
from ..train.population import train_population
from ..train.result import Run
from ..train.rows import Hooks, Rows
from . import batches, ensemble, kept, slots
from . import storage as storage_of
from .pruning import PRUNERS
from .result import Search, settings_of
from .space import Space

DEFAULT_TRIALS = 24
WAIT = 1.0  # seconds between looks at a shared study whose last trials other workers are training
SHAPE_ROWS = 5_000  # rows the model's input width is estimated on (one-hot columns seen there)
GOAL = re.compile(r"^\s*([a-z_0-9]+)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")
COMPARE = {"<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt}


def parse_goal(goal: str | None, task: str):
    """``"rmse<=55"`` -> (metric, test); the metric must be one the task reports."""
    if goal is None:
        return None
    match = GOAL.match(goal) if isinstance(goal, str) else None
    if not match:
        raise ConfigError(
            f"A goal reads METRIC<=VALUE or METRIC>=VALUE (e.g. 'rmse<=55'), got {goal!r}."
        )
    try:
        name, op, value = match.group(1), match.group(2), float(match.group(3))
    except ValueError:
        raise ConfigError(
            f"The goal {goal!r} does not end in a number. A goal reads METRIC<=VALUE or "
            "METRIC>=VALUE (e.g. 'rmse<=55')."
        ) from None
    if not math.isfinite(value):
        raise ConfigError(f"The goal {goal!r} needs a finite number, e.g. 'rmse<=55'.")
    task = get_task(task)
    if name not in task.metrics:
        raise ConfigError(
            f"The goal's metric {name!r} does not fit a {task} task. Use one of "
            f"{list(task.metrics)}."
        )
    return name, lambda v: v is not None and math.isfinite(v) and COMPARE[op](v, value)


@checked(
    trials=Constraint(int, low=1, says="a positive integer", hint="Try trials=32."),
    population=Constraint(int, low=1, says="a positive integer", hint="Try population=8."),
    timeout=replace(SECONDS, hint="Try --timeout 60."),
    max_steps=Constraint(
        int,
        low=1,
        also=("auto",),
        says="a positive integer, 'auto' or None",
        hint="Try max_steps=3000.",
    ),
    folds=Constraint(
        int, low=2, says="an integer of at least 2", hint="Try folds=5, or leave it out."
    ),
    seed=SEED,
    pruner=Constraint(str, choices=lambda: PRUNERS),
)
def tune(
    split: Split,
    candidates: list[str] | None = None,
    space: dict | None = None,
    trials: int = DEFAULT_TRIALS,
    folds: int | None = None,
    metric: str | None = None,
    goal: str | None = None,
    timeout: float | None = None,
    seed: int = 0,
    population: int = 8,
    storage=None,
    study_name: str = "heldout",
    pruner: str | None = "halving",
    max_steps: int | str | None = "auto",
    progress=None,
    checkpoints=None,
) -> Search:
    """Search ``candidates`` × ``space`` for ``trials`` trials on validation data; return the
    leaderboard and the selected trial. ``pruner`` is ``"halving"`` (successive halving over each
    batch's epochs), ``"median"`` or ``None`` (:mod:`heldout.search.pruning`); with ``folds`` a
    trial's folds train side by side and it is pruned on their mean validation curve. A trial
    takes at most ``max_steps`` optimizer steps (``"auto"``: by the table's size; ``None``: epochs
    as drawn), and the default batch sizes follow the table's size (:mod:`heldout.search.budget`).
    ``checkpoints`` (a :class:`~heldout.train.checkpoints.Checkpoints` beside a ``storage`` that
    this process alone uses, as in a run directory) keeps each batch while it trains; a search
    started again goes on with the batch a dead process left (:mod:`heldout.search.batches`).
    ``progress`` is a reporter from :mod:`heldout.progress`: it hears every epoch of every
    population and every batch of trials."""
    split = training_split(split, "tune")
    task = split.task
    candidates = list(candidates or task.candidates)
    # the rows one trial trains on: the training rows, or (with folds) all but one fold of the pool
    rows = (
        len(split.train)
        if not folds
        else (len(split.train) + len(split.validation)) * (folds - 1) // folds
    )
    shape = (
        len(
            Features(column_kinds=split.train.column_kinds)
            .fit(split.train.features.head(SHAPE_ROWS))
            .output_names_
        ),
        split.train.n_outputs,
    )  # the model's inputs (estimated on a sample) and outputs
    spaces = [
        Space.for_candidate(c, task, space, rows=rows, max_steps=max_steps, shape=shape)
        for c in candidates
    ]
    metric = metric or task.selection
    if metric not in task.metrics:
        raise ConfigError(
            f"The selection metric {metric!r} does not fit a {task} task. Use one of "
            f"{list(task.metrics)}."
        )
    goal_test = parse_goal(goal, task)
    if storage_of.is_database(storage):
        storage = storage_of.database(storage)

    with _quiet_optuna():
        return _search(
            split,
            spaces,
            trials,
            folds,
            metric,
            goal_test,
            timeout,
            seed,
            population,
            storage,
            study_name,
            pruner,
            progress,
            checkpoints,
        )


@contextlib.contextmanager
def _quiet_optuna():
    """Optuna logs every trial at INFO; heldout has its own progress. Its level is restored
    after."""
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def _search(
    split,
    spaces,
    trials,
    folds,
    metric,
    goal_test,
    timeout,
    seed,
    population,
    storage,
    study_name,
    pruner,
    progress,
    checkpoints,
) -> Search:
    sign = 1.0 if not metrics.HIGHER_IS_BETTER[metric] else -1.0  # studies minimise sign * metric
    studies = {
        s.candidate: optuna.create_study(
            study_name=f"{study_name}/{s.candidate}",
            storage=storage,
            direction="minimize",
            load_if_exists=True,
            sampler=batches.sampler(seed, i, 0, population),
            pruner=PRUNERS[pruner].STUDY_PRUNER(population)
            if pruner
            else optuna.pruners.NopPruner(),
        )
        for i, s in enumerate(spaces)
    }
    shared = storage_of.shares_trials(next(iter(studies.values()))._storage)
    if shared:
        storage_of.check_same_split(studies, split.describe())
    # a run directory's study: what a dead process left goes on (alone on the storage: the rest is
    # given back)
    resumed = (
        batches.recover(studies, spaces, checkpoints.load(batches.STAGE), shared)
        if checkpoints
        else None
    )
    started, stopped_by, runs, idle = time.monotonic(), "trials", {}, []
    pool = split.train.append(split.validation) if folds else None
    while True:
        rows = _rows(studies)  # every process's, on a shared storage
        batch, resumed = resumed, None
        if batch is None:
            if goal_test and any(goal_test[1](r.get(goal_test[0])) for r in rows):
                stopped_by = "goal"
            if len(rows) >= trials or stopped_by != "trials":
                break
            if timeout is not None and rows and time.monotonic() - started > timeout:
                stopped_by = "timeout"  # one batch at least
                break
            storage_of.fail_stale_trials(
                studies.values()
            )  # dead workers' trials, back in the queue (shared only)
            batch = batches.ask(studies, spaces, population, trials, seed)
            if batch is None:  # every trial is asked: other workers are training the last ones
                if not _worth_waiting(studies, shared, idle):
                    rows = _rows(
                        studies
                    )  # told between the read above and the check: nothing is in flight now
                    break
                time.sleep(WAIT)
                continue
            idle.clear()
        with storage_of.heartbeats(batch.study._storage, batch.trials):
            _train_batch(batch, split, pool, folds, pruner, progress, checkpoints)
        fresh = {
            i: _trial_row(
                batch.rows[i],
                batch.space,
                trial,
                batch.run,
                i,
                batch.validation,
                split.task,
                metric,
            )
            for i, trial in enumerate(batch.trials)
            if i not in batch.told
        }  # (those told before a kill)
        if checkpoints and not folds:  # the best trials' models, for a resumed search (kept.py)
            kept.keep(
                checkpoints,
                rows + list(fresh.values()),
                metric,
                sign,
                {
                    row["trial"]: batch.run.models[batch.run.config_index.index(i)]
                    for i, row in fresh.items()
                },
                count=ensemble.POOL,
            )
        for i, row in fresh.items():
            trial = batch.trials[i]
            try:
                trial.set_user_attr("row", row)
                trial.set_user_attr(
                    "settings", {k: _plain(v) for k, v in batch.settings[i].items()}
                )
                if row["status"] == "complete":
                    batch.study.tell(trial, sign * row[metric])
                else:
                    batch.study.tell(
                        trial,
                        state=optuna.trial.TrialState.PRUNED
                        if row["status"] == "pruned"
                        else optuna.trial.TrialState.FAIL,
                    )
            except optuna.exceptions.UpdateFinishedTrialError:
                # silent past the grace period: failed by another worker, and retried there
                continue
            runs[row["trial"]] = (batch.run, i)
            rows.append(row)
        if checkpoints:
            checkpoints.clear(batches.STAGE)
        if (
            progress is not None
        ):  # the rows read before the batch and its own (the next loop reads them all)
            progress.batch(
                dict(
                    _state(rows, trials, metric, started, timeout),
                    batch=len(batch.trials),
                    candidate=batch.space.candidate,
                )
            )

    board, index = pd.DataFrame(rows), kept.best_index(rows, metric, sign)
    if index is None:
        raise ConfigError(
            f"None of the {len(board)} trials completed (all diverged, failed or were pruned). "
            "Widen the search space toward smaller learning rates, or give more trials."
        )
    best = board.iloc[index].to_dict()
    best_settings = settings_of(studies, best["trial"])
    best_model, pool = None, {}
    if not folds:  # this process's models of the best trials, else the kept ones (kept.py)
        pool = _pool(rows, metric, sign, runs, checkpoints)
        best_model = kept.selected(
            checkpoints, best["trial"], pool.get(best["trial"]), split.validation
        )
        pool = {t: (best_model if t == best["trial"] else m) for t, m in pool.items() if m}
    board = board.sort_values(metric, ascending=sign > 0, na_position="last").reset_index(drop=True)
    return Search(
        leaderboard=board,
        metric=metric,
        stopped_by=stopped_by,
        best=best,
        best_settings=best_settings,
        best_model=best_model,
        pool=pool,
        folds=folds,
        studies=studies,
        recovered=batches.recovered(studies),
    )


def _pool(rows: list[dict], metric: str, sign: float, runs: dict, checkpoints) -> dict:
    """The best trials' models (trial -> model, best first; None where neither this process nor
    the run directory has it): what an ensemble is chosen from."""
    pool = {}
    for i in kept.best_indices(rows, metric, sign, ensemble.POOL):
        trial = rows[i]["trial"]
        run, config = runs.get(trial, (None, None))
        if run is not None:
            pool[trial] = run.models[run.config_index.index(config)]
        else:
            pool[trial] = kept.model(checkpoints, trial) if checkpoints else None
    return pool


def _train_batch(
    batch, split: Split, pool, folds: int | None, pruner, progress, checkpoints
) -> None:
    """Train one batch of trials as one population, on the training rows (or on folds of the pool),
    checkpointed when a store is given; sets ``batch.run`` and ``batch.validation``."""
    pruning = (
        None
        if pruner is None
        else PRUNERS[pruner](batch.trials, folds, batch.settings[0].get("epochs") or 0)
    )
    if pruning is not None and batch.pruning is not None:
        pruning.restore(batch.pruning)
    hook = None
    if checkpoints:

        def extra():
            return dict(batch.record(), pruning=None if pruning is None else pruning.snapshot())

        hook = checkpoints.hook(batches.STAGE, extra, resumed=batch.states)
        if batch.states is None:
            hook.write()  # the batch's record, before it trains
    parts = None if not folds else folding.assign(pool, folds, split.strategy, split.seed)
    train, validation = (split.train, split.validation) if parts is None else (pool, None)
    batch.run = train_population(
        Rows(train, validation, split.seed, folds=parts, split=split.describe()),
        batch.settings,
        Hooks(
            on_epoch=None if progress is None else progress.epoch,
            prune=None if pruning is None else pruning.report,
            checkpoint=hook,
            resume=batch.states,
        ),
    )
    # each member is scored on its own validation rows: the split's, or its fold's
    batch.validation = (
        [split.validation]
        if not batch.run.fold_rows
        else [pool.take(va) for _, va in batch.run.fold_rows]
    )


def _worth_waiting(studies: dict, shared: bool, idle: list) -> bool:
    """With every slot taken and the budget not yet told: whether the missing trials may still come.
    They may while any trial is running or waiting, and, on a shared storage, while a dead worker's
    trial is failed but its retry not yet queued (the worker that failed it queues it an instant
    later) — for at most a few heartbeats' grace after nothing is left in flight (``idle`` holds
    when that began), so a retry that never comes (its retries spent) does not hold the search."""
    if slots.in_flight(studies.values()):
        idle.clear()
        return True
    if not shared or not slots.awaiting_retry(studies.values(), storage_of.RETRIES):
        return False
    idle[:] = idle or [time.monotonic()]
    return time.monotonic() - idle[0] < storage_of.GRACE * storage_of.heartbeat_seconds()


def _rows(studies: dict) -> list[dict]:
    """The leaderboard rows of every told trial, in row order."""
    rows = [
        t.user_attrs["row"]
        for study in studies.values()
        for t in study.get_trials(deepcopy=False)
        if "row" in t.user_attrs
    ]
    return sorted(rows, key=lambda r: r["trial"])


def _trial_row(
    number: int, s: Space, trial, run: Run, config: int, validation: list, task: str, metric: str
):
    """One leaderboard row: candidate, hyperparameters, validation metrics (mean over folds),
    status."""
    members = [k for k, c in enumerate(run.config_index) if c == config]
    statuses = [run.members[k].status for k in members]
    row = {
        "trial": number,
        "candidate": s.candidate,
        **{k: _plain(v) for k, v in trial.params.items()},
    }
    status = (
        "diverged" if "diverged" in statuses else "pruned" if "pruned" in statuses else "complete"
    )
    scores = []
    if status == "complete":
        for k in members:
            scores.append(run.models[k].score(validation[run.members[k].fold or 0]))
        for name in task.metrics:
            row[name] = float(np.mean([sc[name] for sc in scores]))
    else:
        row[metric] = float("nan")
    row.update(
        status=status,
        best_epoch=float(np.median([run.members[k].best_epoch for k in members])),
        epochs=int(max(run.members[k].history["epoch"][-1] for k in members)),
        seconds=round(
            float(sum(sum(run.members[k].epoch_seconds) for k in members)) / max(1, len(members)), 3
        ),
    )
    return row


def _state(rows: list[dict], trials: int, metric: str, started: float, timeout) -> dict:
    complete = [r for r in rows if r["status"] == "complete"]
    sign = -1.0 if metrics.HIGHER_IS_BETTER[metric] else 1.0
    best = min(complete, key=lambda r: sign * r[metric]) if complete else None
    elapsed = time.monotonic() - started
    return {
        "trials": len(rows),
        "budget": trials,
        "metric": metric,
        "best": best[metric] if best else None,
        "best_candidate": best["candidate"] if best else None,
        "pruned": sum(r["status"] == "pruned" for r in rows),
        "diverged": sum(r["status"] == "diverged" for r in rows),
        "elapsed": elapsed,
        "time_left": None if timeout is None else max(0.0, timeout - elapsed),
    }


def _plain(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
