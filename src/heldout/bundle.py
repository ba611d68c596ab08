"""Bundles: a trained model as one safetensors file. Loading one never executes code from it.

The tensors are the parameters; the metadata (strings) holds the config, the preprocessing, the
schema, the target, the metrics and a manifest (seed, fingerprints, library versions). A
``digest`` over all of it detects a file edited after it was written.

>>> import heldout, tempfile, os
>>> split = heldout.split(heldout.datasets.load("iris"), seed=0)
>>> model = heldout.fit(split, epochs=5).model
>>> path = os.path.join(tempfile.mkdtemp(), "iris.safetensors")
>>> model.save(path)
>>> heldout.load_model(path).fingerprint == model.fingerprint
True
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Callable

import torch
from safetensors.torch import load as _load_tensors
from safetensors.torch import save as _save_tensors

from .errors import BundleError
from .families import make_family
from .features import Features
from .files import atomic_write
from .model import Model

FORMAT = "heldout-bundle/1"


def save(model: Model, path) -> None:
    tensors = {f"param.{i}": p.contiguous() for i, p in enumerate(model.params)}
    metadata = {
        "format": FORMAT,
        "config": json.dumps(model.config, sort_keys=True, default=str),
        "features": json.dumps(model.features.to_dict(), sort_keys=True),
        "schema": json.dumps(model.schema),
        "target": json.dumps({"name": model.target, "task": model.task,
                              "classes": None if model.classes is None else list(model.classes),
                              "ignored_columns": list(model.ignored_columns)}, default=str),
        "metrics": json.dumps(model.metrics, sort_keys=True),
        "manifest": json.dumps(model.manifest, sort_keys=True, default=str),
    }
    metadata["digest"] = _digest(metadata, tensors)
    atomic_write(path, _save_tensors(tensors, metadata=metadata))


def load(path, module: Callable | None = None) -> Model:
    """Read a bundle. Models built from a user module need that module's factory as ``module``."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"Model file not found: {str(path)!r}. Give the path of a .safetensors bundle that "
                          "`heldout train` wrote (RUN_DIR/model.safetensors).")
    raw = path.read_bytes()
    try:
        tensors = _load_tensors(raw)
        metadata = _metadata(raw)
    except Exception:
        raise BundleError(f"{str(path)!r} is not a readable safetensors file: it is truncated or corrupted. "
                          "Train the model again or restore the file from a copy.") from None
    if metadata.get("format") != FORMAT:
        raise BundleError(f"{str(path)!r} is a safetensors file but not a heldout bundle (no '{FORMAT}' format "
                          "tag). Give a file written by heldout.")
    stored = metadata.pop("digest", None)
    if stored != _digest(metadata, tensors):
        raise BundleError(f"{str(path)!r} was modified after heldout wrote it: its digest does not match its "
                          "contents. Do not use it; train the model again or restore the file from a copy.")
    config, target = json.loads(metadata["config"]), json.loads(metadata["target"])
    if config.get("model") == "module":
        if module is None:
            raise BundleError(f"{str(path)!r} holds a user module ({config.get('factory')!r}); give its factory: "
                              "load_model(path, module=factory).")
        family = make_family(module)
    else:
        family = make_family(config["model"], hidden=tuple(config["hidden"]), activation=config["activation"],
                             init=config["init"])
    n_params = len([k for k in tensors if k.startswith("param.")])
    params = [tensors[f"param.{i}"] for i in range(n_params)]
    if config.get("model") == "module":  # the family learns its parameter names from one fresh module
        family.init(*_module_shape(params), seeds=[0])
    classes = None if target["classes"] is None else tuple(target["classes"])
    return Model(family, params, Features.from_dict(json.loads(metadata["features"])), task=target["task"],
                 classes=classes, target=target["name"], schema=json.loads(metadata["schema"]), config=config,
                 manifest=json.loads(metadata["manifest"]), metrics=json.loads(metadata["metrics"]),
                 ignored_columns=tuple(target.get("ignored_columns", ())))


def _module_shape(params: list[torch.Tensor]) -> tuple[int, int]:
    """(inputs, outputs) of a module, from its first weight and last bias as torch lays them out."""
    return params[0].shape[-1], params[-1].shape[-1]


def _metadata(raw: bytes) -> dict:
    (length,) = struct.unpack("<Q", raw[:8])
    return dict(json.loads(raw[8:8 + length]).get("__metadata__", {}))


def _digest(metadata: dict, tensors: dict) -> str:
    h = hashlib.sha256(json.dumps({k: v for k, v in metadata.items() if k != "digest"}, sort_keys=True).encode())
    for name in sorted(tensors):
        h.update(name.encode())
        h.update(tensors[name].contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
