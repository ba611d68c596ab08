"""Population states kept in a folder while they train, so a killed run goes on where it stopped.

:class:`Checkpoints` writes ``checkpoint-NAME.pt`` atomically (a temporary file and a rename: a
kill leaves the previous checkpoint or the new one, never half of one) at epoch boundaries, at
most every ``interval`` seconds (:data:`INTERVAL` by default, ``$HELDOUT_CHECKPOINT_SECONDS``
to change it; 0 writes every epoch). A checkpoint holds every chunk's
:class:`~heldout.train.state.PopulationState` as bytes, and what the caller adds (a search adds
its batch's trials and its pruning hook's state, as JSON), read back with ``weights_only=True``.
Training resumed from one ends bit for bit as if it had not stopped.

>>> import tempfile
>>> store = Checkpoints(tempfile.mkdtemp(), interval=0)
>>> store.load("refit") is None
True
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path
from typing import Callable

import torch

from .._util.files import atomic_write
from ..errors import ConfigError

INTERVAL = 5.0  # seconds of training between checkpoints at most (a write costs milliseconds)
FORMAT = "heldout-checkpoint/1"


def interval_from_environment() -> float:
    value = os.environ.get("HELDOUT_CHECKPOINT_SECONDS")
    if value is None:
        return INTERVAL
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise ConfigError(
            f"HELDOUT_CHECKPOINT_SECONDS must be a number of seconds ≥ 0, got {value!r}. "
            f"Unset it for the default ({INTERVAL:g} s)."
        )
    return seconds


class Checkpoints:
    """Checkpoints of named trainings (``"batch"``, ``"refit"``, ...) in ``folder``."""

    def __init__(self, folder, interval: float | None = None):
        self.folder = Path(folder)
        self.interval = interval_from_environment() if interval is None else interval
        self.written = 0  # checkpoints written by this process
        self.seconds = 0.0  # spent writing them

    def path(self, name: str) -> Path:
        return self.folder / f"checkpoint-{name}.pt"

    def load(self, name: str) -> dict | None:
        """The checkpoint ``name`` as ``{"states": {key: bytes}, "extra": dict}``, or None."""
        path = self.path(name)
        if not path.is_file():
            return None
        saved = torch.load(io.BytesIO(path.read_bytes()), weights_only=True)
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            return None
        return {"states": saved["states"], "extra": json.loads(saved["extra"])}

    def clear(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def hook(
        self, name: str, extra: Callable[[], dict] = dict, resumed: dict | None = None
    ) -> "Hook":
        """The ``checkpoint(key, state)`` function for
        :func:`~heldout.train.population.train_population` that writes checkpoint ``name``;
        ``resumed`` are the states a resumed training started from."""
        return Hook(self, name, extra, resumed)


class Hook:
    """Keeps each chunk's latest state and writes them all, with ``extra()``, once ``interval``
    seconds have passed since the last write (and whenever :meth:`write` is called). The states
    a resumed training started from are kept until their chunks report again."""

    def __init__(
        self, store: Checkpoints, name: str, extra: Callable[[], dict], resumed: dict | None
    ):
        self.store, self.name, self.extra = store, name, extra
        self.latest: dict[str, object] = dict(resumed or {})
        self.last = time.monotonic()

    def __call__(self, key: str, state) -> None:
        self.latest[key] = state
        if time.monotonic() - self.last >= self.store.interval:
            self.write()

    def write(self) -> None:
        started = time.perf_counter()
        states = {k: v if isinstance(v, bytes) else v.to_bytes() for k, v in self.latest.items()}
        buffer = io.BytesIO()
        torch.save({"format": FORMAT, "states": states, "extra": json.dumps(self.extra())}, buffer)
        atomic_write(self.store.path(self.name), buffer.getvalue())
        self.latest.update(states)  # a finished chunk is serialised once
        self.last = time.monotonic()
        self.store.written += 1
        self.store.seconds += time.perf_counter() - started


def resumable(store: Checkpoints | None, name: str, work) -> tuple[Hook | None, dict | None]:
    """For a training a killed process may have begun: the hook that keeps checkpoint ``name`` and
    the states to go on from. ``work`` (plain values: the settings, the rows' fingerprints) tells
    this training from another; a checkpoint of other work is not resumed (and is replaced)."""
    if store is None:
        return None, None
    tag = json.dumps(work, sort_keys=True, default=str)
    saved = store.load(name)
    states = saved["states"] if saved is not None and saved["extra"].get("work") == tag else None
    return store.hook(name, lambda: {"work": tag}, resumed=states), states
