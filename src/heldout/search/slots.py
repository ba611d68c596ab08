"""The search's budget as slots: which trials each candidate's study owes, and which leaderboard
row each trial fills, decided by the storage's trial numbers so that any number of processes
writing one study agree on them.

A search of ``trials`` trials in batches of ``population`` lays its batches out in turn over the
candidates: batch ``b`` (rows ``b × population …``) belongs to candidate ``b mod n``, so
candidate ``i`` is owed :func:`quotas` ``[i]`` trials. Within a study a trial's *slot* is the
number of slot holders with smaller trial numbers: every trial except retries (which take the slot
of the trial they retry, copied with its user attributes) and trials given back (``released``: asked
beyond the quota by a worker that lost a race, or abandoned by a dead process before it trained).
Optuna numbers a study's trials under a lock on the study, so every worker counts the same holders
below a trial. Slot ``s`` of candidate ``i`` is leaderboard row :func:`row`; one process asking
batch after batch fills the rows 0, 1, 2, … in the order it asks them, as before slots existed.

>>> quotas(20, 8, 2)      # batches of 8, 8 and 4: candidates 0, 1, 0
[12, 8]
>>> [row(0, s, 8, 2) for s in (0, 7, 8, 11)], row(1, 0, 8, 2)
([0, 7, 16, 19], 8)
"""

from __future__ import annotations

import math

from optuna.trial import TrialState

SLOT, RELEASED = "slot", "released"  # the trial's user attributes
SURPLUS = (
    "asked beyond the candidate's trials"  # why a slot is released: a race lost to another worker
)
ABANDONED = (
    "its process died before it trained"  # or a zombie of a dead process, alone on its storage
)


def quotas(trials: int, population: int, candidates: int) -> list[int]:
    owed = [0] * candidates
    for b in range(math.ceil(trials / population)):
        owed[b % candidates] += min(population, trials - b * population)
    return owed


def row(candidate: int, slot: int, population: int, candidates: int) -> int:
    batch = candidate + candidates * (slot // population)
    return batch * population + slot % population


def is_retry(trial) -> bool:
    return trial.system_attrs.get("failed_trial") is not None


def holds_slot(trial) -> bool:
    return not is_retry(trial) and not trial.user_attrs.get(RELEASED)


def slot_of(trials, number: int) -> int:
    """The slot of trial ``number`` among a study's ``trials``: the slot holders numbered below
    it."""
    return sum(1 for t in trials if t.number < number and holds_slot(t))


def held(study) -> int:
    """Slots taken in ``study`` (trained, training, or dead and waiting for a retry)."""
    return sum(1 for t in study.get_trials(deepcopy=False) if holds_slot(t))


def in_flight(studies) -> int:
    """Trials being trained or waiting to be, in all ``studies``."""
    return sum(
        1
        for study in studies
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))
    )


# Trials are created, claimed and given back through the study's storage, as Study.ask does it,
# but without ask's first step (taking any trial waiting in the queue): a batch takes only
# retries of its shape, and its trials get their Trial handles once its sampler is set.


def awaiting_retry(studies, retries: int) -> int:
    """Trials of dead workers failed by a heartbeat whose retry is not in the study yet (and may
    still come: fewer than ``retries`` tries behind them)."""
    waiting = 0
    for study in studies:
        trials = study.get_trials(deepcopy=False)
        retried = {number for t in trials for number in t.system_attrs.get("retry_history", [])}
        waiting += sum(
            1
            for t in trials
            if t.state == TrialState.FAIL
            and "row" not in t.user_attrs
            and not t.user_attrs.get(RELEASED)
            and t.number not in retried
            and len(t.system_attrs.get("retry_history", [])) < retries
        )
    return waiting


def release(study, trial_id: int, why: str) -> None:
    """Give a trial's slot back before it trains (it is failed, and counted nowhere)."""
    study._storage.set_trial_user_attr(trial_id, RELEASED, why)
    study._storage.set_trial_state_values(trial_id, state=TrialState.FAIL)


def new_trial(study) -> int:
    """A new trial in ``study`` (its id), numbered by the storage under the study's lock."""
    return study._storage.create_new_trial(study._study_id)


def claim(study, trial_id: int) -> bool:
    """Take a waiting trial for this process; False when another process took it first."""
    from optuna.exceptions import UpdateFinishedTrialError

    try:
        return study._storage.set_trial_state_values(trial_id, state=TrialState.RUNNING)
    except UpdateFinishedTrialError:
        return False
