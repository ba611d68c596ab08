"""Checks over the split as a whole: re-split after unsealing, and too little to trust."""

from __future__ import annotations

from ..data.dataset import Dataset
from ..seal.split import Split
from .finding import Finding


def resplit(parts: dict[str, Dataset], sealed) -> list[Finding]:
    out = []
    for name, rows in parts.items():
        for found in sealed.ledger.sealed_overlap(
            rows.features,
            rows.target,
            fingerprints=rows.fingerprints,
            own_seal=sealed.seal,
            evaluated_only=True,
        ):
            out.append(
                Finding(
                    "resplit",
                    "error",
                    "re-split after unsealing",
                    len(found["positions"]),
                    f"{len(found['positions'])} {name} row(s) were in test set {found['seal']}, "
                    "which has already been evaluated: results seen on them now shape training "
                    "and selection. Keep that test set's rows out (split as before), or report "
                    "results on new data.",
                    found["positions"][:5].tolist(),
                )
            )
    return out


def too_little(test: Dataset, split: Split) -> list[Finding]:
    out = []
    n = len(test)
    if n < 30:
        out.append(
            Finding(
                "too_little",
                "warning",
                "too little to trust",
                n,
                f"The test set has {n} rows: its metric's interval is wide. Use a larger test "
                "share or more data.",
                [],
            )
        )
    elif n < 100:
        out.append(
            Finding(
                "too_little",
                "info",
                "too little to trust",
                n,
                f"The test set has {n} rows; expect a wide interval around its metric.",
                [],
            )
        )
    if split.task.has_classes:
        counts = test.target.value_counts()
        few = counts[counts < 5]
        if len(few):
            out.append(
                Finding(
                    "too_little",
                    "warning",
                    "too little to trust",
                    int(len(few)),
                    f"Class(es) {few.index.tolist()} have fewer than 5 test rows; per-class "
                    "results are noise.",
                    few.index.tolist()[:5],
                )
            )
        shares = split.train.target.value_counts(normalize=True)
        minority = shares.min()
        if minority < 0.2 * shares.max() and split.strategy != "stratified":
            out.append(
                Finding(
                    "too_little",
                    "warning",
                    "too little to trust",
                    1,
                    f"The rarest class is {minority:.1%} of the training rows and the split is not "
                    "stratified: parts can hold very different shares. Use strategy='stratified'.",
                    [],
                )
            )
    return out
