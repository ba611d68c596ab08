"""Rows across processes: one population trained by `heldout.fit` in one process, and the same in
two processes started by `torchrun --standalone --nproc-per-node 2` (gloo; every batch's rows
split between the two, :mod:`heldout.train.shards`), on the same table and settings: the
training's seconds and rows per second (the fit alone, timed in process 0, after the table is
read and split), at a small and a large batch, and the largest parameter difference between the
two (float32 sums in another order).

An all-reduce per step costs a fixed time (gloo over loopback), so small batches lose to one
process and large batches gain, up to the two cores this machine has.

    python3 benchmarks/ddp.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROWS, FEATURES, EPOCHS = 400_000, 20, 3
SETTINGS = dict(
    model="mlp",
    hidden=(64,),
    optimizer="adam",
    lr=0.001,
    epochs=EPOCHS,
    early_stopping=False,
    tol=0,
)


def worker(table: str, batch: int, out: str) -> None:
    """Run under torchrun or alone: fit, and (process 0) write the seconds and parameters."""
    import heldout
    from heldout.train.shards import finished, from_environment

    shards = from_environment()
    split = heldout.split(heldout.load(table, target="y"), seed=0)
    start = time.perf_counter()
    run = heldout.fit(split, batch_size=batch, shards=shards, **SETTINGS)
    seconds = time.perf_counter() - start
    finished(shards)
    if shards is None or shards.rank == 0:
        np.savez(out, *[p.numpy() for p in run.model.params])
        Path(out + ".json").write_text(
            json.dumps(
                {
                    "seconds": seconds,
                    "rows": len(split.train),
                    "epochs": int(run.history["epoch"].iloc[-1]),
                }
            )
        )


def main() -> None:
    from _common import finish, header

    header("ddp: one process against two (torchrun, gloo) splitting every batch")
    figures = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((ROWS, FEATURES)).astype("float32")
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(FEATURES)])
        frame["y"] = (
            X @ rng.standard_normal(FEATURES) + np.sin(X[:, 0]) + 0.3 * rng.standard_normal(ROWS)
        )
        frame.to_parquet(scratch / "table.parquet")
        env = {**os.environ, "HELDOUT_HOME": str(scratch / "home")}
        launchers = {
            "one": [sys.executable],
            "two": [shutil.which("torchrun"), "--standalone", "--nproc-per-node", "2"],
        }
        for batch in (256, 4096):
            done = {}
            for name, launcher in launchers.items():
                out = str(scratch / f"{name}-{batch}")
                subprocess.run(
                    [
                        *launcher,
                        __file__,
                        "--worker",
                        str(scratch / "table.parquet"),
                        str(batch),
                        out,
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                done[name] = (json.loads(Path(out + ".json").read_text()), np.load(out + ".npz"))
            (one, a), (two, b) = done["one"], done["two"]
            rate = {k: v[0]["rows"] * v[0]["epochs"] / v[0]["seconds"] for k, v in done.items()}
            diff = max(float(np.abs(a[k] - b[k]).max()) for k in a.files)
            print(
                f"batch {batch:5d}, {one['epochs']} epochs of {one['rows']:,} rows: 1 process "
                f"{one['seconds']:5.1f} s ({rate['one']:,.0f} rows/s), 2 processes "
                f"{two['seconds']:5.1f} s ({rate['two']:,.0f} rows/s): "
                f"x{rate['two'] / rate['one']:.2f}; largest parameter difference {diff:.1e}"
            )
            figures[f"batch_{batch}"] = {
                "one_seconds": round(one["seconds"], 2),
                "two_seconds": round(two["seconds"], 2),
                "speedup": round(rate["two"] / rate["one"], 2),
                "max_parameter_difference": diff,
            }
    finish(figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
