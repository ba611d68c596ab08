"""The contract suite, enrolled from the registries: every model family, optimiser, loss × task
and split strategy passes the same checks (:mod:`contracts`). A new entry in a registry is
checked here without touching this file; ``test_a_toy_*`` show it with entries added in-process."""

import pytest
import torch

import contracts
from heldout import ConfigError
from heldout.nn import optim
from heldout.nn.dense import Dense
from heldout.nn.family import FAMILIES, register, unregister
from heldout.nn.optim import Optimizer

PAIRS = [(f, o) for f in contracts.family_names() for o in optim.OPTIMIZERS]


@pytest.mark.parametrize("family, optimizer", PAIRS)
def test_seeded_reproducibility(family, optimizer):
    contracts.check_seeded_reproducibility(family, optimizer)


@pytest.mark.parametrize("family, optimizer", PAIRS)
def test_population_member_equals_the_configuration_trained_alone(family, optimizer):
    contracts.check_population_member_equals_alone(family, optimizer)


@pytest.mark.parametrize("family, optimizer", PAIRS)
def test_stopped_members_leave_without_changing_the_others(family, optimizer):
    contracts.check_stopped_members_leave_without_changing_the_others(family, optimizer)


@pytest.mark.parametrize(
    "optimizer", [o for o in optim.OPTIMIZERS if optim.get(o).reference is not None]
)
def test_optimizer_matches_torch_optim(optimizer):
    contracts.check_optimizer_matches_its_reference(optimizer)


@pytest.mark.parametrize("family", contracts.family_names())
def test_family_protocol_and_gradients(family):
    contracts.check_family_protocol_and_gradients(family)


@pytest.mark.parametrize("family", contracts.library_family_names())
def test_a_family_another_library_trains(family):
    contracts.check_library_family(family)


@pytest.mark.parametrize("loss, task", contracts.loss_cases())
def test_loss_trains_its_task(loss, task):
    contracts.check_loss_trains_its_task(loss, task)


@pytest.mark.parametrize("strategy", contracts.strategies())
def test_no_test_row_reaches_training(strategy):
    contracts.check_no_test_row_reaches_training(strategy)


def _sign_sgd(mixing: bool = False) -> Optimizer:
    """signSGD: θ ← θ − η·sign(∇L). With ``mixing`` it (wrongly) uses the members' mean rate."""

    def init(params):
        return ()

    def update(grads, state, params, hparams):
        lr = hparams["lr"].mean().expand_as(hparams["lr"]) if mixing else hparams["lr"]
        return [p - optim.per_member(lr, p) * g.sign() for p, g in zip(params, grads)], state

    def reference(params, hp):
        class SignSGD(torch.optim.Optimizer):
            def step(self):
                for group in self.param_groups:
                    for p in group["params"]:
                        p.data.add_(p.grad.sign(), alpha=-group["lr"])

        return SignSGD(params, {"lr": hp["lr"]})

    return Optimizer(init, update, False, (), 0.01, 0, reference)


@pytest.fixture
def toy_optimizer():
    optim.register("signsgd", _sign_sgd())
    yield "signsgd"
    optim.unregister("signsgd")


def test_a_toy_optimizer_added_in_process_runs_the_whole_suite(toy_optimizer):
    checks = contracts.checks_for(optimizer=toy_optimizer)
    names = {check.__name__ for check, _ in checks}
    assert names == {
        "check_seeded_reproducibility",
        "check_population_member_equals_alone",
        "check_stopped_members_leave_without_changing_the_others",
        "check_optimizer_matches_its_reference",
    }
    assert {args[0] for check, args in checks if len(args) == 2} == set(contracts.family_names())
    assert contracts.run_checks(checks) == len(checks) == 3 * len(contracts.family_names()) + 1
    # and `heldout train` offers it (its options are derived from the registry when the CLI is
    # built)
    import heldout

    run = heldout.fit(contracts.cancer_split(), optimizer="signsgd", lr=[0.001, 0.01], epochs=3)
    assert [m.config.optimizer for m in run.members] == ["signsgd", "signsgd"]


def test_the_suite_catches_a_toy_optimizer_that_mixes_its_members():
    optim.register("mixing", _sign_sgd(mixing=True))
    try:
        with pytest.raises(AssertionError):
            contracts.check_population_member_equals_alone("linear", "mixing")
    finally:
        optim.unregister("mixing")


def test_a_toy_family_added_in_process_runs_the_whole_suite():
    register(
        "tiny_tanh",
        lambda hidden, activation, init: Dense("tiny_tanh", (3,), "tanh", init or "xavier"),
    )
    try:
        checks = contracts.checks_for(family="tiny_tanh")
        assert contracts.run_checks(checks) == 3 * len(optim.OPTIMIZERS) + 1
    finally:
        unregister("tiny_tanh")
    assert "tiny_tanh" not in FAMILIES


def test_a_family_missing_part_of_the_protocol_is_refused_at_registration():
    class Half:
        name, streams_full_batch = "half", False

        def forward(self, params, X):
            return X

    with pytest.raises(ConfigError, match=r"does not provide \['config', 'size'"):
        register("half", lambda hidden, activation, init: Half())
    assert "half" not in FAMILIES
