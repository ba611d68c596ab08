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
asked) is given back (:func:`~heldout.search.slots.release`), so none stays a zombie.

On a storage that other processes share (:mod:`heldout.search.storage`), a batch is asked without
taking anyone else's trials: its first trial is new (or a waiting retry of a dead worker's trial),
and the others are new trials whose shape settings a per-batch ``PartialFixedSampler`` fixes to
the first one's (or retries of that same shape) — never trials put in the shared queue, which
another worker could take into a population of another shape. Only the recorded batch's trials are
continued after a kill; the other RUNNING trials may be other workers' live ones, which heartbeats
judge.
"""

from __future__ import annotations

import os
import socket

import optuna
from optuna.trial import TrialState

from ..train.config import PER_MEMBER
from . import slots
from .storage import quiet_experimental

STAGE = "batch"  # the checkpoint's name
POPULATION = "population"  # the user attribute naming the batch a trial trained in


class Batch:
    """The trials of one batch, their settings, their leaderboard rows and where it goes on from.
    A new batch names itself in each trial's user attribute ``population`` (host, process, first
    trial), so the study shows which trials trained together."""

    def __init__(
        self,
        study,
        space,
        trials: list,
        settings: list[dict],
        rows: list[int],
        told: set[int] = frozenset(),
        states: dict | None = None,
        pruning: dict | None = None,
    ):
        self.study, self.space, self.trials, self.settings, self.rows = (
            study,
            space,
            trials,
            settings,
            rows,
        )
        self.told = set(told)
        self.states, self.pruning = (
            states,
            pruning,
        )  # a resumed batch's population and pruning state
        if states is None:
            name = f"{socket.gethostname()}:{os.getpid()}:{space.candidate}#{trials[0].number}"
            for trial in trials:
                trial.set_user_attr(POPULATION, name)

    def record(self) -> dict:
        return {
            "candidate": self.space.candidate,
            "numbers": [t.number for t in self.trials],
            "settings": self.settings,
            "rows": self.rows,
        }


def sampler(seed: int, candidate_index: int, told: int, population: int):
    """The sampler of one batch: seeded by the search's seed, the candidate and the batch's first
    leaderboard row (the trials told before it, in one process)."""
    mixed = (seed * 1_000_003 + candidate_index * 10_007 + told) % 2**32
    return optuna.samplers.TPESampler(seed=mixed, n_startup_trials=max(population, 8))


def ask(studies: dict, spaces: list, population: int, trials: int, seed: int) -> Batch | None:
    """The next batch: waiting retries of one shape if there are any, else up to ``population``
    new trials of the candidate whose turn comes first among those still owed trials, sharing the
    first one's shape settings (batch size, width, depth, optimizer, epochs, ...) so that the batch
    trains as one population; Optuna samples the rest per trial. None when every slot is taken."""
    retried = _retries(studies, spaces, population, seed)
    if retried is not None:
        return retried
    n, owed = len(spaces), slots.quotas(trials, population, len(spaces))
    while True:
        held = [slots.held(studies[s.candidate]) for s in spaces]
        open_turns = [(i + n * (held[i] // population), i) for i in range(n) if held[i] < owed[i]]
        if not open_turns:
            return None
        i = min(open_turns)[1]
        space, study = spaces[i], studies[spaces[i].candidate]
        k = min(population - held[i] % population, owed[i] - held[i])
        taken = _new(study, k, owed[i], population, n, i)
        if not taken:
            continue  # other processes took the slots meanwhile: look again
        study.sampler = sampler(seed, i, taken[0][1], population)
        first = optuna.trial.Trial(study, taken[0][0])
        space.settings(first, seed)
        shape = {name: value for name, value in first.params.items() if name not in PER_MEMBER}
        with quiet_experimental():
            study.sampler = optuna.samplers.PartialFixedSampler(shape, study.sampler)
        trials_ = [first] + [optuna.trial.Trial(study, trial_id) for trial_id, _ in taken[1:]]
        return Batch(
            study, space, trials_, [space.settings(t, seed) for t in trials_], [r for _, r in taken]
        )


def _new(study, k: int, owed: int, population: int, n: int, i: int) -> list[tuple[int, int]]:
    """``k`` new trials and their leaderboard rows, less those whose slot is past what the
    candidate is owed (given back: another process asked first)."""
    ids = [slots.new_trial(study) for _ in range(k)]
    numbered = {t._trial_id: t for t in study.get_trials(deepcopy=False)}
    taken = []
    for trial_id in ids:
        slot = slots.slot_of(numbered.values(), numbered[trial_id].number)
        if slot >= owed:
            slots.release(study, trial_id, slots.SURPLUS)
            continue
        study._storage.set_trial_user_attr(trial_id, slots.SLOT, slot)
        taken.append((trial_id, slots.row(i, slot, population, n)))
    return taken


def _retries(studies: dict, spaces: list, population: int, seed: int) -> Batch | None:
    """Waiting retries of dead workers' trials, one shape and one study, taken by this process."""
    n = len(spaces)
    for i, space in enumerate(spaces):
        study = studies[space.candidate]
        shape, taken = None, []
        for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            same = {k: v for k, v in t.params.items() if k not in PER_MEMBER}
            if (
                slots.SLOT not in t.user_attrs
                or (shape is not None and same != shape)
                or not slots.claim(study, t._trial_id)
            ):
                continue
            shape = same
            taken.append(
                (
                    optuna.trial.Trial(study, t._trial_id),
                    slots.row(i, t.user_attrs[slots.SLOT], population, n),
                )
            )
            if len(taken) == population:
                break
        if taken:
            trials_ = [t for t, _ in taken]
            return Batch(
                study,
                space,
                trials_,
                [space.settings(t, seed) for t in trials_],
                [r for _, r in taken],
            )
    return None


def recover(studies: dict, spaces: list, saved: dict | None, shared: bool = False) -> Batch | None:
    """After a dead process: the recorded batch to go on with (None when there is none; its
    continued trials carry the user attribute ``resumed``). Alone on its storage, every other
    RUNNING trial is given back, and every WAITING one (queued by an older heldout) failed; on a
    shared storage those may be other workers' and are left to the heartbeats."""
    record = saved["extra"] if saved else None
    batch = None
    if record and record.get("candidate") in studies:
        study = studies[record["candidate"]]
        by_number = {t.number: t for t in study.get_trials(deepcopy=False)}
        frozen = [by_number.get(n) for n in record["numbers"]]
        if all(
            t is not None
            and t.state
            in (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
            for t in frozen
        ) and any(t.state == TrialState.RUNNING for t in frozen):
            space = next(s for s in spaces if s.candidate == record["candidate"])
            # the same trials, continued: Trial(study, id) is Optuna's handle on a stored trial
            trials = [optuna.trial.Trial(study, t._trial_id) for t in frozen]
            told = {i for i, t in enumerate(frozen) if t.state != TrialState.RUNNING}
            for i, trial in enumerate(trials):
                if i not in told:
                    trial.set_user_attr("resumed", True)
            rows = record.get("rows") or [
                record["first_row"] + i for i in range(len(trials))
            ]  # older records
            batch = Batch(
                study,
                space,
                trials,
                record["settings"],
                rows,
                told,
                states=saved["states"],
                pruning=record.get("pruning"),
            )
    if shared:
        return batch
    kept = set(batch.record()["numbers"]) if batch else set()
    for candidate, study in studies.items():
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            if not (batch is not None and study is batch.study and t.number in kept):
                slots.release(study, t._trial_id, slots.ABANDONED)
        for _ in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            study.tell(study.ask().number, state=TrialState.FAIL)
    return batch


def recovered(studies: dict) -> dict:
    """Over the whole study, across processes: trials continued after their process died, and
    trials of dead processes failed (a trial failed in training has its leaderboard row; a trial
    given back before it trained is not counted)."""
    trials = [t for study in studies.values() for t in study.get_trials(deepcopy=False)]
    return {
        "continued": sum(bool(t.user_attrs.get("resumed")) for t in trials),
        "failed": sum(
            t.state == TrialState.FAIL
            and "row" not in t.user_attrs
            and t.user_attrs.get(slots.RELEASED) != slots.SURPLUS
            for t in trials
        ),
    }
