"""Calibration and permutation importance in the report: computed on validation rows before the look
(the test rows' calibration from the look itself), every raw column scored, user text escaped."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.inspection import permutation_importance

import heldout
from heldout.data.dataset import load
from heldout.report import inspection_view, report
from heldout.report.page import _table
from heldout.rundir.spec import DataSpec
from heldout.workflow import inspection, procedures


@pytest.fixture(scope="module")
def breast_cancer_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    with (
        pytest.MonkeyPatch.context() as env
    ):  # its own ledger: other tests seal breast_cancer under other seeds
        env.setenv("HELDOUT_HOME", str(out.parent / "ledger"))
        procedures.run_procedure(DataSpec(dataset="breast_cancer"), out=out, trials=4, population=4)
    return out


def test_a_binary_run_reports_calibration_and_the_importance_of_every_column(breast_cancer_run):
    content = json.loads((breast_cancer_run / "report.json").read_text())
    inspected, split = content["inspection"], content["split"]
    columns = set(heldout.datasets.load("breast_cancer").features.columns)
    assert {r["column"] for r in inspected["importance"]} == columns and len(
        inspected["importance"]
    ) == 30
    assert inspected["rows"] == inspected["of"] == split["validation"] and not inspected["seen"]
    assert inspected["metric"] == content["selected"]["selection_metric"] == "log_loss"
    # the validation rows' reliability from the inspection, the test rows' from the one look
    on_validation, on_test = inspected["reliability"], content["diagnostics"]["reliability"]
    assert (
        sum(on_validation["bins"]["count"]) == split["validation"]
        and sum(on_test["bins"]["count"]) == split["test"]
    )
    assert 0 <= on_test["ece"] < 0.2 and on_test["read"] == "second class"
    assert [e["kind"] for e in content["ledger"]].count("unseal") == 1  # still one look
    page = (breast_cancer_run / "report.html").read_text()
    assert (
        "<h2>Calibration</h2>" in page
        and "<h2>Permutation importance on validation rows</h2>" in page
    )
    assert "all 91 validation rows" in page and "trained on the training rows alone" in page
    shown = str(report(breast_cancer_run))
    assert "Calibration (ECE)" in shown and "Permutation importance on 91 validation rows" in shown


def test_the_informative_column_matters_and_the_noise_column_does_not():
    rng = np.random.default_rng(0)
    n = 1_500
    frame = pd.DataFrame(
        {
            "signal": rng.standard_normal(n),
            "noise": rng.standard_normal(n),
            "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )
    frame["y"] = 3 * frame["signal"] + 0.5 * rng.standard_normal(n)
    split = heldout.split(load(frame, "y"), seed=0)
    model = heldout.fit(split, epochs=100).model
    inspected = inspection.inspect(model, split.validation, "rmse", seed=0)
    found = {r["column"]: r for r in inspected["importance"]}
    # a date and a string column count as one feature each, however many inputs the preprocessing
    # made
    assert (
        set(found) == {"signal", "noise", "when", "colour"} and list(found)[0] == "signal"
    )  # ranked
    assert found["signal"]["importance"] > 2.0  # rmse goes from ~0.5 to ~4
    for column in ("noise", "when", "colour"):
        assert abs(found[column]["importance"]) < 0.02 * found["signal"]["importance"]
    assert "reliability" not in inspected  # regression: no probabilities
    assert inspection.inspect(model, split.validation, "rmse", seed=0) == inspected  # seeded


def test_shuffling_preprocessed_blocks_gives_what_shuffling_the_columns_gives():
    # a classifier with weighted rows, a text, a date, a category and numbers: every treatment's
    # block
    rng = np.random.default_rng(1)
    n = 600
    words = np.array(["red fox", "blue whale", "green frog", "grey wolf", "pale moon", "dark sky"])
    frame = pd.DataFrame(
        {
            "a": rng.standard_normal(n),
            "note": rng.choice(words, n) + " " + rng.choice(words, n),
            "when": pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "kind": rng.choice(["x", "y", "z"], n),
            "b": rng.standard_normal(n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "b"] = np.nan
    frame["y"] = np.where(
        frame["a"] + frame["note"].str.contains("fox") + (frame["kind"] == "x") > 0.8, "hi", "lo"
    )
    frame["w"] = rng.uniform(0.5, 2.0, n)
    split = heldout.split(load(frame, "y", weights="w", column_kinds={"note": "text"}), seed=0)
    model = heldout.fit(split, model="mlp", hidden=(8,), epochs=30).model
    rows = split.validation
    found = inspection._importance(
        model, rows, model.task.encode(rows.target, model.classes).numpy(), "log_loss", 3
    )

    def score(
        fitted, X, y, sample_weight=None
    ):  # the columns themselves shuffled and preprocessed each time
        return -model.task.score(y, model.predictions(X), sample_weight)["log_loss"]

    y = model.task.encode(rows.target, model.classes).numpy()
    raw = permutation_importance(
        inspection._Fitted(model),
        rows.features,
        y,
        scoring=score,
        n_repeats=inspection.REPEATS,
        random_state=3,
        sample_weight=model.row_weights(rows),
    )
    expected = dict(zip(rows.features.columns, raw.importances_mean))
    assert len(found) == 5 and all(
        r["importance"] == pytest.approx(expected[r["column"]], abs=1e-9) for r in found
    )
    assert found[0]["importance"] > 0.01


def test_at_most_rows_are_inspected_and_the_deadline_may_leave_the_importance_out(monkeypatch):
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    model = heldout.fit(split, epochs=5).model
    monkeypatch.setattr(inspection, "ROWS", 10)
    left_out = []
    inspected = inspection.inspect(
        model,
        split.validation,
        "log_loss",
        seed=1,
        fits=lambda part, seconds: left_out.append(part) and False,
    )
    assert (inspected["rows"], inspected["of"]) == (10, len(split.validation))
    assert (
        inspected["reliability"]["rows"] == 10 and inspected["reliability"]["read"] == "top label"
    )
    assert inspected["importance"] == [] and left_out == ["importance"]
    page = "".join(inspection_view.sections({"inspection": inspected}, _table))
    assert "10 of the 24 validation rows, drawn with seed 1 (at most 10)" in page
    assert (
        "Left out: its estimate (one scoring of the rows per column and shuffle) did not fit the "
        "time budget" in page
    )


def test_column_names_are_escaped_in_the_page_and_printed_as_text_in_a_terminal():
    bad = '<img src=x onerror="alert(1)">[/red]'
    inspected = {
        "rows": 5,
        "of": 5,
        "seed": 0,
        "metric": "rmse",
        "seen": True,
        "repeats": 5,
        "importance": [{"column": bad, "importance": 1.0, "std": 0.1}],
    }
    page = "".join(inspection_view.sections({"inspection": inspected}, _table))
    assert (
        "<img src=x" not in page and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;[/red]" in page
    )
    assert "refit on them too (so optimistic)" in page
    from heldout._util import display

    assert any(
        bad in display.text(part) for part in inspection_view.terminal({"inspection": inspected})
    )


def test_a_resumed_run_keeps_the_inspection_of_the_model_trained_on_training_rows(tmp_path):
    spec = DataSpec(dataset="iris")
    procedures.run_procedure(spec, out=tmp_path / "r", trials=2, population=2)
    first = json.loads((tmp_path / "r" / "inspection.json").read_text())
    assert first["seen"] is False
    # run again: the search resumes (its trials told, the best one's model kept on disk), the refit
    # is the same model
    again = procedures.run_procedure(spec, out=tmp_path / "r", trials=2, population=2)
    assert again["ledger_count"] == 1  # the same final model, whose look is done: not a second one
    assert json.loads((tmp_path / "r" / "inspection.json").read_text()) == first
