"""The training loop over a population of K members, computed as one batched model.

Members share the model shape, loss, optimizer, batch size and epochs; each has its own learning
rate, momentum, betas, weight decay, L2, schedule, initialisation seed, stopping rules and
cross-validation fold. Members of one fold share every batch, so one pass over the data serves
all of them. Each member has its own history, early stopping (best weights restored),
convergence and divergence; a member that stops is frozen (its parameters and optimizer state
no longer change) while the others go on, and the run ends when no member is still training.
A single run is a population of one through the same code.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch

from . import allocator, batches, losses, optim
from .batches import Block
from .config import TrainConfig

EVAL_ELEMENTS = 1 << 21  # outputs and activations held at once when scoring rows without gradients
EPOCH0_ROWS = 8192       # the initial training loss is measured on at most this many rows (per fold)


@dataclass
class Tensors:
    """Preprocessed training and validation rows on the device; ``fold[k]`` is member k's block."""

    train: Block
    validation: Block
    fold: torch.Tensor | None = None


@dataclass
class Member:
    """One member's outcome: history, best epoch, status, message and final parameters."""

    config: TrainConfig
    fold: int | None = None
    history: dict = field(default_factory=lambda: {"epoch": [], "lr": [], "train_loss": [], "val_loss": [],
                                                   "val_metric": []})
    best_epoch: int = 0
    status: str = "max_epochs"
    message: str = ""
    params: list = field(default_factory=list)
    epoch_seconds: list = field(default_factory=list)  # wall time of each epoch, validation included


def score_rows(family, params, block: Block, fold, task: str, loss: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Each member's mean loss and monitored metric over all rows of ``block``, without gradients,
    in row chunks so that K members' activations never need more than ``EVAL_ELEMENTS`` numbers."""
    K, n = params[0].shape[0], block.X.shape[-2]
    width = max(p.shape[-1] for p in params)
    rows = max(1, EVAL_ELEMENTS // max(1, K * width))
    zeros = lambda: [params[0].new_zeros(K), params[0].new_zeros(K), params[0].new_zeros(K)]  # noqa: E731
    valid = block.weights()

    def kernel(start: int, stop: int, sums) -> None:
        if block.is_shared:
            X, y, w = block.X[start:stop], block.y[start:stop], None
        else:  # each member reads its own fold's rows
            X, y, w = (t[:, start:stop].index_select(0, fold) for t in (block.X, block.y, valid))
        out = family.forward(params, X)
        loss_rows, metric_rows = losses.ROWS[loss](out, y), losses.monitor_rows(task, out, y)
        if w is not None:
            loss_rows, metric_rows = loss_rows * w, metric_rows * w
        sums[0].add_(loss_rows.sum(-1))
        sums[1].add_(metric_rows.sum(-1))
        sums[2].add_(stop - start if w is None else w.sum(-1))

    with torch.no_grad():
        if block.is_shared:
            loss_sum, metric_sum, weight = batches.over_chunks(n, block.X.shape[1] * block.X.element_size(), zeros,
                                                              kernel, max_rows=rows, device=block.X.device)
        else:
            loss_sum, metric_sum, weight = zeros()
            for start in range(0, n, rows):
                kernel(start, min(start + rows, n), [loss_sum, metric_sum, weight])
    weight = weight.clamp_min(1)
    return loss_sum / weight, losses.finish_monitor(task, metric_sum / weight)


def train(family, configs: list[TrainConfig], data: Tensors, task: str, n_out: int, shuffle_seed: int,
          folds: list[int] | None = None, prune=None, on_epoch=None, trace=None) -> list[Member]:
    """Train one member per config; ``folds[k]`` is member k's cross-validation fold, if any.

    ``prune(k, epoch, val_loss, val_metric) -> bool``, when given, is asked after every epoch
    for each member still training; ``True`` stops that member with status ``pruned``.
    ``on_epoch(state)``, when given, hears after every epoch how the population is doing
    (:mod:`heldout.progress`). ``trace(epoch, members, params)``, when given, sees the parameters
    at epoch 0 and after every epoch; row j of each tensor is member ``members[j]``
    (:mod:`heldout.descent` draws the paths from it).
    """
    started_at = time.perf_counter()
    allocator.tune()
    c0 = configs[0]
    device = data.train.X.device
    opt = optim.get(c0.optimizer)
    batch = max(data.train.counts) if opt.full_batch else c0.batch_size
    epochs = c0.epochs if c0.iterations is None else math.ceil(c0.iterations / data.train.steps_per_epoch(batch))
    gens = data.train.generators(shuffle_seed)
    stream = opt.full_batch and data.train.is_shared and hasattr(family, "full_batch_loss_and_grads")
    members = [Member(config=c, fold=None if folds is None else folds[k]) for k, c in enumerate(configs)]

    # the live population: row j of every tensor below is member alive[j]
    alive = list(range(len(configs)))
    fold = data.fold
    hp = _hyperparameters(configs, device)
    params = family.init(data.train.n_features, n_out, [c.seed for c in configs], device)
    weights = family.weight_mask()  # which parameters are weights (l2 applies to them)
    state = opt.init(params)
    steps_done = torch.zeros(len(alive), device=device)

    # epoch 0 is the initial state: it anchors the curves and the divergence test (on a seeded
    # sample of the training rows when they are many: an estimate is enough for both)
    initial_train, _ = score_rows(family, params, data.train.sample(EPOCH0_ROWS, shuffle_seed), fold, task, c0.loss)
    val_loss, val_metric = score_rows(family, params, data.validation, fold, task, c0.loss)
    _record(members, alive, 0, hp["lr"], initial_train, val_loss, val_metric)
    initial = initial_train.tolist()
    if trace is not None:
        trace(0, list(alive), params)
    best_val = torch.where(torch.isfinite(val_loss), val_loss, torch.full_like(val_loss, math.inf))
    best_params = [p.clone() for p in params]
    trail = {k: [math.inf] for k in alive}  # each member's best training loss after each epoch

    for epoch in range(1, epochs + 1):
        # forward / backward / update over this epoch's batches, every live member in one computation
        started = time.perf_counter()
        step_hp = dict(hp, lr=_epoch_lr([configs[k] for k in alive], epoch, epochs, hp["lr"]))
        running, seen = torch.zeros(len(alive), device=device), 0
        for X, y, w, rows in data.train.epoch(batch, gens, fold):
            if stream:
                value, grads = family.full_batch_loss_and_grads(params, X, y, c0.loss)
            else:
                value, grads = family.loss_and_grads(params, X, y, w, c0.loss)
            if hp["l2"] is not None:  # the gradient of (l2/2)·‖W‖² on weights
                grads = [torch.addcmul(g, optim.per_member(hp["l2"], p), p) if is_weight else g
                         for g, p, is_weight in zip(grads, params, weights)]
            new_params, new_state = opt.update(grads, state, params, step_hp)
            if (torch.is_tensor(rows) and not bool((rows > 0).all())) or c0.iterations is not None:
                # a fold with no rows left in this epoch, or a member out of iterations, stands still
                stepping = (rows > 0) if torch.is_tensor(rows) else torch.ones_like(steps_done, dtype=torch.bool)
                if c0.iterations is not None:
                    stepping = stepping & (steps_done < c0.iterations)
                params, state = optim.select(stepping, new_params, params), optim.select(stepping, new_state, state)
                steps_done += stepping
                if c0.iterations is not None and not bool((steps_done < c0.iterations).any()):
                    break
            else:
                params, state = new_params, new_state
            running.add_(value * rows) if torch.is_tensor(rows) else running.add_(value, alpha=rows)
            seen = seen + rows
        # evaluate on validation rows; the epoch's training loss is the mean over its batches
        # (for gd: the loss at the start of the step, as the step saw it)
        train_loss = running / (seen.clamp_min(1) if torch.is_tensor(seen) else max(seen, 1))
        val_loss, val_metric = score_rows(family, params, data.validation, fold, task, c0.loss)
        train_now, val_now, metric_now = _record(members, alive, epoch, step_hp["lr"], train_loss, val_loss,
                                                 val_metric)
        for k in alive:
            members[k].epoch_seconds.append(time.perf_counter() - started)

        # per member: improved, diverged, stopped early, converged, out of iterations
        improved = torch.isfinite(val_loss) & (val_loss < best_val)
        best_val = torch.where(improved, val_loss, best_val)
        best_params = optim.select(improved, params, best_params)
        out_of_steps = [False] * len(alive) if c0.iterations is None else (steps_done >= c0.iterations).tolist()
        stopped = []
        watched = zip(alive, train_now, improved.tolist(), val_now, metric_now)
        for j, (k, loss_now, better, v_loss, v_metric) in enumerate(watched):
            if better:
                members[k].best_epoch = epoch
            trail[k].append(min(trail[k][-1], loss_now))
            if _stops(members[k], epoch, loss_now, initial[k], trail[k], out_of_steps[j]):
                stopped.append(j)
            elif prune is not None and prune(k, epoch, v_loss, v_metric):
                members[k].status = "pruned"
                members[k].message = f"pruned at epoch {epoch}: its validation curve trailed the other trials'"
                stopped.append(j)
        if trace is not None:
            trace(epoch, list(alive), params)
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "epochs": epochs, "alive": len(alive) - len(stopped), "members": len(members),
                      "best": float(best_val.min()), "seconds": time.perf_counter() - started_at})
        if len(stopped) == len(alive) or epoch == epochs:
            break
        if stopped:  # stopped members leave the computation; their rows are kept as they are
            for j in stopped:
                _finish(members[alive[j]], [b[j] for b in best_params], [p[j] for p in params])
            keep = torch.tensor([j for j in range(len(alive)) if j not in stopped], device=device)
            alive = [alive[j] for j in keep.tolist()]
            params, best_params, state, hp = (optim.take(keep, t) for t in (params, best_params, state, hp))
            best_val, steps_done = best_val[keep], steps_done[keep]
            fold = None if fold is None else fold[keep]

    for j, k in enumerate(alive):
        _finish(members[k], [b[j] for b in best_params], [p[j] for p in params])
    return members


def _finish(m: Member, best: list[torch.Tensor], final: list[torch.Tensor]) -> None:
    """A member ends with its best validation weights when early stopping is on (and always after
    divergence); with early stopping off it keeps its final weights."""
    keep_best = m.status == "diverged" or m.config.early_stopping
    m.params = [t.clone() for t in (best if keep_best else final)]


def _stops(m: Member, epoch: int, train_loss: float, initial: float, trail: list, out_of_steps: bool) -> bool:
    """Whether member ``m`` stops after ``epoch``; sets its status and message when it does."""
    c = m.config
    window = c.n_iter_no_change
    if not math.isfinite(train_loss) or train_loss > c.diverge_factor * abs(initial):
        m.status, m.message = "diverged", _diverged_message(c, epoch, train_loss)
    elif c.early_stopping and epoch - m.best_epoch >= c.patience:
        m.status = "early_stopped"
        m.message = f"validation loss did not improve for {c.patience} epochs; best epoch {m.best_epoch}"
    elif c.tol > 0 and len(trail) > window + 1 and trail[-1] >= (1 - c.tol) * trail[-1 - window]:
        m.status = "converged"
        m.message = f"training loss improved by less than {c.tol:g} (relative) over the last {window} epochs"
    elif out_of_steps:
        m.status, m.message = "max_epochs", f"ran its {c.iterations} iterations"
    else:
        return False
    return True


def _hyperparameters(configs: list[TrainConfig], device) -> dict:
    """Each per-member hyperparameter as a ``[K]`` tensor; an all-zero decay or l2 as ``None``
    (the update then skips it)."""
    hp = {name: torch.tensor([float(getattr(c, name)) for c in configs], device=device)
          for name in ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "l2")}
    for name in ("weight_decay", "l2"):
        if not bool(hp[name].any()):
            hp[name] = None
    return hp


def _epoch_lr(configs: list[TrainConfig], epoch: int, epochs: int, base: torch.Tensor) -> torch.Tensor:
    """Each member's learning rate for ``epoch`` (1-based) under its own schedule."""
    if all(c.schedule == "constant" for c in configs):
        return base
    factors = [optim.SCHEDULES[c.schedule](epoch - 1, epochs, c.step_size or max(1, epochs // 3), c.gamma)
               for c in configs]
    return base * torch.tensor(factors, dtype=base.dtype, device=base.device)


def _record(members, alive, epoch, lr, train_loss, val_loss, val_metric) -> list[list[float]]:
    """Append this epoch to each live member's history; return the training loss, validation loss
    and validation metric as lists (copied from the device once, for the stopping decisions too)."""
    values = [t.detach().cpu().tolist() for t in (lr, train_loss, val_loss, val_metric)]
    for j, k in enumerate(alive):
        for key, v in zip(("lr", "train_loss", "val_loss", "val_metric"), values):
            members[k].history[key].append(v[j])
        members[k].history["epoch"].append(epoch)
    return values[1:]


def _diverged_message(config: TrainConfig, epoch: int, loss: float) -> str:
    return (f"Learning rate {config.lr:g} made the loss diverge at epoch {epoch} (loss {loss:.2g}). "
            f"Try {config.lr / 10:g} or lower, or an adaptive optimizer such as adam.")
