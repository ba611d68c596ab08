import heldout
import pytest


@pytest.fixture(scope="module")
def diabetes():
    return heldout.datasets.load("diabetes")
