"""An ensemble as one :class:`~heldout.model.model.Model`: members trained on the same rows, with
the same preprocessing, combined by the :class:`~heldout.nn.ensemble.Ensemble` family.

Members of one split share their fitted preprocessing and target scale (both are learned from the
rows alone), so the ensemble keeps one copy and its bundle holds every member's parameters after
it. Saved, loaded, fingerprinted and scored like any model.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..nn.ensemble import Ensemble, link_of
from .model import Model


def combine(models: list[Model], weights: list[float]) -> Model:
    """``models`` (trained on the same rows) with ``weights`` as one model; the first model's
    config names the ensemble's loss, as its selected trial's."""
    first = models[0]
    for other in models[1:]:
        _check_same(first, other)
    family = Ensemble([m.family for m in models], weights, link_of(first.task, first.classes))
    config = dict(
        family.config(),
        loss=first.config.get("loss"),
        epochs=[m.config.get("epochs") for m in models],
        seed=first.config.get("seed"),
    )
    return Model(
        family,
        [p for m in models for p in m.params],
        first.features,
        task=first.task,
        classes=first.classes,
        target=first.target,
        schema=first.schema,
        config=config,
        manifest=dict(first.manifest, members=[m.fingerprint for m in models]),
        metrics={},
        ignored_columns=first.ignored_columns,
        target_scale=first.target_scale,
        class_weight=first.class_weight,
    )


def _check_same(first: Model, other: Model) -> None:
    """Members must read rows and targets alike, or their average means nothing."""
    same = {
        "preprocessing": first.features.to_dict() == other.features.to_dict(),
        "target scale": first.target_scale == other.target_scale,
        "classes": first.classes == other.classes,
        "class weights": first.class_weight == other.class_weight,
        "schema": first.schema == other.schema,
    }
    differ = [what for what, equal in same.items() if not equal]
    if differ:
        raise ConfigError(
            f"Models combined into an ensemble must be trained on the same rows; these differ in "
            f"{differ}. Combine models from one search (one split)."
        )
