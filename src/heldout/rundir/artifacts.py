"""The run directory as a declared format: every file `heldout train`, `tune` and `run` leave.

:class:`Artifacts` is the one place that writes and reads a run directory; the CLI, the report,
tracking and the evaluation all go through it. ``config.json`` carries the format version
(:data:`FORMAT`) and typed fields (:class:`RunConfig`); a folder without it, or written in
another format, gets an error that says so instead of a ``KeyError`` deep inside.

================== ==========================================================================
file               what it holds
================== ==========================================================================
config.json        the format, the data spec, the split, the ledger, and the training config(s)
history.csv        one member's curves (epoch, lr, train_loss, val_loss, val_metric)
histories.csv      a population's curves, with a ``member`` column
members.csv        a population: one row per member
model.safetensors  the bundle (:mod:`heldout.model.bundle`)
leakage.json       the leakage check's findings, and whether errors were allowed
leaderboard.csv    a search: one row per trial
study.journal      the search's Optuna study (unless it lives in a shared database: ``--storage``)
workers/K/         the run directory of local worker K of a search (``--workers``)
summary.json       the selection (and, after the look, the test metrics)
evaluation.json    the one look at the test set
look.json          a look scored and not yet known to be recorded (while it happens; see
                   :func:`~heldout.seal.evaluate.finish_look`)
checkpoint-*.pt    training in progress (:mod:`heldout.train.checkpoints`), removed when the run
ends trial-N.safetensors the search's best trial so far, its model trained on training rows
                   (:mod:`heldout.search.kept`): a bundle as ``model.safetensors``
.lock              the process writing here (:mod:`heldout.rundir.lock`)
descent.json       the descent picture (:mod:`heldout.workflow.descent`)
inspection.json    calibration and permutation importance on validation rows
                   (:mod:`heldout.report.inspection`)
report.json/.html  the report (:mod:`heldout.report`)
================== ==========================================================================
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import pandas as pd

from .._util.files import atomic_write, make_folder, write_json
from ..errors import ConfigError, DataError
from .spec import DataSpec
from .summary import Summary

FORMAT = "heldout-run/1"
FILES = {
    "config.json",
    "history.csv",
    "histories.csv",
    "members.csv",
    "model.safetensors",
    "leakage.json",
    "leaderboard.csv",
    "study.journal",
    "study.journal.lock",
    "summary.json",
    "evaluation.json",
    "look.json",
    "descent.json",
    "inspection.json",
    "report.json",
    "report.html",
    ".lock",
    "workers",
}


def _written_by_heldout(name: str) -> bool:
    """One of the files of the table above, a checkpoint, a kept trial, or a temporary file of an
    atomic write."""
    return (
        name in FILES
        or (name.startswith("checkpoint-") and name.endswith(".pt"))
        or re.fullmatch(r"trial-\d+\.safetensors", name) is not None
        or (name.startswith(".") and name.endswith(".tmp"))
    )


@dataclass
class RunConfig:
    """``config.json``: how a run directory came to be."""

    data: DataSpec
    split: dict  # the split's summary (sizes, fingerprints, task)
    train: dict | list | None = (
        None  # one training config, one per configuration, or None for a search
    )
    status: str | None = None  # a single trained member: its status, best epoch and message
    best_epoch: int | None = None
    message: str | None = None
    members: int | None = None  # a population: its size, folds and grid axes
    folds: int | None = None
    axes: list = field(default_factory=list)
    ledger: str | None = None  # the ledger the test set is sealed in: its folder (absolute) or URL
    # (no password); None in folders from before it was recorded: the
    # default ledger

    @property
    def is_population(self) -> bool:
        return self.members is not None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return dict(out, data=self.data.to_dict(), format=FORMAT)


@dataclass(frozen=True)
class Artifacts:
    """A run directory at ``path``: typed reads and atomic writes of each of its files."""

    path: Path

    @classmethod
    def create(cls, path) -> "Artifacts":
        return cls(make_folder(path))

    @classmethod
    def open(cls, path) -> "Artifacts":
        """An existing run directory, its format checked."""
        artifacts = cls(Path(path))
        artifacts.config()
        return artifacts

    @staticmethod
    def default_path(spec: DataSpec) -> Path:
        """A new folder ``runs/NAME-YYYYmmdd-HHMMSS`` (``-2``, ``-3``, ... when another run took
        that second), created here so that two runs started together never share one."""
        stem = Path("runs") / f"{spec.name}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
        make_folder(stem.parent)
        for k in range(1, 10_000):
            path = stem if k == 1 else stem.with_name(f"{stem.name}-{k}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
        raise DataError(f"Too many runs named {str(stem)!r}-*. Give --out.")

    def check_claim(self) -> None:
        """Refuse a folder that holds files heldout did not write: writing there would overwrite the
        user's own (a run directory, or one a killed run left, is heldout's)."""
        if not self.path.is_dir() or self.has_config():
            return
        foreign = sorted(p.name for p in self.path.iterdir() if not _written_by_heldout(p.name))
        if foreign:
            raise DataError(
                f"{str(self.path)!r} is not empty and is not a heldout run directory (it holds "
                f"{foreign[:5]}{' ...' if len(foreign) > 5 else ''}). Give a new or empty folder "
                "as --out; heldout does not write among other files."
            )

    def check_same_data(self, the_split) -> None:
        """Refuse to go on in a run directory of other data or another split: its study, checkpoints
        and selection belong to those rows. The test set names the data and the split (a saved
        refit records its pooled rows as training rows)."""
        if not self.has_config():
            return
        recorded, now = self.config().split, the_split.describe()
        if recorded.get("test_fingerprint") != now.get("test_fingerprint"):
            raise ConfigError(
                f"The run directory {str(self.path)!r} holds a run on other rows (data "
                f"{recorded.get('dataset')!r}, test set {recorded.get('test_fingerprint')}; this "
                f"split's test set is {now.get('test_fingerprint')}). Give another --out, or pass "
                "--fresh to start this directory anew."
            )

    def clear(self) -> None:
        """Remove what heldout wrote here (``--fresh``): the next command starts this run directory
        anew."""
        for path in self.path.iterdir():
            if _written_by_heldout(path.name) and path.name != ".lock" and path.is_file():
                path.unlink(missing_ok=True)

    # -- config.json -------------------------------------------------------------------------

    def has_config(self) -> bool:
        return (self.path / "config.json").is_file()

    def config(self) -> RunConfig:
        where = str(self.path)
        if not self.has_config():
            raise DataError(
                f"{where!r} is not a heldout run directory (no config.json). Give a folder "
                "written by `heldout train`, `tune` or `run` (their --out)."
            )
        try:
            raw = json.loads((self.path / "config.json").read_text())
        except ValueError as exc:
            raise DataError(
                f"{where!r} has an unreadable config.json ({exc}). Run the command again into a "
                "new --out folder."
            ) from None
        found = raw.pop("format", None) if isinstance(raw, dict) else None
        if found != FORMAT:
            raise DataError(
                f"{where!r} is a run directory of format {found!r}, and this heldout reads "
                f"{FORMAT!r} (a folder from an older heldout, or not heldout's). Run the command "
                "again into a new --out folder."
            )
        known = {f.name for f in fields(RunConfig)}
        missing = [
            f.name
            for f in fields(RunConfig)
            if f.name not in raw and f.default is MISSING and f.default_factory is MISSING
        ]
        if missing:
            raise DataError(
                f"{where!r} has a damaged config.json: it lacks {missing}. Run the command again "
                "into a new --out folder."
            )
        try:
            return RunConfig(
                **{k: v for k, v in raw.items() if k in known}
                | {"data": DataSpec.from_dict(raw["data"])}
            )
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise DataError(
                f"{where!r} has a damaged config.json ({exc}). Run the command again into a new "
                "--out folder."
            ) from None

    def write_config(self, config: RunConfig) -> None:
        write_json(self.path / "config.json", config.to_dict())

    # -- JSON files ----------------------------------------------------------------------------

    def _json(self, name: str) -> dict | None:
        path = self.path / name
        if not path.is_file():
            return None
        try:
            value = json.loads(path.read_text())
        except (ValueError, OSError) as exc:
            raise DataError(
                f"{str(path)!r} is damaged ({exc}): it is not the JSON heldout wrote. Run the "
                "command that wrote it again (the same --out goes on from what is intact), or "
                "restore the file."
            ) from None
        if not isinstance(value, dict):
            raise DataError(
                f"{str(path)!r} is damaged: it holds a {type(value).__name__}, not the object "
                "heldout wrote. Run the command that wrote it again, or restore the file."
            )
        return value

    def summary(self) -> dict | None:
        return self._json("summary.json")

    def write_summary(self, summary: Summary) -> None:
        """``summary.json``, written once at the end of a search or a run."""
        write_json(self.path / "summary.json", summary.to_dict())

    def evaluation(self) -> dict | None:
        return self._json("evaluation.json")

    def pending_look(self) -> dict | None:
        return self._json("look.json")

    def write_pending_look(self, pending: dict) -> None:
        write_json(self.path / "look.json", pending)

    def clear_pending_look(self) -> None:
        (self.path / "look.json").unlink(missing_ok=True)

    def checkpoints(self):
        from ..train.checkpoints import Checkpoints

        return Checkpoints(self.path)

    def clear_checkpoints(self) -> None:
        for path in self.path.glob("checkpoint-*.pt"):
            path.unlink(missing_ok=True)

    def write_evaluation(self, evaluation: dict) -> None:
        write_json(self.path / "evaluation.json", evaluation)

    def leakage(self) -> dict | None:
        return self._json("leakage.json")

    def write_leakage(self, leakage: dict) -> None:
        write_json(self.path / "leakage.json", leakage)

    def descent(self) -> dict | None:
        return self._json("descent.json")

    def write_descent(self, picture: dict | None) -> None:
        if picture is None:
            (self.path / "descent.json").unlink(missing_ok=True)
        else:
            write_json(self.path / "descent.json", picture)

    def inspection(self) -> dict | None:
        return self._json("inspection.json")

    def write_inspection(self, inspected: dict) -> None:
        write_json(self.path / "inspection.json", inspected)

    # -- tables ----------------------------------------------------------------------------------

    def _csv(self, name: str) -> pd.DataFrame | None:
        path = self.path / name
        return pd.read_csv(path) if path.is_file() else None

    def _write_csv(self, name: str, frame: pd.DataFrame) -> None:
        atomic_write(self.path / name, frame.to_csv(index=False))

    def history(self) -> pd.DataFrame | None:
        """Every member's curves with a ``member`` column (a single member is member 0)."""
        many = self._csv("histories.csv")
        if many is not None:
            return many
        one = self._csv("history.csv")
        return None if one is None else one.assign(member=0)

    def write_history(self, history: pd.DataFrame) -> None:
        self._write_csv("history.csv", history)

    def write_histories(self, histories: pd.DataFrame) -> None:
        self._write_csv("histories.csv", histories)

    def members(self) -> pd.DataFrame | None:
        return self._csv("members.csv")

    def write_members(self, members: pd.DataFrame) -> None:
        self._write_csv("members.csv", members)

    def leaderboard(self) -> pd.DataFrame | None:
        return self._csv("leaderboard.csv")

    def write_leaderboard(self, board: pd.DataFrame) -> None:
        self._write_csv("leaderboard.csv", board)

    # -- other files -----------------------------------------------------------------------------

    @property
    def model_path(self) -> Path:
        return self.path / "model.safetensors"

    @property
    def study_path(self) -> Path:
        return self.path / "study.journal"

    def write_report(self, content: dict, page: str) -> None:
        write_json(self.path / "report.json", content)
        atomic_write(self.path / "report.html", page)
