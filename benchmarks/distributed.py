"""One search on several local worker processes over PostgreSQL (``--storage``, ``--workers``):
trials per minute with 1, 2 and 4 workers on a fixed workload, and whether one worker on
PostgreSQL gives the leaderboard of the default single-host search (a journal file) with the
same seed.

The workload: ``heldout tune`` on a synthetic binary table of 20,000 rows x 20, 96 trials in
batches of 4. Each worker is pinned to one thread (``OMP_NUM_THREADS=1``), so on a 2-core machine
two workers can use both cores and four share them. Trials per minute are counted over the
study's own clock: from the first trial's start to the last trial's end, across workers (process
start, split and leakage check excluded; the wall time of the command, which includes them, is
printed beside). The PostgreSQL server is a throwaway one (``tests/postgres.py``), on 127.0.0.1.

    python3 benchmarks/distributed.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
import pandas as pd

from _common import classification_table, finish, header
from heldout.search.storage import sqlalchemy_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from postgres import Server  # noqa: E402

TRIALS, POPULATION, ROWS = 96, 4, 20_000


def search(
    table: Path, out: Path, home: Path, workers: int, storage: str | None, pinned: bool = True
) -> float:
    args = [
        sys.executable,
        "-m",
        "heldout",
        "tune",
        str(table),
        "--target",
        "label",
        "--trials",
        str(TRIALS),
        "--population",
        str(POPULATION),
        "--out",
        str(out),
        "--quiet",
        "--no-descent",
    ]
    if storage:
        args += ["--storage", storage, "--study", "bench", "--workers", str(workers)]
    env = {**os.environ, "HELDOUT_HOME": str(home), **({"OMP_NUM_THREADS": "1"} if pinned else {})}
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return time.perf_counter() - start


def trials_per_minute(url: str) -> tuple[float, int]:
    storage = optuna.storages.RDBStorage(sqlalchemy_url(url))
    trials = [
        t
        for s in optuna.get_all_study_summaries(storage)
        for t in optuna.load_study(study_name=s.study_name, storage=storage).get_trials()
        if "row" in t.user_attrs
    ]
    span = (
        max(t.datetime_complete for t in trials) - min(t.datetime_start for t in trials)
    ).total_seconds()
    processes = {t.user_attrs["population"].split(":")[1] for t in trials}
    return 60 * len(trials) / span, len(processes)


def main() -> None:
    header("distributed: one search, several local workers, PostgreSQL")
    server = Server.start()
    figures = {}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            table = scratch / "table.parquet"
            classification_table(ROWS, 20).to_parquet(table)
            speeds = {}
            for workers in (1, 2, 4):
                url = server.create_database()
                wall = search(table, scratch / f"w{workers}", scratch / "home", workers, url)
                speeds[workers], contributed = trials_per_minute(url)
                print(
                    f"{workers} worker(s), one thread each: {speeds[workers]:6.1f} trials/min "
                    f"(x{speeds[workers] / speeds[1]:.2f} one worker); {contributed} process(es) "
                    f"trained trials; command {wall:.1f} s"
                )
                figures[f"trials_per_minute_{workers}"] = round(speeds[workers], 1)
            # the same seed: one worker on PostgreSQL against the default journal in a run directory
            url = server.create_database()
            alone = search(table, scratch / "journal", scratch / "home", 1, None)
            shared = search(table, scratch / "postgres", scratch / "home", 1, url)
            print(
                f"one process: journal {alone:.1f} s, PostgreSQL {shared:.1f} s (the command's "
                "wall time)"
            )
            boards = [
                pd.read_csv(scratch / name / "leaderboard.csv").drop(columns="seconds")
                for name in ("journal", "postgres")
            ]
            same = boards[0].equals(boards[1])
            print(
                f"one worker on PostgreSQL reproduces the journal's leaderboard ({TRIALS} trials, "
                f"seed 0): {same}"
            )
            figures.update(
                speedup_2=round(speeds[2] / speeds[1], 2),
                speedup_4=round(speeds[4] / speeds[1], 2),
                same_leaderboard=same,
            )
    finally:
        server.stop()
    finish(figures)


if __name__ == "__main__":
    main()
