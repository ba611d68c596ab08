"""A Parquet table read batch by batch, as the procedure reads it
(:class:`~heldout.workflow.data.Data`).

The leakage check and the search read the seeded samples of the three parts
(:meth:`~heldout.stream.split.StreamedSplit.sample_split`: up to 100,000 training and 20,000
validation rows, chosen by fingerprint, so the search is the in-memory one on those rows), beside
exact counts over every row's fingerprint. The selected configuration is trained on every
training row, streamed, watching every validation row — there is no refit on training +
validation rows: that model's validation rows stay held out, so it is calibrated (conformal) and
inspected on the validation sample it never trained on — and the one look is streamed too.
"""

from __future__ import annotations

import functools

from ..conformal.policy import calibration
from ..errors import ConfigError
from ..nn.family import trained_by_library
from ..seal.evaluate import Evaluation
from ..stream import training
from ..stream.look import evaluate
from ..stream.split import StreamedSplit
from ..train.fit import fit
from .deadline import Deadline
from .records import FinalModel, Selection


class Streamed:
    def __init__(self, split: StreamedSplit):
        self.split = split

    @functools.cached_property
    def searched(self):
        return self.split.sample_split()

    def search_rows(self) -> dict:
        return self.split.sample_rows()

    def exact_twins(self) -> dict:
        return self.split.exact_twins()

    def fit(self, settings: dict, *, progress=None, checkpoints=None, shards=None):
        if settings.get("folds") is not None:
            raise ConfigError(
                "--folds needs the rows in memory: drop --stream, or train without folds."
            )
        return training.fit(self.split, progress=progress, **settings)

    def ensembled(self, selection: Selection) -> Selection:
        """A streamed table's final model is one configuration trained over every training row:
        an ensemble would train each member over them again, so none is chosen."""
        return selection

    def final(
        self, selection: Selection, *, refit: bool, deadline: Deadline, checkpoints
    ) -> FinalModel:
        settings, validation = selection.search.best_settings, self.searched.validation
        if trained_by_library(settings["model"]):  # it cannot read rows batch by batch
            model = selection.search.best_model or fit(self.searched, **settings).model
            model.calibration = calibration(model, validation, refit=False)
            message = (
                f"{settings['model']} trains on rows in memory: the search's model, trained on "
                f"the seeded sample of {len(self.searched.train)} training rows"
            )
            return FinalModel(model, False, None, model, validation, message=message)
        run = training.fit(self.split, **settings)
        run.model.calibration = calibration(run.model, validation, refit=False)
        return FinalModel(run.model, False, run, inspected=run.model, inspected_rows=validation)

    def look(self, model, *, baselines=None, look=None, on_scored=None, strict=False) -> Evaluation:
        return evaluate(
            model, self.split, baselines=baselines, look=look, on_scored=on_scored, strict=strict
        )
