"""What a model family must provide (:class:`Family`), and the registry of named families.

A family computes K members at once: every parameter carries a leading member axis. It is
registered under a name with a builder ``build(hidden, activation, init) -> Family``, checked
once, at registration, against the protocol; the engine then calls its members without probing.
A family may add dimensions to the search space (``mlp``: width and depth) with a function that
turns their values into training settings.

>>> sorted(FAMILIES)
['gbdt', 'linear', 'mlp']
>>> make_family("mlp", hidden=(8,), activation="relu", init=None).init_scheme
'kaiming'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import torch

from ..errors import ConfigError
from .boosted import GBDT_SPACE, OBJECTIVES, Boosted
from .dense import Dense
from .module import Module


@runtime_checkable
class Family(Protocol):
    """A model family, batched over members (see :mod:`heldout.nn.dense` for the reference one)."""

    name: str
    streams_full_batch: (
        bool  # whether full_batch_loss_and_grads streams a shared X (else it is one pass)
    )

    def config(self) -> dict:
        """The family's settings, as stored in a bundle."""

    def size(self, n_in: int, n_out: int) -> tuple[int, list[int]]:
        """Parameters of one member, and the width of each layer's output (for the memory
        estimate)."""

    def param_names(self) -> list[str]:
        """One name per parameter tensor, as a bundle stores them."""

    def weight_mask(self) -> list[bool]:
        """Which parameter tensors are weights (penalised by ``l2``) rather than biases."""

    def init(self, n_in: int, n_out: int, seeds: list[int], device="cpu") -> list[torch.Tensor]:
        """Each member's parameters drawn from its own seed, stacked on a leading member axis."""

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        """Outputs ``[K, n, outputs]`` for rows ``X[n, d]`` (shared) or ``X[K, n, d]`` (per
        member)."""

    def loss_and_grads(self, params, X, y, w, loss: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Members' mean losses ``[K]`` over (weighted) rows, and each parameter's gradient."""

    def full_batch_loss_and_grads(
        self, params, X, y, loss: str
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """:meth:`loss_and_grads` over every row of a shared ``X``."""


@dataclass(frozen=True)
class Entry:
    """A registered family: its builder, and what it adds to the search space."""

    build: Callable[..., Family]  # build(hidden, activation, init) -> Family
    search: dict = field(default_factory=dict)  # extra search dimensions, in tune's space syntax
    settings: Callable[..., dict] = lambda **values: {}  # their values -> training settings
    # trained by another library (its members train themselves, on rows in memory): its search
    # dimensions replace the gradient steps' (batch sizes, optimizers, step budgets)
    by_library: bool = False
    losses: tuple | None = None  # the losses it trains (None: every loss)

    def trains(self, loss: str) -> bool:
        return self.losses is None or loss in self.losses


FAMILIES: dict[str, Entry] = {}


def register(
    name: str,
    build: Callable[..., Family],
    *,
    search: dict | None = None,
    settings: Callable[..., dict] | None = None,
    by_library: bool = False,
    losses: tuple | None = None,
) -> None:
    """Register a family under ``name``; it must satisfy :class:`Family`."""
    example = build(hidden=(4,), activation="relu", init=None)
    if not isinstance(example, Family):
        missing = [m for m in ("name", "streams_full_batch", *_METHODS) if not hasattr(example, m)]
        raise ConfigError(
            f"The family {name!r} does not provide {missing}: a family needs every member of "
            "heldout.nn.family.Family."
        )
    FAMILIES[name] = Entry(
        build, dict(search or {}), settings or (lambda **values: {}), by_library, losses
    )


def trained_by_library(model) -> bool:
    """Whether family ``model`` is trained by another library (its members train themselves, on
    rows in memory) rather than by heldout's gradient steps."""
    entry = FAMILIES.get(model) if isinstance(model, str) else None
    return entry is not None and entry.by_library


def unregister(name: str) -> None:
    FAMILIES.pop(name, None)


def make_family(
    model: str | Callable = "linear",
    *,
    hidden: tuple[int, ...] | list[int],
    activation: str,
    init: str | None,
) -> Family:
    """The family named by ``model``, or one wrapping a user module factory."""
    if callable(model):
        return Module(model)
    if isinstance(model, str) and model in FAMILIES:
        return FAMILIES[model].build(hidden=tuple(hidden), activation=activation, init=init)
    raise ConfigError(
        f"Unknown model {model!r}. Choose one of {sorted(FAMILIES)}, or pass a factory "
        "f(n_inputs, n_outputs) -> torch.nn.Module."
    )


_METHODS = (
    "config",
    "size",
    "param_names",
    "weight_mask",
    "init",
    "forward",
    "loss_and_grads",
    "full_batch_loss_and_grads",
)

register(
    "linear", lambda hidden, activation, init: Dense("linear", (), activation, init or "xavier")
)
register(
    "gbdt",
    lambda hidden, activation, init: Boosted(),
    search=GBDT_SPACE,
    settings=lambda **values: values,
    by_library=True,
    losses=tuple(OBJECTIVES),
)
register(
    "mlp",
    lambda hidden, activation, init: Dense(
        "mlp", tuple(hidden), activation, init or ("kaiming" if activation == "relu" else "xavier")
    ),
    search={"width": [32, 64, 128], "depth": (1, 2)},
    settings=lambda width, depth: {"hidden": (int(width),) * int(depth)},
)
