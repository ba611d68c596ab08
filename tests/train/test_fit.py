import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression, LogisticRegression

import heldout
from heldout import ConfigError


def _design(split):
    f = heldout.Features().fit(split.train.features)
    return f.transform(split.train.features).astype(np.float64)


def test_gd_on_diabetes_reaches_the_least_squares_optimum():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    # early stopping off: on, it keeps the best validation weights (epoch 96 here), not the training
    # optimum
    run = heldout.fit(split, model="linear", loss="mse", optimizer="gd", early_stopping=False)
    X, y = _design(split), split.train.target.to_numpy()
    optimum = np.mean((LinearRegression().fit(X, y).predict(X) - y) ** 2)
    ours = np.mean((run.model.predict(split.train.features) - y) ** 2)
    assert run.status == "converged"
    assert ours <= optimum * 1.001


def test_logistic_regression_on_breast_cancer_reaches_sklearns_optimum():
    split = heldout.split(heldout.datasets.load("breast_cancer"), seed=0)
    X, y = _design(split), split.train.target.to_numpy().astype(float)
    n = len(y)
    # sklearn minimises ½‖w‖² + C Σ log-loss; divided by C·n that is mean log-loss + ‖w‖²/(2Cn): l2
    # = 1/(C n)
    run = heldout.fit(
        split,
        model="linear",
        loss="log_loss",
        optimizer="gd",
        lr=1.0,
        l2=1.0 / n,
        early_stopping=False,
    )

    def objective(w, b):
        z = X @ w + b
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5 / n * np.sum(w**2)

    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=10_000).fit(X, y)
    W, b = [p.double().numpy() for p in run.model.params]
    assert objective(W[:, 0], b[0]) <= objective(ref.coef_[0], ref.intercept_[0]) * 1.001


def test_same_seed_same_numbers_bit_for_bit_and_another_seed_another_start():
    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    a = heldout.fit(split, model="mlp", hidden=(16,), optimizer="sgd", epochs=8, seed=1)
    b = heldout.fit(split, model="mlp", hidden=(16,), optimizer="sgd", epochs=8, seed=1)
    c = heldout.fit(split, model="mlp", hidden=(16,), optimizer="sgd", epochs=8, seed=2)
    assert all(torch.equal(p, q) for p, q in zip(a.model.params, b.model.params))
    assert a.history.equals(b.history)
    assert (
        a.history["train_loss"].iloc[0] != c.history["train_loss"].iloc[0]
    )  # different initial parameters
    fam = heldout.nn.family.make_family("mlp", hidden=(16,), activation="relu", init=None)
    first, other = fam.init(13, 3, [1]), fam.init(13, 3, [2])
    assert not torch.equal(first[0], other[0])


def test_a_too_large_learning_rate_diverges_and_says_what_to_do():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    run = heldout.fit(split, model="linear", optimizer="gd", lr=3.0)
    assert run.status == "diverged"
    assert (
        "Learning rate 3 made the loss diverge at epoch" in run.message
        and "Try 0.3 or lower" in run.message
    )
    assert np.isfinite(
        run.model.predict(split.validation.features)
    ).all()  # the best weights before divergence


def test_a_too_small_learning_rate_shows_slow_progress():
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    slow = heldout.fit(split, model="linear", optimizer="gd", lr=1e-4, epochs=50).history
    good = heldout.fit(split, model="linear", optimizer="gd", lr=0.1, epochs=50).history
    assert slow["train_loss"].iloc[-1] > 0.95 * slow["train_loss"].iloc[0]  # barely moved
    assert good["train_loss"].iloc[-1] < 0.2 * good["train_loss"].iloc[0]


def test_early_stopping_restores_the_best_weights():
    split = heldout.split(heldout.datasets.load("breast_cancer"), seed=0)
    run = heldout.fit(
        split, model="mlp", hidden=(64,), optimizer="adam", lr=0.05, epochs=200, patience=5
    )
    assert run.status == "early_stopped"
    assert run.history["epoch"].iloc[-1] == run.best_epoch + 5
    y = split.validation.target.to_numpy()
    z = run.model.outputs(split.validation.features)[:, 0].double().numpy()
    val_loss = np.mean(np.logaddexp(0, z) - y * z)
    assert val_loss == pytest.approx(run.history["val_loss"].iloc[run.best_epoch], rel=1e-4)


def test_iterations_count_optimizer_steps():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    run = heldout.fit(
        split, optimizer="sgd", batch_size=16, iterations=13, early_stopping=False, tol=0
    )
    assert run.history["epoch"].iloc[-1] == 3  # 96 rows / 16 = 6 steps per epoch: 6 + 6 + 1
    with pytest.raises(ConfigError, match="not both"):
        heldout.fit(split, epochs=3, iterations=3)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_every_regression_loss_trains(loss):
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    h = heldout.fit(split, loss=loss, epochs=20).history
    assert h["val_metric"].iloc[-1] < h["val_metric"].iloc[0]


@pytest.mark.parametrize("loss", ["log_loss", "cross_entropy", "hinge"])
@pytest.mark.parametrize("name", ["breast_cancer", "wine"])
def test_every_classification_loss_trains(loss, name):
    split = heldout.split(heldout.datasets.load(name), seed=0)
    run = heldout.fit(split, loss=loss, epochs=20)
    assert run.history["val_metric"].max() > 0.85


def test_a_user_module_trains_through_the_same_engine(tmp_path):
    def small_net(n_in, n_out):
        return torch.nn.Sequential(
            torch.nn.Linear(n_in, 8), torch.nn.Tanh(), torch.nn.Linear(8, n_out)
        )

    split = heldout.split(heldout.datasets.load("wine"), seed=0)
    run = heldout.fit(split, model=small_net, epochs=30)
    assert run.history["val_metric"].max() > 0.85
    run.model.save(tmp_path / "m.safetensors")
    back = heldout.load_model(tmp_path / "m.safetensors", module=small_net)
    assert (
        back.predict(split.validation.features) == run.model.predict(split.validation.features)
    ).all()


def test_schedules_change_the_rate_per_epoch():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    h = heldout.fit(
        split,
        optimizer="sgd",
        lr=0.1,
        epochs=9,
        schedule="step",
        step_size=3,
        gamma=0.5,
        early_stopping=False,
        tol=0,
    ).history
    assert h["lr"].tolist()[1:] == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 3)


def test_bad_settings_are_clear_errors():
    split = heldout.split(heldout.datasets.load("iris"), seed=0)
    with pytest.raises(ConfigError, match="lr must be > 0"):
        heldout.fit(split, lr=0)
    with pytest.raises(ConfigError, match="batch_size must be >= 1"):
        heldout.fit(split, batch_size=0)
    with pytest.raises(ConfigError, match="Unknown optimizer 'lbfgs'"):
        heldout.fit(split, optimizer="lbfgs")
    with pytest.raises(ConfigError, match="Unknown model"):
        heldout.fit(split, model="forest")
    with pytest.raises(ConfigError, match="does not fit a multiclass task"):
        heldout.fit(split, loss="mse")
    with pytest.raises(ConfigError, match="Valid settings"):
        heldout.fit(split, learning_rate=0.1)
