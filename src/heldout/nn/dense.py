"""``linear`` and ``mlp``: dense layers batched over the members of a population, by hand.

Every parameter has a leading member axis ``K`` and all members compute in one batched matmul:
``forward(params, X) -> out[K, n, outputs]``, where ``X`` is ``[n, d]`` when members share the
rows and ``[K, n, d]`` when each has its own (cross-validation folds). ``loss_and_grads`` gives
the members' losses and every parameter's gradient as a few batched matmuls, no autograd tape.
Member ``k`` is initialised from its own seed alone, so a member trained in a population starts
exactly where the same configuration trained alone starts.

- ``linear``: one affine map; the task's link (identity, logistic, softmax) is applied by the loss.
- ``mlp``: affine layers with an activation between them.

>>> fam = Dense("mlp", hidden=(8,), activation="relu", init="kaiming")
>>> params = fam.init(n_in=3, n_out=2, seeds=[0, 1])
>>> [tuple(p.shape) for p in params]
[(2, 3, 8), (2, 8), (2, 8, 2), (2, 2)]
>>> tuple(fam.forward(params, torch.zeros(5, 3)).shape)
(2, 5, 2)
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from .._util.chunks import over_chunks
from ..errors import ConfigError
from . import losses

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": torch.nn.functional.gelu,
    "identity": lambda x: x,
}
INITS = ("zeros", "normal", "xavier", "kaiming")


def _activation_grad(
    name: str, grad: torch.Tensor, pre: torch.Tensor, post: torch.Tensor
) -> torch.Tensor:
    """d loss / d pre-activation, given d loss / d activation."""
    if name == "relu":
        return torch.ops.aten.threshold_backward(grad, post, 0)
    if name == "tanh":
        return grad * (1 - post * post)
    if name == "sigmoid":
        return grad * post * (1 - post)
    if name == "gelu":
        return torch.ops.aten.gelu_backward(grad, pre)
    return grad


# Batched products, each written in the orientation that keeps the BLAS call efficient: a
# product whose result has one column (a single output, or one member) runs as a row-vector
# product or a plain matrix product, which is many times faster than a batched one-column bmm.


def _affine(h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``h @ W + b`` per member: h ``[n, i]`` (shared) or ``[K, n, i]``; W ``[K, i, o]``; -> ``[K,
    n, o]``."""
    K, _, o = W.shape
    if h.dim() == 2:
        if K == 1:
            return torch.addmm(b, h, W.view(W.shape[1], o)).unsqueeze(0)
        if o == 1:
            return (h @ W[:, :, 0].T).T.unsqueeze(-1) + b.unsqueeze(1)
        return torch.baddbmm(b.unsqueeze(1), h.expand(K, -1, -1), W)
    if o == 1:
        return torch.bmm(W.transpose(1, 2), h.transpose(1, 2)).transpose(1, 2) + b.unsqueeze(1)
    return torch.baddbmm(b.unsqueeze(1), h, W)


def _weight_grad(h: torch.Tensor, dz: torch.Tensor) -> torch.Tensor:
    """``hᵀ dz`` per member -> ``[K, i, o]``."""
    K, _, o = dz.shape
    if h.dim() == 2:
        if K == 1:
            return torch.mm(h.T, dz.view(-1, o)).unsqueeze(0)
        if o == 1:
            return (dz[:, :, 0] @ h).unsqueeze(-1)
        return torch.bmm(h.T.expand(K, -1, -1), dz)
    if o == 1:
        return torch.bmm(dz.transpose(1, 2), h).transpose(1, 2)
    return torch.bmm(h.transpose(1, 2), dz)


def _input_grad(dz: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    """``dz Wᵀ`` per member -> ``[K, n, i]``."""
    if W.shape[-1] == 1:
        return dz * W.transpose(1, 2)
    return torch.bmm(dz, W.transpose(1, 2))


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

    streams_full_batch = True  # full_batch_loss_and_grads reads a shared X once per step

    def __init__(self, name: str, hidden: tuple[int, ...], activation: str, init: str):
        if activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown activation {activation!r}. Choose one of {list(ACTIVATIONS)}."
            )
        if init not in INITS:
            raise ConfigError(f"Unknown initialisation {init!r}. Choose one of {list(INITS)}.")
        if any((not isinstance(h, int)) or h < 1 for h in hidden):
            raise ConfigError(f"Hidden layer sizes must be positive integers, got {list(hidden)}.")
        self.name, self.hidden, self.activation, self.init_scheme = (
            name,
            tuple(hidden),
            activation,
            init,
        )

    def config(self) -> dict:
        return {
            "model": self.name,
            "hidden": list(self.hidden),
            "activation": self.activation,
            "init": self.init_scheme,
        }

    def size(self, n_in: int, n_out: int) -> tuple[int, list[int]]:
        """Numbers of parameters of one member, and the width of each layer's output."""
        sizes = [n_in, *self.hidden, n_out]
        return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])), sizes[1:]

    def param_names(self) -> list[str]:
        return [
            f"layers.{i}.{kind}" for i in range(len(self.hidden) + 1) for kind in ("weight", "bias")
        ]

    def weight_mask(self) -> list[bool]:
        """Which parameters are weights (penalised by ``l2``) rather than biases."""
        return [name.endswith("weight") for name in self.param_names()]

    def init(
        self, n_in: int, n_out: int, seeds: list[int], device: str | torch.device = "cpu"
    ) -> list[torch.Tensor]:
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
        return self._forward(params, X)[0]

    def _forward(self, params, X):
        """The outputs, with every layer's pre-activation and activation kept for the backward
        pass."""
        act = ACTIVATIONS[self.activation]
        inputs, pres = [X], []
        last = len(params) // 2 - 1
        for i in range(last + 1):
            z = _affine(inputs[-1], params[2 * i], params[2 * i + 1])
            if i == last:
                return z, inputs, pres
            pres.append(z)
            inputs.append(
                z.relu_() if self.activation == "relu" else act(z)
            )  # relu's backward reads its output only

    def loss_and_grads(self, params, X, y, w, loss: str):
        """Members' mean losses ``[K]`` and the gradient of each parameter, by hand."""
        if _one_output_linear(self, params, X, loss) and w is None:
            return _linear_step(params, X, y, loss)
        out, inputs, pres = self._forward(params, X)
        value, dz = losses.value_and_grad(loss, out, y, w)
        grads = [None] * len(params)
        for i in range(len(params) // 2 - 1, -1, -1):
            grads[2 * i] = _weight_grad(inputs[i], dz)
            grads[2 * i + 1] = dz.sum(1)
            if i > 0:
                dz = _activation_grad(
                    self.activation, _input_grad(dz, params[2 * i]), pres[i - 1], inputs[i]
                )
        return value, grads

    def full_batch_loss_and_grads(self, params, X, y, loss: str):
        """:meth:`loss_and_grads` over all rows of a shared ``X``, reading ``X`` once
        (:func:`~heldout._util.chunks.over_chunks`). A linear model with one output and mse or
        logistic loss runs a five-kernel pass per chunk; anything else sums chunk means."""
        n, row_bytes = len(y), X.shape[1] * X.element_size()
        if _one_output_linear(self, params, X, loss):
            Wt, b = params[0][:, :, 0].T.contiguous(), params[1][:, 0].contiguous()  # [d, K], [K]
            K = len(b)
            loss_sum, gW, gb = over_chunks(
                n,
                row_bytes,
                lambda: [b.new_zeros(K), Wt.new_zeros(Wt.shape), b.new_zeros(K)],
                lambda start, stop, sums: _linear_sums(
                    X[start:stop], y[start:stop], Wt, b, loss, sums
                ),
                device=X.device,
            )
            scale = _residual_scale(loss, n)
            return loss_sum / n, [(gW.T * scale).unsqueeze(-1), (gb * scale).unsqueeze(-1)]

        def chunk(start, stop, sums):
            value, grads = self.loss_and_grads(params, X[start:stop], y[start:stop], None, loss)
            for total, part in zip(sums, [value, *grads]):
                total.add_(part, alpha=(stop - start) / n)

        zeros = lambda: [torch.zeros_like(t) for t in (params[0][:, 0, 0], *params)]  # noqa: E731
        value, *grads = over_chunks(n, row_bytes, zeros, chunk, device=X.device)
        return value, grads


def _one_output_linear(family: Dense, params, X: torch.Tensor, loss: str) -> bool:
    """Linear members of one output on shared rows with mse or logistic loss: their step is one
    product each way (:func:`_linear_step`, :func:`_linear_sums`)."""
    return (
        not family.hidden
        and X.dim() == 2
        and params[0].shape[-1] == 1
        and loss in ("mse", "log_loss", "cross_entropy")
    )


def _linear_residual(
    X: torch.Tensor, y: torch.Tensor, Wt: torch.Tensor, b: torch.Tensor, loss: str
):
    """Over these rows, K one-output linear members' summed loss ``[K]`` and residual ``r[n, K]``
    (mse: out − y; logistic: σ(out) − y): the gradient is (2 for mse) rᵀX and Σr."""
    out = torch.addmm(b, X, Wt)  # [n, K]
    if loss == "mse":
        r = out.sub_(y.unsqueeze(1))
        return r.square().sum(0), r
    # logistic loss on one logit: softplus(z) − y z
    total = torch.nn.functional.softplus(out).sum(0).sub_(y @ out)
    return total, out.sigmoid_().sub_(y.unsqueeze(1))


def _residual_scale(loss: str, n: int) -> float:
    """The factor from the residual's rᵀX and Σr to the mean loss's gradient over ``n`` rows."""
    return (2.0 if loss == "mse" else 1.0) / n


def _linear_step(params, X: torch.Tensor, y: torch.Tensor, loss: str):
    """A minibatch's mean losses and gradients, unweighted: a step of a linear model is mostly the
    dispatch of its small ops, and this is the fewest (benchmarks/MEASUREMENTS.md, "The linear
    minibatch step")."""
    W, b = params
    K, d = W.shape[:2]
    total, r = _linear_residual(X, y, W.view(K, d).T, b.view(K), loss)
    r.mul_(_residual_scale(loss, len(y)))
    return total / len(y), [torch.mm(r.T, X).unsqueeze(-1), r.sum(0).unsqueeze(-1)]


def _linear_sums(
    X: torch.Tensor, y: torch.Tensor, Wt: torch.Tensor, b: torch.Tensor, loss: str, sums
) -> None:
    """Adds, over these rows, K one-output linear members' loss and unscaled gradients (rᵀX, Σr)
    into ``sums``."""
    loss_sum, gW, gb = sums
    total, r = _linear_residual(X, y, Wt, b, loss)
    loss_sum.add_(total)
    gW.addmm_(X.T, r)
    gb.add_(r.sum(0))
