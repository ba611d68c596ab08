"""One writer per run directory: a second process is refused with the holder's pid; a directory
left by a killed process is taken over with a notice. Real processes and SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from heldout.errors import ConfigError
from heldout.rundir.lock import RunLock

LONG = ["run", "--dataset", "diabetes", "--trials", "400", "--population", "4", "--quiet"]


def _heldout(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "heldout", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _holder(out, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            holder = json.loads((out / ".lock").read_text() or "{}")
            if holder.get("pid"):
                return holder
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError("the first process never took the run directory")


def test_a_second_process_is_refused_and_a_dead_holder_is_taken_over(tmp_path):
    out = tmp_path / "run"
    first = _heldout(*LONG, "--out", str(out))
    try:
        holder = _holder(out)
        assert holder["pid"] == first.pid
        second = _heldout(*LONG, "--out", str(out))
        _, err = second.communicate(timeout=120)
        assert second.returncode == 2 and "Traceback" not in err
        assert f"in use by process {first.pid}" in " ".join(err.split())
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    third = _heldout(
        "run",
        "--dataset",
        "diabetes",
        "--trials",
        "4",
        "--population",
        "4",
        "--quiet",
        "--out",
        str(out),
    )
    _, err = third.communicate(timeout=180)
    assert third.returncode == 0, err
    assert "Taking over the run directory" in err and f"from process {first.pid}" in " ".join(
        err.split()
    )


def test_the_lock_is_claimed_once_in_one_process_and_released_in_order(tmp_path):
    with RunLock(tmp_path) as outer:
        assert json.loads((tmp_path / ".lock").read_text())["pid"] == os.getpid()
        with pytest.raises(ConfigError, match="in use by this process already"):
            RunLock(tmp_path).__enter__()
        assert outer.previous is None
    assert (tmp_path / ".lock").read_text() == ""
    with RunLock(tmp_path) as again:
        assert again.previous is None  # released in order: nothing to take over


def test_a_lock_held_by_another_open_file_is_refused(tmp_path):
    import fcntl

    with open(tmp_path / ".lock", "a+") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        other.write(json.dumps({"pid": 12345, "host": "elsewhere", "started": "then"}))
        other.flush()
        with pytest.raises(ConfigError, match="in use by process 12345 on 'elsewhere'"):
            RunLock(tmp_path).__enter__()


def _quick(*extra):
    return [
        "run",
        "--trials",
        "4",
        "--population",
        "4",
        "--candidates",
        "linear+mse",
        "--quiet",
        "--json",
        "--no-descent",
        *extra,
    ]


def _done(*args):
    done = subprocess.run(
        [sys.executable, "-m", "heldout", *args], capture_output=True, text=True, timeout=180
    )
    return done


def _regression_csv(path, seed):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.standard_normal((300, 3)), columns=["a", "b", "c"])
    frame["y"] = frame["a"] - frame["b"] + 0.1 * rng.standard_normal(300)
    frame.to_csv(path, index=False)
    return str(path)


def test_a_run_directory_of_other_data_is_refused_unless_fresh(tmp_path):
    out = str(tmp_path / "run")
    first, second = _regression_csv(tmp_path / "a.csv", 0), _regression_csv(tmp_path / "b.csv", 1)
    assert _done(*_quick(first, "--target", "y", "--out", out)).returncode == 0
    other = _done(*_quick(second, "--target", "y", "--out", out))
    assert other.returncode == 2 and "holds a run on other rows" in " ".join(other.stderr.split())
    assert "--fresh" in other.stderr and "Traceback" not in other.stderr
    again = _done(*_quick(second, "--target", "y", "--out", out, "--fresh"))
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["dataset"] == "b" and summary["trials"] == 4


def test_a_folder_of_the_users_own_files_is_refused_and_default_folders_are_unique(
    tmp_path, monkeypatch
):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = _done(*_quick("--dataset", "diabetes", "--out", str(mine)))
    assert refused.returncode == 2 and "is not a heldout run directory" in " ".join(
        refused.stderr.split()
    )
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]  # nothing written there

    from heldout.rundir.artifacts import Artifacts
    from heldout.rundir.spec import DataSpec

    monkeypatch.chdir(tmp_path)
    paths = {Artifacts.default_path(DataSpec(dataset="wine")) for _ in range(3)}
    assert len(paths) == 3 and all(p.is_dir() for p in paths)
