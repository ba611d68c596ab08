"""ONNX export: one graph with the preprocessing, the network and the link, run by onnxruntime on
the rows `heldout predict` predicts — equal to 1e-5 on every bundled dataset and on a table with
dates, text, categories and missing values, for the linear and mlp families."""

import numpy as np
import pandas as pd
import pytest

import heldout
from heldout import ConfigError
from heldout.cli import main
from heldout.model import portable
from helpers import dated_table

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def _run(path, model, rows) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(
        zip(
            [o.name for o in session.get_outputs()],
            session.run(None, portable.onnx_inputs(model, rows)),
        )
    )


def _predicted(tmp_path, bundle_path, rows: pd.DataFrame) -> pd.DataFrame:
    """What `heldout predict` writes for these rows, read back."""
    rows.to_csv(tmp_path / "rows.csv", index=False)
    main(
        [
            "predict",
            str(bundle_path),
            str(tmp_path / "rows.csv"),
            "-o",
            str(tmp_path / "predicted.csv"),
        ]
    )
    return pd.read_csv(tmp_path / "predicted.csv", dtype={"prediction": str})


def _assert_same(model, out: dict, predicted: pd.DataFrame) -> None:
    if model.task.has_classes:
        p = predicted[[f"p_{c}" for c in model.classes]].to_numpy()
        np.testing.assert_allclose(out["probabilities"], p, **TOLERANCE)
        assert out["label"].tolist() == predicted["prediction"].tolist()
    else:
        np.testing.assert_allclose(
            out["prediction"][:, 0], predicted["prediction"].astype(float), **TOLERANCE
        )


@pytest.mark.parametrize("name", heldout.datasets.names())
def test_the_graph_predicts_as_heldout_predict_on_every_bundled_dataset(name, tmp_path):
    split = heldout.split(heldout.datasets.load(name), seed=0)
    model = heldout.fit(split, model="mlp", hidden=(16,), epochs=2).model
    model.save(tmp_path / "m.safetensors")
    main(["export", str(tmp_path / "m.safetensors"), "--onnx", str(tmp_path / "m.onnx")])
    rows = split.validation.features
    _assert_same(
        model,
        _run(tmp_path / "m.onnx", model, rows),
        _predicted(tmp_path, tmp_path / "m.safetensors", rows),
    )


@pytest.fixture(scope="module")
def dated():
    table = dated_table(500)
    return table, {
        "regression": table["y"],
        "binary": np.where(table["y"] > 0.5, "high", "low"),
        "multiclass": pd.cut(table["y"], 3, labels=["a", "b", "c"]).astype(str),
    }


@pytest.mark.parametrize("task", ["regression", "binary", "multiclass"])
@pytest.mark.parametrize(
    "family", [{"model": "linear"}, {"model": "mlp", "hidden": (8, 4), "activation": "gelu"}]
)
def test_the_graph_predicts_as_heldout_predict_on_dates_text_and_missing_values(
    dated, task, family, tmp_path
):
    table, targets = dated
    data = heldout.load(table.assign(y=targets[task]), "y", column_kinds={"shift": "text"})
    split = heldout.split(data, seed=0)
    model = heldout.fit(split, epochs=2, **family).model
    model.save(tmp_path / "m.safetensors")
    described = heldout.export_onnx(
        heldout.load_model(tmp_path / "m.safetensors"), tmp_path / "m.onnx"
    )
    assert [d["type"] for d in described] == ["double", "double", "string", "string", "double"]
    rows = pd.concat(
        [
            split.validation.features,
            table.drop(columns="y")
            .head(3)
            .assign(
                title=["never seen before", None, ""], shift=[None, "dawn", "night"], when=pd.NaT
            ),
        ],
        ignore_index=True,
    )
    predicted = _predicted(
        tmp_path, tmp_path / "m.safetensors", rows
    )  # dates written as text, read back
    _assert_same(
        model, _run(tmp_path / "m.onnx", model, pd.read_csv(tmp_path / "rows.csv")), predicted
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "gelu", "identity"])
def test_every_activation_runs_as_torch_runs_it(activation, tmp_path):
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    model = heldout.fit(split, model="mlp", hidden=(8, 8), activation=activation, epochs=2).model
    heldout.export_onnx(model, tmp_path / "m.onnx")
    out = _run(tmp_path / "m.onnx", model, split.validation)
    np.testing.assert_allclose(
        out["probabilities"], model.predict_proba(split.validation), **TOLERANCE
    )


def test_inputs_are_named_by_column_unless_the_name_is_not_an_identifier(tmp_path):
    frame = pd.DataFrame(
        {
            "zip code": ["a", "b"] * 20,
            "label": np.arange(40.0),
            "x": np.arange(40.0),
            "y": np.arange(40.0) % 3,
        }
    )
    model = heldout.fit(
        heldout.split(heldout.load(frame, "y", task="regression"), seed=0), epochs=1
    ).model
    described = heldout.export_onnx(model, tmp_path / "m.onnx")
    assert [(d["input"], d["column"]) for d in described] == [
        ("column_0", "zip code"),
        ("column_1", "label"),
        ("x", "x"),
    ]
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["column_0", "column_1", "x"]
    assert session.get_modelmeta().custom_metadata_map["heldout.fingerprint"] == model.fingerprint


def test_a_user_module_is_refused_with_the_way_out(tmp_path):
    import torch

    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    model = heldout.fit(split, model=lambda i, o: torch.nn.Linear(i, o), epochs=1).model
    with pytest.raises(ConfigError, match="torch.onnx.export"):
        heldout.export_onnx(model, tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_without_the_onnx_package_the_error_says_how_to_install_it(monkeypatch, tmp_path):
    import sys

    model = heldout.fit(heldout.split(heldout.datasets.load("iris"), seed=0), epochs=1).model
    monkeypatch.setitem(sys.modules, "onnx", None)  # as if it were not installed
    with pytest.raises(ConfigError, match=r"pip install 'heldout\[onnx\]'"):
        heldout.export_onnx(model, tmp_path / "m.onnx")
