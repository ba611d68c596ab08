"""``gbdt``: gradient-boosted trees, trained by LightGBM, as a model family.

Boosting is gradient descent in the space of functions: each round fits a tree to the negative
gradient of the loss and adds it, scaled by the learning rate (F ← F − η·h). heldout's families
are trained by its own engine, step by step; this one is trained by LightGBM
(:meth:`Boosted.train_members`), which :func:`heldout.train.population.train_population` calls in
the engine's place — the same rows, the same hooks, the same :class:`~heldout.train.state.Member`
records, so the search, the refit, the ensembles, the bundle and the look take it as they take
any family. A round is an epoch: the history holds each round's training and validation loss,
early stopping watches the validation rows (the rounds kept are the best round's), and the refit
trains the rounds the trial chose.

The booster is stored as its text model, a tensor of bytes under the bundle's digest, and read
back by LightGBM's parser: loading a model runs no code from the file. Training is seeded and
deterministic (``deterministic``, row-wise histograms, a fixed thread count), so a run killed
and run again trains the same trees.

>>> family = Boosted()
>>> family.param_names(), family.weight_mask()
(['booster'], [False])
"""

from __future__ import annotations

import hashlib
import math
import time

import numpy as np
import torch

from .._util import threads
from ..errors import ConfigError

# heldout's losses as LightGBM's objectives, with the metric that is the same loss
OBJECTIVES = {
    "mse": ("regression", "l2"),
    "mae": ("regression_l1", "l1"),
    "huber": ("huber", "huber"),
    "log_loss": ("binary", "binary_logloss"),
    "cross_entropy": ("multiclass", "multi_logloss"),
}
HUBER_DELTA = 1.0  # as heldout's huber loss (on standardised targets)
PATIENCE = 50  # rounds without a better validation loss before boosting stops
RATES = (0.01, 0.3, "log")  # a booster's learning rates, searched on a log scale (not a default)
# the search's dimensions (its own: the gradient steps' settings mean nothing to a booster); trees'
# sizes on log scales, as small trees and large ones both win on some tables
GBDT_SPACE = {
    "lr": RATES,
    "leaves": (4, 128, "log"),
    "min_leaf_rows": (2, 128, "log"),
    "feature_fraction": (0.4, 1.0),
    "row_fraction": (0.5, 1.0),
    "weight_decay": (1e-8, 10.0, "log"),
    "epochs": 2000,
}
_BOOSTERS: dict[str, object] = {}  # parsed text models by digest: a forward pass parses once


class Boosted:
    """Gradient-boosted trees (LightGBM) behind the :class:`~heldout.nn.family.Family` protocol."""

    name = "gbdt"
    streams_full_batch = False

    def config(self) -> dict:
        return {"model": self.name}

    def size(self, n_in: int, n_out: int) -> tuple[int, list[int]]:
        """A booster is not a tensor of weights; its cost per row is about a tree walk per round
        and output (counted as a few hundred numbers per input)."""
        return 256 * max(n_in, 1) * n_out, [n_out]

    def param_names(self) -> list[str]:
        return ["booster"]

    def weight_mask(self) -> list[bool]:
        return [False]

    def init(self, n_in: int, n_out: int, seeds: list[int], device="cpu") -> list[torch.Tensor]:
        return [torch.zeros(len(seeds), 0, dtype=torch.uint8, device=device)]

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """Raw scores (regression values on the standardised scale, logits) ``[K, n, outputs]``."""
        texts = params[0]
        rows = X.detach().cpu().numpy().astype(np.float64)
        outs = []
        for k in range(texts.shape[0]):
            booster = _booster(texts[k])
            out = booster.predict(
                rows[k] if rows.ndim == 3 else rows, raw_score=True, num_threads=threads.CORES
            )
            outs.append(torch.from_numpy(np.asarray(out, dtype=np.float32).reshape(len(out), -1)))
        return torch.stack(outs).to(X.device)

    def loss_and_grads(self, params, X, y, w, loss: str):
        raise ConfigError(
            "gbdt is trained by LightGBM, not by heldout's gradient steps: train it with fit() or "
            "a search (candidates gbdt+mse, gbdt+log_loss, ...)."
        )

    def full_batch_loss_and_grads(self, params, X, y, loss: str):
        return self.loss_and_grads(params, X, y, None, loss)

    def train_members(self, configs, data, task, n_out: int, folds=None, on_epoch=None) -> list:
        """Each config trained by LightGBM on its rows (its fold's, with folds), watched on its
        validation rows: one record each of what a :class:`~heldout.train.state.Member` holds
        (history, best epoch, status, message, parameters, epoch seconds). Pruning, tracing and
        checkpoints do not apply (a booster trains in one call, and again from its seed after a
        kill); ``on_epoch`` hears once, at the end."""
        members, started = [], time.perf_counter()
        for k, config in enumerate(configs):
            fold = None if folds is None else folds[k]
            members.append(_train(config, fold, data, task, n_out))
        if on_epoch is not None:
            best = min(min(m["history"]["val_loss"] or [float("inf")]) for m in members)
            rounds = max(len(m["history"]["epoch"]) for m in members)
            on_epoch(
                {
                    "epoch": rounds,
                    "epochs": rounds,
                    "alive": 0,
                    "members": len(members),
                    "best": best,
                    "seconds": time.perf_counter() - started,
                }
            )
        return members


def _train(config, fold: int | None, data, task, n_out: int) -> dict:
    """One booster: trained, its history recorded, its best rounds kept as text."""
    import lightgbm as lgb

    if config.loss not in OBJECTIVES:
        raise ConfigError(
            f"gbdt does not train loss {config.loss!r}. Choose one of {sorted(OBJECTIVES)}."
        )
    objective, metric = OBJECTIVES[config.loss]
    train_X, train_y, train_w = _rows(data.train, fold)
    valid_X, valid_y, valid_w = _rows(data.validation, fold)
    params = {
        "objective": objective,
        "metric": metric,
        "learning_rate": config.lr,
        "num_leaves": config.leaves,
        "min_data_in_leaf": config.min_leaf_rows,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": config.row_fraction,
        "bagging_freq": 1 if config.row_fraction < 1 else 0,
        "lambda_l2": config.weight_decay,
        "alpha": HUBER_DELTA,
        "seed": config.seed,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": threads.CORES,
        "verbosity": -1,
    }
    if config.loss == "cross_entropy":  # one score per class
        params["num_class"] = n_out
    rounds = config.epochs or 1000
    train_set = lgb.Dataset(train_X, train_y, weight=train_w, free_raw_data=False)
    valid_set = lgb.Dataset(valid_X, valid_y, weight=valid_w, reference=train_set)
    record: dict = {}
    callbacks = [lgb.record_evaluation(record)]
    if config.early_stopping:
        patience = config.patience or PATIENCE
        callbacks.append(lgb.early_stopping(patience, first_metric_only=True, verbose=False))
    started = time.perf_counter()
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=rounds,
        valid_sets=[train_set, valid_set],
        valid_names=["train", "validation"],
        callbacks=callbacks,
    )
    seconds = time.perf_counter() - started
    train_loss, val_loss = record["train"][metric], record["validation"][metric]
    best = booster.best_iteration or len(val_loss)
    unit = _unit(data.validation, fold)
    text = booster.model_to_string(num_iteration=best).encode()
    return {
        "history": {
            "epoch": list(range(1, len(val_loss) + 1)),
            "lr": [params["learning_rate"]] * len(val_loss),
            "train_loss": [float(v) for v in train_loss],
            "val_loss": [float(v) for v in val_loss],
            "val_metric": [
                float(np.sqrt(v) * unit) if metric == "l2" and task.monitor == "rmse" else math.nan
                for v in val_loss
            ],
        },
        "best_epoch": int(best),
        "status": "early_stopped" if len(val_loss) < rounds else "max_epochs",
        "message": f"{best} boosting rounds kept of {len(val_loss)}",
        "params": [torch.frombuffer(bytearray(text), dtype=torch.uint8).clone()],
        "epoch_seconds": [seconds / max(len(val_loss), 1)] * len(val_loss),
    }


def _rows(block, fold: int | None):
    """One member's rows of a block, as numpy: its fold's real rows, or all of them."""
    X, y, w = block.X, block.y, block.w
    if X.dim() == 3:
        n = block.counts[fold]
        X, y, w = X[fold, :n], y[fold, :n], None if w is None else w[fold, :n]
    y = y.detach().cpu().numpy()
    if y.ndim == 2:
        if y.shape[1] > 1:
            raise ConfigError(
                "gbdt predicts one target; for several targets use linear or mlp candidates."
            )
        y = y[:, 0]
    return (
        X.detach().cpu().numpy().astype(np.float64),
        y,
        None if w is None else w.detach().cpu().numpy(),
    )


def _unit(block, fold: int | None) -> float:
    unit = block.unit
    if unit is None:
        return 1.0
    return float(unit[fold] if unit.dim() == 1 and fold is not None else unit.reshape(-1)[0])


def _booster(text: torch.Tensor):
    """The booster of a text model, parsed once."""
    import lightgbm as lgb

    raw = text.numpy().tobytes()
    key = hashlib.sha256(raw).hexdigest()
    if key not in _BOOSTERS:
        _BOOSTERS[key] = lgb.Booster(model_str=raw.decode())
    return _BOOSTERS[key]
