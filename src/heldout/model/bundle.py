"""The bundle format: tensors and string metadata in one safetensors file, with a format tag and
a digest over all of it. It knows nothing of models (:meth:`heldout.model.model.Model.save` and
``Model.load`` sit on top); reading one never executes code from the file.

>>> import tempfile, os, torch
>>> path = os.path.join(tempfile.mkdtemp(), "b.safetensors")
>>> write(path, {"w": torch.ones(2)}, {"note": "hello"})
>>> tensors, metadata = read(path)
>>> tensors["w"].tolist(), metadata["note"]
([1.0, 1.0], 'hello')
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import torch
from safetensors.torch import load as _load_tensors
from safetensors.torch import save as _save_tensors

from .._util.files import atomic_write
from ..errors import BundleError

FORMAT = "heldout-bundle/2"  # the digest covers each tensor's name, dtype, shape and bytes
FORMATS = (
    FORMAT,
    "heldout-bundle/1",
)  # /1: names and bytes only (still read, checked by its own rule)


def write(path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    """Write ``tensors`` and ``metadata`` (strings) to ``path`` atomically, tagged and digested."""
    tensors = {name: t.contiguous() for name, t in tensors.items()}
    metadata = dict(metadata, format=FORMAT)
    metadata["digest"] = _digest(metadata, tensors)
    atomic_write(path, _save_tensors(tensors, metadata=metadata))


def read(path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a bundle, or a BundleError saying what is wrong with the file."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(
            f"Model file not found: {str(path)!r}. Give the path of a .safetensors bundle that "
            "`heldout train` wrote (RUN_DIR/model.safetensors)."
        )
    raw = path.read_bytes()
    try:
        tensors = _load_tensors(raw)
        metadata = _metadata(raw)
    except Exception:
        raise BundleError(
            f"{str(path)!r} is not a readable safetensors file: it is truncated or corrupted. "
            "Train the model again or restore the file from a copy."
        ) from None
    if metadata.get("format") not in FORMATS:
        raise BundleError(
            f"{str(path)!r} is a safetensors file but not a heldout bundle (no '{FORMAT}' format "
            "tag). Give a file written by heldout."
        )
    stored = metadata.pop("digest", None)
    if stored != _digest(metadata, tensors, typed=metadata["format"] == FORMAT):
        raise BundleError(
            f"{str(path)!r} was modified after heldout wrote it: its digest does not match its "
            "contents. Do not use it; train the model again or restore the file from a copy."
        )
    metadata.pop("format")
    return tensors, metadata


def _metadata(raw: bytes) -> dict:
    (length,) = struct.unpack("<Q", raw[:8])
    return dict(json.loads(raw[8 : 8 + length]).get("__metadata__", {}))


def _digest(metadata: dict, tensors: dict, typed: bool = True) -> str:
    h = hashlib.sha256(
        json.dumps({k: v for k, v in metadata.items() if k != "digest"}, sort_keys=True).encode()
    )
    for name in sorted(tensors):
        h.update(name.encode())
        if (
            typed
        ):  # a header edited to another dtype or shape reads other numbers from the same bytes
            h.update(f"{tensors[name].dtype}:{list(tensors[name].shape)}".encode())
        h.update(tensors[name].contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
