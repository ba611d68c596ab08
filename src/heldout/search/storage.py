"""Where a search's studies live: a journal file in the run directory (one process, the default),
or a database that many processes and hosts share (Optuna's RDB storage, e.g. PostgreSQL).

A shared study is written by workers that may die at any instant, so its storage keeps
heartbeats: each worker records one for every trial it trains every :data:`HEARTBEAT` seconds
(``HELDOUT_HEARTBEAT_SECONDS``), a trial silent for :data:`GRACE` times that long is failed by
whichever worker looks next (``optuna.storages.fail_stale_trials``), and Optuna's
``RetryHeartbeatStaleTrialCallback`` puts a copy of it back in the queue for any worker to take.
A database URL is shown without its password (:mod:`heldout._util.urls`).

>>> sqlalchemy_url("postgresql://ana@db/studies")
'postgresql+psycopg://ana@db/studies'
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from .._util.urls import blanked, without_password
from ..errors import ConfigError

HEARTBEAT = 10.0  # seconds between a worker's heartbeats for the trials it trains
GRACE = 3  # heartbeats missed before a trial is taken for dead
RETRIES = 3  # times a dead worker's trial is given to another, at most
SCHEMES = ("postgresql", "postgres", "mysql", "sqlite")


def journal(path):
    """An Optuna storage: the study kept in a journal file at ``path`` (a run directory's
    ``study.journal``) for one process — by its absolute path (Optuna's lock is a symlink to it),
    and without a lock a killed process left (the caller holds the run directory, so no other
    process uses the journal)."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = Path(path).resolve()
    Path(f"{path}.lock").unlink(missing_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


def is_database(location) -> bool:
    return isinstance(location, str) and urlsplit(location).scheme.split("+")[0] in SCHEMES


def sqlalchemy_url(url: str) -> str:
    """A ``postgresql://`` URL as SQLAlchemy reads it with the psycopg 3 driver (its default
    driver, psycopg2, is not what heldout installs); other URLs as they are."""
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def heartbeat_seconds() -> float:
    value = os.environ.get("HELDOUT_HEARTBEAT_SECONDS")
    try:
        seconds = HEARTBEAT if value is None else float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(
            f"HELDOUT_HEARTBEAT_SECONDS must be a positive number of seconds, got {value!r}. "
            f"Unset it for the default ({HEARTBEAT:g} s)."
        )
    return seconds


def database(url: str):
    """Optuna's RDB storage at ``url``, with heartbeats and retries of dead workers' trials."""
    import optuna
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    beat = heartbeat_seconds()
    with quiet_experimental():
        callback = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=RETRIES)
    last = None
    for attempt in range(
        5
    ):  # workers started together race to create the tables: the losers try again
        try:
            with quiet_experimental():
                return optuna.storages.RDBStorage(
                    sqlalchemy_url(url),
                    heartbeat_interval=max(1, round(beat)),
                    grace_period=max(2, round(GRACE * beat)),
                    heartbeat_stale_trial_callback=callback,
                )
        except (NoSuchModuleError, ModuleNotFoundError, ImportError, ArgumentError) as exc:
            raise ConfigError(
                f"Cannot use the study storage {without_password(url)!r}: "
                f"{blanked(str(exc), url)}. For PostgreSQL, install the client library: pip "
                "install 'heldout[postgres]'."
            ) from None
        except OperationalError as exc:
            last = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
            break
        except Exception as exc:  # the schema being created by another worker at this instant
            last = str(exc).strip().splitlines()[0]
            time.sleep(0.5 * (attempt + 1))
    raise ConfigError(
        f"Cannot open the study storage {without_password(url)!r}: {blanked(last or '', url)}. "
        "Check that the database server is running and reachable from this host, and that the "
        "user may create tables in the database (the password comes from the URL, PGPASSWORD or "
        "~/.pgpass)."
    )


@contextlib.contextmanager
def quiet_experimental():
    """Optuna marks heartbeats and their retries experimental, in a warning to every user at every
    call; heldout pins the Optuna it is tested with instead."""
    import optuna

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        yield


def fail_stale_trials(studies) -> None:
    """Fail the trials of dead workers (silent past the grace period) and queue their retries; on a
    storage without heartbeats, nothing."""
    import optuna

    with quiet_experimental():
        for study in studies:
            optuna.storages.fail_stale_trials(study)


def shares_trials(storage) -> bool:
    """Whether other processes may be training this storage's trials now (heartbeats are kept)."""
    from optuna.storages._heartbeat import is_heartbeat_enabled

    return is_heartbeat_enabled(storage)


@contextlib.contextmanager
def heartbeats(storage, trials: list):
    """Record a heartbeat for each of ``trials`` now and every interval until the block ends, so
    the other workers know they are alive (nothing is recorded for an unshared storage)."""
    if not shares_trials(storage):
        yield
        return
    ids = [t._trial_id for t in trials]
    stop = threading.Event()

    def beat():
        while True:
            for trial_id in ids:
                with contextlib.suppress(
                    Exception
                ):  # a trial told meanwhile, a database hiccup: the next beat
                    storage.record_heartbeat(trial_id)
            if stop.wait(storage.get_heartbeat_interval()):
                return

    for trial_id in ids:
        storage.record_heartbeat(trial_id)
    thread = threading.Thread(target=beat, name="heldout-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def check_same_split(studies: dict, described: dict) -> None:
    """Every worker of a shared study searches the same split: the first records it, the others
    are refused when theirs differs (another table, seed, strategy or share)."""
    mine = {
        k: described[k] for k in ("train_fingerprint", "validation_fingerprint", "test_fingerprint")
    }
    for study in studies.values():
        recorded = study.user_attrs.get("split")
        if recorded is None:
            study.set_user_attr("split", mine)
        elif recorded != mine:
            raise ConfigError(
                f"The study {study.study_name!r} searches another split (test set "
                f"{recorded.get('test_fingerprint')}, this process's {mine['test_fingerprint']}). "
                "Every worker of one study must read the same table with the same --seed, "
                "--strategy, --test and --validation; or give this search its own --study name."
            )
