"""Bad inputs through the command line, as a new user gives them: each ends in one typed paragraph
and exit code 2 — no traceback, no hang."""

import json
import os
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from helpers import mixed_table


def heldout(*args, cwd=None, limit_file_size=None, timeout=120):
    def preexec():
        if limit_file_size is not None:  # a write past this size fails with "File too large"
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        [sys.executable, "-m", "heldout", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=timeout,
        preexec_fn=preexec,
    )


def refused(out, *fragments):
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    marker = "error:" if "error:" in out.stderr else "Error:"  # heldout's, or click's usage error
    assert marker in out.stderr, out.stderr[-2000:]
    message = out.stderr[
        out.stderr.index(marker) :
    ].strip()  # after any progress or usage lines: one paragraph
    assert "\n\n" not in message, message
    for fragment in fragments:
        assert fragment in " ".join(message.split()), message


def test_a_fifo_without_a_writer_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    refused(
        heldout("check", str(tmp_path / "pipe.csv"), "--target", "y", timeout=60),
        "not a regular file",
    )


def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    refused(heldout("check", str(tmp_path / "a.csv"), "--target", "y"), "a.csv")


def _table(tmp_path, target) -> str:
    frame = mixed_table(120).drop(columns="label")
    frame["y"] = target(len(frame))
    frame.to_csv(tmp_path / "t.csv", index=False)
    return str(tmp_path / "t.csv")


def test_a_target_of_two_float_values_is_trained_as_two_classes(tmp_path):
    path = _table(tmp_path, lambda n: np.where(np.arange(n) % 2, 0.5, 1.5))
    out = heldout(
        "train", path, "--target", "y", "--epochs", "2", "--json", "--out", str(tmp_path / "r")
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["split"]["task"] == "binary"


@pytest.mark.parametrize("bad", [np.inf, 1e308])
def test_a_regression_target_with_inf_or_overflowing_values_is_refused(tmp_path, bad):
    path = _table(tmp_path, lambda n: np.r_[np.linspace(0, 50, n - 1), bad])
    refused(heldout("train", path, "--target", "y", "--task", "regression", "--epochs", "2"), "'y'")


@pytest.mark.parametrize("name", ["[/red]", "[/]", "[bold]x"])
def test_column_names_with_markup_are_printed_as_text(tmp_path, name):
    frame = mixed_table(200)
    frame[name] = (frame["label"] == "yes").astype(
        int
    )  # a proxy of the label: an error finding in its table
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = heldout("check", str(tmp_path / "t.csv"), "--target", "label")
    assert out.returncode == 1 and "Traceback" not in out.stderr and name in out.stdout, out.stderr[
        -2000:
    ]
    refused(heldout("train", str(tmp_path / "t.csv"), "--target", name + "!"), name + "!")


def test_out_below_a_regular_file_or_in_an_unwritable_place_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    refused(
        heldout(
            "train", "--dataset", "iris", "--epochs", "2", "--out", str(tmp_path / "file" / "run")
        ),
        "--out",
    )
    refused(
        heldout("train", "--dataset", "iris", "--epochs", "2", "--out", "/proc/heldout-run"),
        "--out",
    )


def test_a_write_failing_with_file_too_large_is_refused(tmp_path):
    assert (
        heldout(
            "train", "--dataset", "digits", "--epochs", "2", "--out", str(tmp_path / "first")
        ).returncode
        == 0
    )
    # the ledger exists and fits; the report of the next run does not
    refused(
        heldout(
            "train",
            "--dataset",
            "digits",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "run"),
            limit_file_size=60_000,
        ),
        "too large",
    )


def _trained(tmp_path):
    run = tmp_path / "run"
    out = heldout("train", "--dataset", "iris", "--epochs", "3", "--out", str(run))
    assert out.returncode == 0, out.stderr
    return run


@pytest.mark.parametrize("damage", ["truncated", "not json", "no key"])
def test_evaluate_and_report_refuse_a_damaged_config(tmp_path, damage):
    run = _trained(tmp_path)
    config = run / "config.json"
    text = config.read_text()
    config.write_text(
        {
            "truncated": text[: len(text) // 2],
            "not json": "{{{",
            "no key": json.dumps({k: v for k, v in json.loads(text).items() if k != "split"}),
        }[damage]
    )
    refused(heldout("evaluate", str(run)), "config.json")
    refused(heldout("report", str(run)), "config.json")


@pytest.mark.parametrize("damage", ["truncated", "not json"])
def test_report_refuses_a_damaged_summary(tmp_path, damage):
    run = _trained(tmp_path)
    (run / "summary.json").write_text({"truncated": '{"test": {"rmse', "not json": "[[["}[damage])
    refused(heldout("report", str(run)), "summary.json")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["train", "--dataset", "iris", "--hidden", "abc"], "--hidden"),
        (["run", "--dataset", "diabetes", "--goal", "rmse<=e"], "rmse<=e"),
        (["run", "--dataset", "diabetes", "--goal", "rmse<=1.2.3"], "rmse<=1.2.3"),
    ],
)
def test_malformed_option_values_are_refused(args, fragment):
    refused(heldout(*args), fragment)


@pytest.mark.parametrize("option, value", [("--lr", "nan"), ("--momentum", "nan"), ("--lr", "inf")])
def test_non_finite_settings_are_refused(option, value):
    refused(
        heldout("train", "--dataset", "iris", "--optimizer", "momentum", option, value), "finite"
    )


def test_a_negative_seed_and_a_nan_timeout_are_refused():
    refused(heldout("train", "--dataset", "iris", "--seed", "-1"), "seed must be an integer from 0")
    refused(
        heldout("tune", "--dataset", "iris", "--timeout", "nan"),
        "timeout must be a positive number",
    )


def test_repeated_csv_column_names_are_refused(tmp_path):
    (tmp_path / "t.csv").write_text("a,a,y\n1,2,0\n3,4,1\n5,6,0\n")
    refused(
        heldout("check", str(tmp_path / "t.csv"), "--target", "y"), "repeated column names ['a']"
    )


def test_predictions_that_look_like_formulas_are_quoted_and_outputs_follow_the_umask(tmp_path):
    frame = mixed_table(200)
    frame["label"] = frame["label"].map({"yes": "=1+1", "no": "@no"})
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = heldout(
        "train",
        str(tmp_path / "t.csv"),
        "--target",
        "label",
        "--epochs",
        "2",
        "--out",
        str(tmp_path / "run"),
        "--no-descent",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    done = heldout(
        "predict",
        str(tmp_path / "run" / "model.safetensors"),
        str(tmp_path / "t.csv"),
        "-o",
        str(tmp_path / "p.csv"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = (tmp_path / "p.csv").read_text()
    assert "\n=" not in text and "\n@" not in text and "'=1+1" in text and "'@no" in text
    assert (tmp_path / "run" / "config.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_retire_reason_with_markup_is_shown_as_text(tmp_path):
    home = {"HELDOUT_HOME": str(tmp_path / "home")}
    env = {**os.environ, **home, "COLUMNS": "200"}
    assert (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "heldout",
                "train",
                "--dataset",
                "iris",
                "--epochs",
                "2",
                "--no-descent",
                "--out",
                str(tmp_path / "r"),
            ],
            env=env,
            capture_output=True,
        ).returncode
        == 0
    )
    seal = json.loads((tmp_path / "r" / "config.json").read_text())["split"]["test_fingerprint"]
    retire = subprocess.run(
        [sys.executable, "-m", "heldout", "ledger", "--retire", seal, "--reason", "[/]"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert retire.returncode == 0, retire.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "heldout", "ledger"], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and "[/]" in shown.stdout, shown.stderr


def test_class_labels_that_read_as_mathtext_are_drawn_as_text(tmp_path):
    frame = mixed_table(200)
    frame["label"] = frame["label"].map({"yes": r"$\foo$", "no": "$x^$"})
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = heldout(
        "run",
        str(tmp_path / "t.csv"),
        "--target",
        "label",
        "--trials",
        "4",
        "--population",
        "4",
        "--candidates",
        "linear+log_loss",
        "--out",
        str(tmp_path / "run"),
        "--json",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (tmp_path / "run" / "report.html").is_file()
