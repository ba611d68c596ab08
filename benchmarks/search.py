"""64 trials of the default ``mlp`` search space (5 epochs each) on a 50,000 × 20 table: heldout's
search, which trains the trials of a batch together as one population, against plain Optuna —
``study.optimize`` with an objective that trains a plain PyTorch loop (``nn.Module``,
``torch.optim``, slicing) one trial at a time — with the same trials, epochs and space: batch
sizes 16 to 128 and every trial's 5 epochs (``max_steps=None``).

heldout then searches again with its defaults for this table's size (batch sizes 128 to 1,024 and
a budget of optimizer steps, :mod:`heldout.search.budget`), which is what ``heldout tune`` does.

Both report the best validation log loss; heldout scores a trial on its best epoch's weights
(early stopping restores them), the plain objective on its final weights, as such a loop usually
does.

    python3 benchmarks/search.py           # about 6 minutes on 2 cores (most of it the baseline)
"""

from __future__ import annotations

import math
import time

import optuna
import torch
from torch import nn

from _common import classification_table, finish, header, heldout, split_table, tensors

TRIALS, EPOCHS, POPULATION = 64, 5, 8
BATCHES = [16, 32, 64, 128]


def plain_objective(X, y, Xv, yv):
    def objective(trial) -> float:
        lr = trial.suggest_float("lr", 1e-3, 0.1, log=True)
        batch = trial.suggest_categorical("batch_size", BATCHES)
        weight_decay = trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True)
        optimizer = trial.suggest_categorical("optimizer", ["adam", "momentum"])
        momentum = trial.suggest_float("momentum", 0.5, 0.95) if optimizer == "momentum" else 0.0
        width = trial.suggest_categorical("width", [32, 64, 128])
        depth = trial.suggest_int("depth", 1, 2)
        torch.manual_seed(0)
        layers, fan_in = [], X.shape[1]
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), nn.ReLU()]
            fan_in = width
        model = nn.Sequential(*layers, nn.Linear(fan_in, 1))
        opt = (
            torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
            if optimizer == "adam"
            else torch.optim.SGD(
                model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay
            )
        )
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
        loss_fn = nn.BCEWithLogitsLoss()
        gen = torch.Generator().manual_seed(0)
        for _ in range(EPOCHS):
            perm = torch.randperm(len(y), generator=gen)
            Xp, yp = X[perm], y[perm]
            for start in range(0, len(y), batch):
                opt.zero_grad()
                loss_fn(
                    model(Xp[start : start + batch])[:, 0], yp[start : start + batch]
                ).backward()
                opt.step()
            sched.step()
        with torch.no_grad():
            value = float(loss_fn(model(Xv)[:, 0], yv))
        return value if math.isfinite(value) else 1e9

    return objective


def main() -> None:
    header("search: 64 trials of the mlp space, heldout populations vs plain Optuna + PyTorch")
    split = split_table(classification_table(50_000, 20), "label", test=0.2, validation=0.2)
    X, y = tensors(split, "train")
    Xv, yv = tensors(split, "validation")
    print(f"training rows {len(y)}, validation rows {len(yv)}, {TRIALS} trials of {EPOCHS} epochs")

    def search(label: str, **options):
        start = time.perf_counter()
        found = heldout.tune(
            split,
            candidates=["mlp+log_loss"],
            trials=TRIALS,
            population=POPULATION,
            seed=0,
            **options,
        )
        seconds = time.perf_counter() - start
        print(
            f"heldout, {label}: {seconds:.1f} s, best validation log loss "
            f"{found.best['log_loss']:.4f} ({(found.leaderboard['status'] == 'pruned').sum()} "
            "pruned)"
        )
        return seconds, found.best["log_loss"]

    ours, best = search(
        "the same trials", space={"epochs": EPOCHS, "batch_size": BATCHES}, max_steps=None
    )
    budgeted, budgeted_best = search("its defaults for this table", space={"epochs": EPOCHS})

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0))
    start = time.perf_counter()
    study.optimize(plain_objective(X, y, Xv, yv), n_trials=TRIALS)
    theirs = time.perf_counter() - start
    print(
        f"plain Optuna + PyTorch loop: {theirs:.1f} s, best validation log loss "
        f"{study.best_value:.4f}"
    )

    finish(
        {
            "speedup_vs_optuna_torch": round(theirs / ours, 2),
            "heldout_best": round(best, 4),
            "optuna_best": round(study.best_value, 4),
            "heldout_seconds": round(ours, 1),
            "optuna_seconds": round(theirs, 1),
            "defaults_speedup_vs_optuna_torch": round(theirs / budgeted, 2),
            "defaults_best": round(budgeted_best, 4),
            "defaults_seconds": round(budgeted, 1),
        }
    )


if __name__ == "__main__":
    main()
