"""``fit()``: train on ``split.train``, watch ``split.validation`` every epoch, return a ``Run``.

Settings given as lists expand to a grid; every configuration (times every fold, with
``folds=F``) is a member, and members that can share one batched computation train together as
a population. A single configuration is a population of one.

>>> import heldout
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> run = heldout.fit(split, model="linear", loss="mse", optimizer="gd", lr=0.1)
>>> run.status, run.history.columns.tolist()
('converged', ['epoch', 'lr', 'train_loss', 'val_loss', 'val_metric'])
>>> round(float(run.history["val_metric"][run.best_epoch]), 1)  # validation rmse at the best epoch
54.2
>>> sweep = heldout.fit(split, optimizer="gd", lr=[0.01, 0.1], seed=[0, 1])
>>> sweep.table()[["lr", "seed", "status"]].values.tolist()
[[0.01, 0, 'converged'], [0.01, 1, 'converged'], [0.1, 0, 'converged'], [0.1, 1, 'converged']]
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import torch

from . import engine, folds as folding, grid, losses, memory
from .batches import STREAM_MIN_ROWS, Block
from .config import TrainConfig
from .errors import ConfigError, HeldoutWarning
from .families import make_family
from .features import Features
from .guard import training_split
from .model import Model
from .optim import get as get_optimizer
from .run import Run
from .split import Split
from .versions import versions


def fit(split: Split, model="linear", loss=None, optimizer="adam", lr=None, epochs=None, iterations=None,
        batch_size=32, seed=0, *, folds: int | None = None, memory_budget: int | None = None, progress=None,
        **options) -> Run:
    """Train every configuration of the grid on ``split.train``, evaluating ``split.validation``
    every epoch; with ``folds=F``, each configuration F times on folds of the training and
    validation rows pooled, each fold validating on its own rows.

    ``options`` are the other fields of :class:`~heldout.config.TrainConfig` (``hidden``,
    ``momentum``, ``l2``, ``schedule``, ``patience``, ...); any setting may be a list.
    ``memory_budget`` caps the bytes a population may use (default: half the available memory);
    larger populations train in chunks. ``progress`` is a reporter from :mod:`heldout.progress`.
    """
    settings = dict(model=model, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs, iterations=iterations,
                    batch_size=batch_size, seed=seed, **options)
    combos, axes = grid.expand(settings)
    return fit_many(split, combos, axes=axes, folds=folds, memory_budget=memory_budget,
                    on_epoch=None if progress is None else progress.epoch)


def fit_many(split: Split, settings: list[dict], *, axes: list[str] = (), folds: int | None = None,
             memory_budget: int | None = None, prune=None, on_epoch=None, trace=None) -> Run:
    """Train one configuration per dict of ``settings`` (times every fold), each population as
    one computation. ``prune(member, epoch, val_loss, val_metric) -> bool`` may stop members early;
    ``trace(epoch, members, params)`` sees every member's parameters after every epoch."""
    split = training_split(split, "fit")
    if not settings:
        raise ConfigError("There are no configurations to train. Give at least one.")
    configs = [make_config(c, split.task) for c in settings]
    parts = pool = None
    if folds is not None:   # folds cut the training and validation rows pooled
        pool = split.train.append(split.validation)
        parts = folding.assign(pool, folds, split.strategy, split.seed)
    fold_ids = list(range(len(parts))) if parts else [None]
    member_specs = [(i, f) for i in range(len(configs)) for f in fold_ids]

    prepared: dict = {}
    results: dict[int, engine.Member] = {}
    chunk_sizes = []
    populations: dict[tuple, list[int]] = {}
    for k, (i, _) in enumerate(member_specs):
        populations.setdefault(grid.population_key(configs[i]), []).append(k)
    families = {}
    for key, ks in populations.items():
        c0 = configs[member_specs[ks[0]][0]]
        family = make_family(c0.model, hidden=c0.hidden, activation=c0.activation, init=c0.init)
        if c0.device not in prepared:
            prepared[c0.device] = _prepare(split, parts, pool, torch.device(c0.device))
        data, features = prepared[c0.device]
        n_out = losses.n_outputs(split.task, split.train.classes)
        shuffle_seed = c0.shuffle_seed if c0.shuffle_seed is not None else split.seed
        for chunk in _chunks(family, c0, data, n_out, len(ks), memory_budget):
            chosen = [ks[j] for j in chunk]
            member_folds = None if parts is None else [member_specs[k][1] for k in chosen]
            fold_index = None if parts is None else torch.tensor(member_folds, device=data.train.X.device)
            local_prune = None if prune is None else (lambda j, *values, chosen=chosen: prune(chosen[j], *values))
            local_trace = None if trace is None else (
                lambda epoch, js, params, chosen=chosen: trace(epoch, [chosen[j] for j in js], params))
            trained = engine.train(family, [configs[member_specs[k][0]] for k in chosen],
                                   replace(data, fold=fold_index), split.task, n_out, shuffle_seed, member_folds,
                                   prune=local_prune, on_epoch=on_epoch, trace=local_trace)
            results.update(zip(chosen, trained))
            chunk_sizes.append(len(chosen))
        families.update({k: family for k in ks})

    members = [results[k] for k in range(len(member_specs))]
    summary = split.summary()
    models = [_model(families[k], m, features[m.fold or 0], split, summary, configs[member_specs[k][0]].shuffle_seed)
              for k, m in enumerate(members)]
    return Run(members=members, models=models, split=summary, configs=configs,
               config_index=[i for i, _ in member_specs], axes=list(axes), folds=len(parts) if parts else None,
               chunks=chunk_sizes, fold_rows=parts)


def make_config(settings: dict, task: str) -> TrainConfig:
    """The validated config for one dict of settings, its loss resolved for ``task``."""
    try:
        config = TrainConfig(**settings)
    except TypeError as exc:
        raise ConfigError(f"{exc}. Valid settings: {sorted(TrainConfig.__dataclass_fields__)}.") from None
    config = config.validated()
    return replace(config, loss=losses.resolve(config.loss, task))


def _prepare(split: Split, parts, pool, device) -> tuple[engine.Tensors, list[Features]]:
    """Rows as tensors on ``device``. Preprocessing is learned from each member's training rows
    only (per fold with folds), then applied to its validation rows."""
    task, classes = split.task, split.train.classes

    def tensors(rows, features):
        X = torch.from_numpy(features.transform(rows.features)).to(device)
        return X, losses.encode_target(rows.target, task, classes, device)

    if parts is None:
        features = Features().fit(split.train.features)
        return engine.Tensors(Block.shared(*tensors(split.train, features)),
                              Block.shared(*tensors(split.validation, features))), [features]
    fitted, train, val = [], [], []
    for tr, va in parts:
        features = Features().fit(pool.take(tr).features)
        fitted.append(features)
        train.append(tensors(pool.take(tr), features))
        val.append(tensors(pool.take(va), features))
    return (engine.Tensors(Block.folded(*zip(*train)), Block.folded(*zip(*val))), fitted)


def _chunks(family, config: TrainConfig, data: engine.Tensors, n_out: int, n_members: int, budget) -> list[list[int]]:
    """The members of one population in chunks that fit the memory budget (saying so when it splits)."""
    d = data.train.n_features
    optimizer = get_optimizer(config.optimizer)
    rows = max(data.train.counts) if optimizer.full_batch else min(config.batch_size, max(data.train.counts))
    if optimizer.full_batch and data.train.is_shared and rows >= STREAM_MIN_ROWS:
        rows = 4096 * torch.get_num_threads()  # streamed in cache-sized chunks
    n_params, widths = family.size(d, n_out)
    need = memory.member_bytes(n_params, widths, config.optimizer, rows, d, not data.train.is_shared)
    device = data.train.X.device
    if budget is None:
        budget = memory.available_bytes(device) // 2 - 4 * 4 * engine.EVAL_ELEMENTS
    plan = memory.plan_chunks(n_members, need, int(budget), device)
    if len(plan) > 1:
        warnings.warn(f"{n_members} members need about {memory.readable(need * n_members)}, more than the memory "
                      f"budget of {memory.readable(budget)}: training them in {len(plan)} chunks of up to "
                      f"{len(plan[0])}.", HeldoutWarning, stacklevel=3)
    return plan


def _model(family, member: engine.Member, features: Features, split: Split, summary: dict, shuffle_seed) -> Model:
    ignored = tuple(c.name for c in (split.train.target, split.train.groups, split.train.time) if c is not None)
    manifest = {"seed": member.config.seed, "shuffle_seed": shuffle_seed if shuffle_seed is not None else split.seed,
                "split": summary, "status": member.status, "best_epoch": member.best_epoch, "versions": versions()}
    if member.fold is not None:
        manifest["fold"] = member.fold
    return Model(family, member.params, features, task=split.task, classes=split.train.classes,
                 target=split.train.target.name, schema=split.train.schema, config=member.config.to_dict(),
                 manifest=manifest, ignored_columns=ignored)
