"""What every benchmark prints: the machine's thread count and library versions first, its
figures as one JSON line last. Timings are best-of-``repeat`` wall-clock seconds."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import torch

os.environ.setdefault("HELDOUT_HOME", tempfile.mkdtemp(prefix="heldout-bench-"))

import heldout  # noqa: E402  (after HELDOUT_HOME: benchmark splits go to a scratch ledger)
from heldout._util.versions import versions  # noqa: E402


def header(title: str) -> None:
    print(f"# {title}")
    print(
        f"threads: torch {torch.get_num_threads()}, cpus {os.cpu_count()}; python "
        f"{platform.python_version()}; {json.dumps(versions())}"
    )


def _runs(fn, repeat: int) -> tuple[list[float], object]:
    """The seconds of each of ``repeat`` calls, and the last call's result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def timed(fn, repeat: int = 1):
    """(best seconds, last result) over ``repeat`` calls."""
    seconds, result = _runs(fn, repeat)
    return min(seconds), result


def median_seconds(fn, repeat: int = 3) -> float:
    """The median seconds of ``repeat`` calls (steadier than the best on a shared machine)."""
    return float(np.median(_runs(fn, repeat)[0]))


@contextlib.contextmanager
def busy_core(busy: bool = True):
    """With ``busy``, another process keeps one core busy while the block runs (and is killed
    after)."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        time.sleep(0.5 if busy else 0)
        yield
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def classification_table(n_rows: int, n_features: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic binary table whose label depends non-linearly on a few features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    logit = X[:, 0] + X[:, 1] * X[:, 2] - np.abs(X[:, 3]) + 0.5 * np.sin(3 * X[:, 4])
    y = (logit + 0.5 * rng.standard_normal(n_rows) > -0.3).astype(np.int64)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(n_features)])
    frame["label"] = y
    return frame


def split_table(frame: pd.DataFrame, target: str, test: float, validation: float):
    data = heldout.load(frame, target=target, name="bench")
    return heldout.split(data, test=test, validation=validation, seed=0, strategy="random")


def tensors(split, part: str):
    """The rows of ``split.train`` / ``split.validation`` after heldout's own preprocessing, so a
    baseline trains on exactly the numbers heldout trains on."""
    features = heldout.Features().fit(split.train.features)
    rows = getattr(split, part)
    X = torch.from_numpy(features.transform(rows.features))
    y = torch.as_tensor(rows.target.to_numpy(dtype="float32"))
    return X, y


def finish(figures: dict) -> None:
    print(json.dumps(figures))


def reference_look(
    split, estimator, X, y, transform, classes, name: str, benchmark: str
) -> tuple[dict, float]:
    """A scikit-learn reference fitted on ``X, y`` (its convergence notices silenced) and scored
    once through the split's sealed gate, its rows preprocessed by ``transform``; the look is
    recorded in the ledger as ``sklearn:NAME``. Returns its test scores and its fitting seconds."""
    import warnings

    task = split.task
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's convergence and deprecation notices
        estimator.fit(X, y)
    seconds = time.perf_counter() - start

    def score(rows):
        Xt, yt = transform(rows.features), task.encode(rows.target, classes).numpy()
        if not task.has_classes:
            return task.score(yt, estimator.predict(Xt))
        p = estimator.predict_proba(Xt)
        return task.score(yt, p[:, 1] if p.shape[1] == 2 else p)  # binary scores P(class 1)

    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", heldout.HeldoutWarning
        )  # the reference's own, recorded look
        scores, _ = split.test.unseal(score, model=f"sklearn:{name}", info={"benchmark": benchmark})
    return scores, seconds
