"""``TrainConfig``: every setting of one training run, each declared once, where it is a field.

Each field is declared by :func:`~heldout.train.settings.setting` with its type, default,
constraint, population role, default search range and help; :data:`SETTINGS` collects them and
everything else reads them from there (see :mod:`heldout.train.settings`).

>>> TrainConfig(optimizer="gd").validated().lr
0.1
>>> TrainConfig(lr=-1.0).validated()
Traceback (most recent call last):
...
heldout.errors.ConfigError: lr must be > 0, got -1.0. The learning rate scales each step; try 0.01.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields, replace
from typing import Callable

from ..errors import ConfigError
from .settings import MEMBER, TENSOR, Setting, setting


def _registries() -> dict[str, dict]:
    """The registries the named settings choose from, looked up when a value is checked or the
    choices are listed, not when the settings are declared: reading the declarations (the CLI builds
    its options from them) imports no torch."""
    from ..nn import dense, family, losses, optim

    return {
        "model": family.FAMILIES,
        "loss": losses.LOSSES,
        "activation": dense.ACTIVATIONS,
        "init": dense.INITS,
        "optimizer": optim.OPTIMIZERS,
        "schedule": optim.SCHEDULES,
    }


# The names each registry starts with, for listing them without importing torch (`heldout train
# --help`); a test keeps them equal to the registries' own. Names registered later are accepted all
# the same: values are checked against the registries.
BUILT_IN_NAMES = dict(
    [  # (pairs, not a dict display: these are choices, and the defaults are the fields')
        ("model", ("linear", "gbdt", "mlp")),
        ("loss", ("mse", "mae", "huber", "log_loss", "cross_entropy", "hinge")),
        ("activation", ("relu", "tanh", "sigmoid", "gelu", "identity")),
        ("init", ("zeros", "normal", "xavier", "kaiming")),
        ("optimizer", ("gd", "sgd", "momentum", "nesterov", "adam", "adamw")),
        ("schedule", ("constant", "step", "cosine")),
    ]
)


@dataclass(frozen=True)
class TrainConfig:
    # what is trained
    model: str | Callable = setting(
        object,
        "linear",
        "model family, or a factory f(n_inputs, n_outputs) -> nn.Module",
        choices=lambda: _registries()["model"],
    )
    loss: str | None = setting(
        str,
        None,
        "loss (default: the task's default: mse, log_loss or cross_entropy)",
        choices=lambda: _registries()["loss"],
    )
    hidden: tuple = setting(tuple, (64,), "mlp hidden layer sizes")
    activation: str = setting(
        str, "relu", "mlp activation", choices=lambda: _registries()["activation"]
    )
    init: str | None = setting(
        str,
        None,
        "initialisation (default: the family's default)",
        choices=lambda: _registries()["init"],
    )
    # how it is trained; the default search draws these in this order
    lr: float | None = setting(
        float,
        None,
        "learning rate η in θ ← θ − η∇L (default: the optimizer's default)",
        low=0,
        low_open=True,
        hint="The learning rate scales each step; try 0.01.",
        role=TENSOR,
        search=(1e-3, 0.1, "log"),
    )
    batch_size: int = setting(
        int,
        32,
        "rows per minibatch step (ignored by gd, which uses all rows)",
        low=1,
        hint="Try batch_size=32.",
        search=[16, 32, 64, 128],
    )
    epochs: int | None = setting(
        int,
        None,
        "passes over the training rows (default: 100, or 1000 full-batch steps "
        "for gd, unless iterations is set)",
        low=1,
        hint="Try epochs=100.",
        search=(20, 150),
    )
    weight_decay: float = setting(
        float,
        0.0,
        "the optimizer's weight decay (decoupled for adamw)",
        low=0,
        hint="Try 0 or 1e-4.",
        role=TENSOR,
        search=(1e-6, 1e-2, "log"),
    )
    optimizer: str = setting(
        str,
        "adam",
        "update rule",
        choices=lambda: _registries()["optimizer"],
        search=["adam", "momentum"],
    )
    momentum: float = setting(
        float,
        0.9,
        "momentum coefficient (momentum, nesterov)",
        low=0,
        high=1,
        high_open=True,
        hint="Try 0.9.",
        role=TENSOR,
        search=(0.5, 0.95),
    )
    # a cosine schedule ends every trial with small steps, so its final weights (which the refit
    # keeps, having no rows left to choose an epoch on) are settled rather than noisy
    schedule: str = setting(
        str,
        "constant",
        "learning-rate schedule, a factor per epoch",
        choices=lambda: _registries()["schedule"],
        role=MEMBER,
        search=["cosine"],
    )
    iterations: int | None = setting(
        int,
        None,
        "optimizer steps in total (instead of epochs)",
        low=1,
        hint="Try iterations=1000.",
    )
    seed: int = setting(
        int,
        0,
        "seed of the random initialisation",
        low=0,
        hint="Use a non-negative integer.",
        role=MEMBER,
        cli=False,
    )  # the CLI's --seed seeds the split and the initialisation
    shuffle_seed: int | None = setting(
        int,
        None,
        "seed of the batch order (default: the split's seed)",
        low=0,
        hint="Use a non-negative integer.",
    )
    beta1: float = setting(
        float,
        0.9,
        "Adam's first-moment decay",
        low=0,
        high=1,
        high_open=True,
        hint="Try 0.9.",
        role=TENSOR,
    )
    beta2: float = setting(
        float,
        0.999,
        "Adam's second-moment decay",
        low=0,
        high=1,
        high_open=True,
        hint="Try 0.999.",
        role=TENSOR,
    )
    eps: float = setting(
        float, 1e-8, "Adam's denominator guard", low=0, low_open=True, hint="Try 1e-8.", role=TENSOR
    )
    l2: float = setting(
        float,
        0.0,
        "L2 penalty (l2/2)·‖W‖² on weights, added to the loss",
        low=0,
        hint="Try 0 or 1e-3.",
        role=TENSOR,
    )
    step_size: int | None = setting(
        int,
        None,
        "epochs between decays of the step schedule (default: a third of the epochs)",
        low=1,
        hint="Try 30.",
        role=MEMBER,
    )
    gamma: float = setting(
        float,
        0.1,
        "factor of the step schedule",
        low=0,
        high=1,
        low_open=True,
        hint="Try 0.1.",
        role=MEMBER,
    )
    # when a member stops
    early_stopping: bool = setting(
        bool, True, "stop when validation loss stalls, and keep the best weights", role=MEMBER
    )
    patience: int | None = setting(
        int,
        None,
        "epochs without validation improvement before early stopping "
        "(default: 20, or 200 steps for gd)",
        low=1,
        hint="Try 20, or None to turn early stopping off.",
        role=MEMBER,
    )
    tol: float = setting(
        float,
        1e-4,
        "converged when the best training loss improves by less than this share "
        "over n_iter_no_change epochs",
        low=0,
        hint="Try 1e-4, or 0 to turn convergence stopping off.",
        role=MEMBER,
    )
    n_iter_no_change: int | None = setting(
        int,
        None,
        "the window of epochs over which convergence is judged (default: 10, or 100 steps for gd)",
        low=1,
        hint="Try 10.",
        role=MEMBER,
    )
    diverge_factor: float = setting(
        float,
        1e4,
        "training loss above this multiple of the initial loss counts as divergence",
        low=1,
        low_open=True,
        hint="Try 1e4.",
        role=MEMBER,
    )
    # gradient-boosted trees (gbdt): the trees' shape, and the share of columns and rows each sees
    leaves: int = setting(int, 31, "gbdt: leaves per tree", low=2, hint="Try 31.", role=MEMBER)
    min_leaf_rows: int = setting(
        int, 20, "gbdt: training rows a leaf holds at least", low=1, hint="Try 20.", role=MEMBER
    )
    feature_fraction: float = setting(
        float,
        1.0,
        "gbdt: share of the columns each tree is grown on",
        low=0,
        high=1,
        low_open=True,
        hint="Try 0.8.",
        role=MEMBER,
    )
    row_fraction: float = setting(
        float,
        1.0,
        "gbdt: share of the training rows each tree is grown on",
        low=0,
        high=1,
        low_open=True,
        hint="Try 0.8.",
        role=MEMBER,
    )
    device: str = setting(str, "cpu", "torch device of the computation")

    def validated(self) -> "TrainConfig":
        """This config with defaults filled in, or a ConfigError naming the first bad setting."""
        for name, declared in SETTINGS.items():
            declared.check(name, getattr(self, name))
        from ..nn import optim

        optimizer = optim.get(self.optimizer)
        if self.epochs is not None and self.iterations is not None:
            raise ConfigError(
                f"Give epochs or iterations, not both (got epochs={self.epochs}, "
                f"iterations={self.iterations})."
            )
        epochs = self.epochs
        if epochs is None and self.iterations is None:
            epochs = 1000 if optimizer.full_batch else 100
        # gd's epochs are single steps, each changing the loss little: its windows are longer
        scale = 10 if optimizer.full_batch else 1
        return replace(
            self,
            lr=self.lr if self.lr is not None else optimizer.default_lr,
            epochs=epochs,
            hidden=tuple(int(h) for h in self.hidden),
            patience=self.patience if self.patience is not None else 20 * scale,
            n_iter_no_change=self.n_iter_no_change
            if self.n_iter_no_change is not None
            else 10 * scale,
        )

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
            raise ConfigError(
                f"Unknown training setting(s) {unknown}. Valid settings: {sorted(known)}."
            )
        return cls(**{k: tuple(v) if k == "hidden" else v for k, v in values.items()})


SETTINGS: dict[str, Setting] = {f.name: f.metadata["setting"] for f in fields(TrainConfig)}
PER_MEMBER = tuple(
    name for name, s in SETTINGS.items() if s.role in (MEMBER, TENSOR)
)  # may differ in a population
MEMBER_TENSORS = tuple(
    name for name, s in SETTINGS.items() if s.role == TENSOR
)  # [K] tensors in the engine
SEARCHED = {
    name: s.search for name, s in SETTINGS.items() if s.search is not None
}  # the default search space


def parameters(kind=inspect.Parameter.KEYWORD_ONLY, skip=()) -> list[inspect.Parameter]:
    """The settings as function parameters with their declared defaults (for derived signatures)."""
    return [
        inspect.Parameter(name, kind, default=s.default)
        for name, s in SETTINGS.items()
        if name not in skip
    ]
