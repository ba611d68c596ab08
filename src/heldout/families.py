"""Model families, batched over the members of a population.

Every family stores each parameter with a leading member axis ``K`` and computes all members in
one batched matmul: ``forward(params, X[n, d]) -> out[K, n, outputs]``. Member ``k`` is
initialised from its own seed alone, so a member trained in a population starts exactly where
the same configuration trained alone starts.

- ``linear``: one affine map; the task's link (identity, logistic, softmax) is applied by the loss.
- ``mlp``: affine layers with an activation between them.
- a user ``torch.nn.Module`` factory ``f(n_inputs, n_outputs) -> nn.Module``, batched with
  ``torch.func`` (``stack_module_state``, ``functional_call``, ``vmap``).

>>> fam = make_family("mlp", hidden=(8,))
>>> params = fam.init(n_in=3, n_out=2, seeds=[0, 1])
>>> [tuple(p.shape) for p in params]
[(2, 3, 8), (2, 8), (2, 8, 2), (2, 2)]
>>> tuple(fam.forward(params, torch.zeros(5, 3)).shape)
(2, 5, 2)
"""

from __future__ import annotations

import copy
import math
from typing import Callable

import torch
from torch import nn

from .errors import ConfigError

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
    "gelu": torch.nn.functional.gelu, "identity": lambda x: x,
}
INITS = ("zeros", "normal", "xavier", "kaiming")


def _weight(scheme: str, fan_in: int, fan_out: int, gen: torch.Generator) -> torch.Tensor:
    """One member's weight matrix [fan_in, fan_out] drawn from ``gen`` by a named scheme."""
    if scheme == "zeros":
        return torch.zeros(fan_in, fan_out)
    if scheme == "normal":
        return torch.randn(fan_in, fan_out, generator=gen) * 0.01
    if scheme == "xavier":  # Glorot & Bengio 2010, uniform
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return (torch.rand(fan_in, fan_out, generator=gen) * 2 - 1) * bound
    if scheme == "kaiming":  # He et al. 2015, normal, for ReLU
        return torch.randn(fan_in, fan_out, generator=gen) * math.sqrt(2.0 / fan_in)
    raise ConfigError(f"Unknown initialisation {scheme!r}. Choose one of {list(INITS)}.")


class Dense:
    """``linear`` (no hidden layers) and ``mlp`` (hidden layers), written batched by hand."""

    def __init__(self, name: str, hidden: tuple[int, ...], activation: str, init: str):
        if activation not in ACTIVATIONS:
            raise ConfigError(f"Unknown activation {activation!r}. Choose one of {list(ACTIVATIONS)}.")
        if init not in INITS:
            raise ConfigError(f"Unknown initialisation {init!r}. Choose one of {list(INITS)}.")
        if any((not isinstance(h, int)) or h < 1 for h in hidden):
            raise ConfigError(f"Hidden layer sizes must be positive integers, got {list(hidden)}.")
        self.name, self.hidden, self.activation, self.init_scheme = name, tuple(hidden), activation, init

    def config(self) -> dict:
        return {"model": self.name, "hidden": list(self.hidden), "activation": self.activation, "init": self.init_scheme}

    def param_names(self) -> list[str]:
        return [f"layers.{i}.{kind}" for i in range(len(self.hidden) + 1) for kind in ("weight", "bias")]

    def weight_mask(self) -> list[bool]:
        """Which parameters are weights (penalised by ``l2``) rather than biases."""
        return [name.endswith("weight") for name in self.param_names()]

    def init(self, n_in: int, n_out: int, seeds: list[int], device: str | torch.device = "cpu") -> list[torch.Tensor]:
        sizes = [n_in, *self.hidden, n_out]
        members = []
        for seed in seeds:
            gen = torch.Generator().manual_seed(int(seed))
            member = []
            for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
                member += [_weight(self.init_scheme, fan_in, fan_out, gen), torch.zeros(fan_out)]
            members.append(member)
        return [torch.stack(group).to(device) for group in zip(*members)]

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        act = ACTIVATIONS[self.activation]
        h = X
        last = len(params) // 2 - 1
        for i in range(last + 1):
            W, b = params[2 * i], params[2 * i + 1]
            h = torch.baddbmm(b.unsqueeze(1), h, W) if h.dim() == 3 else torch.matmul(h, W) + b.unsqueeze(1)
            if i < last:
                h = act(h)
        return h


class Module:
    """A user ``nn.Module`` factory, batched over members through ``torch.func``."""

    def __init__(self, factory: Callable[[int, int], nn.Module]):
        if not callable(factory):
            raise ConfigError(f"model must be 'linear', 'mlp' or a callable factory(n_inputs, n_outputs) -> "
                              f"nn.Module, got {factory!r}.")
        self.factory = factory
        self.name = getattr(factory, "__name__", "module")

    def config(self) -> dict:
        return {"model": "module", "factory": self.name}

    def init(self, n_in: int, n_out: int, seeds: list[int], device: str | torch.device = "cpu") -> list[torch.Tensor]:
        modules = []
        for seed in seeds:
            with torch.random.fork_rng(devices=[]):  # the module's own init, drawn from the member's seed
                torch.manual_seed(int(seed))
                module = self.factory(n_in, n_out)
            if not isinstance(module, nn.Module):
                raise ConfigError(f"The model factory must return an nn.Module, got {type(module).__name__}.")
            modules.append(module.to(device))
        self._base = copy.deepcopy(modules[0])  # a template: forward swaps in each member's parameters
        self._names = [name for name, _ in modules[0].named_parameters()]
        stacked, _ = torch.func.stack_module_state(modules)
        return [stacked[name].detach() for name in self._names]

    def param_names(self) -> list[str]:
        return list(self._names)

    def weight_mask(self) -> list[bool]:
        return [name.endswith("weight") for name in self._names]

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        def one(member_params, x):
            return torch.func.functional_call(self._base, dict(zip(self._names, member_params)), (x,))
        in_x = 0 if X.dim() == 3 else None
        out = torch.vmap(one, in_dims=(0, in_x), randomness="different")(params, X)
        return out if out.dim() == 3 else out.unsqueeze(-1)


def make_family(model: str | Callable = "linear", *, hidden: tuple[int, ...] | list[int] = (64,),
                activation: str = "relu", init: str | None = None):
    """The family named by ``model`` (``linear``, ``mlp``) or wrapping a user module factory."""
    if callable(model):
        return Module(model)
    if model == "linear":
        return Dense("linear", (), activation, init or "xavier")
    if model == "mlp":
        return Dense("mlp", tuple(hidden), activation, init or ("kaiming" if activation == "relu" else "xavier"))
    raise ConfigError(f"Unknown model {model!r}. Choose 'linear', 'mlp', or pass a factory "
                      "f(n_inputs, n_outputs) -> torch.nn.Module.")
