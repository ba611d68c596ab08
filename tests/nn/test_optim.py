"""Update rules beyond the contract suite (which checks each against torch.optim): per-member rates,
and the schedules against torch's schedulers."""

import pytest
import torch

from heldout._util import threads
from heldout.nn import optim


def test_members_with_different_rates_each_follow_their_own_rate():
    opt = optim.get("momentum")
    params = [torch.ones(3, 2)]
    grads = [torch.ones(3, 2)]
    hp = {
        "lr": torch.tensor([0.1, 0.2, 0.3]),
        "momentum": torch.tensor([0.0, 0.5, 0.9]),
        "weight_decay": torch.zeros(3),
    }
    new, _ = opt.update(grads, opt.init(params), params, hp)
    assert torch.allclose(new[0][:, 0], torch.tensor([0.9, 0.8, 0.7]))


@pytest.mark.parametrize(
    "schedule, make",
    [
        ("step", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
        ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)),
    ],
)
def test_schedules_match_torch_schedulers(schedule, make):
    o = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = make(o)
    for epoch in range(10):
        ours = 0.1 * optim.SCHEDULES[schedule](epoch, 10, 3, 0.5)
        assert ours == pytest.approx(o.param_groups[0]["lr"], rel=1e-6, abs=1e-12)
        o.step()
        sched.step()


def _wide_members(K: int, steps: int, optimizer: str, rates, decays, dtype=torch.float64):
    """``steps`` updates of K one-output linear members wide enough (2,100 inputs) for the fused
    per-member Adam step, on a least-squares loss; returns the parameters, the starting weights
    and the rows."""
    gen = torch.Generator().manual_seed(0)
    X, y = (
        torch.randn(32, optim.FUSED_NUMBERS + 52, generator=gen, dtype=dtype),
        torch.randn(32, generator=gen, dtype=dtype),
    )
    rule = optim.get(optimizer)
    start = [
        torch.randn(1, X.shape[1], 1, generator=torch.Generator().manual_seed(k), dtype=dtype)
        for k in range(K)
    ]
    params = [
        torch.cat(start) * 0.01,
        torch.zeros(K, 1, dtype=dtype),
    ]  # member k drawn from its own seed
    hp = {
        "lr": torch.tensor(rates, dtype=dtype),
        "beta1": torch.full((K,), 0.9, dtype=dtype),
        "beta2": torch.full((K,), 0.99, dtype=dtype),
        "eps": torch.full((K,), 1e-8, dtype=dtype),
        "weight_decay": torch.tensor(decays, dtype=dtype),
    }
    assert optim._fuses(params)
    start, state = params[0].clone(), rule.init(params)
    for _ in range(steps):
        # each member's gradient on its own (a product over all members rounds by their number)
        residuals = [X @ params[0][k, :, 0] + params[1][k, 0] - y for k in range(K)]
        grads = [
            torch.stack([2 * X.T @ r / len(y) for r in residuals]).unsqueeze(-1),
            torch.stack([2 * r.mean() for r in residuals]).unsqueeze(-1),
        ]
        params, state = rule.update(grads, state, params, hp)
    return params, start, (X, y)


@pytest.mark.parametrize("optimizer", ["adam", "adamw"])
def test_the_fused_adam_step_of_wide_members_matches_torch_optim(optimizer):
    """Members of at least FUSED_NUMBERS parameters take torch's fused kernel, one call per member
    with its own rate and decay; each follows torch.optim's rule to 1e-6."""
    rates, decays = [0.05, 0.01, 0.002], [0.0, 0.01, 0.1]
    ours, start, (X, y) = _wide_members(3, 10, optimizer, rates, decays)
    for k, (lr, decay) in enumerate(zip(rates, decays)):
        w, b = (
            start[k, :, 0].clone().requires_grad_(),
            torch.zeros(1, dtype=torch.float64, requires_grad=True),
        )
        rule = torch.optim.AdamW if optimizer == "adamw" else torch.optim.Adam
        reference = rule([w, b], lr=lr, betas=(0.9, 0.99), eps=1e-8, weight_decay=decay)
        for _ in range(10):
            reference.zero_grad()
            ((X @ w + b - y) ** 2).mean().backward()
            reference.step()
        assert torch.allclose(ours[0][k, :, 0], w.detach(), rtol=1e-6, atol=1e-9)
        assert torch.allclose(ours[1][k], b.detach(), rtol=1e-6, atol=1e-9)


def test_the_fused_adam_step_gives_a_member_its_numbers_alone_and_on_any_thread_count():
    """Bit for bit: a member in a population steps as it does alone, on one thread as on several."""
    together, _, _ = _wide_members(
        3, 5, "adam", [0.05, 0.01, 0.002], [0.0, 0.01, 0.1], dtype=torch.float32
    )
    with threads.intra_op(1):
        one_thread, _, _ = _wide_members(
            3, 5, "adam", [0.05, 0.01, 0.002], [0.0, 0.01, 0.1], dtype=torch.float32
        )
    assert all(torch.equal(a, b) for a, b in zip(together, one_thread))
    alone, _, _ = _wide_members(1, 5, "adam", [0.05], [0.0], dtype=torch.float32)
    assert all(torch.equal(a[:1], b) for a, b in zip(together, alone))
