"""A table held in memory, as the procedure reads it (:class:`~heldout.workflow.data.Data`)."""

from __future__ import annotations

from dataclasses import replace

from ..conformal.policy import calibration
from ..data.fingerprint import set_fingerprint
from ..model.ensemble import combine
from ..seal.evaluate import Evaluation, evaluate
from ..seal.split import Split
from ..search.ensemble import metric_score, select
from ..search.result import Search
from ..task import metrics
from ..train.checkpoints import resumable
from ..train.fit import fit
from ..train.population import train_population
from ..train.rows import Hooks, Rows
from .deadline import Deadline
from .records import FinalModel, Selection


class InMemory:
    """Every row in memory: the search reads the split itself, and the selected configuration is
    refit on training + validation rows (when asked and the time budget allows)."""

    def __init__(self, split: Split):
        self.split = self.searched = split

    def search_rows(self) -> None:
        return None

    def exact_twins(self) -> None:
        return None

    def fit(self, settings: dict, *, progress=None, checkpoints=None, shards=None):
        return fit(
            self.split,
            seed=self.split.seed,
            progress=progress,
            shards=shards,
            checkpoints=checkpoints,
            **settings,
        )

    def ensembled(self, selection: Selection) -> Selection:
        """The selection with an ensemble of the search's best trials, when greedy selection on
        the validation rows finds one better there than the selected trial alone."""
        found = selection.search
        pool = {t: m for t, m in found.pool.items() if m.config.get("model") in ENSEMBLED}
        first = next(iter(pool.values()), None)
        if len(pool) < 2 or len(first.targets) > 1:
            return selection
        rows = self.split.validation
        y = first.task.encode(rows.target, first.classes).numpy()
        sign = -1.0 if metrics.HIGHER_IS_BETTER[found.metric] else 1.0
        score = metric_score(first.task, found.metric, sign, y, first.row_weights(rows))
        chosen = select({t: m.predictions(rows) for t, m in pool.items()}, score)
        if not chosen.is_ensemble:
            return selection
        board = found.leaderboard.set_index("trial")
        members = [
            {"trial": int(t), "candidate": str(board.loc[t, "candidate"]), "weight": weight}
            for t, weight in chosen.weights.items()
        ]
        validation = {"validation": sign * chosen.score, "single": sign * chosen.single}
        summary = replace(selection.summary, ensemble={"members": members, **validation})
        return replace(selection, summary=summary, ensemble=chosen)

    def final(
        self, selection: Selection, *, refit: bool, deadline: Deadline, checkpoints
    ) -> FinalModel:
        if selection.ensemble is not None:
            return self._ensemble(
                selection, refit=refit, deadline=deadline, checkpoints=checkpoints
            )
        found, split = selection.search, self.split
        seconds = trial_seconds(found)
        pooled = (len(split.train) + len(split.validation)) / max(len(split.train), 1)
        wanted, refit = refit, refit and deadline.fits("refit", seconds * pooled)
        kept = found.best_model  # the selected trial's model, trained on training rows
        if not refit and wanted and kept is not None:
            run, model = None, kept  # the budget left the refit out: the trial's own model
        else:
            run = found.refit(split, checkpoints=checkpoints) if refit else self._alone(found)
            model = run.model
        # conformal scores on validation rows, from a model that did not train on them
        model.calibration = calibration(
            model,
            split.validation,
            refit=refit,
            kept=kept,
            retrain=lambda: self._scorer(found, deadline, checkpoints),
        )
        linear = found.best["candidate"].startswith("linear+")
        with_linear = linear or deadline.fits("best linear", seconds * pooled)
        return FinalModel(
            model,
            refit,
            run,
            inspected=kept or (None if refit else model),
            inspected_rows=split.validation,
            baselines=lambda: (
                {} if linear or not with_linear else self._best_linear(found, refit, checkpoints)
            ),
            message=None if run else "trained on training rows: the time budget left the refit out",
        )

    def _ensemble(
        self, selection: Selection, *, refit: bool, deadline: Deadline, checkpoints
    ) -> FinalModel:
        """The chosen ensemble as the final model: its members refit on training + validation
        rows with their own epochs and the weights fixed on validation (when the budget has room
        for every refit), else the members as the search trained them. Its conformal scores come
        from the members trained on training rows, to which the validation rows are new."""
        found, split, chosen = selection.search, self.split, selection.ensemble
        trials, weights = list(chosen.weights), list(chosen.weights.values())
        searched = combine([found.pool[t] for t in trials], weights)
        pooled = (len(split.train) + len(split.validation)) / max(len(split.train), 1)
        seconds = trial_seconds(found) * pooled * len(trials)
        wanted, refit = refit, refit and deadline.fits("refit", seconds)
        if refit:
            runs = [found.refit(split, trial=t, checkpoints=checkpoints) for t in trials]
            model, history = combine([r.model for r in runs], weights), runs[0].history
        else:
            model, history = searched, None
        model.calibration = calibration(model, split.validation, refit=refit, kept=searched)
        board = found.leaderboard.set_index("trial")["candidate"]
        # the best linear trial as a baseline of the same look, unless every member is linear
        linear = all(str(board[t]).startswith("linear+") for t in trials)
        with_linear = not linear and deadline.fits("best linear", seconds / len(trials))
        members = ", ".join(f"trial {t} ({w:.2f})" for t, w in chosen.weights.items())
        how = "refit on training + validation rows" if refit else "as trained on training rows"
        left_out = "; the time budget left the refit out" if wanted and not refit else ""
        return FinalModel(
            model,
            refit,
            None,
            inspected=searched,
            inspected_rows=split.validation,
            baselines=lambda: self._best_linear(found, refit, checkpoints) if with_linear else {},
            message=f"an ensemble of {members}, {how}{left_out}",
            history=history,  # the best member's refit, the curves the report draws
        )

    def look(self, model, *, baselines=None, look=None, on_scored=None, strict=False) -> Evaluation:
        return evaluate(
            model, self.split, baselines=baselines, look=look, on_scored=on_scored, strict=strict
        )

    def _alone(self, found: Search, trial: int | None = None, **hooks):
        """The selected configuration (or trial ``trial``'s) trained on the training rows."""
        settings = found.best_settings if trial is None else found.settings(trial)
        return train_population(Rows.of(self.split), [settings], Hooks(**hooks))

    def _scorer(self, found: Search, deadline: Deadline, checkpoints):
        """The selected configuration trained again on the training rows, to score the validation
        rows after a refit, when one trial's time fits (checkpointed like the refit)."""
        if not deadline.fits("calibration", trial_seconds(found)):
            return None
        rows = {
            "train": set_fingerprint(self.split.train.fingerprints),
            "validation": set_fingerprint(self.split.validation.fingerprints),
        }
        hook, resume = resumable(
            checkpoints, "calibration", {"settings": found.best_settings, "rows": rows}
        )
        return self._alone(found, checkpoint=hook, resume=resume).model

    def _best_linear(self, found: Search, refit: bool, checkpoints) -> dict:
        """The best linear candidate, trained as the final model was (refit, or on training rows),
        as the baseline "best linear" (asked when the final model is not linear): whether the
        extra machinery pays becomes a difference with an interval, from the same look."""
        linear = found.best_of("linear")
        if linear is None:
            return {}
        trained = (
            found.refit(self.split, trial=linear["trial"], checkpoints=checkpoints)
            if refit
            else self._alone(found, linear["trial"])
        )
        return {"best linear": trained.model}


ENSEMBLED = ("linear", "mlp", "gbdt")  # the families an ensemble takes (not a user module:
# loading one needs its factory)


def trial_seconds(found: Search) -> float:
    """One trial's training time, by the leaderboard (its slowest completed trial, to be safe)."""
    board = found.leaderboard
    done = board[board["status"] == "complete"] if "seconds" in board else board.iloc[:0]
    return float(done["seconds"].max()) if len(done) else 0.0
