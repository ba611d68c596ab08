"""One writer per run directory: ``RUN_DIR/.lock``, held with ``flock`` while a procedure writes
there.

The kernel releases an ``flock`` when its process dies, whatever the death (SIGKILL included), so
a lock can never outlive its holder on this host; the file keeps the holder's pid, host and start
time, for the error a second process gets and for the notice when a dead holder's run directory
is taken over.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with RunLock(folder) as lock:
...     lock.previous is None
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import os
import socket
import warnings
from pathlib import Path

from .._util.files import make_folder
from ..errors import ConfigError, HeldoutWarning
from .artifacts import Artifacts

NAME = ".lock"
_HELD: set[Path] = set()  # run directories this process holds: each procedure claims its own once


class RunLock:
    """Held from ``__enter__`` to ``__exit__``; ``previous`` is the dead holder it took over, if
    any."""

    def __init__(self, folder):
        self.path = Path(folder) / NAME
        self.file = None
        self.previous: dict | None = None

    def __enter__(self) -> "RunLock":
        make_folder(self.path.parent)
        self.key = self.path.resolve()
        if self.key in _HELD:
            raise ConfigError(
                f"The run directory {str(self.path.parent)!r} is in use by this process already: "
                "one procedure at a time writes a run directory. Give the second one another --out."
            )
        self.file = open(self.path, "a+")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(self.path)
            self.file.close()
            self.file = None
            raise ConfigError(
                f"The run directory {str(self.path.parent)!r} is in use by process "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')!r} (since "
                f"{holder.get('started', '?')}). Wait for it to finish, or give this run another "
                "--out."
            ) from None
        previous = _read(self.path)
        if previous.get("pid") is not None:  # a holder that ended without releasing: it was killed
            self.previous = previous
            warnings.warn(
                f"Taking over the run directory {str(self.path.parent)!r} from process "
                f"{previous['pid']} on {previous.get('host', '?')!r}, which stopped without "
                f"finishing (started {previous.get('started', '?')}); going on from what it left.",
                HeldoutWarning,
                stacklevel=2,
            )
        self.file.seek(0)
        self.file.truncate()
        self.file.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "started": _dt.datetime.now().isoformat(timespec="seconds"),
                }
            )
        )
        self.file.flush()
        _HELD.add(self.key)
        return self

    def __exit__(self, *exc) -> None:
        _HELD.discard(self.key)
        if self.file is not None:
            self.file.seek(0)
            self.file.truncate()  # an empty lock file: released in order
            self.file.flush()
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def _read(path: Path) -> dict:
    try:
        holder = json.loads(path.read_text() or "{}")
        return holder if isinstance(holder, dict) else {}
    except (OSError, ValueError):
        return {}


@contextlib.contextmanager
def claimed(out, fresh: bool = False):
    """``out`` as this process's run directory: refused when it holds files heldout did not write,
    locked while the block runs, and emptied of heldout's files first with ``fresh``."""
    artifacts = Artifacts(Path(out))
    artifacts.check_claim()
    with RunLock(out):
        if fresh:
            artifacts.clear()
        yield artifacts
