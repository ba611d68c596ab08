"""A user ``torch.nn.Module`` factory ``f(n_inputs, n_outputs) -> nn.Module`` as a model family,
batched over members with ``torch.func`` (``stack_module_state``, ``functional_call``, ``vmap``)
and differentiated by autograd: generality first, where the built-in families go for speed.
"""

from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn

from ..errors import ConfigError
from . import losses


class Module:
    """A user ``nn.Module`` factory, batched over members through ``torch.func``."""

    streams_full_batch = False

    def __init__(self, factory: Callable[[int, int], nn.Module]):
        if not callable(factory):
            raise ConfigError(
                f"model must be 'linear', 'mlp' or a callable factory(n_inputs, n_outputs) -> "
                f"nn.Module, got {factory!r}."
            )
        self.factory = factory
        self.name = getattr(factory, "__name__", "module")

    def config(self) -> dict:
        return {"model": "module", "factory": self.name}

    def init(
        self, n_in: int, n_out: int, seeds: list[int], device: str | torch.device = "cpu"
    ) -> list[torch.Tensor]:
        modules = []
        for seed in seeds:
            with torch.random.fork_rng(
                devices=[]
            ):  # the module's own init, drawn from the member's seed
                torch.manual_seed(int(seed))
                module = self.factory(n_in, n_out)
            if not isinstance(module, nn.Module):
                raise ConfigError(
                    f"The model factory must return an nn.Module, got {type(module).__name__}."
                )
            modules.append(module.to(device))
        self._base = copy.deepcopy(
            modules[0]
        )  # a template: forward swaps in each member's parameters
        self._names = [name for name, _ in modules[0].named_parameters()]
        stacked, _ = torch.func.stack_module_state(modules)
        return [stacked[name].detach() for name in self._names]

    def size(self, n_in: int, n_out: int) -> tuple[int, list[int]]:
        """Numbers of parameters of one member, and (roughly) the width of each layer's output."""
        with torch.random.fork_rng(devices=[]):
            module = self.factory(n_in, n_out)
        params = list(module.parameters())
        return sum(p.numel() for p in params), [p.shape[0] for p in params if p.dim() >= 1] or [
            n_out
        ]

    def param_names(self) -> list[str]:
        return list(self._names)

    def weight_mask(self) -> list[bool]:
        return [name.endswith("weight") for name in self._names]

    def forward(self, params: list[torch.Tensor], X: torch.Tensor) -> torch.Tensor:
        def one(member_params, x):
            return torch.func.functional_call(
                self._base, dict(zip(self._names, member_params)), (x,)
            )

        in_x = 0 if X.dim() == 3 else None
        out = torch.vmap(one, in_dims=(0, in_x), randomness="different")(params, X)
        return out if out.dim() == 3 else out.unsqueeze(-1)

    def full_batch_loss_and_grads(self, params, X, y, loss: str):
        return self.loss_and_grads(params, X, y, None, loss)

    def loss_and_grads(self, params, X, y, w, loss: str):
        """Members' mean losses ``[K]`` and parameter gradients, through autograd."""
        return losses.by_autograd(self.forward, params, X, y, w, loss)
