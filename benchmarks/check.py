"""The full leakage check on a 1,000,000 × 50 table (with a few leaks planted), timed check by
check. Loading and splitting are timed apart: they happen before any check.

    python3 benchmarks/check.py            # about 1 minute on 2 cores
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from _common import finish, header, heldout

ROWS, FEATURES = 1_000_000, 50


def main() -> None:
    header("check: every leakage check on 1,000,000 x 50")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        rng.standard_normal((ROWS, FEATURES), dtype=np.float32),
        columns=[f"x{i}" for i in range(FEATURES)],
    )
    frame["y"] = frame["x0"] + 0.5 * frame["x1"] + rng.standard_normal(ROWS).astype(np.float32)
    frame.iloc[-1000:] = frame.iloc[:1000].to_numpy()  # 1,000 exact copies
    frame["x49"] = frame["y"] * 3  # a target proxy
    start = time.perf_counter()
    split = heldout.split(heldout.load(frame, target="y", name="bench"), seed=0)
    print(f"load and split: {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    report = heldout.check(split)
    total = time.perf_counter() - start
    for name, seconds in report.seconds.items():
        print(f"  {name:16s} {seconds:7.2f} s")
    for f in report.findings:
        print(f"  {f.severity:8s} {f.kind:16s} {f.count:8d}  {f.message[:90]}")
    print(f"total {total:.1f} s")
    finish(
        {
            "seconds_total": round(total, 2),
            "seconds": report.seconds,
            "findings": {f"{f.kind}:{f.severity}": f.count for f in report.findings},
        }
    )


if __name__ == "__main__":
    main()
