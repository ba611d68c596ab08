"""Sub-modules as attributes, imported on first use (PEP 562): after ``import heldout`` alone,
``heldout.seal.folds`` and ``heldout.workflow.descent`` are there, though nothing imported them yet.

>>> import heldout.seal
>>> submodule("heldout.seal", "folds").__name__
'heldout.seal.folds'
>>> submodule("heldout.seal", "nothing")
Traceback (most recent call last):
...
AttributeError: module 'heldout.seal' has no attribute 'nothing'
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def submodule(package: str, name: str) -> ModuleType:
    """``package.name`` imported: what a package's module ``__getattr__`` returns, or the
    AttributeError of an attribute that is not there."""
    if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}") is not None:
        return importlib.import_module(f"{package}.{name}")
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
