"""How a training setting is declared: once, as a field of :class:`~heldout.train.config.TrainConfig`.

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

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import ConfigError

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

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        if self.choices is not None:
            valid = list(self.choices())
            if isinstance(value, str) and value not in valid:
                raise ConfigError(f"Unknown {name} {value!r}. Choose one of {valid}.")
            if not isinstance(value, str) and self.kind is str:
                raise ConfigError(f"{name} must be one of {valid}, got {value!r}.")
            return
        if self.kind not in (int, float):
            return
        ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is int and ok_type:
            ok_type = float(value).is_integer()
        if not ok_type:
            raise ConfigError(
                f"{name} must be a{'n integer' if self.kind is int else ' number'}, got {value!r}."
            )
        if not math.isfinite(value):  # every comparison with NaN is false: it would pass the bounds
            raise ConfigError(
                f"{name} must be a finite number, got {value!r}. {self.hint}".rstrip()
            )
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ConfigError(
                f"{name} must be {'>' if self.low_open else '>='} {self.low:g}, got {value!r}. {self.hint}"
            )
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            raise ConfigError(
                f"{name} must be {'<' if self.high_open else '<='} {self.high:g}, got {value!r}. {self.hint}"
            )

    def invalid_values(self) -> list:
        """Values this declaration refuses: what the negative tests feed it."""
        if self.choices is not None:
            return ["no-such-name"]
        if self.kind not in (int, float):
            return []
        values: list = ["text"]
        if self.low is not None:
            values.append(self.low if self.low_open else self.low - 1)
        if self.high is not None:
            values.append(self.high if self.high_open else self.high + 1)
        if self.kind is int:
            values.append(1.5)
        else:
            values += [float("nan"), float("inf")]
        return values


def setting(kind: type, default: Any, help: str, **constraint) -> Any:
    """A dataclass field declared by a :class:`Setting`."""
    return field(default=default, metadata={"setting": Setting(kind, default, help, **constraint)})
