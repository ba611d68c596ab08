"""The built-in families' hand-written backward pass against autograd, in every orientation."""

import pytest
import torch

from heldout import losses
from heldout.families import ACTIVATIONS, make_family


@pytest.mark.parametrize("model, activation", [("linear", "relu")] + [("mlp", a) for a in ACTIVATIONS])
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize("outputs, loss", [(1, "mse"), (1, "log_loss"), (3, "cross_entropy"), (1, "huber")])
@pytest.mark.parametrize("per_member_rows", [False, True])
def test_hand_written_gradients_match_autograd(model, activation, K, outputs, loss, per_member_rows):
    gen = torch.Generator().manual_seed(0)
    fam = make_family(model, hidden=(5, 4), activation=activation)
    params = [p.double() for p in fam.init(6, outputs, seeds=list(range(K)))]
    X = torch.randn(*((K,) if per_member_rows else ()), 11, 6, generator=gen, dtype=torch.float64)
    if outputs == 1:
        y = (torch.rand(11, generator=gen, dtype=torch.float64) > 0.5).double()
    else:
        y = torch.randint(0, outputs, (11,), generator=gen)
    w = (torch.rand(K, 11, generator=gen) > 0.3).double() if per_member_rows else None

    value, grads = fam.loss_and_grads(params, X, y, w, loss)

    live = [p.clone().requires_grad_() for p in params]
    ref = losses.LOSSES[loss](fam.forward(live, X), y, w)
    ref_grads = torch.autograd.grad(ref.sum(), live)
    assert torch.allclose(value, ref.detach())
    for g, r in zip(grads, ref_grads):
        assert g.shape == r.shape and torch.allclose(g, r, atol=1e-10)
