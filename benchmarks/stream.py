"""Streaming Parquet against the in-memory path on the same table: rows per second and peak memory.

A table of ROWS rows × 20 features (15 numbers, 5 short strings of a few values each) and a
numeric target, written as several Parquet files with small row groups, is trained on by
``heldout train`` twice, each in a new process: with ``--stream`` (read a row group at a time),
and read whole (``--strategy hashed``: the same split). Both run one epoch of ``sgd`` (batch
4096) on a linear model. Printed: wall time, training rows per second (training rows / wall
time, the survey or loading and the look-free report included), peak resident memory of the
process (``wait4``'s ``ru_maxrss``), and the table's size as pandas.

    python3 benchmarks/stream.py            # 3,000,000 rows
    python3 benchmarks/stream.py 1000000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 3_000_000
FILES, ROW_GROUP = 6, 50_000
TRAIN = [
    "--target",
    "y",
    "--model",
    "linear",
    "--optimizer",
    "sgd",
    "--batch-size",
    "4096",
    "--epochs",
    "1",
    "--no-descent",
    "--quiet",
    "--json",
]


def write_table(
    folder: Path, rows: int, files: int = FILES, row_group: int = ROW_GROUP, seed: int = 0
) -> int:
    """The table in ``files`` Parquet files; returns its size in bytes as one pandas DataFrame."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    coef = rng.standard_normal(15)
    size = 0
    for i, n in enumerate(np.diff(np.linspace(0, rows, files + 1).astype(int))):
        X = rng.standard_normal((n, 15))
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(15)])
        for j in range(5):
            frame[f"s{j}"] = rng.choice([f"level-{k}" for k in range(6)], n)
        frame["y"] = X @ coef + (frame["s0"] == "level-1") + 0.5 * rng.standard_normal(n)
        frame.to_parquet(folder / f"part-{i:03d}.parquet", row_group_size=row_group)
        size += int(frame.memory_usage(deep=True).sum())
    return size


def peak_rss(args: list[str]) -> tuple[float, float, str]:
    """Run ``args`` as a child; its wall seconds, peak RSS in MiB and stdout."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed: {err.decode()[-2000:]}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out.decode()


def main(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "table"
        size = write_table(folder, rows)
        print(
            f"table: {rows:,} rows x 20 features in {FILES} Parquet files (row groups of "
            f"{ROW_GROUP:,}); {size / 2**20:,.0f} MiB as pandas"
        )
        base = [
            sys.executable,
            "-m",
            "heldout",
            "train",
            str(folder),
            *TRAIN,
            "--ledger",
            str(Path(tmp) / "ledger"),
        ]
        results = {}
        for name, more in (("stream", ["--stream"]), ("in memory", ["--strategy", "hashed"])):
            if name == "in memory":  # read whole: one file, as the in-memory path takes one table
                whole = Path(tmp) / "whole.parquet"
                pd.concat(
                    [pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))]
                ).to_parquet(whole)
                base[4] = str(whole)
            seconds, rss, out = peak_rss(
                [*base, "--out", str(Path(tmp) / name.replace(" ", "_")), *more]
            )
            summary = json.loads(out)
            results[name] = (seconds, rss, summary)
            train_rows = summary["split"]["train"]
            print(
                f"{name:>10}: {seconds:6.1f} s, {train_rows / seconds:10,.0f} training rows/s, "
                f"peak RSS {rss:7,.0f} MiB, val rmse {summary['validation']['rmse']:.4f}, split "
                f"{summary['split']['train_fingerprint']}"
            )
        (s_sec, s_rss, _), (m_sec, m_rss, _) = results["stream"], results["in memory"]
        print(f"stream / in memory: time x{s_sec / m_sec:.2f}, peak memory x{s_rss / m_rss:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
