"""Row and class weights in training, in validation metrics and in the one look (issue 17,
acceptance 4): a row of integer weight w trains, validates and scores as w copies of itself."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn import metrics as sk

import heldout
from contracts import assert_same_member
from heldout.seal import folds as folding

GD = dict(optimizer="gd", lr=0.3, epochs=60, early_stopping=False, tol=0)


def _rows(n, seed, task):
    """Numbers (with missing values), a category and a target; ``w`` integer weights 0..3, never 0
    on a row with a missing value or on the only rows of a category (so that repeating rows by
    their weights leaves the same columns and categories)."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=n), rng.normal(2, 3, size=n)
    z[rng.random(n) < 0.15] = np.nan
    colour = rng.choice(["red", "green", "blue"], size=n)
    signal = (
        2 * x - 0.3 * np.nan_to_num(z, nan=2) + (colour == "red") + rng.normal(scale=0.7, size=n)
    )
    y = 10 * signal + 100 if task == "regression" else np.where(signal > 0, "yes", "no")
    w = rng.integers(0, 4, n).astype(float)
    w[np.isnan(z) | (np.arange(n) < 6)] = np.maximum(w[np.isnan(z) | (np.arange(n) < 6)], 1)
    return pd.DataFrame({"x": x, "z": z, "colour": colour, "w": w, "y": y})


def _repeated(frame):
    """Each row repeated its weight's number of times, the weight column dropped."""
    return (
        frame.loc[frame.index.repeat(frame["w"].astype(int))]
        .drop(columns="w")
        .reset_index(drop=True)
    )


def _fit_both(task, settings):
    train, validation, test = (
        _rows(90, 0, task),
        _rows(40, 1, task),
        _rows(30, 2, task).assign(w=1.0),
    )
    weighted = heldout.split(
        heldout.load(train, "y", weights="w", task=task), test=test, validation=validation, seed=0
    )
    plain = heldout.split(
        heldout.load(_repeated(train), "y", task=task),
        test=test.drop(columns="w"),
        validation=_repeated(validation),
        seed=0,
    )
    return (heldout.fit(weighted, **settings), weighted), (heldout.fit(plain, **settings), plain)


def _same(a, b) -> bool:
    """Equal structures, their floats equal to rounding."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


@pytest.mark.parametrize(
    "task, model", [("regression", "linear"), ("binary", "linear"), ("binary", "mlp")]
)
def test_a_weighted_fit_equals_the_fit_on_rows_repeated_by_their_weights(task, model):
    (weighted, ws), (plain, ps) = _fit_both(task, dict(GD, model=model, hidden=(4,)))
    # the same preprocessing (weighted medians, means, deviations and categories), scale and
    # parameters
    assert _same(weighted.model.features.to_dict(), plain.model.features.to_dict())
    if task == "regression":
        assert np.allclose(
            weighted.model.target_scale.mean, plain.model.target_scale.mean, rtol=1e-12
        )
        assert np.allclose(
            weighted.model.target_scale.std, plain.model.target_scale.std, rtol=1e-12
        )
    for p, q in zip(weighted.model.params, plain.model.params):
        assert torch.allclose(p, q, rtol=1e-4, atol=1e-5), (p, q)
    # the same training and validation curves: the validation rows are weighted too
    for column in ("train_loss", "val_loss", "val_metric"):
        assert np.allclose(weighted.history[column], plain.history[column], rtol=1e-4), column
    # and the same validation metrics and test look
    mine, theirs = weighted.model.score(ws.validation), plain.model.score(ps.validation)
    assert all(mine[m] == pytest.approx(theirs[m], rel=1e-4) for m in ws.task.metrics)
    look, other = heldout.evaluate(weighted.model, ws), heldout.evaluate(plain.model, ps)
    assert all(
        look.metrics[m] == pytest.approx(other.metrics[m], rel=1e-4) for m in ws.task.metrics
    )


def test_a_class_weight_equals_repeating_that_classs_rows():
    def repeated_yes(frame):
        return frame.loc[frame.index.repeat(np.where(frame["y"] == "yes", 3, 1))].reset_index(
            drop=True
        )

    train, validation, test = _rows(90, 0, "binary"), _rows(40, 1, "binary"), _rows(30, 2, "binary")
    weighted = heldout.split(
        heldout.load(train.drop(columns="w"), "y", class_weight={"yes": 3}),
        test=test.drop(columns="w"),
        validation=validation.drop(columns="w"),
        seed=0,
    )
    plain = heldout.split(
        heldout.load(repeated_yes(train.drop(columns="w")), "y"),
        test=test.drop(columns="w"),
        validation=repeated_yes(validation.drop(columns="w")),
        seed=0,
    )
    a, b = heldout.fit(weighted, **GD), heldout.fit(plain, **GD)
    assert a.model.class_weight == {"no": 1.0, "yes": 3.0}
    assert all(
        torch.allclose(p, q, rtol=1e-4, atol=1e-5) for p, q in zip(a.model.params, b.model.params)
    )
    assert np.allclose(a.history["val_loss"], b.history["val_loss"], rtol=1e-4)


def _imbalanced(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(1.5 * x[:, 0] + x[:, 1] - 3.0)))  # about one row in ten is positive
    return pd.DataFrame(
        {"a": x[:, 0], "b": x[:, 1], "y": np.where(rng.random(n) < p, "rare", "common")}
    )


def test_balanced_class_weights_move_the_decision_threshold_toward_the_rare_class():
    frame = _imbalanced()
    plain_split = heldout.split(heldout.load(frame, "y"), seed=0)
    balanced_split = heldout.split(heldout.load(frame, "y", class_weight="balanced"), seed=0)
    plain = heldout.fit(plain_split, model="linear").model
    balanced = heldout.fit(balanced_split, model="linear").model
    share = (plain_split.train.target == "rare").mean()
    assert 0.05 < share < 0.2
    assert (
        balanced.class_weight["rare"] == pytest.approx(0.5 / share)
        and balanced.class_weight["common"] < 1
    )
    rows = plain_split.validation  # the same rows in both splits (same table, seed and strategy)
    rare = (rows.target == "rare").to_numpy()
    said_plain, said_balanced = (
        plain.predict(rows.features) == "rare",
        balanced.predict(rows.features) == "rare",
    )
    # more rows called rare, more of the rare rows found: the threshold moved toward the rare class
    assert said_balanced.mean() > 2 * said_plain.mean()
    assert said_balanced[rare].mean() > said_plain[rare].mean() + 0.2
    # for a logistic model, about by the log of the weights' ratio on the logit
    shift = np.log(balanced.class_weight["rare"] / balanced.class_weight["common"])
    logit = lambda m: np.log(m.predictions(rows.features) / (1 - m.predictions(rows.features)))  # noqa: E731
    assert np.median(logit(balanced) - logit(plain)) == pytest.approx(shift, rel=0.35)


def test_validation_and_test_metrics_weigh_each_row_and_the_interval_follows():
    frame = _imbalanced(600).assign(w=np.random.default_rng(3).integers(1, 5, 600).astype(float))
    split = heldout.split(heldout.load(frame, "y", weights="w", class_weight="balanced"), seed=0)
    model = heldout.fit(split, model="linear").model
    rows = split.validation
    w = rows.weights.to_numpy() * rows.target.map(model.class_weight).to_numpy()
    label = (model.predict(rows.features) == "rare").astype(int)
    scored = model.score(rows)
    assert scored["accuracy"] == pytest.approx(
        sk.accuracy_score((rows.target == "rare").astype(int), label, sample_weight=w)
    )
    assert scored["f1"] == pytest.approx(
        sk.f1_score((rows.target == "rare").astype(int), label, sample_weight=w)
    )
    look = heldout.evaluate(model, split).metrics
    for metric in ("accuracy", "log_loss", "roc_auc", "f1"):
        low, high = look["interval_95"][metric]
        assert low <= look[metric] <= high, metric
    # the baseline is learned with the training rows' weights: balanced, it predicts one half
    assert look["versus"]["baseline"]["log_loss"]["value"] == pytest.approx(np.log(2), rel=0.05)


def test_test_rows_weights_never_reach_training():
    train, validation, test = _rows(90, 0, "binary"), _rows(40, 1, "binary"), _rows(30, 2, "binary")
    runs = []
    for test_weights in (1.0, np.arange(30) % 5.0 + 0.5):
        split = heldout.split(
            heldout.load(train, "y", weights="w", class_weight="balanced"),
            test=test.assign(w=test_weights),
            validation=validation,
            seed=0,
        )
        run = heldout.fit(split, **GD)
        runs.append((run, heldout.evaluate(run.model, split)))
    (first, look), (second, other) = runs
    assert all(torch.equal(p, q) for p, q in zip(first.model.params, second.model.params))
    assert first.model.class_weight == second.model.class_weight
    assert (
        look.metrics["log_loss"] != other.metrics["log_loss"]
    )  # the look weighs the test rows as given


@pytest.mark.parametrize("optimizer", ["sgd", "gd"])
def test_weighted_members_and_folds_train_as_they_would_alone(optimizer):
    """Members of one population share weighted batches (each fold its own, its padding weighing
    0): a member trains as its configuration does alone, and a fold as a split of that fold's rows
    does (the contract suite's tolerance: batched products of several members round differently)."""
    frame = _rows(
        125, 0, "binary"
    )  # folds of 66, 67 and 67 training rows: the shorter one is padded
    split = heldout.split(heldout.load(frame, "y", weights="w", class_weight="balanced"), seed=0)
    settings = dict(model="mlp", hidden=(4,), optimizer=optimizer, epochs=4, batch_size=16)
    together = heldout.fit(split, lr=[0.01, 0.1], **settings)
    assert_same_member(together.members[1], heldout.fit(split, lr=0.1, **settings).members[0])
    cv = heldout.fit(split, lr=[0.01, 0.1], folds=3, **settings)
    pool = split.train.append(split.validation)
    for f, (tr, va) in enumerate(folding.assign(pool, 3, split.strategy, split.seed)):
        one_fold = dataclasses.replace(split, train=pool.take(tr), validation=pool.take(va))
        for m in (cv.members[f], cv.members[3 + f]):
            assert_same_member(m, heldout.fit(one_fold, lr=m.config.lr, **settings).members[0])
