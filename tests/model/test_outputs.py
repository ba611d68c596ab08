"""A multi-output regression model (several targets of very different scales): it recovers each
target's coefficients as scikit-learn's exact solver does, predicts in each target's units, is
scored target by target and all together at the one look, keeps each target's conformal scores,
and travels in its bundle and as one ONNX graph."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

import heldout
from heldout.model import portable
from heldout.model.outputs import OVERALL

TARGETS = ("y1", "y2", "y3")
COLUMNS = ["a", "b", "c"]


def table(n: int = 500, seed: int = 0) -> pd.DataFrame:
    """Three features off centre and scale, and three linear targets of scale ~1, ~1000 and
    ~0.01."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * [1.0, 2.0, 0.5] + [0.0, 5.0, -1.0]
    frame = pd.DataFrame(x, columns=COLUMNS)
    frame["y1"] = 1.0 + x @ [0.5, -0.2, 0.1] + 0.1 * rng.normal(size=n)
    frame["y2"] = 1000 + x @ [300.0, 100.0, -50.0] + 10 * rng.normal(size=n)
    frame["y3"] = -3 + x @ [0.0, 0.01, 0.02] + 0.01 * rng.normal(size=n)
    return frame


@pytest.fixture(scope="module")
def fitted():
    split = heldout.split(heldout.load(table(), target=list(TARGETS)), seed=0)
    run = heldout.fit(split, optimizer="gd", lr=0.5, epochs=300, early_stopping=False)
    return split, run


def test_the_linear_model_recovers_each_targets_coefficients_as_scikit_learn_does(fitted):
    split, run = fitted
    model = run.model
    assert model.targets == TARGETS and model.n_outputs == 3 and model.params[-1].shape == (3,)
    reference = LinearRegression().fit(
        split.train.features, split.train.target
    )  # multi-output, same rows
    at_zero = model.predict(pd.DataFrame(np.zeros((1, 3)), columns=COLUMNS))[0]
    slopes = (
        model.predict(pd.DataFrame(np.eye(3), columns=COLUMNS)) - at_zero
    ).T  # [targets, features]
    scale = np.abs(reference.coef_).max(1, keepdims=True)
    assert np.abs(slopes - reference.coef_).max() == pytest.approx(0, abs=1e-4 * scale.max())
    assert (
        np.abs(slopes - reference.coef_) <= 1e-4 * scale
    ).all()  # each target to 1e-4 of its own scale
    np.testing.assert_allclose(at_zero, reference.intercept_, rtol=1e-5, atol=1e-5)
    predicted = model.predict(split.validation)  # in each target's units
    assert predicted.shape == (len(split.validation), 3)
    np.testing.assert_allclose(
        predicted, reference.predict(split.validation.features), rtol=1e-5, atol=1e-4
    )


def test_the_score_holds_each_target_in_its_units_and_all_together_standardised(fitted):
    split, run = fitted
    model, rows = run.model, split.validation
    scored = model.score(rows, intervals=True, diagnostics=True)
    assert scored["overall"] == OVERALL and set(scored["targets"]) == set(TARGETS)
    truth, predicted = rows.target.to_numpy(), model.predict(rows)
    for j, name in enumerate(TARGETS):
        one = scored["targets"][name]
        assert one["rmse"] == pytest.approx(np.sqrt(np.mean((truth[:, j] - predicted[:, j]) ** 2)))
        low, high = one["interval_95"]["rmse"]
        assert low < one["rmse"] < high and set(one["interval_95"]) == {"rmse", "mae", "r2"}
        assert len(scored["diagnostics"]["targets"][name]["residual"]) == len(rows)
    assert (
        scored["targets"]["y2"]["rmse"] > 1000 * scored["targets"]["y3"]["rmse"]
    )  # units, not standardised
    std = np.array(model.target_scale.std)
    assert scored["rmse"] == pytest.approx(
        np.sqrt(np.mean(((truth - predicted) / std) ** 2)), rel=1e-6
    )
    assert scored["r2"] == pytest.approx(np.mean([scored["targets"][n]["r2"] for n in TARGETS]))
    # what every epoch monitors is the overall rmse the search selects on
    assert run.history["val_metric"][run.best_epoch] == pytest.approx(scored["rmse"], rel=1e-4)


def test_the_bundle_keeps_the_targets_and_intervals_come_per_target(fitted, tmp_path):
    split, run = fitted
    model = run.model
    model.save(tmp_path / "m.safetensors")
    back = heldout.load_model(tmp_path / "m.safetensors")
    assert (
        back.targets == TARGETS
        and back.target == list(TARGETS)
        and back.fingerprint == model.fingerprint
    )
    np.testing.assert_array_equal(back.predict(split.validation), model.predict(split.validation))
    bounds = back.predict_interval(split.validation.features, 0.9)
    assert list(bounds.columns) == [f"{t}_{side}" for t in TARGETS for side in ("lower", "upper")]
    widths = np.array([(bounds[f"{t}_upper"] - bounds[f"{t}_lower"]).iloc[0] for t in TARGETS])
    assert widths[1] > 100 * widths[0] > 100 * widths[2]  # each target's own scores, in its units
    assert back.calibration.scores.shape == (len(split.validation), 3)
    predicted = model.predict(split.validation)
    assert (
        (bounds[[f"{t}_lower" for t in TARGETS]].to_numpy() < predicted)
        & (predicted < bounds[[f"{t}_upper" for t in TARGETS]].to_numpy())
    ).all()


def test_the_one_look_scores_each_target_with_its_baseline_and_coverage(fitted):
    split, run = fitted
    evaluation = heldout.evaluate(run.model, split)
    metrics = evaluation.metrics
    for name in TARGETS:
        one = metrics["targets"][name]
        assert set(one["interval_95"]) == {"rmse", "mae", "r2"}
        assert one["versus"]["baseline"]["rmse"]["verdict"] == "better"
        assert one["conformal"]["level"] == 0.9 and 0.6 < one["conformal"]["coverage"] <= 1
    assert (
        metrics["versus"]["baseline"]["r2"]["verdict"] == "better"
        and "rmse" in metrics["interval_95"]
    )
    # the baseline predicts each target's training mean: its overall standardised rmse is about 1
    assert 0.8 < metrics["versus"]["baseline"]["rmse"]["value"] < 1.2
    assert set(evaluation.diagnostics["targets"]) == set(TARGETS)


def test_folds_train_several_targets_too(fitted):
    split, _ = fitted
    run = heldout.fit(split, optimizer="gd", lr=0.5, epochs=30, folds=3)
    assert len(run.members) == 3 and all(m.status != "diverged" for m in run.members)
    assert run.models[0].predict(split.validation).shape == (len(split.validation), 3)


@pytest.mark.parametrize("model", ["linear", "mlp"])
def test_the_onnx_graph_predicts_every_target_as_predict_does(fitted, model, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    split, _ = fitted
    trained = heldout.fit(split, model=model, hidden=(8,), epochs=5).model
    portable.export_onnx(trained, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(["prediction"], portable.onnx_inputs(trained, split.validation))[0]
    assert out.shape == (len(split.validation), 3)
    np.testing.assert_allclose(out, trained.predict(split.validation), rtol=1e-5, atol=1e-5)
    assert session.get_modelmeta().custom_metadata_map["heldout.target"] == '["y1", "y2", "y3"]'
