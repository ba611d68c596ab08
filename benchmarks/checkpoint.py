"""The cost of checkpoints: one population of 8 MLPs (20→64→1, log loss, batch 32, 300 epochs,
10,000 rows; about 17 s) trained without checkpoints, with the default interval (a write at most
every 5 s) and with a write after every epoch, in the same process; prints the overhead of each as a
share of the training time without. Target: ≤ 5% at the default interval.

    python3 benchmarks/checkpoint.py
"""

from __future__ import annotations

import tempfile

from _common import classification_table, finish, header, split_table, timed
from heldout.train.checkpoints import INTERVAL, Checkpoints
from heldout.train.population import train_population
from heldout.train.rows import Hooks, Rows

SETTINGS = [
    dict(
        model="mlp",
        hidden=(64,),
        loss="log_loss",
        optimizer="adam",
        lr=lr,
        batch_size=32,
        epochs=300,
        early_stopping=False,
        tol=0,
    )
    for lr in (1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2, 5e-2)
]


def main() -> None:
    header("checkpoint: training with and without checkpoints of the population state")
    split = split_table(classification_table(10_000, 20), "label", test=0.2, validation=0.2)
    stores = {}

    def train(interval):
        store = None if interval is None else Checkpoints(tempfile.mkdtemp(), interval=interval)
        stores[interval] = store
        hooks = Hooks(checkpoint=None if store is None else store.hook("bench"))
        return train_population(Rows(split.train, split.validation), SETTINGS, hooks)

    plain, _ = timed(lambda: train(None))
    figures = {"without_s": round(plain, 3)}
    for name, interval in (("default", INTERVAL), ("every_epoch", 0.0)):
        seconds, _ = timed(lambda: train(interval))
        store = stores[interval]
        overhead = seconds / plain - 1
        print(
            f"{name:<12} interval {interval:g} s: {seconds:.3f} s vs {plain:.3f} s without "
            f"({overhead:+.1%}); {store.written} checkpoints written, "
            f"{store.seconds:.3f} s writing them"
        )
        figures[name] = {
            "seconds": round(seconds, 3),
            "overhead": round(overhead, 4),
            "written": store.written,
            "writing_s": round(store.seconds, 3),
        }
    finish(figures)


if __name__ == "__main__":
    main()
