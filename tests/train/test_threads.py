"""One thread for a small step or beside busy cores, all threads otherwise; the count restored
after; and the numbers the same whatever the count."""

import torch

import heldout
from heldout._util import threads
from heldout.train import _engine
from heldout.train.population import train_population
from heldout.train.rows import Rows


def _threads_seen(split, monkeypatch, **settings) -> set[int]:
    """The thread counts the epochs' steps ran on."""
    seen, run_epoch = set(), _engine.run_epoch

    def watched(plan, state, *rest):
        seen.add(torch.get_num_threads())
        return run_epoch(plan, state, *rest)

    monkeypatch.setattr(_engine, "run_epoch", watched)
    train_population(Rows.of(split), [dict(epochs=3, **settings)])
    return seen


def test_a_small_population_trains_on_one_thread_and_restores_the_count(monkeypatch):
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    before = torch.get_num_threads()
    assert _threads_seen(split, monkeypatch, model="mlp", hidden=(8,)) == {1}
    assert torch.get_num_threads() == before


def test_a_large_step_on_a_quiet_machine_keeps_every_thread(monkeypatch):
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    monkeypatch.setattr(threads, "SMALL_STEP", 0)
    monkeypatch.setattr(
        threads, "_sample", lambda: None
    )  # no view of other processes: size decides
    monkeypatch.setattr(threads, "_others_running", lambda: 0)
    assert _threads_seen(split, monkeypatch, model="mlp", hidden=(8,)) == {threads.CORES}


def test_other_processes_keeping_a_core_busy_send_the_next_epochs_to_one_thread(monkeypatch):
    monkeypatch.setattr(threads, "SMALL_STEP", 0)
    monkeypatch.setattr(threads, "CORES", 2)
    clock = iter([(0.0, 0.0, 0.0), (1.0, 1.9, 1.0), (2.0, 3.8, 2.0), (3.0, 5.0, 3.0)])
    monkeypatch.setattr(threads, "_sample", lambda: next(clock))
    monkeypatch.setattr(threads, "_others_running", lambda: 0)
    choice = threads.Choice(10**9)
    assert choice.threads() == 2
    # over 1 s every core did 1.9 s of work, this process 1.0 s: others took 0.9 of a core
    choice.observe()
    assert choice.threads() == 1
    choice.observe()  # 0.9 again
    assert choice.threads() == 1
    choice.observe()  # others 0.2: quiet again
    assert choice.threads() == 2


def test_the_numbers_are_the_same_on_one_thread_and_on_all(monkeypatch):
    split = heldout.split(heldout.datasets.load("breast_cancer"), seed=0)
    settings = dict(
        model="mlp",
        hidden=(32, 16),
        optimizer="adam",
        lr=[0.001, 0.01],
        batch_size=64,
        epochs=4,
        early_stopping=False,
        tol=0,
    )
    monkeypatch.setattr(threads, "_sample", lambda: None)
    monkeypatch.setattr(threads, "_others_running", lambda: 0)
    outcomes = []
    for small in (1 << 60, 0):  # every step on one thread, then every step on all threads
        monkeypatch.setattr(threads, "SMALL_STEP", small)
        run = heldout.fit(split, **settings)
        outcomes.append([p for m in run.members for p in m.params])
    assert all(torch.equal(a, b) for a, b in zip(*outcomes))


def test_a_process_running_now_is_seen_before_any_history(monkeypatch):
    import subprocess
    import sys
    import time

    monkeypatch.setattr(threads, "CORES", 2)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        seen = [threads._others_running() for _ in range(20)]
    finally:
        hog.kill()
        hog.wait()
    assert max(seen) >= 1


def _threads_by_work(monkeypatch, split, others: int) -> tuple[set, set, set]:
    """The thread counts that the steps, the gathers of batch rows and the validation passes ran
    on."""
    monkeypatch.setattr(threads, "CORES", 2)
    monkeypatch.setattr(threads, "_sample", lambda: None)
    monkeypatch.setattr(threads, "_others_running", lambda: others)
    # diabetes is small: lower the bars so that a step (8 rows) stays under them and the rest does
    # not
    monkeypatch.setattr(threads, "SMALL_STEP", 5_000)  # a validation pass: ~70 rows × 97 parameters
    monkeypatch.setattr(threads, "SMALL_GATHER", 1_000)  # a gather: every training row × 10 columns
    gathered, scored, index_select, score_rows = (
        set(),
        set(),
        torch.Tensor.index_select,
        _engine.score_rows,
    )

    def gather(tensor, dim, index):
        if tensor.dim() == 2 and len(index) > 100:  # a batch gather of rows (not epoch 0's sample)
            gathered.add(torch.get_num_threads())
        return index_select(tensor, dim, index)

    monkeypatch.setattr(torch.Tensor, "index_select", gather)
    monkeypatch.setattr(
        _engine, "score_rows", lambda *a: (scored.add(torch.get_num_threads()), score_rows(*a))[1]
    )
    steps = _threads_seen(split, monkeypatch, model="mlp", hidden=(8,), batch_size=8)
    return steps, gathered, scored


def test_a_small_step_s_large_gathers_and_validation_passes_take_every_core_unless_others_run(
    monkeypatch,
):
    split = heldout.split(heldout.datasets.load("diabetes"), seed=0)
    steps, gathered, scored = _threads_by_work(monkeypatch, split, others=0)
    assert (
        steps == {1} and gathered == {2} and 2 in scored
    )  # one thread a step, two for the large ops
    steps, gathered, scored = _threads_by_work(monkeypatch, split, others=1)
    assert (
        steps == gathered == scored == {1}
    )  # another program on a core: one thread for everything
