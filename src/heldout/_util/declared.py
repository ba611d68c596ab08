"""Constraints on values, declared once as data: each gives the check that refuses a bad value
with an error naming the value and the fix, and the values it refuses, for the negative tests
(scikit-learn's ``validate_params`` idea). Training settings (:mod:`heldout.train.settings`) and
the public entry points (:func:`checked`: ``split``, ``tune``, time budgets, worker counts,
coverage levels) declare theirs this way.

>>> Constraint(int, low=1, hint="Try trials=24.").check("trials", 0)
Traceback (most recent call last):
...
heldout.errors.ConfigError: trials must be >= 1, got 0. Try trials=24.
>>> Constraint(float, low=0, high=1, low_open=True, high_open=True).invalid_values()
['text', True, 0, 1, nan, inf]
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import ConfigError


@dataclass(frozen=True)
class Constraint:
    """A value's type and bounds, or its valid choices; None always passes (it means "the
    default")."""

    kind: type  # int, float, str, bool or tuple
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: Callable[[], Any] | None = None  # the valid names, looked up when checked
    hint: str = ""  # how to fix a bad value
    also: tuple = ()  # other values accepted as they are (e.g. "auto")
    says: str = ""  # what a valid value is, in words, for every refusal ("a positive integer")

    def check(self, name: str, value: Any) -> None:
        if value is None or any(_same(value, a) for a in self.also):
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
        ok_type = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if self.kind is int and ok_type:
            ok_type = float(value).is_integer()
        if not ok_type:
            what = "n integer" if self.kind is int else " number"
            self._refuse(f"{name} must be a{what}, got {value!r}.")
        if not math.isfinite(value):  # every comparison with NaN is false: it would pass the bounds
            self._refuse(f"{name} must be a finite number, got {value!r}.")
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            sign = ">" if self.low_open else ">="
            self._refuse(f"{name} must be {sign} {self.low:g}, got {value!r}.")
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            sign = "<" if self.high_open else "<="
            self._refuse(f"{name} must be {sign} {self.high:g}, got {value!r}.")

    def _refuse(self, message: str):
        if self.says:
            name, _, rest = message.partition(" must be ")
            message = f"{name} must be {self.says}, got {rest.rsplit('got ', 1)[-1]}"
        raise ConfigError(f"{message} {self.hint}".rstrip())

    def invalid_values(self) -> list:
        """Values this declaration refuses: what the negative tests feed it."""
        if self.choices is not None:
            return ["no-such-name"]
        if self.kind not in (int, float):
            return []
        values: list = ["text", True]
        if self.low is not None:
            values.append(self.low if self.low_open else self.low - 1)
        if self.high is not None:
            values.append(self.high if self.high_open else self.high + 1)
        if self.kind is int:
            values.append(1.5)
        else:
            values += [float("nan"), float("inf")]
        return values


SEED = Constraint(
    int,
    low=0,
    high=2**32,
    high_open=True,
    says="an integer from 0 to 4294967295",
    hint="Try --seed 0.",
)
SECONDS = Constraint(float, low=0, low_open=True, says="a positive number of seconds")
SHARE = Constraint(
    float, low=0, high=1, low_open=True, high_open=True, says="a number strictly between 0 and 1"
)


def _same(value: Any, accepted: Any) -> bool:
    return type(value) is type(accepted) and value == accepted


def checked(**declared: Constraint):
    """A function whose named arguments are checked against their declared constraints before
    it runs; the declarations are kept on it as ``__constraints__`` (for the negative tests).

    >>> @checked(trials=Constraint(int, low=1))
    ... def search(trials=4):
    ...     return trials
    >>> search(trials=2), sorted(search.__constraints__)
    (2, ['trials'])
    """

    def decorate(function):
        signature = inspect.signature(function)
        var = [p.name for p in signature.parameters.values() if p.kind is p.VAR_KEYWORD]
        unknown = set(declared) - set(signature.parameters)
        if unknown and not var:
            raise TypeError(f"{function.__name__} has no parameter(s) {sorted(unknown)}")

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            bound = signature.bind_partial(*args, **kwargs).arguments
            given = {**bound.get(var[0], {}), **bound} if var else bound
            for name, constraint in declared.items():
                if name in given:
                    constraint.check(name, given[name])
            return function(*args, **kwargs)

        wrapper.__constraints__ = dict(declared)
        return wrapper

    return decorate
