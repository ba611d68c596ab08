"""``Run``: the result of training — one entry per member, and tables over them.

A single fit is a run of one member: ``run.history``, ``run.best_epoch``, ``run.status`` and
``run.model`` then describe it directly. A grid or cross-validated fit has many members:
``run.table()`` has one row per member, ``run.by_config()`` one row per configuration (the mean
over its folds), and ``run.members[k]`` / ``run.models[k]`` give each one.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from .._util import display
from ..errors import ConfigError
from ..model.model import Model
from ..task import get as get_task
from .config import TrainConfig
from .state import Member


@dataclass
class Run:
    """Members (history, best epoch, status, parameters), their models, and how they were
    trained."""

    members: list[Member]
    models: list[Model]
    split: dict
    configs: list[TrainConfig]  # one per configuration of the grid
    config_index: list[int]  # member k trains configs[config_index[k]]
    axes: list[str] = field(default_factory=list)  # the settings given as lists
    folds: int | None = None
    chunks: list[int] = field(default_factory=list)  # members per chunk, population by population
    fold_rows: list | None = (
        None  # per fold: (training, validation) positions in train + validation rows
    )

    def __repr__(self) -> str:
        if len(self.members) == 1:
            epochs = len(self.history) - 1
            return f"Run(status={self.status!r}, best_epoch={self.best_epoch}, epochs={epochs})"
        folds = f", folds={self.folds}" if self.folds else ""
        return f"Run({len(self.members)} members, {len(self.configs)} configurations{folds})"

    def _one(self) -> Member:
        if len(self.members) != 1:
            raise ConfigError(
                f"This run has {len(self.members)} members; use run.members[k], run.table() or "
                "run.by_config()."
            )
        return self.members[0]

    @property
    def history(self) -> pd.DataFrame:
        """Per epoch: learning rate, training loss, validation loss and validation metric (epoch 0 =
        initial)."""
        return pd.DataFrame(self._one().history)

    @property
    def best_epoch(self) -> int:
        return self._one().best_epoch

    @property
    def status(self) -> str:
        return self._one().status

    @property
    def message(self) -> str:
        return self._one().message

    @property
    def model(self) -> Model:
        self._one()
        return self.models[0]

    @property
    def config(self) -> TrainConfig:
        return self._one().config

    @property
    def metric_name(self) -> str:
        return get_task(self.split["task"]).monitor

    def _view(self) -> pd.DataFrame:
        return self.table() if len(self.members) > 1 else self.history.tail(10)

    def _repr_html_(self) -> str:
        """A notebook's view: what was trained, and the per-member table (escaped by pandas)."""
        title = html.escape(repr(self))
        return (
            f"<p><b>{title}</b> on {html.escape(str(self.split['dataset']))}</p>"
            + self._view().to_html(index=False)
        )

    def __rich__(self):
        """A terminal's view (``rich.print(run)``): the same table."""
        return display.frame(f"{self!r} on {self.split['dataset']}", self._view())

    def __str__(self) -> str:
        return display.text(self.__rich__())

    def histories(self) -> pd.DataFrame:
        """Every member's history in one long table, with a ``member`` column."""
        return pd.concat(
            [pd.DataFrame(m.history).assign(member=k) for k, m in enumerate(self.members)],
            ignore_index=True,
        )

    def table(self) -> pd.DataFrame:
        """One row per member: its grid settings, fold, best epoch, validation loss and metric
        there, epochs trained and status."""
        rows = []
        for k, m in enumerate(self.members):
            at = m.history["epoch"].index(m.best_epoch)
            row = {"member": k, "config": self.config_index[k]}
            for name in dict.fromkeys(["lr", "seed", *self.axes]):
                value = getattr(m.config, name)
                row[name] = getattr(value, "__name__", value) if callable(value) else value
            if self.folds:
                row["fold"] = m.fold
            row.update(
                {
                    "best_epoch": m.best_epoch,
                    "val_loss": m.history["val_loss"][at],
                    f"val_{self.metric_name}": m.history["val_metric"][at],
                    "epochs": m.history["epoch"][-1],
                    "status": m.status,
                }
            )
            rows.append(row)
        return pd.DataFrame(rows)

    def by_config(self) -> pd.DataFrame:
        """One row per configuration: its settings, and the mean (and spread over folds) of each
        member's best validation loss and metric. Diverged members count as ``inf`` loss."""
        table = self.table()
        metric = f"val_{self.metric_name}"
        table.loc[table["status"] == "diverged", "val_loss"] = float("inf")
        keys = [
            c
            for c in table.columns
            if c
            not in (
                "member",
                "config",
                "fold",
                "best_epoch",
                "val_loss",
                metric,
                "epochs",
                "status",
            )
        ]
        grouped = table.groupby("config", sort=True)
        out = grouped[keys].first()
        out["val_loss"] = grouped["val_loss"].mean()
        out[metric] = grouped[metric].mean()
        if self.folds:
            out[f"{metric}_std"] = grouped[metric].std(ddof=0)
        out["diverged"] = grouped["status"].apply(lambda s: int((s == "diverged").sum()))
        return out.reset_index()
