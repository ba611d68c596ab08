"""The training loop over a population of K members, computed as one batched model.

Members share the data and the batch order; each has its own hyperparameters, initialisation
seed, history, early stopping, convergence and divergence. A member that stops keeps its
parameters frozen while the others go on; the run ends when no member is still training.
A single run is a population of one through the same code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from . import losses, optim
from .config import TrainConfig


@dataclass
class Tensors:
    """Preprocessed training and validation rows, resident on the device."""

    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor


@dataclass
class Member:
    """One member's outcome: history, best epoch, status, message and final parameters."""

    config: TrainConfig
    history: dict = field(default_factory=lambda: {"epoch": [], "lr": [], "train_loss": [], "val_loss": [],
                                                   "val_metric": []})
    best_epoch: int = 0
    status: str = "max_epochs"
    message: str = ""
    params: list = field(default_factory=list)


def train(family, configs: list[TrainConfig], data: Tensors, task: str, n_out: int, shuffle_seed: int) -> list[Member]:
    """Train one member per config (all sharing model shape, loss, optimizer and batch size)."""
    c0 = configs[0]
    K, n = len(configs), len(data.y_train)
    opt, loss_fn = optim.get(c0.optimizer), losses.LOSSES[c0.loss]
    hp = {name: torch.tensor([float(getattr(c, name)) for c in configs], device=data.X_train.device)
          for name in ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "l2")}
    batch = n if opt.full_batch else min(c0.batch_size, n)
    steps_per_epoch = math.ceil(n / batch)
    epochs = c0.epochs if c0.iterations is None else math.ceil(c0.iterations / steps_per_epoch)
    steps_left = c0.iterations if c0.iterations is not None else epochs * steps_per_epoch
    schedule = optim.SCHEDULES[c0.schedule]
    step_size = c0.step_size or max(1, epochs // 3)
    order_gen = torch.Generator().manual_seed(int(shuffle_seed))

    params = [p.requires_grad_(True) for p in family.init(data.X_train.shape[1], n_out, [c.seed for c in configs],
                                                          data.X_train.device)]
    weights = family.weight_mask()  # after init: a user module learns its parameter names there
    state = opt.init(params)
    members = [Member(config=c) for c in configs]
    active = torch.ones(K, dtype=torch.bool, device=data.X_train.device)
    best_val = torch.full((K,), math.inf, device=active.device)
    best_params = [p.detach().clone() for p in params]
    best_train = torch.full((K,), math.inf, device=active.device)
    best_train_trail = []  # best training loss after each epoch: convergence looks back a window

    def objective(out, y, params):
        penalty = sum(p.pow(2).flatten(1).sum(1) for p, w in zip(params, weights) if w)
        return loss_fn(out, y) + 0.5 * hp["l2"] * penalty

    def validate():
        with torch.no_grad():
            val_out = family.forward(params, data.X_val)
            return loss_fn(val_out, data.y_val), losses.monitor_metric(task, val_out, data.y_val)

    # epoch 0 is the initial state: it anchors the curves and the divergence test
    with torch.no_grad():
        initial_train = loss_fn(family.forward(params, data.X_train), data.y_train)
    val_loss, val_metric = validate()
    _record(members, 0, hp["lr"], initial_train, val_loss, val_metric)
    best_val = torch.where(torch.isfinite(val_loss), val_loss, best_val)

    for epoch in range(1, epochs + 1):
        # forward / backward / update over this epoch's batches, in one shared seeded order
        lr = hp["lr"] * schedule(epoch - 1, epochs, step_size, c0.gamma)
        step_hp = dict(hp, lr=lr)
        if opt.full_batch:
            X, y = data.X_train, data.y_train
        else:
            perm = torch.randperm(n, generator=order_gen).to(data.X_train.device)
            X, y = data.X_train[perm], data.y_train[perm]
        running, seen = torch.zeros(K, device=active.device), 0
        for start in range(0, n, batch):
            if steps_left == 0:
                break
            xb, yb = X[start:start + batch], y[start:start + batch]
            out = family.forward(params, xb)
            batch_loss = objective(out, yb, params)
            grads = torch.autograd.grad(batch_loss.sum(), params)
            with torch.no_grad():
                new, state = opt.update(list(grads), state, [p.detach() for p in params], step_hp)
                params = [torch.where(optim.per_member(active, p), q, p.detach()).requires_grad_(True)
                          for p, q in zip(params, new)]
            running += loss_fn(out.detach(), yb) * len(yb)
            seen += len(yb)
            steps_left -= 1
        # evaluate on validation rows; the epoch's training loss is the mean over its batches
        # (for gd: the loss at the start of the step, as the step saw it)
        train_loss = running / max(seen, 1)
        val_loss, val_metric = validate()
        _record(members, epoch, lr, train_loss, val_loss, val_metric, active)

        # per member: diverged, improved, stopped early, converged
        diverged = active & (~torch.isfinite(train_loss) | (train_loss > c0.diverge_factor * initial_train.abs()))
        improved = active & torch.isfinite(val_loss) & (val_loss < best_val)
        best_val = torch.where(improved, val_loss, best_val)
        best_params = [torch.where(optim.per_member(improved, b), p.detach(), b) for b, p in zip(best_params, params)]
        best_train = torch.minimum(best_train, train_loss)
        best_train_trail.append(best_train)
        window = c0.n_iter_no_change
        stalled = (best_train >= (1 - c0.tol) * best_train_trail[-1 - window] if len(best_train_trail) > window
                   else torch.zeros_like(active))
        for k in torch.nonzero(improved).flatten().tolist():
            members[k].best_epoch = epoch
        for k in torch.nonzero(active).flatten().tolist():
            m = members[k]
            if diverged[k]:
                m.status, m.message = "diverged", _diverged_message(m.config, epoch, float(train_loss[k]))
            elif c0.early_stopping and epoch - m.best_epoch >= c0.patience:
                m.status = "early_stopped"
                m.message = f"validation loss did not improve for {c0.patience} epochs; best epoch {m.best_epoch}"
            elif c0.tol > 0 and stalled[k]:
                m.status = "converged"
                m.message = (f"training loss improved by less than {c0.tol:g} (relative) over the last "
                             f"{window} epochs")
            else:
                continue
            active[k] = False
        if not bool(active.any()) or steps_left == 0:
            break

    # each member ends with its best validation weights when early stopping is on (and always
    # after divergence); with early stopping off it keeps its final weights
    for k, m in enumerate(members):
        keep_best = m.status == "diverged" or c0.early_stopping
        m.params = [(b[k] if keep_best else p.detach()[k]).clone() for b, p in zip(best_params, params)]
    return members


def _record(members, epoch, lr, train_loss, val_loss, val_metric, active=None) -> None:
    values = [t.detach().cpu().tolist() for t in (lr, train_loss, val_loss, val_metric)]
    for k, m in enumerate(members):
        if active is None or bool(active[k]):
            for key, v in zip(("lr", "train_loss", "val_loss", "val_metric"), values):
                m.history[key].append(v[k])
            m.history["epoch"].append(epoch)


def _diverged_message(config: TrainConfig, epoch: int, loss: float) -> str:
    return (f"Learning rate {config.lr:g} made the loss diverge at epoch {epoch} (loss {loss:.2g}). "
            f"Try {config.lr / 10:g} or lower, or an adaptive optimizer such as adam.")


