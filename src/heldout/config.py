"""``TrainConfig``: every setting of one training run, each declared once with its constraint.

The declarations in :data:`HYPERPARAMETERS` give validation (:meth:`TrainConfig.validated`),
the CLI's help text, and the negative tests (``tests/test_config.py`` draws invalid values from
them).

>>> TrainConfig(optimizer="gd").validated().lr
0.1
>>> TrainConfig(lr=-1.0).validated()
Traceback (most recent call last):
...
heldout.errors.ConfigError: lr must be > 0, got -1.0. The learning rate scales each step; try 0.01.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Callable

from . import optim
from .errors import ConfigError
from .families import ACTIVATIONS, INITS


@dataclass(frozen=True)
class Hyper:
    """A numeric setting: its type, its open or closed bounds, and a one-line help."""

    kind: type
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    help: str = ""
    hint: str = ""          # how to fix a bad value

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is int and ok_type:
            ok_type = float(value).is_integer()
        if not ok_type:
            raise ConfigError(f"{name} must be a{'n integer' if self.kind is int else ' number'}, got {value!r}.")
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ConfigError(f"{name} must be {'>' if self.low_open else '>='} {self.low:g}, got {value!r}. {self.hint}")
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            raise ConfigError(f"{name} must be {'<' if self.high_open else '<='} {self.high:g}, got {value!r}. {self.hint}")


HYPERPARAMETERS: dict[str, Hyper] = {
    "lr": Hyper(float, 0, low_open=True, help="learning rate η in θ ← θ − η∇L",
                hint="The learning rate scales each step; try 0.01."),
    "epochs": Hyper(int, 1, help="passes over the training rows", hint="Try epochs=100."),
    "iterations": Hyper(int, 1, help="optimizer steps in total (instead of epochs)", hint="Try iterations=1000."),
    "batch_size": Hyper(int, 1, help="rows per minibatch step (ignored by gd, which uses all rows)",
                        hint="Try batch_size=32."),
    "seed": Hyper(int, 0, help="seed of the random initialisation", hint="Use a non-negative integer."),
    "momentum": Hyper(float, 0, 1, high_open=True, help="momentum coefficient (momentum, nesterov)",
                      hint="Try 0.9."),
    "beta1": Hyper(float, 0, 1, high_open=True, help="Adam's first-moment decay", hint="Try 0.9."),
    "beta2": Hyper(float, 0, 1, high_open=True, help="Adam's second-moment decay", hint="Try 0.999."),
    "eps": Hyper(float, 0, low_open=True, help="Adam's denominator guard", hint="Try 1e-8."),
    "weight_decay": Hyper(float, 0, help="the optimizer's weight decay (decoupled for adamw)", hint="Try 0 or 1e-4."),
    "l2": Hyper(float, 0, help="L2 penalty (l2/2)·‖W‖² on weights, added to the loss", hint="Try 0 or 1e-3."),
    "gamma": Hyper(float, 0, 1, low_open=True, help="factor of the step schedule", hint="Try 0.1."),
    "step_size": Hyper(int, 1, help="epochs between decays of the step schedule", hint="Try 30."),
    "patience": Hyper(int, 1, help="epochs without validation improvement before early stopping (None: off)",
                      hint="Try 20, or None to turn early stopping off."),
    "tol": Hyper(float, 0, help="converged when the best training loss improves by less than this share over "
                 "n_iter_no_change epochs", hint="Try 1e-4, or 0 to turn convergence stopping off."),
    "n_iter_no_change": Hyper(int, 1, help="the window of epochs over which convergence is judged", hint="Try 10."),
    "diverge_factor": Hyper(float, 1, low_open=True, help="training loss above this multiple of the initial loss "
                            "counts as divergence", hint="Try 1e4."),
}

DEFAULT_LR = {"gd": 0.1, "sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adam": 0.01, "adamw": 0.01}


@dataclass(frozen=True)
class TrainConfig:
    model: str | Callable = "linear"   # 'linear', 'mlp', or a factory(n_inputs, n_outputs) -> nn.Module
    loss: str | None = None            # None: the task's default (mse, log_loss, cross_entropy)
    optimizer: str = "adam"            # gd, sgd, momentum, nesterov, adam, adamw
    lr: float | None = None            # None: the optimizer's default (DEFAULT_LR)
    epochs: int | None = None          # None: 100 (gd: 1000 full-batch steps), unless iterations is set
    iterations: int | None = None      # total optimizer steps; exclusive with epochs
    batch_size: int = 32               # minibatch rows; gd always uses every training row
    seed: int = 0                      # initialisation seed of the member
    shuffle_seed: int | None = None    # seed of the batch order; None: the split's seed
    init: str | None = None            # zeros, normal, xavier, kaiming; None: the family's default
    hidden: tuple = (64,)              # mlp hidden layer sizes
    activation: str = "relu"           # mlp activation
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    l2: float = 0.0
    schedule: str = "constant"         # constant, step, cosine (a factor per epoch)
    step_size: int | None = None       # step schedule period; None: a third of the epochs
    gamma: float = 0.1
    early_stopping: bool = True        # stop when validation loss stalls, and keep the best weights
    patience: int | None = None        # epochs without validation improvement; None: 20 (gd: 200 steps)
    tol: float = 1e-4                  # converged: best training loss improved < tol (relative) over the window
    n_iter_no_change: int | None = None  # the convergence window in epochs; None: 10 (gd: 100 steps)
    diverge_factor: float = 1e4
    device: str = "cpu"

    def validated(self) -> "TrainConfig":
        """This config with defaults filled in, or a ConfigError naming the first bad setting."""
        for name, hyper in HYPERPARAMETERS.items():
            hyper.check(name, getattr(self, name))
        optimizer = optim.get(self.optimizer)
        if self.schedule not in optim.SCHEDULES:
            raise ConfigError(f"Unknown schedule {self.schedule!r}. Choose one of {list(optim.SCHEDULES)}.")
        if self.init is not None and self.init not in INITS:
            raise ConfigError(f"Unknown initialisation {self.init!r}. Choose one of {list(INITS)}.")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"Unknown activation {self.activation!r}. Choose one of {list(ACTIVATIONS)}.")
        if self.epochs is not None and self.iterations is not None:
            raise ConfigError(f"Give epochs or iterations, not both (got epochs={self.epochs}, "
                              f"iterations={self.iterations}).")
        epochs = self.epochs
        if epochs is None and self.iterations is None:
            epochs = 1000 if optimizer.full_batch else 100
        # gd's epochs are single steps, each changing the loss little: its windows are longer
        scale = 10 if optimizer.full_batch else 1
        return replace(self, lr=self.lr if self.lr is not None else DEFAULT_LR[self.optimizer],
                       epochs=epochs, hidden=tuple(int(h) for h in self.hidden),
                       patience=self.patience if self.patience is not None else 20 * scale,
                       n_iter_no_change=self.n_iter_no_change if self.n_iter_no_change is not None else 10 * scale)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if not isinstance(self.model, str):  # a user module: its code is not stored, only its name
            out["model"], out["factory"] = "module", getattr(self.model, "__name__", "module")
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        values = {k: v for k, v in values.items() if k != "factory"}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"Unknown training setting(s) {unknown}. Valid settings: {sorted(known)}.")
        return cls(**{k: tuple(v) if k == "hidden" else v for k, v in values.items()})

