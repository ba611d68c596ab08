"""``evaluate()``: the one final look at the sealed test set (step 6 of the procedure).

It computes the model's loss on the test rows and the task's metrics, writes them to the ledger
with the test set's and the model's fingerprints, and only then returns them. A second look at
the same test rows warns with the count; ``strict=True`` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from ..model.model import Model
from .sealed import Sealed
from .split import Split


@dataclass(frozen=True)
class Evaluation:
    metrics: dict            # the loss on the test rows and the task's metrics, by name
    test_fingerprint: str    # the sealed test set's fingerprint
    model_fingerprint: str
    unsealings: int          # how many evaluations this test set has had, this one included
    rows: int
    diagnostics: dict = None  # for the report: residuals (regression), or confusion matrix and ROC curve

    def to_dict(self) -> dict:
        return {"metrics": self.metrics, "test_fingerprint": self.test_fingerprint,
                "model_fingerprint": self.model_fingerprint, "ledger_count": self.unsealings, "rows": self.rows,
                "diagnostics": self.diagnostics}


def evaluate(model: Model, split: Split | Sealed, *, strict: bool = False) -> Evaluation:
    """Evaluate ``model`` once on the sealed test set of ``split``, recording the look in the ledger."""
    sealed = split.test if isinstance(split, Split) else split
    if not isinstance(sealed, Sealed):
        raise ConfigError(f"evaluate() needs the Split (or its sealed test set), got {type(split).__name__}.")
    if not isinstance(model, Model):
        raise ConfigError(f"evaluate() needs a trained Model (run.model or heldout.load_model(path)), "
                          f"got {type(model).__name__}.")
    if model.task != sealed.task:
        raise ConfigError(f"The model does {model.task} but the test set's task is {sealed.task}.")

    diagnostics = {}

    def look(rows):
        # the same single look also keeps what the report draws; the ledger records the metrics
        scores = model.score(rows, intervals=True, diagnostics=True)
        diagnostics.update(scores.pop("diagnostics"))
        return scores

    scores, count = sealed.unseal(look, model=model.fingerprint, strict=strict,
                                  info={"rows": len(sealed), "model_config": model.config.get("model")})
    return Evaluation(metrics=scores, test_fingerprint=sealed.seal, model_fingerprint=model.fingerprint,
                      unsealings=count, rows=len(sealed), diagnostics=diagnostics)
