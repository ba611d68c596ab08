"""One linear regression model trained by minibatch SGD (batch 256) on 1,000,000 × 100 float32
training rows: samples per second against scikit-learn's ``SGDRegressor`` (one epoch) and
against a plain PyTorch loop (``nn.Linear``, ``torch.optim.SGD``, one permutation per epoch and
tensor slicing).

heldout's seconds per epoch are the median over 5 epochs of a fit, each including heldout's
per-epoch validation (125,000 rows); the baselines' are the median of 3 epochs, each from the
start. Medians on both sides: on a shared machine the same epoch's time moves by 20–30% from one
minute to the next. scikit-learn gets the rows already as float64, its own working type.

    python3 benchmarks/minibatch.py        # about 1 minute on 2 cores
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor
from torch import nn

from _common import finish, header, heldout, median_seconds, tensors
from fullbatch import FEATURES, TRAIN_ROWS, regression_table

BATCH, LR = 256, 0.001


def plain_torch_epoch(X, y) -> float:
    torch.manual_seed(0)
    model = nn.Linear(X.shape[1], 1)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    Xp, yp = X[perm], y[perm]
    for start in range(0, len(y), BATCH):
        opt.zero_grad()
        loss = nn.functional.mse_loss(
            model(Xp[start : start + BATCH])[:, 0], yp[start : start + BATCH]
        )
        loss.backward()
        opt.step()
    return float(loss.detach())


def sklearn_epoch(X, y) -> float:
    model = SGDRegressor(
        max_iter=1, tol=None, penalty=None, learning_rate="constant", eta0=LR, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return float(model.coef_[0])


def main() -> None:
    header("minibatch: SGD on one linear model, samples per second")
    data = heldout.load(regression_table(int(TRAIN_ROWS / 0.8), FEATURES), target="y", name="bench")
    split = heldout.split(data, test=0.1, validation=0.1 / 0.9, seed=0)
    X, y = tensors(split, "train")
    n = len(y)
    print(f"training rows {n}, features {X.shape[1]}, batch {BATCH}")

    run = heldout.fit(
        split,
        model="linear",
        loss="mse",
        optimizer="sgd",
        lr=LR,
        batch_size=BATCH,
        epochs=5,
        early_stopping=False,
        tol=0,
    )
    epoch = float(np.median(run.members[0].epoch_seconds))
    ours = n / epoch
    print(
        f"heldout: {epoch:.3f} s per epoch, {ours:,.0f} samples/s (val rmse "
        f"{run.history['val_metric'].iloc[-1]:.4f})"
    )

    torch_s = median_seconds(lambda: plain_torch_epoch(X, y))
    print(f"plain PyTorch loop: {torch_s:.3f} s per epoch, {n / torch_s:,.0f} samples/s")

    X64, y64 = X.numpy().astype(np.float64), y.numpy().astype(np.float64)
    sk_s = median_seconds(lambda: sklearn_epoch(X64, y64))
    print(f"scikit-learn SGDRegressor: {sk_s:.3f} s per epoch, {n / sk_s:,.0f} samples/s")

    finish(
        {
            "over_sklearn_sgd": round(sk_s / epoch, 2),
            "over_torch_loop": round(torch_s / epoch, 2),
            "samples_per_second": round(ours),
            "sklearn_samples_per_second": round(n / sk_s),
            "torch_samples_per_second": round(n / torch_s),
        }
    )


if __name__ == "__main__":
    main()
