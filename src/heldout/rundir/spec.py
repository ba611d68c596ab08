"""``DataSpec``: where the data comes from and how it is split — enough to re-create the split.

A run directory records it (``config.json``), so ``heldout evaluate`` re-creates the same split in
any later process and checks that its test set is the one sealed at training time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..data import datasets
from ..data.dataset import Dataset, load
from ..errors import ConfigError
from ..ledger.ledger import Ledger
from ..seal.split import Split, split


@dataclass(frozen=True)
class DataSpec:
    """Where the data comes from and how it is split: enough to re-create the split exactly."""

    source: str | None = None  # a CSV or Parquet file (stored as an absolute path)
    dataset: str | None = None  # or a bundled dataset name
    target: str | list | None = (
        None  # the target column (bundled datasets: 'target'), or several (a list)
    )
    task: str | None = None  # None: inferred
    groups: str | None = None
    time: str | None = None
    test: float | str = 0.2  # a share, or a file holding the test set
    validation: float | str = 0.2  # a share of the non-test rows, or a file
    seed: int = 0
    strategy: str | None = None  # None: stratified for classification, random for regression
    column_kinds: dict | None = (
        None  # column -> kind, read so instead of from its values (heldout.data.kinds)
    )
    weights: str | None = None  # a column of row weights (heldout.data.weights)
    class_weight: str | dict | None = (
        None  # "balanced", or {label: weight} (labels as text from the CLI)
    )
    stream: bool = False  # read the Parquet source batch by batch (heldout.stream), never whole

    def __post_init__(self):
        if self.source is not None and self.dataset is not None:
            raise ConfigError(
                f"Give a data file or a bundled dataset, not both (got {self.source!r} and "
                f"--dataset {self.dataset!r})."
            )
        for name in ("source", "test", "validation"):
            value = getattr(self, name)
            if isinstance(
                value, str
            ):  # absolute, its links kept: reading it says what is wrong with them
                object.__setattr__(self, name, str(Path(value).absolute()))

    @property
    def name(self) -> str:
        if self.source and any(
            ch in self.source for ch in "*?["
        ):  # a glob of files: their folder names them
            return Path(self.source).parent.name
        return self.dataset or (Path(self.source).stem if self.source else datasets.DEFAULT)

    def load(self) -> Dataset:
        if self.source is None:
            ds = datasets.load(self.dataset or datasets.DEFAULT)
            if self.groups or self.time:
                raise ConfigError(
                    "--groups and --time need a data file with those columns, not a bundled "
                    "dataset."
                )
            plain = (
                self.task is None
                and not self.column_kinds
                and self.weights is None
                and self.class_weight is None
            )
            return (
                ds
                if plain
                else load(
                    ds.features.assign(target=ds.target),
                    "target",
                    task=self.task,
                    name=ds.name,
                    column_kinds=self.column_kinds,
                    weights=self.weights,
                    class_weight=self.class_weight,
                )
            )
        return load(
            self.source,
            self.target,
            task=self.task,
            groups=self.groups,
            time=self.time,
            column_kinds=self.column_kinds,
            weights=self.weights,
            class_weight=self.class_weight,
        )

    def split(self, ledger: Ledger | str | Path | None = None) -> Split:
        """The split, its test set sealed in ``ledger`` (a Ledger, its folder or its PostgreSQL URL;
        default: ``$HELDOUT_LEDGER``, else the project's, :func:`~heldout.ledger.ledger.home`); with
        ``stream``, a :class:`~heldout.stream.split.StreamedSplit`."""
        if self.stream:
            return self._streamed(ledger)
        return split(
            self.load(),
            test=self.test,
            validation=self.validation,
            seed=self.seed,
            strategy=self.strategy,
            ledger=ledger,
        )

    def _streamed(self, ledger):
        from ..stream.split import STRATEGY, stream_split

        if self.source is None:
            raise ConfigError(
                "--stream reads Parquet files: give a file, a folder or a glob instead of "
                "--dataset."
            )
        if self.time is not None or self.strategy not in (None, STRATEGY):
            raise ConfigError(
                f"A streamed table is split row by row ({STRATEGY!r}: each row's part from its "
                "fingerprint and the seed, by group with --groups); a time split needs the whole "
                "table's order. Drop --time/--strategy, or read the table whole (without --stream)."
            )
        if not isinstance(self.validation, float):
            raise ConfigError(
                f"With --stream, --validation is a share of the rows, not a file (got "
                f"{self.validation!r})."
            )
        return stream_split(
            self.source,
            self.target,
            test=self.test,
            validation=self.validation,
            seed=self.seed,
            ledger=ledger,
            task=self.task,
            groups=self.groups,
            weights=self.weights,
            class_weight=self.class_weight,
            column_kinds=self.column_kinds,
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "DataSpec":
        return cls(**{f.name: values.get(f.name, f.default) for f in fields(cls)})
