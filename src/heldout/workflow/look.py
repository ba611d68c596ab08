"""The run's one look at its test set, which a kill at any instant cannot make a second."""

from __future__ import annotations

import uuid

from ..model.model import Model
from ..rundir.artifacts import Artifacts
from ..seal.evaluate import Evaluation, evaluate, finish_look
from ..stream.look import evaluate as streamed_evaluate
from ..stream.split import StreamedSplit


def look_once(artifacts: Artifacts, model: Model, the_split, baselines) -> Evaluation:
    """The run's one look at its test set. A process killed after the look — while it was being
    recorded, or while the summary or the report were written — leaves it in the run directory
    (``evaluation.json``, or ``look.json`` before the ledger has it), and the run started again
    finishes from there: the test set is scored once and the look counted once, whatever the
    instant of the kill. ``baselines()`` gives the models compared in the same look."""

    def ours(evaluation: dict | None) -> bool:
        return bool(evaluation) and (
            evaluation.get("model_fingerprint"),
            evaluation.get("test_fingerprint"),
        ) == (model.fingerprint, the_split.test.seal)

    done = artifacts.evaluation()
    if ours(done):
        return Evaluation.from_dict(done)
    pending = artifacts.pending_look()
    if pending and ours(pending["evaluation"]):
        result = finish_look(pending, the_split.test.ledger)
    else:
        # a streamed table's test rows are read batch by batch
        score = streamed_evaluate if isinstance(the_split, StreamedSplit) else evaluate
        result = score(
            model,
            the_split,
            baselines=baselines(),
            look=uuid.uuid4().hex,
            on_scored=artifacts.write_pending_look,
        )
    artifacts.write_evaluation(result.to_dict())
    artifacts.clear_pending_look()
    return result
