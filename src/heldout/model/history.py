"""The bundle format's history in one place: what a bundle written by an older heldout lacks, and
how it is read so that it predicts, and fingerprints, exactly as it did when it was written.

========================  =================================  ====================================
written before            the bundle lacks                   it is read as
========================  =================================  ====================================
typed digests             dtypes and shapes in its digest    ``heldout-bundle/1``, checked by its
                                                             own rule (:mod:`.bundle`)
named treatments          a column's ``treatment``           numbers (dates as seconds since
                                                             1970 UTC) and one-hot
                                                             (:func:`~heldout.data.features.
                                                             treatment_of`)
target scaling            ``target.scale``                   the identity: the raw scale it was
                                                             trained on
class weights             ``target.class_weight``            no class weights
conformal calibration     ``calibration``                    no intervals or prediction sets
========================  =================================  ====================================

Each was an addition, never a change of meaning, so a default reads every older bundle; the kept
bundles in ``tests/model/legacy`` and ``tests/model/unscaled`` check that they still predict and
fingerprint as they did.
"""

from __future__ import annotations

import json

from ..conformal.scores import Calibration
from ..task.target_scale import TargetScale


def target_scale(target: dict) -> TargetScale:
    """The scale the model fits its target on (the identity before target scaling)."""
    return TargetScale.from_dict(target.get("scale"))


def class_weight(target: dict) -> dict | None:
    """The class weights learned in training, by label (none before class weights)."""
    pairs = target.get("class_weight")
    return None if pairs is None else {label: float(w) for label, w in pairs}


def calibration(metadata: dict, tensors: dict) -> Calibration | None:
    """The conformal calibration (none before calibration)."""
    if "calibration" not in metadata:
        return None
    arrays = {
        name.removeprefix("calibration."): t.numpy()
        for name, t in tensors.items()
        if name.startswith("calibration.")
    }
    return Calibration.from_dict(json.loads(metadata["calibration"]), arrays)


def fingerprinted_target(scale: TargetScale, pairs: list | None) -> list:
    """What the fingerprint hashes of the target's scale and class weights: nothing while both
    are the defaults, so that a model from before either keeps the fingerprint it was given."""
    if scale.is_identity and pairs is None:
        return []
    return [scale.to_dict(), pairs]
