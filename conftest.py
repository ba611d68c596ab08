"""Every test and doctest gets its own working directory and its own ledger."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_ledger(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HELDOUT_HOME", str(tmp_path / ".heldout"))
    yield
