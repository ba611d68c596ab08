"""Portable models: a trained model as one ONNX graph — preprocessing, network and link.

:func:`export_onnx` writes the graph; any ONNX runtime then predicts as ``heldout predict``
does (tested with onnxruntime on every bundled dataset and on a table with dates and text,
equal to 1e-5). The graph has one input per feature column, ``[n, 1]`` (text: ``[n, k]``):

- numeric and boolean columns: double, NaN where missing;
- categorical (one-hot) columns: string, the value as text, ``<missing>`` where missing;
- date columns: double, wall-clock seconds since 1970-01-01 00:00, NaN where missing;
- text columns: string, the value's character n-grams (:func:`heldout.data.text.ngrams`).

Inside the graph: imputation, standardisation, one-hot, missing indicators, the calendar parts
and periodic encodings (from the seconds), tf-idf weighting, SVD projection and scaling of text,
the network, and the link. Outside it, three small steps that :func:`onnx_inputs` does in
Python and another language repeats: reading a date as seconds, writing a category as text, and
cutting text into n-grams (ONNX has no date parsing nor character n-grams). An input whose
column name is not a plain identifier is called ``column_I`` (I: its position); the graph's
metadata ``heldout.inputs`` maps inputs to columns and says what each holds.

Outputs: ``prediction`` (regression, double ``[n, targets]``, in the target's units: a
multi-output model's columns in the order of its targets, which the metadata ``heldout.target``
lists as JSON), or
``probabilities`` (double ``[n, classes]``, classes in the bundle's order) and ``label``
(string ``[n]``, the class as text).

>>> import heldout, onnxruntime, os, tempfile
>>> split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
>>> model = heldout.fit(split, epochs=2).model
>>> path = os.path.join(tempfile.mkdtemp(), "diabetes.onnx")
>>> [i["input"] for i in export_onnx(model, path)][:4]
['age', 'sex', 'bmi', 'bp']
>>> graph = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
>>> out = graph.run(["prediction"], onnx_inputs(model, split.validation))[0]
>>> bool(abs(out[:, 0] - model.predict(split.validation)).max() < 1e-3)
True
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from .._util.files import atomic_write
from ..data import calendar, categories, numeric, text
from ..data.features import treatment_of
from ..errors import ConfigError
from ..nn.dense import Dense
from ..nn.ensemble import Ensemble
from . import _onnx_features
from ._onnx_graph import Graph
from .model import Model, _frame

OUTPUTS = ("prediction", "probabilities", "label")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def input_names(model: Model) -> list[str]:
    """The graph input of each feature column, in the columns' order."""
    names = [col["name"] for col in model.features.columns_]
    return [
        n if _IDENTIFIER.match(n) and n not in OUTPUTS else f"column_{i}"
        for i, n in enumerate(names)
    ]


def describe_inputs(model: Model) -> list[dict]:
    """One entry per graph input: its name, the column it reads, its element type and what it
    holds."""
    return [
        {
            "input": name,
            "column": col["name"],
            "type": _onnx_features.INPUTS[treatment_of(col)][0].lower(),
            "holds": _onnx_features.INPUTS[treatment_of(col)][1],
        }
        for name, col in zip(input_names(model), model.features.columns_)
    ]


def onnx_inputs(model: Model, source: Any) -> dict[str, np.ndarray]:
    """The graph's inputs for rows (a table, a path or a Dataset) with the model's columns."""
    frame = _frame(source)
    model._check_columns(frame)
    feeds = {}
    for name, col in zip(input_names(model), model.features.columns_):
        values, treatment = frame[col["name"]], treatment_of(col)
        if treatment == "number":
            feeds[name] = numeric.values_of(values, col["name"], col["kind"])[:, None]
        elif treatment == "one_hot":
            feeds[name] = categories.labels(values).to_numpy(dtype=object)[:, None]
        elif treatment == "calendar":
            feeds[name] = calendar.wall_seconds(values, col["name"])[:, None]
        else:
            feeds[name] = text.tokens(values)
    return feeds


def export_onnx(model: Model, path) -> list[dict]:
    """Write ``model`` as one ONNX graph to ``path`` (atomically); return
    :func:`describe_inputs`."""
    members = model.family.members if isinstance(model.family, Ensemble) else [model.family]
    if not all(isinstance(m, Dense) for m in members):
        raise ConfigError(
            f"ONNX export covers the built-in linear and mlp families and ensembles of them; this "
            f"model is {model.config.get('model')!r}. A user module: export it with "
            "torch.onnx.export, after the preprocessing; gradient-boosted trees: use heldout "
            "predict, or LightGBM's own model (the bundle's booster text)."
        )
    g = Graph()
    inputs, blocks = [], []
    for name, col in zip(input_names(model), model.features.columns_):
        element = _onnx_features.INPUTS[treatment_of(col)][0]
        inputs.append(
            (name, element, ["n", f"{name}_ngrams" if treatment_of(col) == "text" else 1])
        )
        blocks.append(_onnx_features.column_block(g, col, name))
    X = g.cast(blocks[0] if len(blocks) == 1 else g.op("Concat", *blocks, axis=1), "FLOAT")
    outputs = _link(g, model, *_outputs(g, model, X))
    described = describe_inputs(model)
    target = (
        str(model.target) if len(model.targets) == 1 else json.dumps(list(model.targets))
    )  # several: a list
    onnx_model = g.model(
        inputs,
        outputs,
        name=f"heldout {model.config.get('model')} {model.task}",
        doc=f"heldout model {model.fingerprint}: {model.task} of {model.target!r}",
        metadata={
            "heldout.fingerprint": model.fingerprint,
            "heldout.target": target,
            "heldout.task": str(model.task),
            "heldout.inputs": json.dumps(described),
        },
    )
    atomic_write(path, onnx_model.SerializeToString())
    return described


def _outputs(g: Graph, model: Model, X: str) -> tuple[str | None, str | None]:
    """The network's outputs in double; for an ensemble, its members' outputs averaged with their
    weights, or (classification) their probabilities averaged, as
    :class:`~heldout.nn.ensemble.Ensemble` combines them: ``(outputs, None)`` or ``(None,
    probabilities)``."""
    family = model.family
    if not isinstance(family, Ensemble):
        return g.cast(_network(g, family, model.params, X), "DOUBLE"), None
    outs = [
        g.cast(_network(g, member, params, X), "DOUBLE")
        for member, params in zip(family.members, family.split(model.params))
    ]
    if family.link == "identity":
        return _weighted_sum(g, outs, family.weights), None
    op, axis = ("Sigmoid", {}) if family.link == "sigmoid" else ("Softmax", {"axis": 1})
    return None, _weighted_sum(g, [g.op(op, out, **axis) for out in outs], family.weights)


def _weighted_sum(g: Graph, terms: list[str], weights: list[float]) -> str:
    weighted = [g.op("Mul", t, g.const(float(w))) for t, w in zip(terms, weights)]
    return g.op("Sum", *weighted)


def _network(g: Graph, family: Dense, params: list, X: str) -> str:
    """The family's forward pass in float32: affine layers, the activation between them."""
    h, last = X, len(params) // 2 - 1
    for i in range(last + 1):
        weight, bias = (params[2 * i + k].numpy().astype(np.float32) for k in (0, 1))
        h = g.op("Gemm", h, g.const(weight, np.float32), g.const(bias, np.float32))
        if i < last:
            h = _activation(g, family.activation, h)
    return h


def _activation(g: Graph, name: str, h: str) -> str:
    if name == "gelu":  # torch's exact gelu: x Φ(x) = x (1 + erf(x / √2)) / 2
        erf = g.op("Erf", g.op("Mul", h, g.const(np.sqrt(0.5), np.float32)))
        return g.op(
            "Mul",
            g.op("Mul", h, g.const(0.5, np.float32)),
            g.op("Add", erf, g.const(1.0, np.float32)),
        )
    ops = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid"}
    return g.op(ops[name], h) if name in ops else h


def _link(g: Graph, model: Model, logits: str | None, averaged: str | None = None) -> list:
    """The task's link in double, as :meth:`heldout.task.Task.predictions` applies it (an
    ensemble of classifiers gives its ``averaged`` probabilities instead of logits)."""
    if not model.task.has_classes:
        scale = (
            model.target_scale
        )  # the network fits standardised targets: back to the target's units
        if not scale.is_identity:
            logits = g.op("Add", g.op("Mul", logits, g.const([scale.std])), g.const([scale.mean]))
        g.nodes.append(g.onnx.helper.make_node("Identity", [logits], ["prediction"]))
        return [("prediction", "DOUBLE", ["n", model.n_outputs])]
    classes = model.classes
    if model.task.n_outputs(classes) == 1:  # one logit: P(second class) by the logistic function
        p = averaged or g.op("Sigmoid", logits)
        probabilities = g.op("Concat", g.op("Sub", g.const([[1.0]]), p), p, axis=1)
    else:
        probabilities = averaged or g.op("Softmax", logits, axis=1)
    g.nodes.append(g.onnx.helper.make_node("Identity", [probabilities], ["probabilities"]))
    index = g.op("ArgMax", probabilities, axis=1, keepdims=0)
    g.nodes.append(
        g.onnx.helper.make_node(
            "Gather", [g.const([str(c) for c in classes], object), index], ["label"]
        )
    )
    return [("probabilities", "DOUBLE", ["n", len(classes)]), ("label", "STRING", ["n"])]
