"""`--column-kind NAME=KIND` on the commands that read data; the report shows each column's
treatment; `heldout export` writes the ONNX graph of the run's bundle."""

import json
import os
import subprocess
import sys

import pytest

from heldout.cli._options import column_kinds
from helpers import dated_table


def heldout(*args):
    return subprocess.run(
        [sys.executable, "-m", "heldout", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )


def test_the_option_takes_pairs_repeated_or_comma_separated():
    assert column_kinds(("a=text,b=categorical", "c=datetime")) == {
        "a": "text",
        "b": "categorical",
        "c": "datetime",
    }
    assert column_kinds(("city, state=categorical",)) == {
        "city, state": "categorical"
    }  # a name with a comma
    assert column_kinds(("x=y=numeric",)) == {"x=y": "numeric"} and column_kinds(()) is None


def test_train_reads_the_kinds_given_and_the_report_shows_every_treatment(tmp_path):
    dated_table(300).to_csv(tmp_path / "t.csv", index=False)
    out = heldout(
        "train",
        str(tmp_path / "t.csv"),
        "--target",
        "y",
        "--column-kind",
        "shift=text",
        "--column-kind",
        "amount=categorical",
        "--epochs",
        "1",
        "--quiet",
        "--no-descent",
        "--out",
        str(tmp_path / "r"),
    )
    assert out.returncode == 0, out.stderr
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["data"]["column_kinds"] == {"shift": "text", "amount": "categorical"}
    columns = {
        c["column"]: c for c in json.loads((tmp_path / "r" / "report.json").read_text())["columns"]
    }
    assert columns["shift"]["kind from"] == "given" and columns["shift"]["treatment"].startswith(
        "tf-idf"
    )
    assert columns["day"]["kind"] == "datetime" and columns["day"]["treatment"].startswith(
        "calendar parts"
    )
    assert (
        columns["title"]["treatment"].startswith("tf-idf")
        and columns["title"]["kind from"] == "values"
    )
    assert "Columns and their treatment" in (tmp_path / "r" / "report.html").read_text()
    pytest.importorskip("onnx")
    exported = heldout(
        "export", str(tmp_path / "r" / "model.safetensors"), "--onnx", str(tmp_path / "m.onnx")
    )
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "m.onnx").stat().st_size > 0 and "shift" in exported.stdout


def test_a_wrong_kind_or_column_is_a_one_paragraph_error(tmp_path):
    dated_table(60).to_csv(tmp_path / "t.csv", index=False)
    for flag, said in (
        ("shift=date", "is not NAME=KIND"),
        ("nope=text", "'nope', which is not a feature column"),
    ):
        out = heldout(
            "train",
            str(tmp_path / "t.csv"),
            "--target",
            "y",
            "--column-kind",
            flag,
            "--epochs",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "r"),
        )
        assert out.returncode == 2 and said in out.stderr and "Traceback" not in out.stderr, (
            out.stderr
        )
