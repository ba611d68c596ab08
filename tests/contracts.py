"""The contract every registered implementation keeps, as ``check_*`` functions (scikit-learn's
``estimator_checks`` is the model). ``test_contracts.py`` enrols every entry of the registries
— model families, optimisers, loss × task, split strategies — so a new one is checked without
touching the suite; :func:`checks_for` lists the checks that apply to one of them.

Each check raises ``AssertionError`` (or the library's error) when the contract is broken.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

import heldout
from heldout.nn import losses, optim
from heldout.nn.family import FAMILIES, Family, make_family
from heldout.seal.split import STRATEGIES
from heldout.task import TASKS

RATES = {"gd": [0.05, 0.2, 0.5]}  # full-batch rules take larger steps
MINIBATCH_RATES = [0.002, 0.005, 0.02]


def small_net(n_in, n_out):
    return torch.nn.Sequential(torch.nn.Linear(n_in, 8), torch.nn.Tanh(), torch.nn.Linear(8, n_out))


def family_settings(name: str) -> dict:
    """How a family is asked for in ``fit``: a registered name, or ``module`` for a user factory."""
    return {"model": small_net} if name == "module" else {"model": name, "hidden": (6,)}


def family_names() -> list[str]:
    """The families heldout's engine trains by gradient steps (with every optimiser)."""
    return [*sorted(f for f in FAMILIES if not trained_by_library(f)), "module"]


def library_family_names() -> list[str]:
    """The families another library trains (their own optimiser): their own checks."""
    return sorted(f for f in FAMILIES if trained_by_library(f))


def trained_by_library(name: str) -> bool:
    built = FAMILIES[name].build(hidden=(4,), activation="relu", init=None)
    return hasattr(built, "train_members")


def rates(optimizer: str) -> list[float]:
    return (
        RATES.get(optimizer, MINIBATCH_RATES)
        if not optim.get(optimizer).full_batch
        else RATES["gd"]
    )


_SPLITS: dict = {}


def cancer_split():
    """240 rows of breast cancer: small enough for many checks, real enough to mean something."""
    if "cancer" not in _SPLITS:
        data = heldout.datasets.load("breast_cancer")
        _SPLITS["cancer"] = heldout.split(data.take(np.arange(240)), seed=3)
    return _SPLITS["cancer"]


def close(a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-5) -> bool:
    scale = max(float(b.abs().max()), 1e-6)
    return float((a - b).abs().max()) <= rtol * scale


def assert_same_member(m, alone, rtol: float = 1e-5) -> None:
    assert m.best_epoch == alone.best_epoch and m.status == alone.status, (m.status, alone.status)
    assert m.history["epoch"] == alone.history["epoch"]
    for a, b in zip(m.params, alone.params):
        assert close(a, b, rtol), float((a - b).abs().max())
    assert np.allclose(m.history["val_loss"], alone.history["val_loss"], rtol=rtol, atol=1e-7)


def _settings(family: str, optimizer: str) -> dict:
    full = optim.get(optimizer).full_batch
    return dict(
        family_settings(family),
        optimizer=optimizer,
        epochs=40 if full else 4,
        batch_size=16,
        weight_decay=0.01,
        l2=0.001,
        patience=2 if full else 1,
    )


# -- families × optimisers -------------------------------------------------------------------


def check_seeded_reproducibility(family: str, optimizer: str) -> None:
    """Same seed, same data, same settings: the same numbers, bit for bit (CPU)."""
    split, settings = cancer_split(), _settings(family, optimizer)
    a = heldout.fit(split, lr=rates(optimizer)[1], seed=1, **settings)
    b = heldout.fit(split, lr=rates(optimizer)[1], seed=1, **settings)
    assert all(torch.equal(p, q) for p, q in zip(a.model.params, b.model.params))
    assert a.history.equals(b.history)


def check_population_member_equals_alone(family: str, optimizer: str) -> None:
    """Member k of a population trains to what its configuration trains to alone."""
    split, settings = cancer_split(), _settings(family, optimizer)
    together = heldout.fit(split, lr=rates(optimizer), seed=[0, 1, 2], **settings)
    assert len(together.members) == 9
    for m in together.members:
        alone = heldout.fit(split, lr=m.config.lr, seed=m.config.seed, **settings)
        assert_same_member(m, alone.members[0])


def check_stopped_members_leave_without_changing_the_others(family: str, optimizer: str) -> None:
    """A member that diverges leaves the computation; the others end as they do without it."""
    split, settings = (
        cancer_split(),
        dict(_settings(family, optimizer), patience=None, early_stopping=False),
    )
    calm = heldout.fit(split, lr=rates(optimizer)[:2], **settings)
    stormy = heldout.fit(split, lr=[*rates(optimizer)[:2], 1e6], **settings)
    assert stormy.members[2].status == "diverged", stormy.members[2].status
    for a, b in zip(calm.members, stormy.members[:2]):
        assert_same_member(b, a, rtol=1e-6)


# -- optimisers -----------------------------------------------------------------------------------

HP = {"lr": 0.05, "momentum": 0.8, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.01}


def check_optimizer_matches_its_reference(optimizer: str) -> None:
    """The update rule against the same rule in ``torch.optim`` (its ``reference``), to 1e-6."""
    rule = optim.get(optimizer)
    assert rule.reference is not None, (
        f"{optimizer} names no torch.optim reference to be checked against"
    )
    gen = torch.Generator().manual_seed(0)
    X, y = (
        torch.randn(64, 5, generator=gen, dtype=torch.float64),
        torch.randn(64, generator=gen, dtype=torch.float64),
    )
    w0, b0 = torch.randn(5, generator=gen, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)

    def loss(w, b, rows):
        return ((X[rows] @ w + b - y[rows]) ** 2).mean()

    batches = [slice(0, 64)] if rule.full_batch else [slice(i, i + 16) for i in range(0, 64, 16)]
    ref = [w0.clone().requires_grad_(), b0.clone().requires_grad_()]
    ref_opt = rule.reference(ref, HP)
    ours = [
        w0.clone().unsqueeze(0),
        b0.clone().unsqueeze(0),
    ]  # one member: a leading axis of size 1
    state = rule.init(ours)
    hparams = {k: torch.tensor([v], dtype=torch.float64) for k, v in HP.items()}
    for _ in range(10):
        for rows in batches:
            ref_opt.zero_grad()
            loss(*ref, rows).backward()
            ref_opt.step()
            p = [t.detach().requires_grad_() for t in ours]
            grads = torch.autograd.grad(loss(p[0][0], p[1][0], rows), p)
            ours, state = rule.update(list(grads), state, [t.detach() for t in p], hparams)
    for a, b in zip(ours, ref):
        assert torch.allclose(a[0], b.detach(), rtol=1e-6, atol=1e-9), (a[0], b)


# -- families
# ---------------------------------------------------------------------------------------


def check_family_protocol_and_gradients(family: str) -> None:
    """The family is a :class:`Family`; its gradients equal autograd's through its own forward."""
    settings = family_settings(family)
    fam = make_family(
        settings["model"], hidden=settings.get("hidden", ()), activation="tanh", init=None
    )
    assert isinstance(fam, Family)
    gen = torch.Generator().manual_seed(0)
    for outputs, loss in [(1, "mse"), (1, "log_loss"), (3, "cross_entropy")]:
        params = [p.double() for p in fam.init(6, outputs, seeds=[0, 1])]
        X = torch.randn(11, 6, generator=gen, dtype=torch.float64)
        y = (
            (torch.rand(11, generator=gen, dtype=torch.float64) > 0.5).double()
            if outputs == 1
            else torch.randint(0, outputs, (11,), generator=gen)
        )
        value, grads = fam.loss_and_grads(params, X, y, None, loss)
        live = [p.clone().requires_grad_() for p in params]
        ref = losses.LOSSES[loss](fam.forward(live, X), y)
        ref_grads = torch.autograd.grad(ref.sum(), live)
        assert torch.allclose(value, ref.detach())
        assert all(torch.allclose(g, r, atol=1e-10) for g, r in zip(grads, ref_grads))
        assert len(fam.param_names()) == len(params) == len(fam.weight_mask())


def check_library_family(family: str) -> None:
    """A family another library trains: a :class:`Family` whose forward gives ``[K, n, outputs]``;
    the same seed gives the same model bit for bit; a member of a grid trains to what its
    configuration trains to alone; the search draws from its own space only; heldout's gradient
    steps are refused with a message that says how it is trained."""
    split = cancer_split()
    settings = {"model": family, "epochs": 30}
    a = heldout.fit(split, lr=0.1, seed=1, **settings)
    b = heldout.fit(split, lr=0.1, seed=1, **settings)
    assert all(torch.equal(p, q) for p, q in zip(a.model.params, b.model.params))
    assert a.history.equals(b.history)
    together = heldout.fit(split, lr=[0.05, 0.2], seed=[0, 1], **settings)
    for m in together.members:
        alone = heldout.fit(split, lr=m.config.lr, seed=m.config.seed, **settings)
        assert_same_member(m, alone.members[0])
    fam = make_family(family, hidden=(), activation="relu", init=None)
    assert isinstance(fam, Family)
    out = fam.forward([p.unsqueeze(0) for p in a.model.params], torch.zeros(5, 30))
    assert tuple(out.shape) == (1, 5, 1)
    assert len(fam.param_names()) == len(a.model.params) == len(fam.weight_mask())
    try:
        fam.loss_and_grads(
            [p.unsqueeze(0) for p in a.model.params], torch.zeros(5, 30), None, None, "mse"
        )
    except heldout.ConfigError as refused:
        assert "trained by" in str(refused)
    else:
        raise AssertionError("a library-trained family took heldout's gradient steps")


# -- losses × tasks ------------------------------------------------------------------------------


def loss_cases() -> list[tuple[str, str]]:
    return [(loss, task) for task, t in TASKS.items() for loss in t.losses]


def _task_table(task: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    score = x @ np.array([1.0, -2.0, 0.5])
    if task == "regression":
        y = score + rng.normal(scale=0.1, size=120)
    else:
        edges = [0.0] if task == "binary" else [-1.0, 1.0]
        y = np.digitize(score, edges)
    return pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y)


def check_loss_trains_its_task(loss: str, task: str) -> None:
    """The loss's closed-form output gradient equals autograd's, and a model trains with it:
    the training loss falls and every recorded number is finite."""
    data = heldout.load(_task_table(task), target="y", task=task)
    run = heldout.fit(heldout.split(data, seed=0), loss=loss, optimizer="adam", lr=0.05, epochs=20)
    history = run.history
    assert history["train_loss"].iloc[-1] < history["train_loss"].iloc[0]
    assert np.isfinite(history[["train_loss", "val_loss", "val_metric"]].to_numpy()).all()
    outputs = data.task.n_outputs(data.classes)
    out = torch.randn(2, 7, outputs, dtype=torch.float64)
    y = data.task.encode(data.target.iloc[:7], data.classes).to(
        torch.float64 if outputs == 1 else torch.long
    )
    value, grad = losses.value_and_grad(loss, out.clone(), y)
    live = out.clone().requires_grad_()
    ref = losses.LOSSES[loss](live, y)
    (ref_grad,) = torch.autograd.grad(ref.sum(), live)
    assert torch.allclose(value, ref.detach()) and torch.allclose(grad, ref_grad, atol=1e-10)


# -- split strategies ------------------------------------------------------------------------------


def _strategy_table(seed: int = 1, first_time: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 200
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": np.repeat(np.arange(20), 10),
            "t": np.arange(first_time, first_time + n),
            "y": rng.integers(0, 2, size=n),
        }
    )


def check_no_test_row_reaches_training(strategy: str) -> None:
    """The test rows are disjoint from training and validation, the same seed gives the same split,
    and a table with test rows copied back into it is refused for training."""
    frame = _strategy_table()
    data = heldout.load(frame, target="y", groups="g", time="t")
    split = heldout.split(data, seed=0, strategy=strategy)
    again = heldout.split(data, seed=0, strategy=strategy)
    assert split.test.seal == again.test.seal
    assert split.describe()["train_fingerprint"] == again.describe()["train_fingerprint"]
    seen = set(split.train.fingerprints.tolist()) | set(split.validation.fingerprints.tolist())
    test_rows = [fp not in seen for fp in data.fingerprints.tolist()]
    assert sum(test_rows) == len(split.test) > 0
    heldout.fit(split, epochs=1)
    # a new table holding three of the sealed rows, tested on rows nobody has seen: the three land
    # in its training or validation part
    leaked = pd.concat([frame[[not t for t in test_rows]], frame[test_rows].iloc[:3]])
    fresh = heldout.load(_strategy_table(seed=2, first_time=1000), target="y", groups="g", time="t")
    resplit = heldout.split(
        heldout.load(leaked, target="y", groups="g", time="t"),
        test=fresh,
        seed=1,
        strategy=strategy,
    )
    try:
        heldout.fit(resplit, epochs=1)
    except heldout.LeakageError as exc:
        assert "belong to test set" in str(exc)
    else:
        raise AssertionError("training on rows of a sealed test set was not refused")


# -- enrolment
# ---------------------------------------------------------------------------------------


def checks_for(
    *,
    family: str | None = None,
    optimizer: str | None = None,
    loss: str | None = None,
    task: str | None = None,
    strategy: str | None = None,
) -> list[tuple]:
    """Every ``(check, arguments)`` that applies to the given implementation (others enrolled in
    full)."""
    families = [family] if family else family_names()
    optimizers = [optimizer] if optimizer else list(optim.OPTIMIZERS)
    out = []
    if loss is None and strategy is None:
        for f in families:
            for o in optimizers:
                out += [
                    (check_seeded_reproducibility, (f, o)),
                    (check_population_member_equals_alone, (f, o)),
                    (check_stopped_members_leave_without_changing_the_others, (f, o)),
                ]
        if optimizer is not None or family is None:
            out += [
                (check_optimizer_matches_its_reference, (o,))
                for o in optimizers
                if optim.get(o).reference is not None
            ]
        if family is not None or optimizer is None:
            out += [(check_family_protocol_and_gradients, (f,)) for f in families]
        if family is None and optimizer is None:
            out += [(check_library_family, (f,)) for f in library_family_names()]
    if (loss or task) and not (family or optimizer):
        out += [
            (check_loss_trains_its_task, case)
            for case in loss_cases()
            if (loss is None or case[0] == loss) and (task is None or case[1] == task)
        ]
    if strategy:
        out.append((check_no_test_row_reaches_training, (strategy,)))
    return out


def run_checks(checks: list[tuple]) -> int:
    for check, args in checks:
        check(*args)
    return len(checks)


def strategies() -> list[str]:
    return list(STRATEGIES)
