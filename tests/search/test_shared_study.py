"""One search on many processes over PostgreSQL (Optuna's RDB storage): workers join one study,
each batch is one population of one shape, a worker killed with SIGKILL has its trials retried by
the others, and exactly one process refits and looks at the test set."""

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

import heldout
from heldout.errors import ConfigError
from heldout.search import slots
from heldout.search.batches import POPULATION
from heldout.search.storage import sqlalchemy_url
from heldout.train.config import PER_MEMBER

TRIALS, POPULATION_SIZE = 48, 4
COMMON = [
    "--dataset",
    "diabetes",
    "--trials",
    str(TRIALS),
    "--population",
    str(POPULATION_SIZE),
    "--no-descent",
    "--study",
    "shared",
]


def _env(ledger) -> dict:
    # heartbeats every 2 s: a dead worker's trials are retried after 6 s of silence
    return {**os.environ, "HELDOUT_LEDGER": str(ledger), "HELDOUT_HEARTBEAT_SECONDS": "2"}


def _studies(url: str) -> list[optuna.Study]:
    storage = optuna.storages.RDBStorage(sqlalchemy_url(url))
    return [
        optuna.load_study(study_name=s.study_name, storage=storage)
        for s in optuna.get_all_study_summaries(storage)
    ]


def _heldout(*args, env, out=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "heldout", *args],
        env=env,
        stdout=out or subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_workers_one_killed_finish_one_study_and_one_look(postgres_url, tmp_path):
    env = _env(postgres_url)  # the study and the ledger in one database, shared by the three
    runner = _heldout(
        "run", *COMMON, "--storage", postgres_url, "--out", str(tmp_path / "a"), "--json", env=env
    )
    victim = _heldout(
        "tune", *COMMON, "--storage", postgres_url, "--out", str(tmp_path / "b"), "--quiet", env=env
    )
    other = _heldout(
        "tune", *COMMON, "--storage", postgres_url, "--out", str(tmp_path / "c"), "--quiet", env=env
    )
    # the victim dies in the middle of a batch: its batch checkpoint exists only while one trains
    deadline = time.monotonic() + 120
    while not (tmp_path / "b" / "checkpoint-batch.pt").exists():
        assert time.monotonic() < deadline and victim.poll() is None, (
            victim.stderr.read() if victim.poll() else ""
        )
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    out, err = runner.communicate(timeout=300)
    assert runner.returncode == 0, err[-3000:]
    other.communicate(timeout=120)
    assert other.returncode == 0
    victim.wait(timeout=10)

    studies = _studies(postgres_url)
    trials = [t for study in studies for t in study.get_trials()]
    told = [t for t in trials if "row" in t.user_attrs]
    assert len(told) == TRIALS
    assert sorted(t.user_attrs["row"]["trial"] for t in told) == list(
        range(TRIALS)
    )  # each row once
    assert not [
        t
        for t in trials
        if t.state in (optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING)
    ]
    retried = [t for t in told if slots.is_retry(t)]
    assert retried, "the killed worker's trials were trained again by the others"
    for (
        study
    ) in studies:  # a retried trial counts once: its dead original, the victim's, has no row
        by_number = {t.number: t for t in study.get_trials()}
        for t in study.get_trials():
            if slots.is_retry(t):
                original = by_number[t.system_attrs["failed_trial"]]
                assert "row" not in original.user_attrs
                assert original.user_attrs[POPULATION].split(":")[1] == str(victim.pid)
    populations = {}
    for t in told:  # every population had one shape
        shape = {k: v for k, v in t.params.items() if k not in PER_MEMBER}
        populations.setdefault(t.user_attrs[POPULATION], []).append(
            json.dumps(shape, sort_keys=True)
        )
    assert all(len(set(shapes)) == 1 for shapes in populations.values())
    # told batches came from the survivors only (which of them trained how many depends on timing)
    assert {name.split(":")[1] for name in populations} <= {str(runner.pid), str(other.pid)}

    summary = json.loads(out)
    assert summary["trials"] == TRIALS and summary["ledger_count"] == 1 and summary["models"] == 1
    ledger = heldout.Ledger(postgres_url)
    assert ledger.verify().ok
    assert [e["kind"] for e in ledger.entries()].count("unseal") == 1


def test_one_worker_on_postgresql_gives_the_journal_s_leaderboard(postgres_url, diabetes):
    split = heldout.split(diabetes, seed=0)
    local = heldout.tune(split, trials=12, population=4, seed=0)
    shared = heldout.tune(
        split, trials=12, population=4, seed=0, storage=postgres_url, study_name="one"
    )
    assert local.leaderboard.drop(columns="seconds").equals(
        shared.leaderboard.drop(columns="seconds")
    )


def test_a_worker_with_another_split_is_refused(postgres_url, diabetes, tmp_path):
    heldout.tune(
        heldout.split(diabetes, seed=0),
        trials=4,
        population=4,
        seed=0,
        storage=postgres_url,
        study_name="s",
    )
    other = heldout.split(
        diabetes, seed=1, ledger=tmp_path / "another"
    )  # another host's ledger, say
    with pytest.raises(ConfigError, match="searches another split"):
        heldout.tune(other, trials=8, population=4, seed=0, storage=postgres_url, study_name="s")


def test_workers_option_starts_local_workers_and_looks_once(postgres_url, tmp_path):
    env = _env(tmp_path / "ledger")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "run",
            *COMMON,
            "--storage",
            postgres_url,
            "--workers",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["trials"] == TRIALS and summary["ledger_count"] == 1
    told = [
        t for study in _studies(postgres_url) for t in study.get_trials() if "row" in t.user_attrs
    ]
    assert len(told) == TRIALS
    # the local worker joined the study and saw all of it (whether it trained some batches depends
    # on how soon it started: the three-process test above shows workers sharing the batches)
    worker_board = (tmp_path / "run" / "workers" / "2" / "leaderboard.csv").read_text().splitlines()
    assert len(worker_board) == TRIALS + 1


def test_workers_without_a_shared_storage_is_refused(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "heldout",
            "tune",
            "--dataset",
            "diabetes",
            "--workers",
            "2",
            "--out",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "--storage" in done.stderr


def test_a_storage_that_cannot_be_reached_is_named_without_its_password(diabetes):
    split = heldout.split(diabetes, seed=0)
    with pytest.raises(ConfigError) as refused:
        heldout.tune(split, trials=4, storage="postgresql://ana:s3cret@127.0.0.1:1/studies")
    assert "postgresql://ana@127.0.0.1:1/studies" in str(refused.value) and "s3cret" not in str(
        refused.value
    )
