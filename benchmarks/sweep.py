"""A 32-configuration learning-rate sweep of an MLP (one hidden layer of 64, ReLU, log loss) on a
100,000-row × 50-feature training table, batch 256, 5 epochs, plain SGD.

heldout trains the 32 rates as one population. Baseline A trains the same 32 configurations one
after another as plain PyTorch loops written the recommended way (``nn.Module``,
``torch.optim.SGD``, one permutation per epoch and tensor slicing, no DataLoader). Baseline B is
scikit-learn's ``MLPClassifier`` (solver sgd, no momentum, no L2) on the same 32 rates.

    python3 benchmarks/sweep.py            # about 2 minutes on 2 cores
    python3 benchmarks/sweep.py --device cuda   # both sides on a GPU (scikit-learn left out)
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn

from _common import classification_table, finish, header, heldout, split_table, tensors, timed

ROWS, FEATURES, HIDDEN, BATCH, EPOCHS = 100_000, 50, 64, 256, 5
RATES = [float(r) for r in np.logspace(-3, -0.5, 32)]


def plain_torch(X, y, lr: float, seed: int = 0) -> float:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(X.shape[1], HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1)).to(
        X.device
    )
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    for _ in range(EPOCHS):
        perm = torch.randperm(len(y), generator=gen).to(X.device)
        Xp, yp = X[perm], y[perm]
        for start in range(0, len(y), BATCH):
            opt.zero_grad()
            loss = loss_fn(model(Xp[start : start + BATCH])[:, 0], yp[start : start + BATCH])
            loss.backward()
            opt.step()
    return float(loss.detach())


def matmul_floor(X, steps: int) -> float:
    """Seconds that the population's two large products per step (first layer forward and weight
    gradient, every member at once) take alone over ``steps`` steps: a floor under any sweep."""
    xb = X[:BATCH].contiguous()
    W = torch.randn(len(RATES), X.shape[1], HIDDEN, device=X.device)
    dz = torch.randn(len(RATES), BATCH, HIDDEN, device=X.device)

    def products(times: int):
        for _ in range(times):
            torch.bmm(xb.expand(len(RATES), -1, -1), W)
            torch.bmm(xb.T.expand(len(RATES), -1, -1), dz)
        if X.is_cuda:
            torch.cuda.synchronize()

    products(20)
    seconds, _ = timed(lambda: products(200), repeat=3)
    return seconds / 200 * steps


def sklearn_mlp(X, y, lr: float) -> float:
    model = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        solver="sgd",
        learning_rate_init=lr,
        momentum=0.0,
        alpha=0.0,
        batch_size=BATCH,
        max_iter=EPOCHS,
        shuffle=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return float(model.loss_)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    device = parser.parse_args().device
    header("sweep: 32 learning rates of an MLP, one population vs one run after another")
    # 125,000 rows: 10% sealed for test, 10% validation, 100,000 training rows
    split = split_table(
        classification_table(125_000, FEATURES), "label", test=0.1, validation=0.1 / 0.9
    )
    X, y = (t.to(device) for t in tensors(split, "train"))
    print(
        f"device {device}, training rows {len(y)}, features {X.shape[1]}, batch {BATCH}, epochs "
        f"{EPOCHS}, rates {len(RATES)}"
    )

    plain_torch(X[:2560], y[:2560], RATES[0])  # warm both sides up before timing
    heldout.fit(
        split,
        model="mlp",
        hidden=(HIDDEN,),
        loss="log_loss",
        optimizer="sgd",
        lr=RATES[:2],
        batch_size=BATCH,
        epochs=1,
        device=device,
    )
    ours, run = timed(
        lambda: heldout.fit(
            split,
            model="mlp",
            hidden=(HIDDEN,),
            loss="log_loss",
            optimizer="sgd",
            lr=RATES,
            batch_size=BATCH,
            epochs=EPOCHS,
            early_stopping=False,
            tol=0,
            device=device,
        ),
        repeat=2,
    )
    statuses = run.table()["status"].value_counts().to_dict()
    print(f"heldout population of {len(run.members)}: {ours:.2f} s  {statuses}")

    runs = [timed(lambda: plain_torch(X, y, lr))[0] for lr in RATES]
    sequential, one = sum(runs), float(np.median(runs))
    print(
        f"plain PyTorch: one run {one:.2f} s (median of 32), 32 runs one after another "
        f"{sequential:.2f} s"
    )

    steps = EPOCHS * -(-len(y) // BATCH)
    floor = matmul_floor(X, steps)
    print(
        f"floor: the population's two large products alone, {steps} steps: {floor:.2f} s "
        f"({floor / one:.2f}x one plain run)"
    )
    figures = {
        "speedup_vs_sequential_torch": round(sequential / ours, 2),
        "sweep_over_one_torch_run": round(ours / one, 3),
        "floor_seconds": round(floor, 3),
        "floor_over_one_torch_run": round(floor / one, 3),
    }
    if device == "cpu":
        Xn, yn = X.numpy(), y.numpy().astype(int)
        sk = sum(timed(lambda: sklearn_mlp(Xn, yn, lr))[0] for lr in RATES)
        print(f"scikit-learn MLPClassifier, 32 fits: {sk:.2f} s")
        figures.update(speedup_vs_sklearn=round(sk / ours, 2), sklearn_seconds=round(sk, 2))
    best = run.by_config().sort_values("val_accuracy").iloc[-1]
    print(f"heldout best validation accuracy {best['val_accuracy']:.4f} at lr {best['lr']:.4g}")

    figures.update(
        device=device,
        heldout_seconds=round(ours, 3),
        one_torch_run_seconds=round(one, 3),
        sequential_torch_seconds=round(sequential, 2),
    )
    finish(figures)


if __name__ == "__main__":
    main()
