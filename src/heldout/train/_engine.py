"""The training loop over a population of K members, computed as one batched model.

Members share the model shape, loss, optimizer, batch size and epochs (the :class:`Plan`); each
has its own learning rate, momentum, betas, weight decay, L2, schedule, initialisation seed,
stopping rules and cross-validation fold. Members of one fold share every batch, so one pass over
the data serves all of them. Each member has its own history, early stopping (best weights
restored), convergence and divergence; a member that stops leaves the computation while the
others go on, and the run ends when no member is still training. A single run is a population
of one through the same code. Everything that changes from epoch to epoch is one value, the
:class:`~heldout.train.state.PopulationState`: ``checkpoint(state)`` sees it after every epoch,
and ``resume=state`` goes on from it exactly as if training had not stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import torch

from .._util import allocator, threads
from .._util.tree import map_tensors
from ..nn import optim, update
from .blocks import Tensors
from .config import MEMBER_TENSORS, TrainConfig
from .scoring import score_rows
from .state import Member, PopulationState

EPOCH0_ROWS = 8192  # the initial training loss is measured on at most this many rows (per fold)


@dataclass(frozen=True)
class Plan:
    """What every member shares, fixed before the first epoch."""

    family: Any
    configs: list[TrainConfig]
    data: Tensors
    task: Any
    n_out: int
    shuffle_seed: int
    optimizer: optim.Optimizer
    update: update.Update  # the chain built once: L2 on weights, the rule, the schedules
    loss: str
    batch: int  # rows per step (every training row for full-batch rules)
    epochs: int
    iterations: int | None  # optimizer steps per member at most, when given instead of epochs
    stream: bool  # full-batch steps stream a shared X in chunks
    shards: Any = None  # with several processes: this one's share of every batch (train/shards.py)

    @classmethod
    def of(
        cls, family, configs, data: Tensors, task, n_out: int, shuffle_seed: int, shards=None
    ) -> "Plan":
        c0 = configs[0]
        opt = optim.get(c0.optimizer)
        batch = max(data.train.counts) if opt.full_batch else c0.batch_size
        epochs = (
            c0.epochs
            if c0.iterations is None
            else math.ceil(c0.iterations / data.train.steps_per_epoch(batch))
        )
        chained = update.chain(
            opt,
            update.l2_penalty(family.weight_mask),
            schedules=[update.schedule(c.schedule, c.step_size, c.gamma, epochs) for c in configs],
            epochs=epochs,
        )
        # weighted rows take the unstreamed path, whose loss reads row weights
        return cls(
            family,
            list(configs),
            data,
            task,
            n_out,
            shuffle_seed,
            opt,
            chained,
            c0.loss,
            batch,
            epochs,
            c0.iterations,
            opt.full_batch
            and data.train.is_shared
            and data.train.w is None
            and family.streams_full_batch
            and not data.train.streamed,
            shards,
        )


def train(
    family,
    configs: list[TrainConfig],
    data: Tensors,
    task,
    n_out: int,
    shuffle_seed: int,
    folds: list[int] | None = None,
    *,
    prune=None,
    on_epoch=None,
    trace=None,
    resume: PopulationState | None = None,
    checkpoint=None,
    shards=None,
) -> list[Member]:
    """Train one member per config; ``folds[k]`` is member k's cross-validation fold, if any.

    ``prune(k, epoch, val_loss, val_metric) -> bool``, when given, is asked after every epoch
    for each member still training; ``True`` stops that member with status ``pruned``.
    ``on_epoch(progress)`` hears after every epoch how the population is doing
    (:mod:`heldout.report.progress`). ``trace(epoch, members, params)`` sees the parameters at
    epoch 0 and after every epoch; row j of each tensor is member ``members[j]``
    (:mod:`heldout.workflow.descent` draws the paths from it). ``checkpoint(state)`` sees the
    population's state after every epoch; ``resume`` goes on from such a state. With ``shards``
    (:mod:`heldout.train.shards`), this process computes its share of every batch and takes the
    update of the whole batch.
    """
    started_at = time.perf_counter()
    allocator.tune()
    plan = Plan.of(family, configs, data, task, n_out, shuffle_seed, shards)
    # one thread for a small step, or beside busy cores: a team of threads costs more than it saves
    n_params, _ = family.size(data.train.n_features, n_out)
    choice = threads.Choice(len(configs) * min(plan.batch, max(data.train.counts)) * n_params)
    scoring = (
        len(configs) * max(data.validation.counts) * n_params
    )  # multiply-adds of a validation pass
    if resume is not None:  # a family learns its parameters' names and shapes when it initialises
        family.init(data.train.n_features, n_out, [configs[0].seed], data.train.device)
    with threads.intra_op(choice.threads()):
        state = resume if resume is not None else start(plan, folds, trace)
    while state.alive and state.epoch < plan.epochs:
        started = time.perf_counter()
        state.epoch += 1
        with threads.intra_op(choice.threads()):
            # forward / backward / update over this epoch's batches, every live member in one
            # computation
            lr, train_loss = run_epoch(plan, state, choice.gather_threads)
        with threads.intra_op(choice.threads(scoring)):
            # evaluate on validation rows
            val_loss, val_metric = score_rows(
                family, state.params, data.validation, state.fold, task, plan.loss
            )
        choice.observe()
        now = _record(state, lr, train_loss, val_loss, val_metric)
        for k in state.alive:
            state.members[k].epoch_seconds.append(time.perf_counter() - started)
        # per member: improved, diverged, stopped early, converged, out of iterations, pruned
        stopped = _decide(plan, state, val_loss, *now, prune)
        if trace is not None:
            trace(state.epoch, list(state.alive), state.params)
        if on_epoch is not None:
            on_epoch(
                {
                    "epoch": state.epoch,
                    "epochs": plan.epochs,
                    "alive": len(state.alive) - len(stopped),
                    "members": len(state.members),
                    "best": float(state.best_val.min()),
                    "seconds": time.perf_counter() - started_at,
                }
            )
        # stopped members leave the computation, with their best (or final) parameters
        state = _leave(state, stopped)
        if checkpoint is not None:
            checkpoint(state)
    _leave(state, list(range(len(state.alive))))
    return state.members


def start(plan: Plan, folds: list[int] | None, trace=None) -> PopulationState:
    """Epoch 0: every member initialised from its own seed, and scored. The initial state anchors
    the curves and the divergence test (measured on a seeded sample of the training rows when they
    are many: an estimate is enough for both)."""
    configs, data = plan.configs, plan.data
    K, device = len(configs), data.train.device
    hp = _hyperparameters(configs, device)
    params = plan.family.init(data.train.n_features, plan.n_out, [c.seed for c in configs], device)
    state = PopulationState(
        epoch=0,
        alive=list(range(K)),
        params=params,
        best_params=[p.clone() for p in params],
        optimizer=plan.update.init(params),
        hyperparameters=hp,
        best_val=torch.zeros(K, device=device),
        steps=torch.zeros(K, device=device),
        fold=data.fold,
        generators=data.train.generators(plan.shuffle_seed),
        members=[
            Member(config=c, fold=None if folds is None else folds[k])
            for k, c in enumerate(configs)
        ],
        initial=[],
        trail={k: [math.inf] for k in range(K)},
    )
    sample = data.train.sample(EPOCH0_ROWS, plan.shuffle_seed)
    initial, _ = score_rows(plan.family, params, sample, state.fold, plan.task, plan.loss)
    val_loss, val_metric = score_rows(
        plan.family, params, data.validation, state.fold, plan.task, plan.loss
    )
    _record(state, hp["lr"], initial, val_loss, val_metric)
    state.initial = initial.tolist()
    if trace is not None:
        trace(0, list(state.alive), params)
    state.best_val = torch.where(
        torch.isfinite(val_loss), val_loss, torch.full_like(val_loss, math.inf)
    )
    return state


def run_epoch(
    plan: Plan, state: PopulationState, gather_threads=None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One epoch of steps for every live member; returns their learning rates and mean training
    loss over the epoch's batches (for gd: the loss at the start of the step, as the step saw it).
    ``gather_threads(numbers)``: the threads that gathering the batches' rows takes."""
    hp = state.hyperparameters
    step_hp = dict(hp, lr=plan.update.learning_rates(state.epoch, state.alive, hp["lr"]))
    running, seen = torch.zeros(len(state.alive), device=state.steps.device), 0
    for X, y, w, rows in plan.data.train.epoch(
        plan.batch, state.generators, state.fold, gather_threads
    ):
        if plan.stream:  # (unweighted rows only)

            def compute(X, y, w):
                return plan.family.full_batch_loss_and_grads(state.params, X, y, plan.loss)
        else:

            def compute(X, y, w):
                return plan.family.loss_and_grads(state.params, X, y, w, plan.loss)

        if hasattr(
            X, "loss_and_grads"
        ):  # a full pass over streamed rows (heldout.stream.rows.FullPass)
            value, grads = X.loss_and_grads(compute)
        elif plan.shards is None:
            value, grads = compute(X, y, w)
        else:
            value, grads = plan.shards.loss_and_grads(compute, X, y, w, state.params)
        stepping = _stepping(plan, state, rows)
        # an update may write over the parameters and state it is given (optim.Optimizer): a member
        # that stands still keeps a copy of its own
        kept = (
            None
            if stepping is None or bool(stepping.all())
            else map_tensors(torch.clone, (state.params, state.optimizer))
        )
        new_params, new_state = plan.update.update(grads, state.optimizer, state.params, step_hp)
        if kept is None:
            state.params, state.optimizer = new_params, new_state
        else:
            state.params = optim.select(stepping, new_params, kept[0])
            state.optimizer = optim.select(stepping, new_state, kept[1])
        if plan.iterations is not None:
            state.steps += stepping
            if not bool((state.steps < plan.iterations).any()):
                break
        running.add_(value * rows) if torch.is_tensor(rows) else running.add_(value, alpha=rows)
        seen = seen + rows
    return step_hp["lr"], running / (seen.clamp_min(1) if torch.is_tensor(seen) else max(seen, 1))


def _stepping(plan: Plan, state: PopulationState, rows) -> torch.Tensor | None:
    """``[K]``: which members take this step (a fold with no rows left in this epoch, or a member
    out of iterations, stands still); None when every member steps and no steps are counted."""
    if not torch.is_tensor(rows) and plan.iterations is None:
        return None
    stepping = (
        (rows > 0) if torch.is_tensor(rows) else torch.ones_like(state.steps, dtype=torch.bool)
    )
    if plan.iterations is not None:
        stepping = stepping & (state.steps < plan.iterations)
    return stepping


def _decide(
    plan: Plan, state: PopulationState, val_loss, train_now, val_now, metric_now, prune
) -> list[int]:
    """Rows of the live members that stop after this epoch (each member's status and message
    set)."""
    improved = torch.isfinite(val_loss) & (val_loss < state.best_val)
    state.best_val = torch.where(improved, val_loss, state.best_val)
    state.best_params = optim.select(improved, state.params, state.best_params)
    out_of_steps = (
        [False] * len(state.alive)
        if plan.iterations is None
        else (state.steps >= plan.iterations).tolist()
    )
    stopped = []
    watched = zip(state.alive, train_now, improved.tolist(), val_now, metric_now)
    for j, (k, loss_now, better, v_loss, v_metric) in enumerate(watched):
        member = state.members[k]
        if better:
            member.best_epoch = state.epoch
        state.trail[k].append(min(state.trail[k][-1], loss_now))
        if _stops(member, state.epoch, loss_now, state.initial[k], state.trail[k], out_of_steps[j]):
            stopped.append(j)
        elif prune is not None and prune(k, state.epoch, v_loss, v_metric):
            member.status = "pruned"
            member.message = (
                f"pruned at epoch {state.epoch}: its validation curve trailed the other trials'"
            )
            stopped.append(j)
    return stopped


def _leave(state: PopulationState, stopped: list[int]) -> PopulationState:
    """The state without the rows ``stopped``; each leaving member ends with its best validation
    weights when early stopping is on (and always after divergence), else its final weights."""
    for j in stopped:
        m = state.members[state.alive[j]]
        keep_best = m.status == "diverged" or m.config.early_stopping
        m.params = [t[j].clone() for t in (state.best_params if keep_best else state.params)]
    if not stopped:
        return state
    return state.take([j for j in range(len(state.alive)) if j not in stopped])


def _stops(
    m: Member, epoch: int, train_loss: float, initial: float, trail: list, out_of_steps: bool
) -> bool:
    """Whether member ``m`` stops after ``epoch``; sets its status and message when it does."""
    c = m.config
    window = c.n_iter_no_change
    if not math.isfinite(train_loss) or train_loss > c.diverge_factor * abs(initial):
        m.status, m.message = "diverged", _diverged_message(c, epoch, train_loss)
    elif c.early_stopping and epoch - m.best_epoch >= c.patience:
        m.status = "early_stopped"
        m.message = (
            f"validation loss did not improve for {c.patience} epochs; best epoch {m.best_epoch}"
        )
    elif c.tol > 0 and len(trail) > window + 1 and trail[-1] >= (1 - c.tol) * trail[-1 - window]:
        m.status = "converged"
        m.message = (
            f"training loss improved by less than {c.tol:g} (relative) "
            f"over the last {window} epochs"
        )
    elif out_of_steps:
        m.status, m.message = "max_epochs", f"ran its {c.iterations} iterations"
    else:
        return False
    return True


def _hyperparameters(configs: list[TrainConfig], device) -> dict:
    """Each per-member tensor setting as a ``[K]`` tensor; an all-zero decay or l2 as ``None``
    (the update then skips it)."""
    hp = {
        name: torch.tensor([float(getattr(c, name)) for c in configs], device=device)
        for name in MEMBER_TENSORS
    }
    for name in ("weight_decay", "l2"):
        if not bool(hp[name].any()):
            hp[name] = None
    return hp


def _record(state: PopulationState, lr, train_loss, val_loss, val_metric) -> list[list[float]]:
    """Append this epoch to each live member's history; return the training loss, validation loss
    and validation metric as lists (copied from the device once, for the stopping decisions too)."""
    values = [t.detach().cpu().tolist() for t in (lr, train_loss, val_loss, val_metric)]
    for j, k in enumerate(state.alive):
        history = state.members[k].history
        for key, v in zip(("lr", "train_loss", "val_loss", "val_metric"), values):
            history[key].append(v[j])
        history["epoch"].append(state.epoch)
    return values[1:]


def _diverged_message(config: TrainConfig, epoch: int, loss: float) -> str:
    return (
        f"Learning rate {config.lr:g} made the loss diverge at epoch {epoch} (loss {loss:.2g}). "
        f"Try {config.lr / 10:g} or lower, or an adaptive optimizer such as adam."
    )
