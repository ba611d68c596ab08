"""Several targets in the losses and the regression task: each loss is the mean over outputs of the
one-output loss, its gradient is autograd's, and the metrics of ``[n, targets]`` arrays are
scikit-learn's uniform averages, in their resampling form too."""

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from heldout.nn import losses
from heldout.task import get as get_task

regression = get_task("regression")


def _data(K=3, n=9, k=2, folded=False, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = torch.randn(K, n, k, generator=gen, dtype=torch.float64)
    y = torch.randn(*((K,) if folded else ()), n, k, generator=gen, dtype=torch.float64)
    return out, y


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
@pytest.mark.parametrize("folded", [False, True])
def test_a_loss_of_several_outputs_is_the_mean_of_each_outputs_loss(name, folded):
    out, y = _data(folded=folded)
    w = torch.rand(out.shape[0], out.shape[1], dtype=torch.float64)
    for weights in (None, w):
        each = [
            losses.LOSSES[name](out[..., j : j + 1], y[..., j], weights)
            for j in range(out.shape[-1])
        ]
        torch.testing.assert_close(losses.LOSSES[name](out, y, weights), torch.stack(each).mean(0))


@pytest.mark.parametrize("name", ["mse", "mae", "huber"])
def test_the_gradient_of_several_outputs_is_autograds(name):
    out, y = _data()
    w = torch.rand(out.shape[0], out.shape[1], dtype=torch.float64)
    for weights in (None, w):
        value, grad = losses.value_and_grad(name, out.clone(), y, weights)
        o = out.clone().requires_grad_()
        expected = losses.LOSSES[name](o, y, weights)
        (auto,) = torch.autograd.grad(expected.sum(), o)
        torch.testing.assert_close(value, expected.detach())
        torch.testing.assert_close(grad, auto)


def test_the_monitored_rmse_of_several_outputs_is_the_root_of_their_mean_square():
    out, y = _data(K=1)
    rows = regression.monitor_rows(out, y)
    assert rows.shape == (1, 9)
    assert regression.finish_monitor(rows.mean(-1)).item() == pytest.approx(
        np.sqrt(sk.mean_squared_error(y.numpy(), out[0].numpy()))
    )


def test_scores_of_several_targets_are_uniform_averages_and_their_resampling_form_agrees():
    rng = np.random.default_rng(0)
    y = np.column_stack([rng.normal(size=40), 1000 + 300 * rng.normal(size=40)])
    p = y + rng.normal(size=y.shape) * [0.5, 30.0]
    w = rng.integers(1, 4, size=40).astype(float)
    for weights in (None, w):
        scored = regression.score(y, p, weights)
        assert scored["rmse"] == pytest.approx(
            np.sqrt(sk.mean_squared_error(y, p, sample_weight=weights))
        )
        assert scored["mae"] == pytest.approx(
            np.mean(
                [sk.mean_absolute_error(y[:, j], p[:, j], sample_weight=weights) for j in range(2)]
            )
        )
        assert scored["r2"] == pytest.approx(
            np.mean([sk.r2_score(y[:, j], p[:, j], sample_weight=weights) for j in range(2)])
        )
        resampled = regression.weighted(y, p)(
            np.ones((1, 40)) if weights is None else weights[None]
        )
        for name in ("rmse", "mae", "r2"):
            assert resampled[name][0] == pytest.approx(scored[name])
    one = regression.weighted(y[:, 0], p[:, 0])(
        np.ones((1, 40))
    )  # one target: the one-target metrics
    assert one["rmse"][0] == pytest.approx(regression.score(y[:, 0], p[:, 0])["rmse"])


def test_the_baseline_of_several_targets_is_each_ones_mean_and_predictions_keep_every_output():
    y = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    assert regression.baseline(y, None, 2).tolist() == [[3.0, 20.0], [3.0, 20.0]]
    assert regression.baseline(y, None, 1, np.array([1.0, 1.0, 2.0])).tolist() == [[3.5, 20.0]]
    assert regression.predictions(torch.ones(4, 2)).shape == (4, 2)
    assert regression.predictions(torch.ones(4, 1)).shape == (4,)
