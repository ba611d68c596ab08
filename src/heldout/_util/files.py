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
    """Write ``content`` to ``path`` through a temporary file in the same folder and an atomic rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise DataError(f"Cannot write {str(path)!r}: {exc.strerror}. Choose a writable location.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path, value) -> None:
    atomic_write(path, json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")
