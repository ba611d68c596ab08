"""``evaluate()``: the one final look at the sealed test set (step 6 of the procedure).

It computes the model's loss on the test rows and the task's metrics with their 95% intervals (each
row counted by its sample and class weight, when the data has them), writes them to the ledger with
the test set's and the model's fingerprints, and only then returns them. The same look compares the
model with baselines on the same rows (``versus``: each metric's difference model minus baseline,
with a paired interval) — given a Split, the task's baseline learned from the training rows (the
mean target, or the class frequencies), and any ``baselines`` models — and scores the test rows that
have no exact feature twin among the training and validation rows (``without_twins``): a twin's
score says little about new data. A model calibrated on its validation rows
(:mod:`heldout.conformal.scores`) has, from the same look, the coverage of its 90% intervals (or
prediction sets) on the test rows, with a 95% interval and their mean width (mean set size), under
``conformal``. A multi-output model's look holds each target's metrics, comparisons and coverage
under ``targets`` and all targets together (standardised) under the usual names
(:mod:`heldout.model.outputs`); its baseline predicts each target's training mean. A second look at
the same test rows warns with the counts — looks, and distinct models among them; ``strict=True``
refuses it. The result names the ledger that counted the look."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..conformal import scores as conformal
from ..errors import ConfigError
from ..ledger.ledger import Looks
from ..model.model import Model
from .sealed import Sealed
from .split import Split
from .twins import twin_mask  # the leakage check's own definition of a twin

BASELINE = "baseline"  # the name of the task's own baseline under ``versus``


@dataclass(frozen=True)
class Evaluation:
    metrics: dict  # the loss on the test rows and the task's metrics, by name
    test_fingerprint: str  # the sealed test set's fingerprint
    model_fingerprint: str
    unsealings: int  # how many evaluations this test set has had, this one included
    rows: int
    diagnostics: dict = (
        None  # for the report: residuals (regression), or confusion matrix and ROC curve
    )
    models: int = 1  # distinct models evaluated on this test set, this one included
    ledger: str | None = (
        None  # the ledger that counted the look: its folder (absolute) or URL (no password)
    )

    def to_dict(self) -> dict:
        return {
            "metrics": self.metrics,
            "test_fingerprint": self.test_fingerprint,
            "model_fingerprint": self.model_fingerprint,
            "ledger_count": self.unsealings,
            "models": self.models,
            "ledger": self.ledger,
            "rows": self.rows,
            "diagnostics": self.diagnostics,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Evaluation":
        return cls(
            metrics=d["metrics"],
            test_fingerprint=d["test_fingerprint"],
            model_fingerprint=d["model_fingerprint"],
            unsealings=d["ledger_count"],
            rows=d["rows"],
            diagnostics=d.get("diagnostics"),
            models=d.get("models", 1),
            ledger=d.get("ledger"),
        )


def evaluate(
    model: Model,
    split: Split | Sealed,
    *,
    strict: bool = False,
    baselines: dict[str, Model] | None = None,
    look: str | None = None,
    on_scored=None,
) -> Evaluation:
    """Evaluate ``model`` once on the sealed test set of ``split``, recording the look in the
    ledger.

    ``baselines`` (name: Model) are scored on the same rows in the same look; given a Split (not
    its sealed test set alone), the task's baseline (``"baseline"``) and the rows without twins
    come along. ``look`` names the look in its ledger entry, and ``on_scored(evaluation)`` hears
    the result before the ledger records it: together they let :func:`finish_look` complete, in
    another process, a look whose process died in between."""
    sealed = split.test if isinstance(split, Split) else split
    if not isinstance(sealed, Sealed):
        raise ConfigError(
            f"evaluate() needs the Split (or its sealed test set), got {type(split).__name__}."
        )
    if not isinstance(model, Model):
        raise ConfigError(
            f"evaluate() needs a trained Model (run.model or heldout.load_model(path)), "
            f"got {type(model).__name__}."
        )
    if model.task != sealed.task:
        raise ConfigError(f"The model does {model.task} but the test set's task is {sealed.task}.")
    predictors = {name: predictor(model, name, other) for name, other in (baselines or {}).items()}
    seen = None  # the rows a test row may be a twin of
    if isinstance(split, Split):
        # learned from the training rows only (weighted as the model's were): the baseline never
        # sees a test row
        prior = model.task.baseline(
            model.task.encode(split.train.target, model.classes).numpy(),
            model.classes,
            1,
            model.row_weights(split.train),
        )
        predictors[BASELINE] = lambda rows: np.repeat(prior, len(rows), axis=0)
        seen = [split.train, split.validation]

    diagnostics = {}

    def look_at(rows):
        # one look: the metrics, the baselines on the same rows, the rows without twins, and what
        # the report draws; the ledger records all but the last
        scores = model.score(
            rows,
            intervals=True,
            diagnostics=True,
            coverage=conformal.LEVEL,
            baselines={name: predict(rows) for name, predict in predictors.items()},
        )
        diagnostics.update(scores.pop("diagnostics"))
        if seen is not None:
            twin = twin_mask(rows, seen)
            if twin.any():
                scores["without_twins"] = _without(model, rows, twin)
        return scores

    return take_look(
        model,
        sealed,
        look_at,
        diagnostics,
        baselines=sorted(predictors),
        strict=strict,
        look=look,
        on_scored=on_scored,
    )


def take_look(
    model: Model,
    sealed: Sealed,
    look_at,
    diagnostics: dict,
    *,
    baselines: list[str],
    strict: bool,
    look: str | None,
    on_scored,
    **info,
) -> Evaluation:
    """The one look through the sealed gate: ``look_at(rows)`` scores the test rows (filling
    ``diagnostics``), ``on_scored`` hears the result before the ledger records it, and the ledger
    entry names the ``look`` and ``info`` (in memory here, streamed in
    :mod:`heldout.stream.look`)."""
    info = {
        "rows": len(sealed),
        "model_config": model.config.get("model"),
        "baselines": baselines,
        **info,
    }
    if look is not None:
        info["look"] = look

    def scored(scores):
        if on_scored is not None:
            on_scored(
                {
                    "look": look,
                    "info": info,
                    "evaluation": Evaluation(
                        metrics=scores,
                        test_fingerprint=sealed.seal,
                        model_fingerprint=model.fingerprint,
                        unsealings=0,
                        rows=len(sealed),
                        diagnostics=diagnostics,
                        ledger=sealed.ledger.location,
                    ).to_dict(),
                }
            )

    scores, looks = sealed.unseal(
        look_at, model=model.fingerprint, strict=strict, info=info, on_scored=scored
    )
    return Evaluation(
        metrics=scores,
        test_fingerprint=sealed.seal,
        model_fingerprint=model.fingerprint,
        unsealings=looks.unsealings,
        rows=len(sealed),
        diagnostics=diagnostics,
        models=looks.models,
        ledger=sealed.ledger.location,
    )


def finish_look(pending: dict, ledger) -> Evaluation:
    """The look ``pending`` (what ``on_scored`` heard) of a process that died before it finished:
    recorded in ``ledger`` now unless it already was (its entry names the look), never scored
    again."""
    done = pending["evaluation"]
    seal, model = done["test_fingerprint"], done["model_fingerprint"]
    entries = [e for e in ledger.entries() if e["kind"] == "unseal" and e["seal"] == seal]
    mine = [k for k, e in enumerate(entries) if e["payload"].get("look") == pending["look"]]
    if mine:
        before = entries[: mine[0] + 1]
        looks = Looks(len(before), len({e["payload"].get("model") for e in before}))
    else:
        looks = ledger.record_unsealing(
            seal, model=model, metrics=done["metrics"], info=pending["info"]
        )
    return Evaluation(
        metrics=done["metrics"],
        test_fingerprint=seal,
        model_fingerprint=model,
        unsealings=looks.unsealings,
        rows=done["rows"],
        diagnostics=done["diagnostics"],
        models=looks.models,
        ledger=done["ledger"],
    )


def predictor(model: Model, name: str, other):
    """A baseline model's predictions of the rows, once it is known to score like ``model``."""
    if name == BASELINE:
        raise ConfigError(
            f"The baseline name {name!r} is taken by the task's own baseline "
            f"({model.task.baseline_name}); give your model another name, e.g. "
            "baselines={'previous': model}."
        )
    if not isinstance(other, Model) or other.task != model.task or other.classes != model.classes:
        got = (
            f"a {other.task} model with classes {other.classes}"
            if isinstance(other, Model)
            else type(other).__name__
        )
        raise ConfigError(
            f"Baseline {name!r} must be a trained Model of the same task and classes as the model "
            f"({model.task}, classes {model.classes}), got {got}."
        )
    return other.predictions


def _without(model: Model, rows, twin: np.ndarray) -> dict:
    """The metrics on the rows whose features appear in no training or validation row."""
    counts = {"rows": int((~twin).sum()), "twins": int(twin.sum())}
    if not counts["rows"]:
        return counts
    scores = model.score(rows.take(np.flatnonzero(~twin)), intervals=True)
    return {**counts, **{k: v for k, v in scores.items() if k != "loss_name"}}
