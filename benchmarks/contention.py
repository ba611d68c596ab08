"""Training beside a busy core: one log_loss and one mse population, on an idle machine and again
beside a process that keeps one core busy (started and stopped here), with heldout's thread
choice and with every op on all threads whatever else runs (the previous behaviour), in the same
process. A step large enough to use both cores on an idle machine cannot keep its idle speed when
one core is taken; the pathology is the rest: small ops that wait for a thread with no core.

The populations are the size `heldout run`'s search trains: 8 members (learning rates), an mlp
of two hidden layers of 128 (the widest the default space draws) and one of 64, batches of 128
and 32, on 10,000 × 20 rows.

    python3 benchmarks/contention.py
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd

from _common import busy_core, header, heldout
from heldout._util import threads

RATES = [0.0005 * 2**i for i in range(8)]
CASES = {
    "log_loss, mlp 128-128, batch 128": dict(
        loss="log_loss", model="mlp", hidden=(128, 128), batch_size=128
    ),
    "log_loss, mlp 64, batch 32": dict(loss="log_loss", model="mlp", hidden=(64,), batch_size=32),
    "mse, mlp 128-128, batch 128": dict(loss="mse", model="mlp", hidden=(128, 128), batch_size=128),
    "mse, mlp 64, batch 32": dict(loss="mse", model="mlp", hidden=(64,), batch_size=32),
}


def splits():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10_000, 20))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(20)])
    binary = frame.assign(y=(X[:, 0] + X[:, 1] ** 2 > 1).astype(int))
    regression = frame.assign(y=X[:, 0] + X[:, 1] ** 2 + rng.normal(size=10_000))
    return {
        "log_loss": heldout.split(heldout.load(binary, target="y"), seed=0),
        "mse": heldout.split(heldout.load(regression, target="y"), seed=0),
    }


def seconds(split, settings) -> float:
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        heldout.fit(
            split, optimizer="adam", lr=RATES, epochs=3, early_stopping=False, tol=0, **settings
        )
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    header(
        "contention: training idle and beside one busy core (heldout's thread choice vs all "
        "threads)"
    )
    data = splits()
    for (
        settings
    ) in CASES.values():  # the process's first fits pay for its warm-up: not a measurement
        seconds(data[settings["loss"]], settings)
    chosen = (threads.SMALL_STEP, threads._others_running, threads._sample)
    blind = (0, lambda: 0, lambda: None)  # every step on all threads, whatever else runs
    times = {}
    for busy in (False, True):
        with busy_core(busy):
            try:
                for name, settings in CASES.items():
                    for policy, rule in (("heldout", chosen), ("all threads", blind)):
                        threads.SMALL_STEP, threads._others_running, threads._sample = rule
                        times[(name, policy, busy)] = seconds(data[settings["loss"]], settings)
            finally:
                threads.SMALL_STEP, threads._others_running, threads._sample = chosen
    out = {}
    for name in CASES:
        for policy in ("heldout", "all threads"):
            idle, busy = times[(name, policy, False)], times[(name, policy, True)]
            out[f"{name} [{policy}]"] = {
                "idle_s": round(idle, 3),
                "busy_s": round(busy, 3),
                "slowdown": round(busy / idle, 2),
            }
            print(
                f"{name:<36} {policy:<12} idle {idle:6.2f} s   busy core {busy:6.2f} s   slowdown "
                f"{busy / idle:5.2f}x"
            )
    print(
        json.dumps(
            {
                "max_slowdown_heldout": max(
                    v["slowdown"] for k, v in out.items() if "[heldout]" in k
                ),
                "cases": out,
            }
        )
    )


if __name__ == "__main__":
    main()
