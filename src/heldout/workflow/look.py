"""The run's one look at its test set, which a kill at any instant cannot make a second."""

from __future__ import annotations

import uuid

from ..rundir.artifacts import Artifacts
from ..seal.evaluate import Evaluation, finish_look
from .data import Data


def look_once(artifacts: Artifacts, model, data: Data, baselines) -> Evaluation:
    """The run's one look at its test set. A process killed after the look — while it was being
    recorded, or while the summary or the report were written — leaves it in the run directory
    (``evaluation.json``, or ``look.json`` before the ledger has it), and the run started again
    finishes from there: the test set is scored once and the look counted once, whatever the
    instant of the kill. ``baselines()`` gives the models compared in the same look."""
    test = data.split.test

    def ours(evaluation: dict | None) -> bool:
        return bool(evaluation) and (
            evaluation.get("model_fingerprint"),
            evaluation.get("test_fingerprint"),
        ) == (model.fingerprint, test.seal)

    done = artifacts.evaluation()
    if ours(done):
        return Evaluation.from_dict(done)
    pending = artifacts.pending_look()
    if pending and ours(pending["evaluation"]):
        result = finish_look(pending, test.ledger)
    else:
        result = data.look(
            model,
            baselines=baselines(),
            look=uuid.uuid4().hex,
            on_scored=artifacts.write_pending_look,
        )
    artifacts.write_evaluation(result.to_dict())
    artifacts.clear_pending_look()
    return result
