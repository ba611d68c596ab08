"""The Task: one value that owns what depends on the task, and is its own name."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

import heldout
from heldout import ConfigError, DataError
from heldout.task import TASKS, get


def test_a_task_is_its_name_and_survives_json_and_pickle():
    for name, task in TASKS.items():
        assert task == name and str(task) == name and hash(task) == hash(name)
        assert json.loads(json.dumps({"task": task})) == {"task": name}
        assert pickle.loads(pickle.dumps(task)) is task
    assert heldout.datasets.load("iris").task is get("multiclass")


def test_each_task_owns_its_losses_metrics_and_candidates():
    regression, binary, multiclass = (get(n) for n in ("regression", "binary", "multiclass"))
    assert (regression.losses[0], binary.losses[0], multiclass.losses[0]) == (
        "mse",
        "log_loss",
        "cross_entropy",
    )
    assert (regression.monitor, binary.monitor) == ("rmse", "accuracy")
    assert (regression.selection, multiclass.selection) == ("rmse", "log_loss")
    assert regression.candidates == ("linear+mse", "mlp+mse", "gbdt+mse")
    assert not regression.has_classes and binary.has_classes
    assert (regression.default_strategy, binary.default_strategy) == ("random", "stratified")
    assert multiclass.n_outputs(("a", "b", "c")) == 3 and binary.n_outputs(("a", "b")) == 1


def test_labels_are_encoded_and_outputs_linked_by_the_task():
    classes = ("cat", "dog", "eel")
    y = get("multiclass").encode(pd.Series(["eel", "cat"]), classes)
    assert y.tolist() == [2, 0] and y.dtype == torch.long
    assert get("binary").encode(pd.Series(["no", "yes"]), ("no", "yes")).tolist() == [0.0, 1.0]
    out = torch.tensor([[0.0], [2.0]])
    assert np.allclose(get("binary").predictions(out), [0.5, 1 / (1 + np.exp(-2))])
    assert np.allclose(get("binary").probabilities(np.array([0.25])), [[0.75, 0.25]])
    assert get("regression").predictions(out).tolist() == [0.0, 2.0]


def test_the_task_checks_the_target_it_is_given():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
    with pytest.raises(DataError, match="regression target must be numeric"):
        heldout.load(frame, target="y", task="regression")
    with pytest.raises(DataError, match="needs exactly 2 classes"):
        heldout.load(frame, target="y", task="binary")
    with pytest.raises(ConfigError, match="Unknown task 'ranking'"):
        heldout.load(frame, target="y", task="ranking")


def test_no_code_outside_the_task_branches_on_its_name():
    from pathlib import Path

    package = Path(heldout.__file__).parent
    offenders = [
        f"{p.relative_to(package)}:{i}"
        for p in package.rglob("*.py")
        if p.parent.name != "task"
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if any(f'{op} "{name}"' in line for op in ("==", "!=") for name in TASKS)
    ]
    assert offenders == []
