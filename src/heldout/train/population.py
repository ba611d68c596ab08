"""``train_population``: the layer under ``fit`` — rows and configurations in, a ``Run`` out.

It takes training rows, validation rows (or ``None``: the training rows are then watched
themselves, as a refit does) and one dict of settings per configuration; it learns the
preprocessing from the training rows (per fold, with folds) — the features, the target's scale
and the class weights, each row counted by its weight — trains every population as one
computation in chunks that fit the memory budget, and wraps each member as a ``Model``. It never
sees a split or a sealed test set: the guarded :func:`heldout.fit` calls it after the gate, and
so do the refit, the scikit-learn estimators and the descent picture, without forging a split.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import torch

from .._util import threads
from .._util.chunks import STREAM_MIN_ROWS
from .._util.versions import versions
from ..data import weights as weighting
from ..data.dataset import Dataset
from ..data.features import Features
from ..errors import ConfigError, HeldoutWarning, LeakageError
from ..model.model import Model
from ..nn import losses, optim
from ..nn.family import make_family
from ..seal.sealed import Sealed
from ..task.target_scale import TargetScale
from . import _engine as engine
from . import grid, memory
from .blocks import Block, Tensors
from .config import TrainConfig
from .result import Run
from .scoring import EVAL_ELEMENTS
from .state import PopulationState


def train_population(
    train: Dataset,
    validation: Dataset | None,
    settings: list[dict],
    *,
    seed: int = 0,
    folds: list | None = None,
    summary: dict | None = None,
    axes: list[str] = (),
    memory_budget: int | None = None,
    prune=None,
    on_epoch=None,
    trace=None,
    checkpoint=None,
    resume: dict | None = None,
    shards=None,
    prepared=None,
) -> Run:
    """Train one configuration per dict of ``settings`` (times every fold), each population as one
    computation. ``folds`` are (training, validation) positions within ``train``; ``seed`` orders
    the batches unless a configuration gives ``shuffle_seed``; ``summary`` describes the rows
    (the split's summary) for the models' manifests. ``prune(member, epoch, val_loss, val_metric)``
    may stop members early; ``trace(epoch, members, params)`` sees every member's parameters after
    every epoch. ``checkpoint(key, state)`` sees each chunk's
    :class:`~heldout.train.state.PopulationState` after every epoch (``key`` names the chunk:
    population and chunk number); ``resume`` maps such keys to ``state.to_bytes()``, and those
    chunks go on from there exactly as if they had not stopped. ``shards``
    (:mod:`heldout.train.shards`): this process is one of several that split every batch's rows.
    ``prepared`` — ``(Tensors, [Learned])`` made elsewhere (a streamed table's rows,
    :mod:`heldout.stream.training`) — stands for the rows, and ``train`` then only describes them
    (columns, task, classes) to the models."""
    for part, rows in (("training", train), ("validation", validation)):
        if isinstance(rows, Sealed):
            raise LeakageError(
                f"The sealed test set was handed to training as its {part} rows. The test set is "
                "never used to train, tune or select."
            )
    if not settings:
        raise ConfigError("There are no configurations to train. Give at least one.")
    task = train.task
    configs = [make_config(c, task) for c in settings]
    summary = summary or {
        "dataset": train.name,
        "task": task,
        "train": len(train),
        "validation": len(validation if validation is not None else train),
    }
    fold_ids = list(range(len(folds))) if folds else [None]
    member_specs = [(i, f) for i in range(len(configs)) for f in fold_ids]
    populations: dict[tuple, list[int]] = {}
    for k, (i, _) in enumerate(member_specs):
        populations.setdefault(grid.population_key(configs[i]), []).append(k)

    given, prepared = prepared, {}
    results, families, chunk_sizes = {}, {}, []
    for p, ks in enumerate(populations.values()):
        c0 = configs[member_specs[ks[0]][0]]
        family = make_family(c0.model, hidden=c0.hidden, activation=c0.activation, init=c0.init)
        if c0.device not in prepared:
            prepared[c0.device] = given or _prepare(
                train, validation, folds, torch.device(c0.device)
            )
        data, learned = prepared[c0.device]
        n_out = train.n_outputs
        shuffle_seed = c0.shuffle_seed if c0.shuffle_seed is not None else seed
        for c, chunk in enumerate(_chunks(family, c0, data, n_out, len(ks), memory_budget)):
            chosen = [ks[j] for j in chunk]
            chunk_configs = [configs[member_specs[k][0]] for k in chosen]
            key = f"{p}.{c}"
            state = (
                None
                if not resume or key not in resume
                else PopulationState.from_bytes(
                    resume[key], chunk_configs, optim.get(c0.optimizer).init
                )
            )
            member_folds = None if folds is None else [member_specs[k][1] for k in chosen]
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
                on_epoch=on_epoch,
                trace=local_trace,
                resume=state,
                checkpoint=None if checkpoint is None else (lambda s, key=key: checkpoint(key, s)),
                shards=shards,
            )
            results.update(zip(chosen, trained))
            chunk_sizes.append(len(chosen))
        families.update({k: family for k in ks})

    members = [results[k] for k in range(len(member_specs))]
    models = [
        _model(families[k], m, learned[m.fold or 0], train, summary, seed)
        for k, m in enumerate(members)
    ]
    return Run(
        members=members,
        models=models,
        split=summary,
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


@dataclass(frozen=True)
class Learned:
    """What is learned from training rows before training: the features, the scale the loss sees the
    target on, and the class weights ``{label: weight}`` (None without class weights)."""

    features: Features
    scale: TargetScale
    class_weight: dict | None

    @classmethod
    def fit(cls, rows: Dataset) -> "Learned":
        class_weight = weighting.resolve(rows.class_weight, rows.target, rows.weights, rows.classes)
        w = weighting.of_rows(rows, class_weight)
        weighting.require_some(w, "training", None if rows.weights is None else rows.weights.name)
        return cls(
            Features(column_kinds=rows.column_kinds).fit(rows.features, w),
            rows.task.fit_scale(rows.target, w),
            class_weight,
        )

    def unit(self) -> float | None:
        return None if self.scale.is_identity else self.scale.unit()


def _prepare(
    train: Dataset, validation: Dataset | None, folds, device
) -> tuple[Tensors, list[Learned]]:
    """Rows as tensors on ``device``. Preprocessing is learned from each member's training rows
    only (per fold with folds), then applied to its validation rows."""
    task, classes = train.task, train.classes

    def tensors(rows, learned, part):
        X = torch.from_numpy(learned.features.transform(rows.features)).to(device)
        w = weighting.of_rows(rows, learned.class_weight)
        weighting.require_some(w, part, None if rows.weights is None else rows.weights.name)
        w = None if w is None else torch.tensor(w, dtype=torch.float32, device=device)
        return X, task.encode(rows.target, classes, device, scale=learned.scale), w

    if folds is None:
        learned = Learned.fit(train)
        fitted = Block.shared(*tensors(train, learned, "training"), unit=learned.unit())
        watched = (
            fitted
            if validation is None
            else Block.shared(*tensors(validation, learned, "validation"), unit=learned.unit())
        )
        return Tensors(fitted, watched), [learned]
    fitted, parts, val = [], [], []
    for tr, va in folds:
        learned = Learned.fit(train.take(tr))
        fitted.append(learned)
        parts.append(tensors(train.take(tr), learned, "training"))
        val.append(tensors(train.take(va), learned, "validation"))
    units = None if fitted[0].unit() is None else [f.unit() for f in fitted]
    return Tensors(
        Block.folded(*zip(*parts), units=units), Block.folded(*zip(*val), units=units)
    ), fitted


def _chunks(
    family, config: TrainConfig, data: Tensors, n_out: int, n_members: int, budget
) -> list[list[int]]:
    """The members of one population in chunks that fit the memory budget (saying so when it splits)."""
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
            f"{n_members} members need about {memory.readable(need * n_members)}, more than the memory "
            f"budget of {memory.readable(budget)}: training them in {len(plan)} chunks of up to "
            f"{len(plan[0])}.",
            HeldoutWarning,
            stacklevel=4,
        )
    return plan


def _model(family, member, learned: Learned, train: Dataset, summary: dict, seed: int) -> Model:
    ignored = (
        *train.targets,
        *(c.name for c in (train.groups, train.time, train.weights) if c is not None),
    )
    shuffle_seed = member.config.shuffle_seed
    manifest = {
        "seed": member.config.seed,
        "shuffle_seed": shuffle_seed if shuffle_seed is not None else seed,
        "split": summary,
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
