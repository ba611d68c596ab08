"""Trees of tensors — lists, tuples, named tuples and dicts of them — as the update rules' states
and the population's per-member values are: map a function over their tensors, list their
tensors, rebuild one from a template (JAX's pytrees, in the few lines heldout needs).

>>> import torch
>>> t = {"a": [torch.ones(2)], "b": None}
>>> map_tensors(lambda x: x * 2, t)["a"][0].tolist(), len(leaves(t))
([2.0, 2.0], 1)
"""

from __future__ import annotations

from typing import Callable

import torch


def map_tensors(fn: Callable[..., torch.Tensor], tree, *others):
    """``tree`` with each tensor ``x`` replaced by ``fn(x, *matching tensors of others)``."""
    if isinstance(tree, torch.Tensor):
        return fn(tree, *others)
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a named tuple: an optimizer's state
        return type(tree)(*(map_tensors(fn, *parts) for parts in zip(tree, *others)))
    if isinstance(tree, (list, tuple)):
        return type(tree)(map_tensors(fn, *parts) for parts in zip(tree, *others))
    if isinstance(tree, dict):
        return {k: map_tensors(fn, v, *(o[k] for o in others)) for k, v in tree.items()}
    return tree


def leaves(tree) -> list[torch.Tensor]:
    """The tensors of ``tree``, in order."""
    found: list[torch.Tensor] = []
    map_tensors(lambda x: found.append(x) or x, tree)
    return found


def rebuild(template, tensors: list[torch.Tensor]):
    """``template``'s structure with its tensors replaced, in order, by ``tensors``."""
    it = iter(tensors)
    return map_tensors(lambda _: next(it), template)
