"""``train_population``: the layer under ``fit`` — rows and configurations in, a ``Run`` out.

It takes the rows (:class:`~heldout.train.rows.Rows`: training and validation rows, folds,
seed), one dict of settings per configuration and the hooks it calls as it trains
(:class:`~heldout.train.rows.Hooks`); it learns the
preprocessing from the training rows (per fold, with folds) — the features, the target's scale
and the class weights, each row counted by its weight — trains every population as one
computation in chunks that fit the memory budget, and wraps each member as a ``Model``. It never
sees a split or a sealed test set: the guarded :func:`heldout.fit` calls it after the gate, and
so do the refit, the scikit-learn estimators and the descent picture, without forging a split.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch

from .._util import threads
from .._util.chunks import STREAM_MIN_ROWS
from .._util.versions import versions
from ..data.dataset import Dataset
from ..errors import ConfigError, HeldoutWarning, LeakageError
from ..model.model import Model
from ..nn import losses, optim
from ..nn.family import make_family
from ..seal.sealed import Sealed
from . import _engine as engine
from . import grid, memory
from .blocks import Tensors
from .config import TrainConfig
from .result import Run
from .rows import NO_HOOKS, Hooks, Learned, Rows
from .scoring import EVAL_ELEMENTS
from .state import Member, PopulationState


def train_population(
    rows: Rows,
    settings: list[dict],
    hooks: Hooks = NO_HOOKS,
    *,
    axes: list[str] = (),
    memory_budget: int | None = None,
) -> Run:
    """Train one configuration per dict of ``settings`` on ``rows`` (times every fold), each
    population as one computation in chunks that fit the memory budget, calling ``hooks`` as it
    goes; ``axes`` names the grid's varying settings for the run's table."""
    train, validation, folds, seed = rows.train, rows.validation, rows.folds, rows.seed
    prune, trace, checkpoint, resume = hooks.prune, hooks.trace, hooks.checkpoint, hooks.resume
    for part, given in (("training", train), ("validation", validation)):
        if isinstance(given, Sealed):
            raise LeakageError(
                f"The sealed test set was handed to training as its {part} rows. The test set is "
                "never used to train, tune or select."
            )
    if not settings:
        raise ConfigError("There are no configurations to train. Give at least one.")
    task = train.task
    configs = [make_config(c, task) for c in settings]
    described = rows.describe()
    fold_ids = list(range(len(folds))) if folds else [None]
    member_specs = [(i, f) for i in range(len(configs)) for f in fold_ids]
    populations: dict[tuple, list[int]] = {}
    for k, (i, _) in enumerate(member_specs):
        populations.setdefault(grid.population_key(configs[i]), []).append(k)

    prepared = {}
    results, families, chunk_sizes = {}, {}, []
    for p, ks in enumerate(populations.values()):
        c0 = configs[member_specs[ks[0]][0]]
        family = make_family(c0.model, hidden=c0.hidden, activation=c0.activation, init=c0.init)
        if c0.device not in prepared:
            prepared[c0.device] = rows.prepare(torch.device(c0.device))
        data, learned = prepared[c0.device]
        n_out = train.n_outputs
        shuffle_seed = c0.shuffle_seed if c0.shuffle_seed is not None else seed
        for c, chunk in enumerate(_chunks(family, c0, data, n_out, len(ks), memory_budget)):
            chosen = [ks[j] for j in chunk]
            chunk_configs = [configs[member_specs[k][0]] for k in chosen]
            member_folds = None if folds is None else [member_specs[k][1] for k in chosen]
            chunk_sizes.append(len(chosen))
            if hasattr(family, "train_members"):  # trained by another library, on the same rows
                trained = _library_trained(
                    family, chunk_configs, data, task, n_out, member_folds, hooks
                )
                results.update(zip(chosen, trained))
                continue
            key = f"{p}.{c}"
            state = (
                None
                if not resume or key not in resume
                else PopulationState.from_bytes(
                    resume[key], chunk_configs, optim.get(c0.optimizer).init
                )
            )
            fold_index = (
                None if folds is None else torch.tensor(member_folds, device=data.train.device)
            )
            local_prune = (
                None
                if prune is None
                else (lambda j, *values, chosen=chosen: prune(chosen[j], *values))
            )
            local_trace = (
                None
                if trace is None
                else (
                    lambda epoch, js, params, chosen=chosen: trace(
                        epoch, [chosen[j] for j in js], params
                    )
                )
            )
            trained = engine.train(
                family,
                chunk_configs,
                replace(data, fold=fold_index),
                task,
                n_out,
                shuffle_seed,
                member_folds,
                prune=local_prune,
                on_epoch=hooks.on_epoch,
                trace=local_trace,
                resume=state,
                checkpoint=None if checkpoint is None else (lambda s, key=key: checkpoint(key, s)),
                shards=rows.shards,
            )
            results.update(zip(chosen, trained))
        families.update({k: family for k in ks})

    members = [results[k] for k in range(len(member_specs))]
    models = [
        _model(families[k], m, learned[m.fold or 0], train, described, seed)
        for k, m in enumerate(members)
    ]
    return Run(
        members=members,
        models=models,
        split=described,
        configs=configs,
        config_index=[i for i, _ in member_specs],
        axes=list(axes),
        folds=len(folds) if folds else None,
        chunks=chunk_sizes,
        fold_rows=folds,
    )


def make_config(settings: dict, task) -> TrainConfig:
    """The validated config for one dict of settings, its loss resolved for ``task``."""
    try:
        config = TrainConfig(**settings)
    except TypeError as exc:
        raise ConfigError(
            f"{exc}. Valid settings: {sorted(TrainConfig.__dataclass_fields__)}."
        ) from None
    config = config.validated()
    return replace(config, loss=task.resolve_loss(config.loss, losses.LOSSES))


def _chunks(
    family, config: TrainConfig, data: Tensors, n_out: int, n_members: int, budget
) -> list[list[int]]:
    """The members of one population in chunks that fit the memory budget (saying so when it
    splits)."""
    d = data.train.n_features
    optimizer = optim.get(config.optimizer)
    rows = (
        max(data.train.counts)
        if optimizer.full_batch
        else min(config.batch_size, max(data.train.counts))
    )
    if (
        optimizer.full_batch
        and data.train.is_shared
        and data.train.w is None
        and rows >= STREAM_MIN_ROWS
    ):
        rows = 4096 * threads.CORES  # streamed in cache-sized chunks, one worker per core
    n_params, widths = family.size(d, n_out)
    need = memory.member_bytes(
        n_params, widths, optimizer.state_slots, rows, d, not data.train.is_shared
    )
    device = data.train.device
    if budget is None:
        budget = memory.available_bytes(device) // 2 - 4 * 4 * EVAL_ELEMENTS
    plan = memory.plan_chunks(n_members, need, int(budget), device)
    if len(plan) > 1:
        warnings.warn(
            f"{n_members} members need about {memory.readable(need * n_members)}, more than the "
            f"memory budget of {memory.readable(budget)}: training them in {len(plan)} chunks of "
            f"up to {len(plan[0])}.",
            HeldoutWarning,
            stacklevel=4,
        )
    return plan


def _library_trained(family, configs, data, task, n_out, folds, hooks: Hooks) -> list[Member]:
    """Members of a family another library trains (:meth:`train_members`): its records of them as
    the engine's :class:`Member` records, so the rest of the run cannot tell them apart."""
    records = family.train_members(configs, data, task, n_out, folds, on_epoch=hooks.on_epoch)
    fold_of = folds or [None] * len(configs)
    return [Member(c, fold=f, **r) for c, f, r in zip(configs, fold_of, records)]


def _model(family, member, learned: Learned, train: Dataset, split: dict, seed: int) -> Model:
    ignored = (
        *train.targets,
        *(c.name for c in (train.groups, train.time, train.weights) if c is not None),
    )
    shuffle_seed = member.config.shuffle_seed
    manifest = {
        "seed": member.config.seed,
        "shuffle_seed": shuffle_seed if shuffle_seed is not None else seed,
        "split": split,
        "status": member.status,
        "best_epoch": member.best_epoch,
        "versions": versions(),
    }
    if member.fold is not None:
        manifest["fold"] = member.fold
    return Model(
        family,
        member.params,
        learned.features,
        task=train.task,
        classes=train.classes,
        target=train.target_name,
        schema=train.schema,
        config=member.config.to_dict(),
        manifest=manifest,
        ignored_columns=ignored,
        target_scale=learned.scale,
        class_weight=learned.class_weight,
    )
