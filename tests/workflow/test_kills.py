"""`heldout run` and `heldout train` killed with SIGKILL at many points and run again, as a user
would: the result equals an uninterrupted run's bit for bit, the ledger verifies, and the test set
was looked at exactly once. Real processes and real signals, bounded in time."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState
from safetensors.numpy import load_file

from heldout.ledger.ledger import Ledger

RUN = ["run", "--dataset", "diabetes", "--trials", "16", "--population", "4", "--json"]
TRAIN = [
    "train",
    "--dataset",
    "wine",
    "--model",
    "mlp",
    "--hidden",
    "16",
    "--lr",
    "0.001,0.003,0.01,0.03",
    "--weight-decay",
    "0,0.001",
    "--epochs",
    "60",
    "--optimizer",
    "adam",
    "--json",
]


def _env(home: Path) -> dict:
    # a checkpoint at every epoch: every kill finds one to resume from
    return {
        **os.environ,
        "HELDOUT_HOME": str(home),
        "HELDOUT_CHECKPOINT_SECONDS": "0",
        "COLUMNS": "120",
    }


def _start(args, out: Path, home: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "heldout", *args, "--out", str(out)],
            env=_env(home),
            stdout=sink,
            stderr=sink,
        )


def _until(process: subprocess.Popen, stop) -> bool:
    """Kill ``process`` with SIGKILL when ``stop()`` says so; True when it finished first."""
    deadline = time.monotonic() + 180
    while process.poll() is None:
        if stop():
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            return False
        assert time.monotonic() < deadline, "the command did not finish in 180 s"
        time.sleep(0.003)
    return True


def _after(seconds: float):
    start = time.monotonic()
    return lambda: time.monotonic() - start >= seconds


def _written(path: Path):
    """True once ``path`` is written after this moment."""
    since = time.time_ns()
    return lambda: path.exists() and path.stat().st_mtime_ns > since


def _written_any(folder: Path, pattern: str):
    """True once a file of ``folder`` matching ``pattern`` is written after this moment."""
    since = time.time_ns()
    return lambda: any(p.stat().st_mtime_ns > since for p in folder.glob(pattern))


def _either(*stops):
    return lambda: any(stop() for stop in stops)


def _killed_and_rerun(args, tmp_path: Path, points) -> tuple[Path, Path, list]:
    out, home, log = tmp_path / "killed", tmp_path / "home-killed", tmp_path / "killed.log"
    outcomes = []
    for point in points:
        stop = point(out)
        finished = _until(_start(args, out, home, log), stop)
        outcomes.append(finished)
        if finished:
            break
    while not _until(_start(args, out, home, log), lambda: False):
        pass
    return out, home, outcomes


def _uninterrupted(args, tmp_path: Path) -> tuple[Path, Path, float]:
    out, home = tmp_path / "whole", tmp_path / "home-whole"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "heldout", *args, "--out", str(out)],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return out, home, time.monotonic() - started


def _same_tensors(a: Path, b: Path) -> None:
    left, right = load_file(a), load_file(b)
    assert left.keys() == right.keys()
    for name in left:
        assert left[name].dtype == right[name].dtype and (left[name] == right[name]).all(), name


def _looks(home: Path) -> int:
    ledger = Ledger(home)
    check = ledger.verify()
    assert check.ok, check.problems
    return sum(e["kind"] == "unseal" for e in ledger.entries())


def _without_paths(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("run_dir", "ledger", "recovered_trials")}


def test_a_run_killed_at_twelve_points_and_rerun_equals_an_uninterrupted_run(tmp_path):
    whole, whole_home, seconds = _uninterrupted(RUN, tmp_path)
    points = [
        lambda out: _written(out / "leakage.json"),  # after the check
        lambda out: _after(0.3 * seconds),  # by time
        lambda out: _written(out / "checkpoint-batch.pt"),  # a batch in training
        lambda out: _after(0.5 * seconds),
        lambda out: _written(out / "checkpoint-batch.pt"),
        lambda out: _written(out / "checkpoint-batch.pt"),
        lambda out: _written(out / "leaderboard.csv"),  # a batch told
        # the refit (of the selected trial, or of an ensemble's members)
        lambda out: _written_any(out, "checkpoint-refit*.pt"),
        lambda out: _either(
            _written(out / "look.json"), _written(out / "evaluation.json")
        ),  # the look
        lambda out: _written(out / "evaluation.json"),  # recorded, summary not written
        lambda out: _written(out / "summary.json"),  # the report not yet written
        lambda out: _after(0.9 * seconds),
    ]
    killed, killed_home, outcomes = _killed_and_rerun(RUN, tmp_path, points)
    assert outcomes.count(False) >= 10, (
        outcomes
    )  # ten kills at least landed before the run could finish

    a, b = (json.loads((d / "summary.json").read_text()) for d in (whole, killed))
    assert _without_paths(a) == _without_paths(b)
    boards = [pd.read_csv(d / "leaderboard.csv").drop(columns="seconds") for d in (whole, killed)]
    pd.testing.assert_frame_equal(*boards)
    _same_tensors(whole / "model.safetensors", killed / "model.safetensors")
    assert _looks(killed_home) == _looks(whole_home) == 1  # the test set looked at exactly once
    assert not list(killed.glob("checkpoint-*")) and not (killed / "look.json").exists()
    assert (killed / "report.html").is_file()
    journal = JournalStorage(JournalFileBackend(str(killed / "study.journal")))
    states = {
        t.state for s in journal.get_all_studies() for t in journal.get_all_trials(s._study_id)
    }
    assert not states & {TrialState.RUNNING, TrialState.WAITING}  # no zombie trials
    recovered = b["recovered_trials"]
    assert (
        a["recovered_trials"] == {"continued": 0, "failed": 0}
        and recovered["continued"] + recovered["failed"] > 0
    )


def test_a_population_killed_mid_training_resumes_bit_identical(tmp_path):
    whole, _, seconds = _uninterrupted(TRAIN, tmp_path)
    points = [lambda out: _written(out / "checkpoint-train.pt")] * 3 + [
        lambda out: _after(0.8 * seconds)
    ]
    killed, _, outcomes = _killed_and_rerun(TRAIN, tmp_path, points)
    assert outcomes.count(False) >= 3, outcomes
    for name in ("members.csv", "histories.csv"):
        frames = [pd.read_csv(d / name) for d in (whole, killed)]
        drop = [c for c in frames[0].columns if "seconds" in c]
        pd.testing.assert_frame_equal(frames[0].drop(columns=drop), frames[1].drop(columns=drop))


def test_a_search_killed_with_a_relative_out_and_a_stale_journal_lock_resumes(tmp_path):
    # the default --out is relative (runs/NAME-TIME); Optuna's journal lock is a symlink to the
    # journal, which a relative path left dangling, and its lock loop then spun forever
    home, log = tmp_path / "home", tmp_path / "log"
    args = ["run", "--dataset", "diabetes", "--trials", "8", "--population", "4", "--json"]
    with open(log, "ab") as sink:
        first = subprocess.Popen(
            [sys.executable, "-m", "heldout", *args, "--out", "rel"],
            cwd=tmp_path,
            env=_env(home),
            stdout=sink,
            stderr=sink,
        )
    assert not _until(first, _written(tmp_path / "rel" / "checkpoint-batch.pt"))
    lock = tmp_path / "rel" / "study.journal.lock"
    if not lock.is_symlink():
        os.symlink("rel/study.journal", lock)  # as a killed holder of the journal left it
    done = subprocess.run(
        [sys.executable, "-m", "heldout", *args, "--out", "rel"],
        cwd=tmp_path,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["trials"] == 8 and _looks(home) == 1
