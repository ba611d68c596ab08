"""Losses and metrics against torch's and scikit-learn's own implementations."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn import metrics as sk

from heldout import ConfigError
from heldout.nn import losses
from heldout.task import get as get_task


def _out(K=2, n=7, o=1, seed=0):
    return torch.randn(K, n, o, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_regression_losses():
    out, y = _out(), torch.randn(7, dtype=torch.float64)
    for k in range(2):
        assert losses.mse(out, y)[k] == pytest.approx(F.mse_loss(out[k, :, 0], y).item())
        assert losses.mae(out, y)[k] == pytest.approx(F.l1_loss(out[k, :, 0], y).item())
        assert losses.huber(out, y)[k] == pytest.approx(F.smooth_l1_loss(out[k, :, 0], y).item())


def test_classification_losses():
    out, y = _out(), torch.tensor([0, 1, 1, 0, 1, 0, 0], dtype=torch.float64)
    assert losses.log_loss(out, y)[1] == pytest.approx(
        sk.log_loss(y.numpy(), torch.sigmoid(out[1, :, 0]).numpy())
    )
    assert losses.hinge(out, y)[0] == pytest.approx(
        sk.hinge_loss(2 * y.numpy() - 1, out[0, :, 0].numpy())
    )
    multi, labels = _out(o=4), torch.tensor([0, 3, 1, 2, 2, 0, 3])
    assert losses.log_loss(multi, labels)[0] == pytest.approx(
        F.cross_entropy(multi[0], labels).item()
    )
    assert losses.hinge(multi, labels)[1] == pytest.approx(
        F.multi_margin_loss(multi[1], labels).item()
    )


def test_losses_are_checked_against_the_task():
    regression = get_task("regression")
    assert regression.resolve_loss(None, losses.LOSSES) == "mse"
    assert get_task("multiclass").resolve_loss(None, losses.LOSSES) == "cross_entropy"
    with pytest.raises(ConfigError, match="does not fit a regression task"):
        regression.resolve_loss("log_loss", losses.LOSSES)
    with pytest.raises(ConfigError, match="Unknown loss"):
        regression.resolve_loss("mse2", losses.LOSSES)


def test_gradients_of_the_losses_match_finite_differences():
    for name, o, y in [
        ("huber", 1, torch.randn(7, dtype=torch.float64)),
        ("log_loss", 3, torch.tensor([0, 2, 1, 1, 0, 2, 0])),
    ]:
        out = _out(K=1, o=o).requires_grad_()
        assert torch.autograd.gradcheck(lambda t: losses.LOSSES[name](t, y), (out,))


def test_metrics():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.1, 0.9])
    m = get_task("binary").score(y, p)
    assert m["accuracy"] == 0.8 and m["roc_auc"] == sk.roc_auc_score(y, p)
    assert m["f1"] == pytest.approx(sk.f1_score(y, p > 0.5))
    r = get_task("regression").score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    assert r["r2"] == pytest.approx(sk.r2_score([1, 2, 3], [1, 2, 4]))


@pytest.mark.parametrize(
    "name, o, target",
    [
        ("mse", 1, lambda: torch.randn(7, dtype=torch.float64)),
        ("mae", 1, lambda: torch.randn(7, dtype=torch.float64)),
        ("huber", 1, lambda: torch.randn(7, dtype=torch.float64) * 3),
        ("log_loss", 1, lambda: torch.tensor([0.0, 1, 1, 0, 1, 0, 0], dtype=torch.float64)),
        ("log_loss", 3, lambda: torch.tensor([0, 2, 1, 1, 0, 2, 0])),
        ("hinge", 1, lambda: torch.tensor([0.0, 1, 1, 0, 1, 0, 0], dtype=torch.float64)),
        ("hinge", 3, lambda: torch.tensor([0, 2, 1, 1, 0, 2, 0])),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_value_and_grad_matches_autograd_of_the_mean(name, o, target, weighted):
    """The closed forms the engine starts its backward pass from, against autograd."""
    out, y = _out(K=2, o=o), target()
    w = (
        torch.tensor([[1.0, 1, 1, 1, 1, 0, 0], [1.0, 1, 0, 1, 1, 1, 1]], dtype=torch.float64)
        if weighted
        else None
    )
    value, grad = losses.value_and_grad(name, out, y, w)
    ref = out.clone().requires_grad_()
    ref_value = losses.LOSSES[name](ref, y, w)
    (ref_grad,) = torch.autograd.grad(ref_value.sum(), ref)
    assert torch.allclose(value, ref_value.detach()) and torch.allclose(grad, ref_grad)
    if weighted:  # weight 0 rows do not count at all
        kept = losses.LOSSES[name](out[:1, :5], y[:5])
        assert torch.allclose(value[:1], kept)
