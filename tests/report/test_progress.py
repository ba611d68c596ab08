"""Progress output both ways: a live display on a terminal, plain lines anywhere else."""

import os
import pty
import subprocess
import sys

from heldout.report import progress


def test_off_a_terminal_each_epoch_and_batch_is_one_plain_line():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "tune",
            "--dataset",
            "diabetes",
            "--trials",
            "4",
            "--population",
            "4",
            "--candidates",
            "linear+mse",
            "--verbose",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert "\r" not in out.stderr and "\x1b[" not in out.stderr
    lines = out.stderr.splitlines()
    assert any(
        line.startswith("epoch 1/")
        and "4 of 4 members training" in line
        and line.endswith(" s left")
        for line in lines
    )
    assert any(line.startswith("trials 4/4 (last batch: 4 linear+mse)") for line in lines)
    quiet = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "train",
            "--dataset",
            "wine",
            "--epochs",
            "3",
            "--quiet",
            "--out",
            "q",
        ],
        capture_output=True,
        text=True,
    )
    assert quiet.returncode == 0 and "epoch" not in quiet.stderr


def test_on_a_terminal_the_display_is_redrawn_in_place():
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heldout",
            "train",
            "--dataset",
            "wine",
            "--epochs",
            "30",
            "--out",
            "t",
        ],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert process.wait() == 0
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "members training" in shown and "\x1b[" in shown  # rich's cursor control: drawn in place
    assert "epoch 1/30:" not in shown  # not the plain lines


def test_the_reporter_modes():
    assert isinstance(progress.make("quiet"), progress.Quiet)
    assert isinstance(progress.make("auto", stream=open(os.devnull, "w")), progress.Plain)
