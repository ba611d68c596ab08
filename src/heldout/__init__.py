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

``import heldout`` imports only the errors: each public name below is imported from where it lives
the first time it is used (PEP 562). ``heldout.fit`` pays for torch, ``heldout.tune`` for Optuna as
well, and the command line for neither before it has parsed its arguments.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import (
    BudgetError,
    BundleError,
    ConfigError,
    DataError,
    DivergedError,
    HeldoutError,
    HeldoutWarning,
    LeakageError,
    LedgerError,
    SealedError,
)

if TYPE_CHECKING:  # what the names below resolve to, for readers and type checkers
    from .data import datasets
    from .data.dataset import Dataset, load
    from .data.features import Features
    from .leakage import check
    from .ledger.ledger import Ledger
    from .model.model import Model
    from .model.portable import export_onnx, onnx_inputs
    from .seal.evaluate import Evaluation, evaluate
    from .seal.sealed import Sealed
    from .seal.split import Split, split
    from .search.result import Search
    from .search.tune import tune
    from .train.config import TrainConfig
    from .train.fit import fit
    from .train.result import Run

    load_model = Model.load

__version__ = "0.1.0"

# public name -> (module, attribute path in it; "" for the module itself)
_PUBLIC = {
    "datasets": (".data.datasets", ""),
    "load": (".data.dataset", "load"),
    "Dataset": (".data.dataset", "Dataset"),
    "Features": (".data.features", "Features"),
    "check": (".leakage", "check"),
    "Model": (".model.model", "Model"),
    "load_model": (".model.model", "Model.load"),
    "Search": (".search.result", "Search"),
    "export_onnx": (".model.portable", "export_onnx"),
    "onnx_inputs": (".model.portable", "onnx_inputs"),
    "tune": (".search.tune", "tune"),
    "evaluate": (".seal.evaluate", "evaluate"),
    "Evaluation": (".seal.evaluate", "Evaluation"),
    "Ledger": (".ledger.ledger", "Ledger"),
    "Sealed": (".seal.sealed", "Sealed"),
    "split": (".seal.split", "split"),
    "Split": (".seal.split", "Split"),
    "TrainConfig": (".train.config", "TrainConfig"),
    "fit": (".train.fit", "fit"),
    "Run": (".train.result", "Run"),
}

__all__ = [
    "datasets",
    "load",
    "Dataset",
    "split",
    "Split",
    "Sealed",
    "Features",
    "fit",
    "Run",
    "TrainConfig",
    "tune",
    "Search",
    "check",
    "evaluate",
    "Evaluation",
    "Model",
    "load_model",
    "export_onnx",
    "onnx_inputs",
    "Ledger",
    "HeldoutError",
    "BudgetError",
    "DataError",
    "ConfigError",
    "LeakageError",
    "SealedError",
    "DivergedError",
    "BundleError",
    "LedgerError",
    "HeldoutWarning",
]


def __getattr__(name: str):
    if name in _PUBLIC:
        module, path = _PUBLIC[name]
        value = importlib.import_module(module, __name__)
        for part in filter(None, path.split(".")):
            value = getattr(value, part)
    else:  # a sub-package or module: heldout.report.report after `import heldout` alone
        from ._util.lazy import submodule

        value = submodule(__name__, name)
    globals()[name] = value  # imported once; later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
