"""``heldout run`` with default settings as a user runs it (a new process, a Parquet file) on
tables of 10,000, 100,000 and 1,000,000 rows: wall-clock seconds, trials, pruned trials and the
test accuracy with its 95% interval, against scikit-learn's ``LogisticRegressionCV`` fitted on the
same training + validation rows and scored through the same sealed test set (its look recorded).

The table is synthetic (20 standard-normal features; the label depends on one linear term, an
interaction, an absolute value and a sine), so it has every size. Each size gets its own ledger:
the smaller tables are prefixes of the larger ones, and a test set already looked at must not
reappear in another split's training rows (the leakage check would say so).

Each size runs on an idle machine and again beside a process that keeps one core busy.
Targets (2 cores, idle): 10,000 rows ≤ 8 s, 100,000 rows ≤ 60 s, 1,000,000 rows ≤ 5 minutes.

    python3 benchmarks/run_scale.py                  # all three sizes, about 5 minutes
    python3 benchmarks/run_scale.py 10000 100000     # some of them
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from sklearn.linear_model import LogisticRegressionCV

from _common import busy_core, classification_table, finish, header, heldout
from heldout.rundir.spec import DataSpec

SIZES = (10_000, 100_000, 1_000_000)
TARGETS = {10_000: 8, 100_000: 60, 1_000_000: 300}


def run_cli(path: Path, out: Path, home: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "run",
            str(path),
            "--target",
            "label",
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HELDOUT_HOME": str(home)},
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds, json.loads(done.stdout)


def reference(path: Path, home: Path) -> tuple[float, float]:
    """LogisticRegressionCV on the run's training + validation rows, one look through the run's
    gate."""
    split = DataSpec(source=str(path), target="label").split(home)
    pooled = split.train.append(split.validation)
    features = heldout.Features().fit(pooled.features)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", FutureWarning
        )  # scikit-learn's notice about its fitted attributes
        model = LogisticRegressionCV(max_iter=2000).fit(
            features.transform(pooled.features), pooled.target.to_numpy()
        )
    seconds = time.perf_counter() - start

    def accuracy(rows):
        return float(
            (model.predict(features.transform(rows.features)) == rows.target.to_numpy()).mean()
        )

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", heldout.HeldoutWarning
        )  # the reference's own look, recorded
        score, _ = split.test.unseal(
            accuracy, model="sklearn:LogisticRegressionCV", info={"benchmark": "run_scale"}
        )
    return seconds, score


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    header(
        "run_scale: `heldout run` defaults on 10k / 100k / 1M rows (wall seconds, test accuracy)"
    )
    scratch = Path(tempfile.mkdtemp(prefix="run-scale-"))
    results = {}
    for n in sizes:
        path = scratch / f"table-{n}.parquet"
        classification_table(n, 20).to_parquet(path)
        home = scratch / f"ledger-{n}"
        seconds, summary = run_cli(path, scratch / f"run-{n}", home)
        with busy_core():
            busy_seconds, _ = run_cli(path, scratch / f"run-{n}-busy", scratch / f"ledger-{n}-busy")
        ours, ci = summary["test"]["accuracy"], summary["test"]["interval_95"]["accuracy"]
        ref_seconds, ref = reference(path, home)
        print(
            f"{n:>9,} rows: heldout run {seconds:6.1f} s idle (target {TARGETS.get(n, '-')} s), "
            f"{busy_seconds:6.1f} s beside a busy core ({busy_seconds / seconds:.2f}x); "
            f"{summary['trials']} trials, {summary['pruned']} pruned, {summary['candidate']}, "
            f"accuracy {ours:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]; LogisticRegressionCV "
            f"{ref_seconds:.1f} s, accuracy {ref:.4f}"
        )
        results[n] = {
            "seconds": round(seconds, 1),
            "busy_core_seconds": round(busy_seconds, 1),
            "busy_slowdown": round(busy_seconds / seconds, 2),
            "target_seconds": TARGETS.get(n),
            "accuracy": round(ours, 4),
            "ci": [round(ci[0], 4), round(ci[1], 4)],
            "trials": summary["trials"],
            "pruned": summary["pruned"],
            "candidate": summary["candidate"],
            "logistic_regression_cv": {"seconds": round(ref_seconds, 1), "accuracy": round(ref, 4)},
        }
    finish({"run_scale": results})


if __name__ == "__main__":
    main()
