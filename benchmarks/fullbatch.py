"""Full-batch gradient descent for linear regression on 1,000,000 × 100 float32 training rows:
heldout's time per step against the time of one read of X (``numpy`` sum over X) in the same
process, and against a naive PyTorch autograd step.

A step is memory-bound: its floor is one read of X. heldout streams X in cache-sized row chunks
over the cores, so the forward and the backward product of a chunk share one read. heldout's time
per step is the median wall time of its epochs (an epoch of gd is one step), which includes its
per-epoch validation on 125,000 rows; the other two are the best of 7.

    python3 benchmarks/fullbatch.py        # about 1 minute on 2 cores
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from _common import finish, header, heldout, tensors, timed

TRAIN_ROWS, FEATURES = 1_000_000, 100
STEPS = 40


def regression_table(n_rows: int, n_features: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    y = X @ rng.standard_normal(n_features).astype(np.float32) + rng.standard_normal(n_rows).astype(
        np.float32
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    frame["y"] = y
    return frame


def autograd_step(X, y, w, b, lr=0.1):
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad = None
        b.grad = None


def main() -> None:
    header("fullbatch: gd on a linear model, time per step against one read of X")
    total = int(TRAIN_ROWS / 0.8)  # 10% sealed for test, 10% validation, the rest training
    data = heldout.load(regression_table(total, FEATURES), target="y", name="bench")
    split = heldout.split(data, test=0.1, validation=0.1 / 0.9, seed=0)
    X, y = tensors(split, "train")
    print(f"training rows {len(y)}, features {X.shape[1]}, X {X.numel() * 4 / 1e6:.0f} MB float32")

    read, _ = timed(lambda: X.numpy().sum(), repeat=7)
    print(f"one read of X (numpy sum): {read * 1e3:.1f} ms")

    run = heldout.fit(
        split,
        model="linear",
        loss="mse",
        optimizer="gd",
        lr=0.1,
        epochs=STEPS,
        early_stopping=False,
        tol=0,
    )
    step = float(np.median(run.members[0].epoch_seconds))
    print(
        f"heldout: {STEPS} steps, median {step * 1e3:.1f} ms per step, validation included "
        f"(val rmse {run.history['val_metric'].iloc[-1]:.4f})"
    )

    w = torch.zeros(FEATURES, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    naive, _ = timed(lambda: autograd_step(X, y, w, b), repeat=7)
    print(f"naive PyTorch autograd step: {naive * 1e3:.1f} ms")

    finish(
        {
            "step_over_one_read": round(step / read, 3),
            "speedup_vs_autograd": round(naive / step, 2),
            "step_ms": round(step * 1e3, 2),
            "one_read_ms": round(read * 1e3, 2),
            "autograd_step_ms": round(naive * 1e3, 2),
        }
    )


if __name__ == "__main__":
    main()
