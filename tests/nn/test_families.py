"""The built-in families' hand-written backward pass against autograd, in every orientation."""

import pytest
import torch

from heldout.nn import losses
from heldout.nn.dense import ACTIVATIONS
from heldout.nn.family import make_family


@pytest.mark.parametrize(
    "model, activation", [("linear", "relu")] + [("mlp", a) for a in ACTIVATIONS]
)
@pytest.mark.parametrize("K", [1, 3])
@pytest.mark.parametrize(
    "outputs, loss", [(1, "mse"), (1, "log_loss"), (3, "cross_entropy"), (1, "huber")]
)
@pytest.mark.parametrize("per_member_rows", [False, True])
def test_hand_written_gradients_match_autograd(
    model, activation, K, outputs, loss, per_member_rows
):
    gen = torch.Generator().manual_seed(0)
    fam = make_family(model, hidden=(5, 4), activation=activation, init=None)
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


@pytest.mark.parametrize(
    "model, loss", [("linear", "mse"), ("linear", "log_loss"), ("linear", "huber"), ("mlp", "mse")]
)
def test_streamed_full_batch_pass_equals_one_pass(model, loss):
    """Over many rows the full-batch gradient is summed over cache-sized chunks on every core."""
    from heldout._util import chunks as batches

    gen = torch.Generator().manual_seed(1)
    n = batches.STREAM_MIN_ROWS + 1234
    X = torch.randn(n, 5, generator=gen, dtype=torch.float64)
    y = (torch.rand(n, generator=gen, dtype=torch.float64) > 0.5).double()
    fam = make_family(model, hidden=(4,), activation="relu", init=None)
    params = [p.double() for p in fam.init(5, 1, seeds=[0, 1, 2])]
    value, grads = fam.full_batch_loss_and_grads(params, X, y, loss)
    ref_value, ref_grads = fam.loss_and_grads(params, X, y, None, loss)
    assert torch.allclose(value, ref_value)
    for g, r in zip(grads, ref_grads):
        assert torch.allclose(g, r)


def test_batches_are_slices_of_one_seeded_permutation_per_fold():
    from heldout.train.blocks import Block

    X, y = torch.arange(20.0).view(10, 2), torch.arange(10.0)
    shared = Block.shared(X, y)
    perm = torch.randperm(10, generator=torch.Generator().manual_seed(7))
    got = [yb.tolist() for _, yb, _, _ in shared.epoch(4, shared.generators(7), None)]
    assert got == [perm[i : i + 4].tolist() for i in range(0, 10, 4)]
    folded = Block.folded([X[:6], X[6:]], [y[:6], y[6:]])  # folds of 6 and 4 rows
    fold = torch.tensor([0, 1, 1])
    batches = list(folded.epoch(4, folded.generators(7), fold))
    first = torch.randperm(6, generator=torch.Generator().manual_seed(7))
    second = torch.randperm(4, generator=torch.Generator().manual_seed(7)) + 6
    assert (
        batches[0][1][0].tolist() == first[:4].tolist()
        and batches[0][1][2].tolist() == second.tolist()
    )
    _, y_tail, w_tail, rows = batches[1]  # the 4-row fold has no rows left: weight 0
    assert y_tail[0].tolist() == first[4:].tolist() and rows.tolist() == [2, 0, 0]
