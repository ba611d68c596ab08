import pytest

import heldout


@pytest.fixture(scope="module")
def diabetes():
    return heldout.datasets.load("diabetes")
