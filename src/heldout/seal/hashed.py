"""The ``hashed`` split: each row's part decided from its fingerprint and the seed alone.

A row goes to the test set when a seeded hash of its fingerprint falls below the test share, and
to validation when a second, independently seeded hash falls below the validation share (among
the rows that are not test). Nothing else takes part: not the row's position, not the other rows,
not where a file's record batches begin. So a table read whole and the same table streamed from
Parquet in batches of any size are split identically, rows appended later do not move earlier
rows, and identical rows (same fingerprint) always land in the same part: exact duplicates never
straddle the split. The shares are met in expectation (a binomial draw per row), not exactly.

The hash is SplitMix64's finaliser over the fingerprint mixed with the seed and a constant per
use (test, validation, and the seeded samples of :mod:`heldout.stream`), read as a fraction of 2^64.

>>> import numpy as np
>>> fingerprints = np.arange(100_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
>>> where = parts(fingerprints, seed=0, test=0.2, validation=0.25)
>>> [round(float((where == p).mean()), 2) for p in (TRAIN, VALIDATION, TEST)]
[0.6, 0.2, 0.2]
>>> # a row's part is the same whatever else is read beside it
>>> bool((parts(fingerprints[:10], 0, 0.2, 0.25) == where[:10]).all())
True
"""

from __future__ import annotations

import numpy as np

TRAIN, VALIDATION, TEST = 0, 1, 2
# one constant per use of the hash, so that the test draw, the validation draw and the samples are
# independent
TEST_DRAW, VALIDATION_DRAW, SAMPLE_DRAW = 0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0


def draw(fingerprints: np.ndarray, seed: int, use: int) -> np.ndarray:
    """A uniform number in [0, 1) per row, fixed by its fingerprint, the seed and the use."""
    with np.errstate(over="ignore"):
        z = np.asarray(fingerprints, dtype=np.uint64) ^ np.uint64(
            (int(seed) * 0x9E3779B97F4A7C15 + use) % 2**64
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def parts(fingerprints: np.ndarray, seed: int, test: float, validation: float) -> np.ndarray:
    """Each row's part (:data:`TRAIN`, :data:`VALIDATION` or :data:`TEST`) as int8."""
    out = np.full(len(fingerprints), TRAIN, dtype=np.int8)
    out[draw(fingerprints, seed, VALIDATION_DRAW) < validation] = VALIDATION
    out[draw(fingerprints, seed, TEST_DRAW) < test] = TEST
    return out
