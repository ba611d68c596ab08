"""The tests mirror the package's folders; helpers.py and contracts.py beside this file serve them
all."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import postgres  # noqa: E402  (tests/postgres.py, importable once this folder is on the path)


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL server for the session (tests/postgres.py); the tests that use it
    skip, saying why, where it cannot start."""
    try:
        server = postgres.Server.start()
    except postgres.Unavailable as why:
        pytest.skip(f"PostgreSQL cannot start here: {why}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the session's server: its ``postgresql://`` URL (no password; for
    SQLAlchemy, ``heldout.search.storage.sqlalchemy_url(url)``). Dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url.rsplit("/", 1)[1])
