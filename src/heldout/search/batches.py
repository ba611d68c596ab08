"""A batch of trials: asked from a candidate's study, kept in a checkpoint while it trains, and
resumed where it stopped when its process died.

The sampler is seeded afresh for every batch from the search's seed, the candidate and the
number of trials told so far, so the trials a batch is given depend on the study's history and
not on how many processes it took to write it: a search killed and run again asks the same
trials as one that was never interrupted.

With a :class:`~heldout.train.checkpoints.Checkpoints` store (a run directory, held by one
process), a batch's record — the Optuna numbers of its trials, their settings, the leaderboard
row its first trial takes — is written as soon as it is asked, and its population's state and
its pruning hook's state every few seconds while it trains. A search started again finds the
trials the dead process left RUNNING: those of the recorded batch go on from the checkpoint (the
same trials, so nothing is lost or counted twice); any other (killed while a batch was being
asked) is marked failed, and so is every trial left waiting in the queue, so none stays a zombie.
"""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from ..train.config import PER_MEMBER

STAGE = "batch"   # the checkpoint's name


class Batch:
    """The trials of one batch, their settings and where it goes on from."""

    def __init__(self, study, space, trials: list, settings: list[dict], first_row: int, told: set[int] = frozenset(),
                 states: dict | None = None, pruning: dict | None = None):
        self.study, self.space, self.trials, self.settings = study, space, trials, settings
        self.first_row, self.told = first_row, set(told)
        self.states, self.pruning = states, pruning   # a resumed batch's population and pruning state

    def record(self) -> dict:
        return {"candidate": self.space.candidate, "numbers": [t.number for t in self.trials],
                "settings": self.settings, "first_row": self.first_row}


def sampler(seed: int, candidate_index: int, told: int, population: int):
    """The sampler of one batch: seeded by the search's seed, the candidate and the trials told."""
    mixed = (seed * 1_000_003 + candidate_index * 10_007 + told) % 2 ** 32
    return optuna.samplers.TPESampler(seed=mixed, n_startup_trials=max(population, 8))


def ask(study, space, k: int, seed: int, first_row: int) -> Batch:
    """K new trials sharing the first one's shape settings (batch size, width, depth, optimizer,
    epochs, ...), so that the batch trains as one population; Optuna samples the rest per trial."""
    first = study.ask()
    space.settings(first, seed)
    shape = {name: value for name, value in first.params.items() if name not in PER_MEMBER}
    trials = [first]
    for _ in range(k - 1):
        study.enqueue_trial(shape, skip_if_exists=False)
        trials.append(study.ask())
    return Batch(study, space, trials, [space.settings(t, seed) for t in trials], first_row)


def recover(studies: dict, spaces: list, saved: dict | None) -> Batch | None:
    """After a dead process: the recorded batch to go on with (None when there is none; its
    continued trials carry the user attribute ``resumed``), every other RUNNING trial marked
    failed, every WAITING one taken from the queue and marked failed."""
    record = saved["extra"] if saved else None
    batch = None
    if record and record.get("candidate") in studies:
        study = studies[record["candidate"]]
        by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
        frozen = [by_number.get(n) for n in record["numbers"]]
        if all(t is not None and t.state in (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED,
                                             TrialState.FAIL) for t in frozen) and \
                any(t.state == TrialState.RUNNING for t in frozen):
            space = next(s for s in spaces if s.candidate == record["candidate"])
            # the same trials, continued: Trial(study, id) is Optuna's handle on a stored trial
            trials = [optuna.trial.Trial(study, t._trial_id) for t in frozen]
            told = {i for i, t in enumerate(frozen) if t.state != TrialState.RUNNING}
            for i, trial in enumerate(trials):
                if i not in told:
                    trial.set_user_attr("resumed", True)
            batch = Batch(study, space, trials, record["settings"], record["first_row"], told,
                          states=saved["states"], pruning=record.get("pruning"))
    kept = set(batch.record()["numbers"]) if batch else set()
    for candidate, study in studies.items():
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if not (batch is not None and study is batch.study and t.number in kept):
                study.tell(t.number, state=TrialState.FAIL)
        for _ in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            study.tell(study.ask().number, state=TrialState.FAIL)
    return batch


def recovered(studies: dict) -> dict:
    """Over the whole study, across processes: trials continued after their process died, and
    trials of dead processes failed (a trial failed in training has its leaderboard row)."""
    trials = [t for study in studies.values() for t in study.get_trials(deepcopy=False)]
    return {"continued": sum(bool(t.user_attrs.get("resumed")) for t in trials),
            "failed": sum(t.state == TrialState.FAIL and "row" not in t.user_attrs for t in trials)}
