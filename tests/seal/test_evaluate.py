"""The one look: baselines compared on the same rows, in the same ledger entry, and the test rows
without a twin in training or validation scored beside the rest."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError
from heldout.ledger.ledger import Ledger


@pytest.fixture(autouse=True)
def _own_ledger(tmp_path, monkeypatch):
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / "ledger"))


def _linear(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    return pd.DataFrame(
        {
            "a": x[:, 0],
            "b": x[:, 1],
            "c": x[:, 2],
            "y": 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(scale=0.3, size=n),
        }
    )


def _unseals(split) -> list[dict]:
    return [e for e in Ledger().entries() if e["seal"] == split.test.seal and e["kind"] == "unseal"]


def test_the_look_compares_the_model_with_the_training_mean_in_one_ledger_entry():
    split = heldout.split(heldout.load(_linear(), target="y"), seed=0)
    model = heldout.fit(split, epochs=60, lr=0.1).model
    result = heldout.evaluate(model, split)
    rmse = result.metrics["versus"]["baseline"]["rmse"]
    assert rmse["interval_95"][1] < 0 and rmse["verdict"] == "better"
    assert rmse["difference"] == pytest.approx(result.metrics["rmse"] - rmse["value"])
    assert set(result.metrics["interval_95"]) == {"rmse", "mae", "r2"}
    assert "without_twins" not in result.metrics  # continuous features: no test row has a twin
    entries = _unseals(split)
    assert len(entries) == 1 and result.unsealings == 1
    assert entries[0]["payload"]["metrics"]["versus"]["baseline"]["rmse"]["verdict"] == "better"


def test_the_baseline_is_learned_from_the_training_rows_never_the_test_rows():
    frame = _linear(400)
    shifted = frame.iloc[300:].assign(
        y=lambda f: f["y"] + 100
    )  # a test table whose targets sit far away
    split = heldout.split(heldout.load(frame.iloc[:300], target="y"), test=shifted, seed=0)
    model = heldout.fit(split, epochs=5).model
    baseline = heldout.evaluate(model, split).metrics["versus"]["baseline"]
    train_mean = split.train.target.mean()
    assert abs(train_mean) < 1
    assert baseline["mae"]["value"] == pytest.approx(
        np.mean(np.abs(shifted["y"] - train_mean))
    )  # ~100, not ~3


def test_other_models_are_baselines_on_the_same_rows_and_wrong_ones_are_refused():
    split = heldout.split(heldout.load(_linear(), target="y"), seed=0)
    model = heldout.fit(split, epochs=60, lr=0.1).model
    weak = heldout.fit(split, epochs=1, lr=1e-4).model
    with pytest.raises(ConfigError, match="name 'baseline' is taken by the task's own baseline"):
        heldout.evaluate(model, split, baselines={"baseline": weak})
    with pytest.raises(ConfigError, match="Baseline 'old' must be a trained Model .* got str"):
        heldout.evaluate(model, split, baselines={"old": "model.safetensors"})
    other_task = heldout.fit(heldout.split(heldout.datasets.load("wine"), seed=0), epochs=1).model
    with pytest.raises(ConfigError, match="got a multiclass model"):
        heldout.evaluate(model, split, baselines={"wine": other_task})
    assert _unseals(split) == []  # refused before the look
    result = heldout.evaluate(model, split, baselines={"weak": weak})
    assert set(result.metrics["versus"]) == {"baseline", "weak"}
    assert result.metrics["versus"]["weak"]["mae"]["verdict"] == "better"
    assert len(_unseals(split)) == 1
    with pytest.warns(heldout.HeldoutWarning):
        alone = heldout.evaluate(
            model, split.test, baselines={"weak": weak}
        )  # no training rows: no "baseline"
    assert set(alone.metrics["versus"]) == {"weak"} and "without_twins" not in alone.metrics


def test_test_rows_with_a_twin_in_training_are_scored_apart():
    rng = np.random.default_rng(1)
    n = 400
    a, b = rng.integers(0, 3, n), rng.integers(0, 3, n)
    c = np.where(
        np.arange(n) < n // 2, 0.0, rng.normal(size=n)
    )  # half the rows repeat 9 feature values
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "y": a - b + c + rng.normal(scale=0.3, size=n)})
    split = heldout.split(heldout.load(frame, target="y"), seed=0)
    model = heldout.fit(split, epochs=60, lr=0.1).model
    metrics = heldout.evaluate(model, split).metrics
    alone = metrics["without_twins"]
    assert 0 < alone["rows"] < len(split.test) and alone["rows"] + alone["twins"] == len(split.test)
    assert alone["twins"] >= 30  # nearly every repeating test row has a training twin
    assert set(alone["interval_95"]) == {"rmse", "mae", "r2"} and alone["rmse"] != metrics["rmse"]
    assert "loss" in alone and "versus" not in alone
