"""The library versions a result was produced with, for manifests and benchmark headers."""

from __future__ import annotations

import functools
import platform
from importlib import metadata


def versions() -> dict[str, str]:
    return dict(_found())


@functools.cache
def _found() -> dict[str, str]:
    """Looked up once per process: every model's manifest carries them, and they cannot change."""
    out = {"python": platform.python_version()}
    for package in ("heldout", "torch", "numpy", "pandas", "scikit-learn", "safetensors"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out
