"""Run directories: what a training run leaves on disk, and how to evaluate it later.

A run directory holds ``config.json`` (the data spec, the split and the training config),
``history.csv`` (one row per epoch) and ``model.safetensors`` (the bundle); after the final
evaluation also ``evaluation.json``. Because the data spec records where the data came from and
how it was split, ``evaluate_run`` re-creates the same split in any later process and checks that
its test set is the one sealed at training time.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import datasets
from .bundle import load as load_model
from .data import Dataset, load
from .errors import ConfigError, DataError
from .evaluate import Evaluation, evaluate
from .files import atomic_write, write_json
from .fit import Run
from .split import Split, split


@dataclass(frozen=True)
class DataSpec:
    """Where the data comes from and how it is split: enough to re-create the split exactly."""

    source: str | None = None        # a CSV or Parquet file (stored as an absolute path)
    dataset: str | None = None       # or a bundled dataset name
    target: str | None = None        # the target column (bundled datasets: 'target')
    task: str | None = None          # None: inferred
    groups: str | None = None
    time: str | None = None
    test: float | str = 0.2          # a share, or a file holding the test set
    validation: float | str = 0.2    # a share of the non-test rows, or a file
    seed: int = 0
    strategy: str | None = None      # None: stratified for classification, random for regression

    def __post_init__(self):
        if self.source is not None and self.dataset is not None:
            raise ConfigError(f"Give a data file or a bundled dataset, not both (got {self.source!r} and "
                              f"--dataset {self.dataset!r}).")
        for name in ("source", "test", "validation"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, str(Path(value).resolve()))

    @property
    def name(self) -> str:
        return self.dataset or (Path(self.source).stem if self.source else datasets.DEFAULT)

    def load(self) -> Dataset:
        if self.source is None:
            ds = datasets.load(self.dataset or datasets.DEFAULT)
            if self.groups or self.time:
                raise ConfigError("--groups and --time need a data file with those columns, not a bundled dataset.")
            return ds if self.task is None else load(ds.features.assign(target=ds.target), "target",
                                                     task=self.task, name=ds.name)
        return load(self.source, self.target, task=self.task, groups=self.groups, time=self.time)

    def split(self) -> Split:
        return split(self.load(), test=self.test, validation=self.validation, seed=self.seed, strategy=self.strategy)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "DataSpec":
        return cls(**{f.name: values.get(f.name, f.default) for f in fields(cls)})


def default_run_dir(spec: DataSpec) -> Path:
    return Path("runs") / f"{spec.name}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"


def save_run(run_dir, spec: DataSpec, run: Run) -> Path:
    """Write config, history and bundle of a single-member run into ``run_dir``; for a population,
    ``members.csv`` (one row per member) and ``histories.csv`` (every member's curves) instead of a
    bundle: which member deserves one is a selection, made on validation scores by the caller."""
    run_dir = Path(run_dir)
    if len(run.members) > 1:
        atomic_write(run_dir / "members.csv", run.table().to_csv(index=False))
        atomic_write(run_dir / "histories.csv", run.histories().to_csv(index=False))
        write_json(run_dir / "config.json", {"data": spec.to_dict(), "split": run.split, "members": len(run.members),
                                             "folds": run.folds, "axes": run.axes,
                                             "train": [c.to_dict() for c in run.configs]})
        return run_dir
    config = {"data": spec.to_dict(), "split": run.split, "train": run.config.to_dict(),
              "status": run.status, "best_epoch": run.best_epoch, "message": run.message}
    atomic_write(run_dir / "history.csv", run.history.to_csv(index=False))
    run.model.save(run_dir / "model.safetensors")
    write_json(run_dir / "config.json", config)  # last: a run dir with a config is complete
    return run_dir


def read_config(run_dir) -> dict:
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise DataError(f"{str(run_dir)!r} is not a heldout run directory (no config.json). Give the folder that "
                        "`heldout train --out RUN_DIR` wrote.")
    return json.loads(path.read_text())


def evaluate_run(run_dir, *, strict: bool = False) -> Evaluation:
    """Re-create the run's split, check it is the one trained on, and evaluate the bundle once."""
    config = read_config(run_dir)
    if "members" in config:
        raise ConfigError(f"{str(run_dir)!r} holds {config['members']} members and no single model. Choose one "
                          "configuration on its validation scores (members.csv), train it alone with `heldout train` "
                          "and evaluate that run.")
    spec = DataSpec.from_dict(config["data"])
    the_split = spec.split()
    recorded = config["split"]["test_fingerprint"]
    if the_split.test.seal != recorded:
        raise DataError(f"The data behind {str(run_dir)!r} changed since training: its test set is now "
                        f"{the_split.test.seal}, but the model was trained beside test set {recorded}. Restore the "
                        "original data, or train again.")
    model = load_model(Path(run_dir) / "model.safetensors")
    result = evaluate(model, the_split, strict=strict)
    write_json(Path(run_dir) / "evaluation.json", result.to_dict())
    return result
