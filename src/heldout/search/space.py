"""Candidates (model family × loss) and the search space of their hyperparameters.

A candidate is written ``family+loss`` (``linear+mse``, ``mlp+log_loss``); each task has default
candidates. Every family has a default space, so a search needs nothing but a split; a user space
overrides entries by name: ``(low, high)`` a uniform range, ``(low, high, "log")`` a log-scale range
(of whole numbers when both ends are), ``[a, b, c]`` a choice, a single value a fixed setting.
``width`` and ``depth`` describe an ``mlp``'s hidden layers; every other name is a training setting.

>>> s = Space.for_candidate("mlp+mse", "regression", {"lr": (1e-3, 1e-1, "log"), "depth": [1]})
>>> sorted(s.params)[:4]
['batch_size', 'depth', 'epochs', 'lr']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..nn import optim
from ..nn.family import FAMILIES, make_family
from ..task import get as get_task
from ..train.config import SEARCHED, SETTINGS
from . import budget


@dataclass(frozen=True)
class Param:
    """One dimension: ``float`` / ``log`` / ``int`` ranges, or ``choice`` among values."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()

    def suggest(self, trial, name: str):
        if self.kind == "choice":
            return trial.suggest_categorical(name, list(self.choices))
        if self.kind in ("int", "intlog"):
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.kind == "intlog")
        return trial.suggest_float(name, self.low, self.high, log=self.kind == "log")

    @classmethod
    def parse(cls, name: str, value) -> "Param":
        if isinstance(value, Param):
            return value
        if isinstance(value, list):
            if not value:
                raise ConfigError(
                    f"The choices for {name!r} are empty. Give at least one value, e.g. "
                    f"{name}=[...]."
                )
            return cls("choice", choices=tuple(value))
        if isinstance(value, tuple) and len(value) in (2, 3):
            low, high = value[0], value[1]
            log = len(value) == 3 and value[2] == "log"
            if len(value) == 3 and not log:
                raise ConfigError(
                    f"The third entry of the range for {name!r} must be 'log', got {value[2]!r}."
                )
            if (
                not (isinstance(low, (int, float)) and isinstance(high, (int, float)))
                or low >= high
            ):
                raise ConfigError(
                    f"The range for {name!r} must be (low, high) with low < high, got {value!r}."
                )
            if log and low <= 0:
                raise ConfigError(f"A log-scale range for {name!r} needs low > 0, got {value!r}.")
            whole = isinstance(low, int) and isinstance(high, int)
            kind = ("intlog" if whole else "log") if log else ("int" if whole else "float")
            return cls(kind, float(low), float(high))
        return cls("choice", choices=(value,))  # a fixed setting


def _default(family: str) -> dict[str, Param]:
    """The declared search ranges of the training settings, then the family's own dimensions."""
    entry = FAMILIES[family]
    searched = {} if entry.by_library else SEARCHED
    space = {name: Param.parse(name, value) for name, value in searched.items()}
    space.update(
        {name: Param.parse(name, value) for name, value in FAMILIES[family].search.items()}
    )
    return space


def _names() -> list[str]:
    """Every name a space may hold: the training settings and the families' dimensions."""
    extra = {name for entry in FAMILIES.values() for name in entry.search}
    return sorted(set(SETTINGS) - {"model", "loss", "hidden", "device"} | extra)


@dataclass
class Space:
    """The dimensions searched for one candidate. Given the training ``rows`` a trial sees, the
    default batch sizes follow the table's size and a trial's epochs are cut to ``max_steps``
    optimizer steps (:mod:`heldout.search.budget`); a user's ``batch_size`` or ``epochs`` stays."""

    candidate: str
    model: str
    loss: str
    params: dict[str, Param] = field(default_factory=dict)
    rows: int | None = None
    max_steps: int | None = None
    shape: tuple[int, int] | None = (
        None  # the model's inputs and outputs, for the work a step costs
    )

    @classmethod
    def for_candidate(
        cls,
        candidate: str,
        task: str,
        overrides: dict | None = None,
        *,
        rows: int | None = None,
        max_steps: int | str | None = "auto",
        shape: tuple[int, int] | None = None,
    ) -> "Space":
        model, loss = parse_candidate(candidate, task)
        params = _default(model)
        if rows is not None and not FAMILIES[model].by_library:
            params["batch_size"] = Param("choice", choices=budget.batch_sizes(rows))
            max_steps = budget.steps_for(rows) if max_steps == "auto" else max_steps
        if "epochs" in (overrides or {}) or "iterations" in (overrides or {}):
            max_steps = None  # the user's epochs are the user's
        own = set(FAMILIES[model].search)
        others = {
            name for entry in FAMILIES.values() for name in entry.search if name not in SETTINGS
        } - own
        for name, value in (overrides or {}).items():
            if name not in _names():
                raise ConfigError(f"Unknown search parameter {name!r}. Valid names: {_names()}.")
            if name not in others:  # another family's dimension means nothing to this one
                params[name] = Param.parse(name, value)
        return cls(
            candidate, model, loss, params, rows, max_steps if rows is not None else None, shape
        )

    def settings(self, trial, seed: int) -> dict:
        """The training settings of one trial, drawn by Optuna's define-by-run API."""
        values = {}
        for name, param in self.params.items():
            if name == "momentum" and values.get("optimizer", "momentum") not in (
                "momentum",
                "nesterov",
            ):
                continue  # momentum only means something to the momentum optimizers
            values[name] = param.suggest(trial, name)
        entry = FAMILIES[self.model]
        out = {"model": self.model, "loss": self.loss, "seed": seed}
        out.update(
            entry.settings(**{name: values.pop(name) for name in entry.search if name in values})
        )
        out.update(values)
        if self.max_steps is not None and "epochs" in values and not entry.by_library:
            out["epochs"] = budget.capped_epochs(
                values["epochs"],
                batch_size=out.get("batch_size", SETTINGS["batch_size"].default),
                rows=self.rows,
                full_batch=optim.get(
                    out.get("optimizer", SETTINGS["optimizer"].default)
                ).full_batch,
                max_steps=self.max_steps,
                n_params=self._n_params(out),
            )
        return out

    def _n_params(self, settings: dict) -> int | None:
        """Parameters of one member with these settings (None without the model's inputs and
        outputs)."""
        if self.shape is None:
            return None
        family = make_family(
            self.model,
            hidden=settings.get("hidden", SETTINGS["hidden"].default),
            activation=settings.get("activation", SETTINGS["activation"].default),
            init=settings.get("init"),
        )
        return family.size(*self.shape)[0]


def parse_candidate(candidate: str, task: str) -> tuple[str, str]:
    """``family+loss`` checked against the task, or a ConfigError listing the valid candidates."""
    task = get_task(task)
    valid = [f"{f}+{loss}" for f in FAMILIES for loss in task.losses if FAMILIES[f].trains(loss)]
    parts = candidate.split("+") if isinstance(candidate, str) else []
    if len(parts) != 2 or candidate not in valid:
        raise ConfigError(
            f"Unknown candidate {candidate!r} for a {task} task. Valid candidates: {valid}."
        )
    return parts[0], parts[1]
