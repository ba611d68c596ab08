"""Update rules beyond the contract suite (which checks each against torch.optim): per-member rates,
and the schedules against torch's schedulers."""

import pytest
import torch

from heldout.nn import optim

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
