"""Each setting declared once: its CLI option, its place in a population and its search range come
from the declaration."""

import click
import pytest

from heldout.cli.train import command as train_command
from heldout.nn.boosted import GBDT_SPACE
from heldout.search.space import Space
from heldout.train.config import MEMBER_TENSORS, PER_MEMBER, SEARCHED, SETTINGS, TrainConfig


def test_every_offered_setting_is_a_train_option_with_its_declared_help():
    options = {p.name: p for p in train_command.params if isinstance(p, click.Option)}
    for name, declared in SETTINGS.items():
        if declared.cli:
            assert name in options, name
            assert options[name].help.startswith(declared.help)
            assert options[name].default is None  # the library's declared default applies
    assert options["lr"].type.name == "number[,number...]" and options["epochs"].type is click.INT
    assert list(options["optimizer"].type.choices) == list(
        __import__("heldout").nn.optim.OPTIMIZERS
    )
    assert "--no-early-stopping" in options["early_stopping"].secondary_opts


def test_population_roles_and_search_ranges_come_from_the_declarations():
    assert set(MEMBER_TENSORS) == {"lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "l2"}
    assert set(PER_MEMBER) - set(MEMBER_TENSORS) == {
        "seed",
        "schedule",
        "step_size",
        "gamma",
        "early_stopping",
        "patience",
        "tol",
        "n_iter_no_change",
        "diverge_factor",
        "leaves",
        "min_leaf_rows",
        "feature_fraction",
        "row_fraction",
    }
    space = Space.for_candidate("mlp+mse", "regression")
    assert list(space.params) == [*SEARCHED, "width", "depth"]
    assert list(Space.for_candidate("linear+mse", "regression").params) == list(SEARCHED)
    # a family another library trains searches its own dimensions only
    assert list(Space.for_candidate("gbdt+mse", "regression").params) == list(GBDT_SPACE)


def test_a_bad_choice_names_the_valid_ones():
    with pytest.raises(
        Exception, match=r"Unknown schedule 'wavy'. Choose one of \['constant', 'step', 'cosine'\]"
    ):
        TrainConfig(schedule="wavy").validated()
