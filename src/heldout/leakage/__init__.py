"""``check()``: find the ways a split can lie, before training.

Each finding has a severity (``error``, ``warning``, ``info``), a category from the leakage
taxonomy, a count and a few examples:

- ``duplicates``: exact duplicates across parts (same features; same features and label; same
  features with conflicting labels), from row hashes. When rows repeat within a part as often as
  across parts (discrete data), repetition is legitimate and reported as ``info``.
- ``near_duplicates``: rows of a part whose nearest neighbour in the training rows (standardised
  features) is far closer than training rows are to each other; blocked search over all
  training rows for a sample of up to 2,000 rows of each other part.
- ``entities``: with ``groups``, rows whose group is on both sides; without, identifier-like
  columns.
- ``time``: time-like columns under a non-time split, and the share of held-out rows earlier
  than the latest training row.
- ``target_proxy``: a feature that alone predicts the target almost perfectly (a
  predictive-power score against a naive baseline, cross-validated on training rows only).
- ``resplit``: rows of an already-evaluated test set (from the ledger) now in training or
  validation.
- ``too_little``: tiny test sets, classes with few test rows, imbalance without stratification.

Test rows are read through :meth:`Sealed.audit` (recorded in the ledger as an audit, not an
evaluation); no check uses test labels except to compare duplicates' labels.

>>> import heldout
>>> report = heldout.check(heldout.split(heldout.datasets.load("wine"), seed=0))
>>> [f.severity for f in report.findings if f.severity != "info"]
[]
"""

from __future__ import annotations

import time

from .._util import allocator
from ..data.dataset import Dataset
from ..seal.split import Split
from .columns import target_proxies, time_order
from .entities import entities
from .finding import SEVERITIES, Finding, Report
from .rows import duplicates, near_duplicates
from .split_checks import resplit, too_little

__all__ = ["check", "Finding", "Report"]


def check(split: Split) -> Report:
    """Every check over ``split`` (test rows read once through the sealed gate's audit)."""
    allocator.tune()
    parts = {"train": split.train, "validation": split.validation}
    findings, seconds = [], {}

    def timed(name, fn, *args):
        start = time.perf_counter()
        findings.extend(fn(*args))
        seconds[name] = round(time.perf_counter() - start, 3)

    def with_test(test: Dataset) -> None:
        everything = dict(parts, test=test)
        timed("duplicates", duplicates, everything)
        timed("near_duplicates", near_duplicates, everything)
        timed("entities", entities, everything)
        timed("time", time_order, everything, split.strategy)
        timed("too_little", too_little, test, split)

    split.test.audit(with_test, purpose="leakage check")
    timed("target_proxy", target_proxies, split.train)
    timed("resplit", resplit, parts, split.test)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return Report(sorted(findings, key=lambda f: order[f.severity]), seconds)


def __getattr__(name: str):  # PEP 562: each module is an attribute before anything imports it
    from .._util.lazy import submodule

    return submodule(__name__, name)
