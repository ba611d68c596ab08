"""Where a ledger lives: a folder (SQLite) or a PostgreSQL URL, and the default when none is given.

A URL is shown and recorded without its password (a run directory's ``config.json`` must not
carry one): the password comes, as libpq takes it, from ``PGPASSWORD`` or ``~/.pgpass`` — or from
``$HELDOUT_LEDGER`` when that names the same database with a password.

>>> without_password("postgresql://me:secret@db.example:5432/ledger?sslmode=require")
'postgresql://me@db.example:5432/ledger?sslmode=require'
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from .._util.urls import password, without_password
from ..errors import LedgerError

SCHEMES = ("postgresql", "postgres")


def home() -> Path:
    """The folder holding the ledger when none is given (absolute): ``$HELDOUT_HOME``; else
    ``.heldout`` at the root of the enclosing git work tree; else ``$XDG_DATA_HOME/heldout``
    (default ``~/.local/share/heldout``)."""
    if os.environ.get("HELDOUT_HOME"):
        return Path(os.environ["HELDOUT_HOME"]).expanduser().absolute()
    here = Path.cwd().absolute()
    for folder in (here, *here.parents):
        if (
            folder / ".git"
        ).exists():  # a folder in a plain clone, a file in a worktree or submodule
            return folder / ".heldout"
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data).expanduser().absolute() / "heldout"


def chosen(location: str | Path | None) -> str | Path:
    """The ledger meant by ``location``: itself when given; else ``$HELDOUT_LEDGER`` (a folder or a
    URL) when set; else :func:`home`. A folder comes back absolute, a URL as written."""
    if location is None:
        location = os.environ.get("HELDOUT_LEDGER") or home()
    if is_url(location):
        return str(location)
    if (
        isinstance(location, str) and "://" in location
    ):  # a URL this ledger cannot keep: never a folder name
        raise LedgerError(
            f"The ledger {without_password(location)!r} is neither a folder nor a PostgreSQL URL. "
            "Write postgresql://USER@HOST/DATABASE (SQLAlchemy's postgresql+psycopg:// is the "
            "same database as postgresql://), or give a folder."
        )
    return Path(location).expanduser().absolute()


def is_url(location) -> bool:
    return isinstance(location, str) and urlsplit(location).scheme in SCHEMES


def with_known_password(url: str) -> str:
    """The URL to connect with: ``url`` itself, or — when it has no password and ``$HELDOUT_LEDGER``
    names the same database with one — that one, so a run directory's recorded URL reopens the
    ledger the environment named."""
    named = os.environ.get("HELDOUT_LEDGER", "")
    if (
        password(url) is None
        and is_url(named)
        and password(named)
        and without_password(named) == without_password(url)
    ):
        return named
    return url
