"""The state of a population in training, as one value: what a checkpoint holds.

:class:`PopulationState` holds everything the engine needs to go on from an epoch boundary —
parameters, best parameters, optimizer state, the live members' hyperparameters, their best
validation loss and steps taken, their folds, which members are still live, the batch-order
generators and every member's record so far — and :meth:`PopulationState.take` keeps the rows
of the members that go on when others stop. Training restarted from a saved state continues
exactly as if it had not stopped (bit for bit on CPU): :meth:`save` writes it with
``torch.save`` and :meth:`load` reads it back with ``weights_only=True`` (no code is executed).

The optimizer's state and the hyperparameters are stored as their leaves; their structure comes
back from the update rule's own ``init`` (a JAX-style tree: same rule, same structure).
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from .._util.tree import leaves, map_tensors, rebuild
from .config import TrainConfig

FORMAT = "heldout-population/1"


@dataclass
class Member:
    """One member's record: history, best epoch, status, message and (once it ends) its
    parameters."""

    config: TrainConfig
    fold: int | None = None
    history: dict = field(
        default_factory=lambda: {
            "epoch": [],
            "lr": [],
            "train_loss": [],
            "val_loss": [],
            "val_metric": [],
        }
    )
    best_epoch: int = 0
    status: str = "max_epochs"
    message: str = ""
    params: list = field(default_factory=list)
    epoch_seconds: list = field(
        default_factory=list
    )  # wall time of each epoch, validation included


@dataclass
class PopulationState:
    """The population between two epochs. Row j of every tensor is member ``alive[j]``."""

    epoch: int  # epochs done (0: initialised and scored, not yet trained)
    alive: list[int]  # the members still training
    params: list[torch.Tensor]  # [K, ...] each
    best_params: list[torch.Tensor]  # the parameters at each member's best validation loss
    optimizer: Any  # the update rule's state (a tree of [K, ...] tensors)
    hyperparameters: dict  # name -> [K] tensor, or None when every member's value is 0
    best_val: torch.Tensor  # [K]
    steps: torch.Tensor  # [K]: optimizer steps taken
    fold: torch.Tensor | None  # [K]: each live member's fold
    generators: list[torch.Generator]  # the batch order, one generator per fold
    members: list[Member]  # every member, live or not
    initial: list[float]  # each member's initial training loss (the divergence reference)
    trail: dict[int, list[float]]  # each live member's best training loss after each epoch

    def take(self, keep: list[int]) -> "PopulationState":
        """The state with only rows ``keep`` of the live members (the others have left)."""
        index = torch.tensor(keep, dtype=torch.long, device=self.best_val.device)
        alive = [self.alive[j] for j in keep]
        return PopulationState(
            epoch=self.epoch,
            alive=alive,
            params=_take(index, self.params),
            best_params=_take(index, self.best_params),
            optimizer=_take(index, self.optimizer),
            hyperparameters=_take(index, self.hyperparameters),
            best_val=self.best_val[index],
            steps=self.steps[index],
            fold=None if self.fold is None else self.fold[index],
            generators=self.generators,
            members=self.members,
            initial=self.initial,
            trail={k: self.trail[k] for k in alive},
        )

    # -- a checkpoint -----------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        value = {
            "format": FORMAT,
            "epoch": self.epoch,
            "alive": self.alive,
            "params": self.params,
            "best_params": self.best_params,
            "optimizer": leaves(self.optimizer),
            "hyperparameters": self.hyperparameters,
            "best_val": self.best_val,
            "steps": self.steps,
            "fold": self.fold,
            "generators": [g.get_state() for g in self.generators],
            "torch_rng": torch.get_rng_state(),  # user modules may draw from it (dropout)
            "members": [
                {k: v for k, v in asdict(m).items() if k != "config"}
                | {"config": m.config.to_dict()}
                for m in self.members
            ],
            "initial": self.initial,
            "trail": {str(k): v for k, v in self.trail.items()},
        }
        buffer = io.BytesIO()
        torch.save(value, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(
        cls, raw: bytes, configs: list[TrainConfig], init_optimizer
    ) -> "PopulationState":
        """A state written by :meth:`to_bytes`; ``configs`` are the members' configs (a user
        module's factory is not stored), ``init_optimizer(params)`` the update rule's ``init``."""
        value = torch.load(io.BytesIO(raw), weights_only=True)
        if value.get("format") != FORMAT:
            raise ValueError(f"not a population state of format {FORMAT!r}")
        generators = []
        for state in value["generators"]:
            g = torch.Generator()
            g.set_state(state)
            generators.append(g)
        torch.set_rng_state(value["torch_rng"])
        members = []
        for record, config in zip(value["members"], configs):
            record = {k: v for k, v in record.items() if k != "config"}
            members.append(Member(config=config, **record))
        optimizer = rebuild(init_optimizer(value["params"]), value["optimizer"])
        return cls(
            epoch=value["epoch"],
            alive=value["alive"],
            params=value["params"],
            best_params=value["best_params"],
            optimizer=optimizer,
            hyperparameters=value["hyperparameters"],
            best_val=value["best_val"],
            steps=value["steps"],
            fold=value["fold"],
            generators=generators,
            members=members,
            initial=value["initial"],
            trail={int(k): v for k, v in value["trail"].items()},
        )


def _take(index: torch.Tensor, tree):
    """The members at ``index`` of every tensor in ``tree``."""
    return map_tensors(lambda t: t.index_select(0, index), tree)
