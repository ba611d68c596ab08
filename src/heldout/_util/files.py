"""Writing files so that no command leaves a half-written one: write a temporary name, then rename.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "out.txt")
>>> atomic_write(path, "done")
>>> open(path).read()
'done'
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..errors import DataError


def atomic_write(path, content: bytes | str) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same folder and an atomic
    rename, with the permissions the umask gives a new file (a temporary file's own are 0600)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DataError(
            f"Cannot write {str(path)!r}: {exc.strerror}. Choose a writable location."
        ) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DataError(
            f"Cannot write {str(path)!r}: {exc.strerror or exc}. Free some space, or choose "
            "another location (--out)."
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_folder(path) -> Path:
    """``path`` as a folder (created with its parents), or the DataError that says why it cannot
    be."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(
            f"Cannot use {str(path)!r} as a run directory: {exc.strerror}. Give a writable folder "
            "as --out."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataError(
            f"Cannot write in {str(path)!r} (permission denied). Give a writable folder as --out."
        )
    return path


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: set it back at once
    os.umask(mask)
    return mask


def write_json(path, value) -> None:
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")
