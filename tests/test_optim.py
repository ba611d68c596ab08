"""Every update rule against torch.optim on the same problem, to 1e-6 (oracle tests)."""

import pytest
import torch

from heldout.nn import optim

HP = {"lr": 0.05, "momentum": 0.8, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.01}
TORCH = {
    "gd": lambda p: torch.optim.SGD(p, lr=HP["lr"], weight_decay=HP["weight_decay"]),
    "sgd": lambda p: torch.optim.SGD(p, lr=HP["lr"], weight_decay=HP["weight_decay"]),
    "momentum": lambda p: torch.optim.SGD(p, lr=HP["lr"], momentum=HP["momentum"], weight_decay=HP["weight_decay"]),
    "nesterov": lambda p: torch.optim.SGD(p, lr=HP["lr"], momentum=HP["momentum"], nesterov=True,
                                          weight_decay=HP["weight_decay"]),
    "adam": lambda p: torch.optim.Adam(p, lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"],
                                       weight_decay=HP["weight_decay"]),
    "adamw": lambda p: torch.optim.AdamW(p, lr=HP["lr"], betas=(HP["beta1"], HP["beta2"]), eps=HP["eps"],
                                         weight_decay=HP["weight_decay"]),
}


def _problem():
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(64, 5, generator=gen, dtype=torch.float64), torch.randn(64, generator=gen, dtype=torch.float64)
    w0, b0 = torch.randn(5, generator=gen, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)

    def loss(w, b, rows):
        return ((X[rows] @ w + b - y[rows]) ** 2).mean()

    return w0, b0, loss


@pytest.mark.parametrize("name", list(optim.OPTIMIZERS))
def test_update_rule_matches_torch_optim(name):
    w0, b0, loss = _problem()
    batches = [slice(0, 64)] if optim.OPTIMIZERS[name].full_batch else [slice(i, i + 16) for i in range(0, 64, 16)]

    ref = [w0.clone().requires_grad_(), b0.clone().requires_grad_()]
    ref_opt = TORCH[name](ref)
    ours = [w0.clone().unsqueeze(0), b0.clone().unsqueeze(0)]  # one member: leading axis of size 1
    opt = optim.get(name)
    state = opt.init(ours)
    hparams = {k: torch.tensor([v], dtype=torch.float64) for k, v in HP.items()}
    for _ in range(10):
        for rows in batches:
            ref_opt.zero_grad()
            loss(*ref, rows).backward()
            ref_opt.step()
            p = [t.detach().requires_grad_() for t in ours]
            grads = torch.autograd.grad(loss(p[0][0], p[1][0], rows), p)
            ours, state = opt.update(list(grads), state, [t.detach() for t in p], hparams)
    for a, b in zip(ours, ref):
        assert torch.allclose(a[0], b.detach(), rtol=1e-6, atol=1e-9)


def test_members_with_different_rates_each_follow_their_own_rate():
    opt = optim.get("momentum")
    params = [torch.ones(3, 2)]
    grads = [torch.ones(3, 2)]
    hp = {"lr": torch.tensor([0.1, 0.2, 0.3]), "momentum": torch.tensor([0.0, 0.5, 0.9]),
          "weight_decay": torch.zeros(3)}
    new, _ = opt.update(grads, opt.init(params), params, hp)
    assert torch.allclose(new[0][:, 0], torch.tensor([0.9, 0.8, 0.7]))


@pytest.mark.parametrize("schedule, make", [
    ("step", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)),
    ("cosine", lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10)),
])
def test_schedules_match_torch_schedulers(schedule, make):
    o = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = make(o)
    for epoch in range(10):
        ours = 0.1 * optim.SCHEDULES[schedule](epoch, 10, 3, 0.5)
        assert ours == pytest.approx(o.param_groups[0]["lr"], rel=1e-6, abs=1e-12)
        o.step()
        sched.step()
