"""The bundle's digest covers each tensor's dtype and shape, not only its bytes; bundles of the
previous format (bytes only) are still read, under their own rule."""

import json
import struct

import pytest
import torch
from safetensors.torch import save as save_tensors

from heldout.errors import BundleError
from heldout.model import bundle


def _header_edited(path, edit):
    raw = path.read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    edit(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (length - len(text))  # the same length: the tensor bytes stay where they are
    assert len(text) == length
    path.write_bytes(raw[:8] + text + raw[8 + length :])


def test_a_dtype_flipped_in_the_header_is_a_tamper_error_not_a_traceback(tmp_path):
    path = tmp_path / "b.safetensors"
    bundle.write(path, {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, {"note": "x"})
    _header_edited(path, lambda h: h["w"].update(dtype="I32"))
    with pytest.raises(BundleError, match="modified after heldout wrote it"):
        bundle.read(path)


def test_a_shape_changed_in_the_header_is_a_tamper_error(tmp_path):
    path = tmp_path / "b.safetensors"
    bundle.write(path, {"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, {})
    _header_edited(path, lambda h: h["w"].update(shape=[3, 2]))
    with pytest.raises(BundleError, match="modified after heldout wrote it"):
        bundle.read(path)


def test_a_bundle_of_the_previous_format_still_reads(tmp_path):
    tensors = {"w": torch.ones(3)}
    metadata = {"note": "old", "format": "heldout-bundle/1"}
    metadata["digest"] = bundle._digest(metadata, tensors, typed=False)
    (tmp_path / "old.safetensors").write_bytes(save_tensors(tensors, metadata=metadata))
    read, meta = bundle.read(tmp_path / "old.safetensors")
    assert read["w"].tolist() == [1.0, 1.0, 1.0] and meta["note"] == "old"
