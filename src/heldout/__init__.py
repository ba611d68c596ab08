"""heldout: train models by gradient descent without fooling yourself.

The procedure, end to end::

    import heldout
    data = heldout.datasets.load("diabetes")          # or heldout.load("table.csv", target="y")
    split = heldout.split(data, test=0.2, seed=0)       # the test set is sealed here
    run = heldout.fit(split, model="linear", loss="mse", optimizer="gd")
    result = heldout.evaluate(run.model, split)         # recorded in the ledger, then returned
    run.model.save("model.safetensors")

The sub-packages follow the data: ``data`` (load, bundled datasets, fingerprints, features) ->
``seal`` (split, folds, the sealed test set, the ledger, the gate, the one look) -> ``leakage``
(checks) -> ``nn`` (task, families, losses, optimisers, metrics) -> ``model`` (the model and its
bundle) -> ``train`` (settings, population state, engine, fit) -> ``search`` (tune, refit) ->
``report`` (report, plots, descent, progress) -> ``workflow`` (run directories, procedures,
tracking) -> ``cli``.
"""

from .data import datasets
from .data.dataset import Dataset, load
from .data.features import Features
from .errors import (BudgetError, BundleError, ConfigError, DataError, DivergedError, HeldoutError, HeldoutWarning,
                     LeakageError, LedgerError, SealedError)
from .leakage import check
from .model.model import Model
from .search.result import Search
from .search.tune import tune
from .seal.evaluate import Evaluation, evaluate
from .seal.ledger import Ledger
from .seal.sealed import Sealed
from .seal.split import Split, split
from .train.config import TrainConfig
from .train.fit import fit
from .train.result import Run

load_model = Model.load
__version__ = "0.1.0"

__all__ = [
    "datasets", "load", "Dataset", "split", "Split", "Sealed", "Features", "fit", "Run", "TrainConfig", "tune",
    "Search", "check",
    "evaluate", "Evaluation", "Model", "load_model", "Ledger",
    "HeldoutError", "BudgetError", "DataError", "ConfigError", "LeakageError", "SealedError", "DivergedError", "BundleError",
    "LedgerError", "HeldoutWarning",
]
