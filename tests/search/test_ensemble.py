"""Ensembles from the search: greedy selection on validation rows, and an ensemble as one model
(predictions, bundle, fingerprint, ONNX)."""

import numpy as np
import pytest

import heldout
from heldout import ConfigError
from heldout.model.ensemble import combine
from heldout.nn.dense import Dense
from heldout.nn.ensemble import Ensemble
from heldout.search.ensemble import MIN_GAIN, ROUNDS, metric_score, select


def _rmse(y):
    return lambda p: float(np.sqrt(((p - y) ** 2).mean()))


def test_errors_in_opposite_directions_are_averaged_away():
    y = np.linspace(0, 1, 50)
    chosen = select({3: y + 0.1, 9: y - 0.1, 4: y + 0.5}, _rmse(y))
    assert chosen.weights == {3: 0.5, 9: 0.5}
    assert chosen.score == pytest.approx(0.0) and chosen.single == pytest.approx(0.1)
    assert chosen.is_ensemble


def test_a_trial_can_be_added_again_and_weights_are_counts_over_the_rounds_kept():
    y = np.zeros(40)
    # 2/3 of a and 1/3 of b is exact: a needs two additions to b's one
    chosen = select({0: y + 1.0, 1: y - 2.0}, _rmse(y))
    assert chosen.weights == pytest.approx({0: 2 / 3, 1: 1 / 3})
    assert sum(chosen.weights.values()) == pytest.approx(1.0)
    assert all(round(w * ROUNDS) >= 1 for w in chosen.weights.values())


def test_without_a_gain_the_best_trial_stays_alone():
    y = np.linspace(0, 1, 30)
    same = y + 0.2
    chosen = select({5: same, 6: same.copy(), 7: y + 0.3}, _rmse(y))
    assert chosen.weights == {5: 1.0} and not chosen.is_ensemble
    # a gain below the bar is no gain: the simpler model is kept
    nearly = select({1: y + 0.2, 2: y + 0.2 * (1 - MIN_GAIN / 4)}, _rmse(y))
    assert nearly.weights == {1: 1.0}


def test_selection_is_deterministic_and_reads_only_the_predictions_given():
    rng = np.random.default_rng(0)
    y = rng.normal(size=100)
    predictions = {t: y + rng.normal(scale=0.5, size=100) for t in range(8)}
    first, again = select(predictions, _rmse(y)), select(dict(predictions), _rmse(y))
    assert first == again
    assert first.score < first.single


def test_the_metric_score_minimises_what_is_better_higher():
    task = heldout.task.get("binary")
    y = np.array([0.0, 1.0, 1.0, 0.0])
    good, bad = np.array([0.1, 0.9, 0.8, 0.2]), np.array([0.9, 0.1, 0.2, 0.8])
    auc = metric_score(task, "roc_auc", -1.0, y, None)
    assert auc(good) < auc(bad)


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    out, ledger = {}, tmp_path_factory.mktemp("ledger")  # the project's ledger stays clean
    for name in ("iris", "breast_cancer", "diabetes"):
        split = heldout.split(heldout.datasets.load(name), seed=0, ledger=ledger)
        a = heldout.fit(split, model="mlp", hidden=(8,), activation="tanh", epochs=15, seed=1)
        b = heldout.fit(split, model="linear", epochs=15, seed=2)
        out[name] = (split, a.model, b.model)
    return out


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "diabetes"])
def test_an_ensemble_predicts_the_weighted_mean_of_its_members(members, name):
    split, a, b = members[name]
    ensemble = combine([a, b], [0.3, 0.7])
    rows = split.validation
    if ensemble.task.has_classes:
        mean = 0.3 * a.predict_proba(rows) + 0.7 * b.predict_proba(rows)
        np.testing.assert_allclose(ensemble.predict_proba(rows), mean, atol=1e-6)
    else:
        mean = 0.3 * a.predict(rows) + 0.7 * b.predict(rows)
        np.testing.assert_allclose(ensemble.predict(rows), mean, rtol=1e-5)


def test_an_ensemble_is_one_bundle_with_one_fingerprint(members, tmp_path):
    split, a, b = members["iris"]
    ensemble = combine([a, b], [0.5, 0.5])
    path = tmp_path / "e.safetensors"
    ensemble.save(path)
    loaded = heldout.load_model(path)
    assert loaded.fingerprint == ensemble.fingerprint
    assert loaded.config["model"] == "ensemble" and loaded.config["weights"] == [0.5, 0.5]
    np.testing.assert_array_equal(
        loaded.predict_proba(split.validation), ensemble.predict_proba(split.validation)
    )
    # another weighting computes something else: another fingerprint
    assert combine([a, b], [0.25, 0.75]).fingerprint != ensemble.fingerprint
    assert loaded.manifest["members"] == [a.fingerprint, b.fingerprint]


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "diabetes"])
def test_the_onnx_graph_of_an_ensemble_predicts_as_the_model(members, name, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from heldout.model.portable import export_onnx, onnx_inputs

    split, a, b = members[name]
    ensemble = combine([a, b], [0.4, 0.6])
    export_onnx(ensemble, tmp_path / "e.onnx")
    session = ort.InferenceSession(str(tmp_path / "e.onnx"))
    rows = split.validation
    if ensemble.task.has_classes:
        out = session.run(["probabilities"], onnx_inputs(ensemble, rows))[0]
        np.testing.assert_allclose(out, ensemble.predict_proba(rows), atol=1e-5)
    else:
        out = session.run(["prediction"], onnx_inputs(ensemble, rows))[0][:, 0]
        np.testing.assert_allclose(out, ensemble.predict(rows), rtol=1e-5)


def test_members_of_other_rows_or_wrong_weights_are_refused(members):
    _, iris_model, _ = members["iris"]
    _, cancer_model, _ = members["breast_cancer"]
    with pytest.raises(ConfigError, match="same rows"):
        combine([iris_model, cancer_model], [0.5, 0.5])
    one = Dense("linear", (), "relu", "xavier")
    with pytest.raises(ConfigError, match="sum to 1"):
        Ensemble([one, one], [0.5, 0.6], "identity")
    with pytest.raises(ConfigError, match="one weight per member"):
        Ensemble([one], [0.5, 0.5], "identity")
    with pytest.raises(ConfigError, match="link"):
        Ensemble([one], [1.0], "tanh")
