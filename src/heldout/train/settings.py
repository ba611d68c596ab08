"""How a training setting is declared: once, as a field of
:class:`~heldout.train.config.TrainConfig`.

Each field carries a :class:`Setting`: its type and bounds (or valid choices), its default, how
it lives in a population (shared by every member, or per member), its default search range, and
its help. Everything else is derived from these declarations: validation, which settings may
vary inside one population, the engine's per-member tensors, the default search space, the CLI's
options, the signatures of ``fit`` and of the scikit-learn estimators, and the negative tests.
Adding a setting is one declaration plus its use.

>>> s = Setting(float, 0.5, "a share", low=0, high=1, high_open=True, hint="Try 0.5.")
>>> s.check("share", 1.0)
Traceback (most recent call last):
...
heldout.errors.ConfigError: share must be < 1, got 1.0. Try 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .._util.declared import Constraint

SHARED, MEMBER, TENSOR = "shared", "member", "tensor"  # how a setting lives in a population


@dataclass(frozen=True)
class Setting:
    """One training setting: type, default, constraint, population role, search range, help."""

    kind: type  # float, int, str, bool or tuple
    default: Any  # None: resolved by TrainConfig.validated (the help says how)
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Callable[[], Any] | None = (
        None  # the valid names, looked up when checked (registries grow)
    )
    hint: str = ""  # how to fix a bad value
    role: str = SHARED  # SHARED: one value per population; MEMBER: per member, read in Python;
    # TENSOR: per member, a [K] tensor the update rules read
    search: Any = None  # the default search dimension, in tune's space syntax; None: not searched
    cli: bool = True  # offered as a `heldout train` option

    @property
    def constraint(self) -> Constraint:
        """The value's type and bounds (or choices), as every declared value has them."""
        return Constraint(
            self.kind,
            self.low,
            self.high,
            self.low_open,
            self.high_open,
            self.choices,
            self.hint,
        )

    def check(self, name: str, value: Any) -> None:
        self.constraint.check(name, value)

    def invalid_values(self) -> list:
        """Values this declaration refuses: what the negative tests feed it."""
        return self.constraint.invalid_values()


def setting(kind: type, default: Any, help: str, **constraint) -> Any:
    """A dataclass field declared by a :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting(kind, default, help, **constraint)})
