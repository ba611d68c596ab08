"""heldout: train models by gradient descent without fooling yourself.

The procedure, end to end::

    import heldout
    data = heldout.datasets.load("diabetes")          # or heldout.load("table.csv", target="y")
    split = heldout.split(data, test=0.2, seed=0)       # the test set is sealed here
    run = heldout.fit(split, model="linear", loss="mse", optimizer="gd")
    result = heldout.evaluate(run.model, split)         # recorded in the ledger, then returned
    run.model.save("model.safetensors")
"""

from . import datasets
from .bundle import load as load_model
from .config import TrainConfig
from .data import Dataset, load
from .errors import (BudgetError, BundleError, ConfigError, DataError, DivergedError, HeldoutError, HeldoutWarning, LeakageError,
                     LedgerError, SealedError)
from .evaluate import Evaluation, evaluate
from .features import Features
from .fit import fit
from .leakage import check
from .run import Run
from .search import Search, tune
from .ledger import Ledger
from .model import Model
from .sealed import Sealed
from .split import Split, split

__version__ = "0.1.0"

__all__ = [
    "datasets", "load", "Dataset", "split", "Split", "Sealed", "Features", "fit", "Run", "TrainConfig", "tune",
    "Search", "check",
    "evaluate", "Evaluation", "Model", "load_model", "Ledger",
    "HeldoutError", "BudgetError", "DataError", "ConfigError", "LeakageError", "SealedError", "DivergedError", "BundleError",
    "LedgerError", "HeldoutWarning",
]
