"""The report: written by train, tune and run, rebuilt by `heldout report`, self-contained,
escaped."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

import heldout
from heldout.report import report
from heldout.rundir.spec import DataSpec
from heldout.workflow import procedures


def test_a_run_writes_a_self_contained_report_with_every_section(tmp_path):
    procedures.run_procedure(
        DataSpec(dataset="diabetes"), out=tmp_path / "r", trials=8, population=4
    )
    page = (tmp_path / "r" / "report.html").read_text()
    for section in (
        "Data and split",
        "Leakage check",
        "Selected on validation",
        "Training and validation curves",
        "Learning-rate sweep",
        "Candidates compared on validation",
        "Leaderboard",
        "The descent",
        "Test set, evaluated once",
        "Compared with baselines",
        "predicts the mean of the training targets",
        "Generalisation gap",
        "Residuals on the test rows",
        "Ledger lines for this test set",
        "Reproducibility",
    ):
        assert section in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert (
        page.count("data:image/png;base64,") == 6
    )  # curves, sweep, candidates, descent, residuals, importance
    content = json.loads((tmp_path / "r" / "report.json").read_text())
    assert content["test"]["interval_95"] and content["ledger"][-1]["kind"] == "unseal"
    assert set(content["test"]["versus"]["baseline"]) == {"rmse", "mae", "r2"}
    assert [p["factor"] for p in content["descent"]["paths"]] == [0.1, 1.0, 3.0, 10.0]
    assert content["descent"]["paths"][1]["lr"] == content["selected"]["hyperparameters"]["lr"]


def test_the_test_table_sets_rows_without_twins_beside_all_rows_and_baseline_names_are_escaped():
    from heldout.report import page

    test = {
        "loss": 2.0,
        "loss_name": "mse",
        "rmse": 1.5,
        "interval_95": {"rmse": [1.0, 2.0]},
        "without_twins": {
            "rows": 30,
            "twins": 6,
            "loss": 3.0,
            "rmse": 1.7,
            "interval_95": {"rmse": [1.1, 2.4]},
        },
        "versus": {
            "<b>old</b>": {
                "rmse": {
                    "value": 2.5,
                    "difference": -1.0,
                    "interval_95": [-1.5, -0.5],
                    "verdict": "better",
                }
            }
        },
    }
    rows = page.metric_rows(test)
    assert [r["metric"] for r in rows] == ["loss", "rmse"]
    assert rows[1] == {
        "metric": "rmse",
        "test": 1.5,
        "95% interval": [1.0, 2.0],
        "without twins (30 of 36 rows)": 1.7,
        "95% interval, without twins": [1.1, 2.4],
    }
    table = page._table(page.versus_rows(test))
    assert "&lt;b&gt;old&lt;/b&gt;" in table and "<b>" not in table and "better" in table
    assert "&lt;b&gt;old&lt;/b&gt;" in page._versus_caption("regression", test["versus"])


def test_user_text_is_escaped(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            '<script>alert("x")</script>': rng.standard_normal(200),
            "colour": rng.choice(["<script>bad()</script>", 'say "hi"'], 200),
        }
    )
    frame["y"] = frame.iloc[:, 0] * 2 + rng.standard_normal(200)
    path = tmp_path / '<i>"table"<i>.csv'
    frame.to_csv(path, index=False)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "train",
            str(path),
            "--target",
            "y",
            "--epochs",
            "3",
            "--quiet",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert out.returncode == 0, out.stderr
    page = (tmp_path / "r" / "report.html").read_text()
    assert "<script" not in page and "<i>" not in page
    assert "&lt;i&gt;&quot;table&quot;&lt;i&gt;" in page
    importance = page[
        page.index("<h2>Permutation importance") :
    ]  # the column names, escaped there too
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in importance
    assert "The descent" in page


def test_no_descent_leaves_the_picture_out(tmp_path):
    out = subprocess.run(
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
            "--no-descent",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert not (tmp_path / "r" / "descent.json").exists()
    assert "The descent" not in (tmp_path / "r" / "report.html").read_text()


def test_diverged_members_of_a_search_show_in_the_report(tmp_path):
    split_spec = DataSpec(dataset="diabetes")
    out, _, found = procedures.tune_procedure(
        split_spec,
        tmp_path / "t",
        trials=8,
        population=8,
        candidates=["linear+mse"],
        space={"lr": (0.001, 50.0, "log"), "optimizer": "momentum", "epochs": 20},
    )
    assert (found.leaderboard["status"] == "diverged").any()
    content = json.loads((out / "report.json").read_text())
    assert any(row["status"] == "diverged" for row in content["leaderboard"])
    assert "diverged" in (out / "report.html").read_text()


def test_a_population_report_shows_its_sweep_with_the_diverged_members(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "train",
            "--dataset",
            "diabetes",
            "--optimizer",
            "gd",
            "--lr",
            "0.01,0.1,2",
            "--quiet",
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    content = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [m["status"] == "diverged" for m in content["members"]] == [False, False, True]
    page = (tmp_path / "r" / "report.html").read_text()
    assert "Learning-rate sweep" in page and "<h2>Members</h2>" in page and "diverged" in page
    assert content["descent"]["paths"][1]["lr"] == 0.1  # the best member's rate is the one drawn


def test_heldout_report_rebuilds_it(tmp_path):
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    run = heldout.fit(split, epochs=3)
    from heldout.workflow.steps import save_run

    save_run(tmp_path / "r", DataSpec(dataset="wine"), run)
    out = subprocess.run(
        [sys.executable, "-m", "heldout", "report", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert out.returncode == 0 and (tmp_path / "r" / "report.html").is_file()
    assert (
        "heldout report:" in out.stdout
        and "test_fingerprint" in out.stdout
        and "Report written" in out.stdout
    )
    page = report(tmp_path / "r")
    assert page["split"]["dataset"] == "wine" and page._repr_html_().startswith("<!doctype html>")
    assert repr(page).startswith("Page(report of ") and "│ dataset" in str(page)
    bad = subprocess.run(
        [sys.executable, "-m", "heldout", "report", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert bad.returncode == 2 and "not a heldout run directory" in bad.stderr


def test_a_classification_report_shows_the_confusion_matrix_and_roc(tmp_path):
    procedures.run_procedure(DataSpec(dataset="wine"), out=tmp_path / "r", trials=4, population=4)
    content = json.loads((tmp_path / "r" / "report.json").read_text())
    matrix = content["diagnostics"]["confusion"]
    assert len(matrix) == 3 and sum(map(sum, matrix)) == content["split"]["test"]
    assert set(content["diagnostics"]["roc"]) == {"0", "1", "2"}
    assert (
        "Confusion matrix and ROC on the test rows" in (tmp_path / "r" / "report.html").read_text()
    )


def test_log_axes_label_plain_numbers_with_user_text_read_as_text():
    # the report turns mathtext off (user text is text); the default log labels are mathtext (10^k)
    from matplotlib.figure import Figure

    from heldout.report import _plots

    ax = Figure().subplots()
    ax.plot([1, 2], [0.3, 1.1])
    _plots._logarithmic(ax, "y", label_minor=True)
    major, minor = ax.yaxis.get_major_formatter(), ax.yaxis.get_minor_formatter()
    major.set_locs([0.1, 1.0, 10.0])
    assert [major(v, i) for i, v in enumerate([1.0, 10.0])] == ["1", "10"] and minor(
        0.5, 0
    ) == "0.5"
    assert "$" not in major(1.0, 0) + minor(0.2, 0)
    assert list(ax.yaxis.get_minor_locator()._subs) == [
        2.0,
        5.0,
    ]  # few minor ticks: each is an artist
