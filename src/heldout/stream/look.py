"""``evaluate()`` for a streamed split: the one look at its test set, read batch by batch.

The look goes through :meth:`Sealed.unseal` like any other (the ledger records it before the
scores are returned). Inside it the test rows are read a row group at a time; what is kept of
them is what the metrics need — the model's outputs, the targets and the row weights, a few
numbers per row — and the metrics, their 95% intervals, the task's baseline (learned from the
training sample) and the rows without a twin (features seen in training or validation, joined
exactly on every row's feature fingerprint) are computed from those as :func:`heldout.evaluate`
computes them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..conformal import scores as conformal
from ..data.fingerprint import members
from ..errors import ConfigError
from ..model.model import Model
from ..seal import hashed
from ..seal.evaluate import BASELINE, Evaluation, predictor, take_look
from .split import StreamedSplit


def evaluate(
    model: Model,
    split: StreamedSplit,
    *,
    strict: bool = False,
    baselines: dict[str, Model] | None = None,
    look: str | None = None,
    on_scored=None,
) -> Evaluation:
    """Evaluate ``model`` once on ``split``'s sealed test set, streamed; see
    :func:`heldout.evaluate` (``baselines``: other models scored on the same rows in the same
    look)."""
    if not isinstance(split, StreamedSplit):
        raise ConfigError(
            f"stream.look.evaluate() takes a StreamedSplit, got {type(split).__name__}."
        )
    sealed, found = split.test, split.found
    train = found.samples[hashed.TRAIN]
    prior = model.task.baseline(
        model.task.encode(train.target, model.classes).numpy(),
        model.classes,
        1,
        model.row_weights(train),
    )
    seen = np.concatenate(
        [found.feature_fingerprints[hashed.TRAIN], found.feature_fingerprints[hashed.VALIDATION]]
    )
    predictors = {name: predictor(model, name, other) for name, other in (baselines or {}).items()}
    diagnostics = {}

    def look_at(rows):
        outs, targets, weights, twins = [], [], [], []
        predicted = {name: [] for name in predictors}
        for chunk in rows.chunks():
            for name, predict in predictors.items():
                predicted[name].append(predict(chunk.features))
            outs.append(model.outputs(chunk.features))
            targets.append(chunk.target)
            weights.append(model.row_weights(chunk))
            twins.append(members(chunk.feature_fingerprints, seen))
        out, target = torch.cat(outs), pd.concat(targets, ignore_index=True)
        w = None if weights[0] is None else np.concatenate(weights)
        others = {name: np.concatenate(parts) for name, parts in predicted.items()}
        others[BASELINE] = np.repeat(prior, len(target), axis=0)
        scores = _scores(model, out, target, w, others, diagnostics)
        twin = np.concatenate(twins)
        if twin.any():
            counts = {"rows": int((~twin).sum()), "twins": int(twin.sum())}
            keep = np.flatnonzero(~twin)
            scores["without_twins"] = (
                counts
                if not len(keep)
                else {
                    **counts,
                    **{
                        k: v
                        for k, v in _scores(
                            model,
                            out[keep],
                            target.iloc[keep].reset_index(drop=True),
                            None if w is None else w[keep],
                            None,
                            None,
                        ).items()
                        if k != "loss_name"
                    },
                }
            )
        return scores

    return take_look(
        model,
        sealed,
        look_at,
        diagnostics,
        baselines=sorted([*predictors, BASELINE]),
        strict=strict,
        look=look,
        on_scored=on_scored,
        streamed=True,
    )


def _scores(model: Model, out: torch.Tensor, target: pd.Series, w, baselines, diagnostics) -> dict:
    """What :meth:`Model.score` gives for rows whose outputs are ``out``; with ``diagnostics`` (a
    dict the report's diagnostics go into), the whole look's as :func:`heldout.evaluate` gives them
    (the coverage of the conformal intervals too), else the rows without twins' metrics."""
    scores = model.score_outputs(
        out,
        target,
        w,
        intervals=True,
        diagnostics=diagnostics is not None,
        baselines=baselines,
        coverage=None if diagnostics is None else conformal.LEVEL,
    )
    if diagnostics is not None:
        diagnostics.update(scores.pop("diagnostics"))
    return scores
