"""The ensemble of the best trials against the selected trial alone: ``heldout run`` twice on the
same split, with and without ``ensemble``, on each bundled dataset and on ``diabetes`` at several
seeds. Prints each run's test loss (rmse, or log loss for classification), the ratio ensemble /
alone (below 1: the ensemble is better), the members and both wall times; the geometric mean of
the ratios last, and one JSON line.

    python3 benchmarks/ensemble.py            # about 2 minutes on 2 cores
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from pathlib import Path

from _common import header
from heldout.rundir.spec import DataSpec
from heldout.workflow.procedures import run_procedure

CASES = [("diabetes", s) for s in (0, 1, 2)] + [
    (name, 0) for name in ("breast_cancer", "wine", "iris", "digits")
]


def _run(name: str, seed: int, ensemble: bool) -> tuple[dict, float]:
    out = Path(tempfile.mkdtemp()) / "r"
    started = time.perf_counter()
    summary = run_procedure(
        DataSpec(dataset=name, seed=seed), out, ensemble=ensemble, draw_descent=False
    )
    return summary, time.perf_counter() - started


def main() -> None:
    header("ensemble of the best trials against the selected trial alone")
    rows = []
    for name, seed in CASES:
        (alone, a_seconds), (combined, e_seconds) = (
            _run(name, seed, False),
            _run(name, seed, True),
        )
        metric = "rmse" if "rmse" in alone["test"] else "log_loss"
        ratio = combined["test"][metric] / alone["test"][metric]
        members = len((combined.get("ensemble") or {}).get("members", [])) or 1
        rows.append(
            dict(
                table=name,
                seed=seed,
                metric=metric,
                alone=alone["test"][metric],
                ensemble=combined["test"][metric],
                ratio=ratio,
                members=members,
                seconds_alone=a_seconds,
                seconds_ensemble=e_seconds,
            )
        )
        print(
            f"{name:<14} seed {seed}  {metric:<8} alone {alone['test'][metric]:.4g}  "
            f"ensemble {combined['test'][metric]:.4g}  ratio {ratio:.3f}  members {members}  "
            f"wall {a_seconds:.1f} s / {e_seconds:.1f} s"
        )
    mean = math.exp(sum(math.log(r["ratio"]) for r in rows) / len(rows))
    print(f"geometric mean of the ratios: {mean:.4f}")
    print(json.dumps({"cases": rows, "geometric_mean_ratio": mean}))


if __name__ == "__main__":
    main()
