"""Every test and doctest gets its own working directory and its own ledger."""

import os
import tempfile

import pytest


def pytest_configure(config):
    # fixtures wider than a test (module-scoped splits) get a scratch ledger too, never the
    # project's
    os.environ["HELDOUT_HOME"] = tempfile.mkdtemp(prefix="heldout-tests-")
    os.environ.pop(
        "HELDOUT_LEDGER", None
    )  # a shared ledger named by the caller's shell is never written by tests


@pytest.fixture(autouse=True)
def _isolated_ledger(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / ".heldout"))
    monkeypatch.delenv("HELDOUT_LEDGER", raising=False)
    yield
