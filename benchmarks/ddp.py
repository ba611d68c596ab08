"""Rows across processes: `heldout train` in one process against `torchrun --standalone
--nproc-per-node 2 -m heldout train` (gloo, every batch's rows split between the two), on the
same table and settings (an mlp of 64, adam, 3 epochs): the whole command's wall time (start,
split, check, training, report) and the training's rows per second — the rows of the two epochs
beyond the first over the seconds a 3-epoch run takes beyond a 1-epoch run, so that start, split,
check and report cancel out — at a small and a large batch, and the largest parameter difference
between the two.

An all-reduce per step costs a fixed time (gloo over loopback), so small batches lose to one
process and large batches gain, up to the two cores this machine has.

    python3 benchmarks/ddp.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from safetensors.numpy import load_file

from _common import finish, header

ROWS, FEATURES, EPOCHS = 400_000, 20, 3


def train(launcher: list[str], table: Path, out: Path, batch: int, epochs: int, home: Path) -> float:
    args = [*launcher, "-m", "heldout", "train", str(table), "--target", "y", "--model", "mlp", "--hidden", "64",
            "--optimizer", "adam", "--epochs", str(epochs), "--batch-size", str(batch), "--no-descent", "--quiet",
            "--out", str(out), "--fresh"]
    start = time.perf_counter()
    done = subprocess.run(args, env={**os.environ, "HELDOUT_HOME": str(home)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def main() -> None:
    header("ddp: one process against two (torchrun, gloo) splitting every batch")
    figures = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((ROWS, FEATURES)).astype("float32")
        frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(FEATURES)])
        frame["y"] = X @ rng.standard_normal(FEATURES) + np.sin(X[:, 0]) + 0.3 * rng.standard_normal(ROWS)
        frame.to_parquet(scratch / "table.parquet")
        launchers = {"1 process": [sys.executable],
                     "2 processes": [shutil.which("torchrun"), "--standalone", "--nproc-per-node", "2"]}
        train_rows = int(ROWS * 0.8 * 0.8)
        for batch in (256, 4096):
            seconds = {}
            for name, launcher in launchers.items():
                out = scratch / f"{name[0]}-{batch}"
                whole = train(launcher, scratch / "table.parquet", out, batch, EPOCHS, scratch / "home")
                base = train(launcher, scratch / "table.parquet", scratch / "base", batch, 1, scratch / "home")
                seconds[name] = (whole, max(whole - base, 1e-9))
            one, two = seconds["1 process"], seconds["2 processes"]
            rate = {name: train_rows * (EPOCHS - 1) / s[1] for name, s in seconds.items()}
            a, b = (load_file(scratch / f"{n}-{batch}" / "model.safetensors") for n in ("1", "2"))
            diff = max(float(np.abs(a[k] - b[k]).max()) for k in a)
            print(f"batch {batch:5d}: 1 process {one[0]:6.1f} s ({rate['1 process']:,.0f} rows/s in training), "
                  f"2 processes {two[0]:6.1f} s ({rate['2 processes']:,.0f} rows/s): "
                  f"x{rate['2 processes'] / rate['1 process']:.2f} in training; largest parameter difference {diff:.1e}")
            figures[f"batch_{batch}"] = {"one_seconds": round(one[0], 1), "two_seconds": round(two[0], 1),
                                         "training_speedup": round(rate["2 processes"] / rate["1 process"], 2),
                                         "max_parameter_difference": diff}
    finish(figures)


if __name__ == "__main__":
    main()
