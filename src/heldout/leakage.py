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
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from . import allocator
from .data import Dataset
from .features import Features
from .fingerprint import row_fingerprints
from .split import Split

SEVERITIES = ("error", "warning", "info")
NEAR_SAMPLE, NEAR_FACTOR = 2000, 0.05
PROXY_ROWS, PROXY_WARNING, PROXY_ERROR = 20_000, 0.9, 0.98


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    category: str
    count: int
    message: str
    examples: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding]
    seconds: dict[str, float]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "seconds": self.seconds}

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([f.to_dict() for f in self.findings],
                            columns=["kind", "severity", "category", "count", "message", "examples"])


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


# -- the checks ---------------------------------------------------------------------------------

def duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    train = parts["train"]
    feat = {name: row_fingerprints(p.features) for name, p in parts.items()}
    full = {name: p.fingerprints for name, p in parts.items()}
    # discrete data (few distinct feature rows: survey answers, small grids) repeats legitimately
    distinct = len(np.unique(feat["train"])) / max(1, len(train))
    out = []
    for name in ("validation", "test"):
        same_features = np.isin(feat[name], feat["train"])
        same_row = np.isin(full[name], full["train"])
        conflicting = same_features & ~same_row
        share = same_row.mean() if len(same_row) else 0.0
        legit = distinct < 0.5
        if same_row.any():
            severity = "info" if legit else ("error" if same_row.sum() >= 2 and share >= 0.01 else "warning")
            out.append(Finding(
                "duplicates", severity, "duplicates across splits", int(same_row.sum()),
                f"{int(same_row.sum())} {name} row(s) repeat a training row exactly (features and label)"
                + (f"; the training rows hold only {distinct:.0%} distinct feature rows, so this looks like "
                   "legitimate repetition" if legit else ": their score measures memory, not generalisation. Drop the "
                   "duplicates before splitting, or split by the entity they belong to (groups)."),
                np.flatnonzero(same_row)[:5].tolist()))
        if conflicting.any():
            out.append(Finding(
                "duplicates", "info", "duplicates across splits", int(conflicting.sum()),
                f"{int(conflicting.sum())} {name} row(s) have the features of a training row but another label "
                "(label noise, or features that do not determine the label).", np.flatnonzero(conflicting)[:5].tolist()))
    return out


def near_duplicates(parts: dict[str, Dataset]) -> list[Finding]:
    features = Features().fit(parts["train"].features)
    train = torch.from_numpy(features.transform(parts["train"].features))
    if len(train) < 3 or train.shape[1] == 0:
        return []
    gen = np.random.default_rng(0)
    # one pass over the training rows answers every query: a probe of training rows (for the
    # typical distance, each excluding itself) and samples of the validation and test rows
    probe = gen.choice(len(train), size=min(NEAR_SAMPLE, len(train)), replace=False)
    picks = {name: gen.choice(len(parts[name]), size=min(NEAR_SAMPLE, len(parts[name])), replace=False)
             for name in ("validation", "test")}
    queries = [train[probe]] + [torch.from_numpy(features.transform(parts[name].features.iloc[pick]))
                                for name, pick in picks.items()]
    own = np.concatenate([probe, -np.ones(sum(len(p) for p in picks.values()), dtype=np.int64)])
    distance = _nearest(torch.cat(queries), train, own)
    typical = float(np.median(distance[:len(probe)]))
    if typical == 0:
        return []
    out, offset = [], len(probe)
    for name, pick in picks.items():
        d = distance[offset:offset + len(pick)]
        offset += len(pick)
        close = (d > 1e-6) & (d < NEAR_FACTOR * typical)
        share = close.mean() if len(close) else 0.0
        if share > 0.01:
            count = int(round(share * len(parts[name])))
            out.append(Finding(
                "near_duplicates", "warning", "duplicates across splits", count,
                f"About {count} {name} row(s) ({share:.1%}) lie within {NEAR_FACTOR:g}x the typical nearest-neighbour "
                f"distance of a training row ({typical:.3g}): near copies (re-measured, rounded or augmented rows). "
                "Split by the entity they come from (groups).", pick[close][:5].tolist()))
    return out


def _nearest(query: torch.Tensor, pool: torch.Tensor, own: np.ndarray) -> np.ndarray:
    """Each query row's Euclidean distance to its nearest pool row, excluding pool row ``own[i]``
    (-1: none), in blocks of pool rows (no N×N matrix)."""
    best = torch.full((len(query),), float("inf"))
    q2 = (query * query).sum(1, keepdim=True)
    own = torch.from_numpy(own)
    block = max(256, 2 ** 22 // max(1, len(query)))
    for start in range(0, len(pool), block):
        part = pool[start:start + block]
        d2 = torch.addmm((part * part).sum(1).unsqueeze(0), query, part.T, alpha=-2).add_(q2).clamp_min_(0)
        inside = (own >= start) & (own < start + len(part))
        if inside.any():   # a training row is not its own neighbour
            d2[torch.nonzero(inside).flatten(), own[inside] - start] = float("inf")
        best = torch.minimum(best, d2.min(1).values)
    return best.sqrt().numpy()


def entities(parts: dict[str, Dataset]) -> list[Finding]:
    train = parts["train"]
    out = []
    if train.groups is not None:
        seen = set(train.groups.tolist())
        for name in ("validation", "test"):
            shared = parts[name].groups.isin(seen).to_numpy()
            if shared.any():
                out.append(Finding(
                    "entities", "error", "non-independence between train and test", int(shared.sum()),
                    f"{int(shared.sum())} {name} row(s) ({shared.mean():.1%}) belong to groups that also have "
                    "training rows. Split with strategy='group'.", np.flatnonzero(shared)[:5].tolist()))
        return out
    for column in train.features.columns:
        values = train.features[column]
        if _id_like(values):
            out.append(Finding(
                "entities", "warning", "non-independence between train and test", len(values),
                f"Column {column!r} looks like an identifier (about one value per row). If rows of one entity "
                f"repeat, load with groups={column!r} and split with strategy='group'; if it is a row number, "
                "drop it.", [column]))
    return out


def _id_like(values: pd.Series) -> bool:
    if len(values) < 50:
        return False
    kind = values.dtype.kind
    if kind in "fc":
        v = values.dropna()
        if not (v == v.round()).all():
            return False   # measurements are unique because they are continuous, not identifiers
    elif kind not in "iuOSU" and not pd.api.types.is_string_dtype(values):
        return False
    unique = values.nunique(dropna=True) / len(values)
    if unique >= 0.95:
        return True
    if kind in "iu":
        diffs = np.diff(np.sort(values.to_numpy()))
        return unique >= 0.5 and len(diffs) > 0 and (diffs == 1).mean() > 0.9
    return False


def time_order(parts: dict[str, Dataset], strategy: str) -> list[Finding]:
    if strategy == "time":
        return []
    out = []
    train = parts["train"]
    for column in train.features.columns:
        as_time = _as_time(train.features[column])
        if as_time is None:
            continue
        latest = as_time.max()
        test_times = _as_time(parts["test"].features[column], force=True)
        earlier = (test_times < latest).to_numpy() if test_times is not None else np.zeros(0, bool)
        out.append(Finding(
            "time", "warning", "temporal leakage", int(earlier.sum()),
            f"Column {column!r} looks like time, and the split is {strategy!r}: {earlier.mean():.0%} of the test rows "
            "are earlier than the latest training row, so the model is scored on the past it was trained around. "
            f"If the model will predict the future, load with time={column!r} and split with strategy='time'.",
            [column]))
    return out


def _as_time(values: pd.Series, force: bool = False):
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    if values.dtype.kind in "iu":
        v = values.dropna()
        if len(v) and v.between(1900, 2100).all() and v.nunique() > 1 and (force or "year" in str(values.name).lower()
                                                                         or v.nunique() <= 200):
            return v
        return None
    if values.dtype.kind == "O" or pd.api.types.is_string_dtype(values):
        sample = values.dropna().astype(str).head(50)
        if len(sample) == 0 or not sample.str.contains(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}").mean() > 0.9:
            return None
        parsed = pd.to_datetime(values, errors="coerce")
        return parsed if parsed.notna().mean() > 0.9 else None
    return None


def target_proxies(train: Dataset) -> list[Finding]:
    """Single-feature predictive power on training rows, cross-validated (3 folds; a tree with at
    least 10 rows a leaf, and for regression also a straight line)."""
    rows = train if len(train) <= PROXY_ROWS else train.take(np.random.default_rng(0).choice(len(train), PROXY_ROWS,
                                                                                              replace=False))
    y = rows.target.to_numpy()
    regression = train.task == "regression"
    if not regression and pd.Series(y).value_counts().min() < 3:
        return []
    if regression:
        naive = np.abs(y - np.median(y)).mean()
        model, scoring = DecisionTreeRegressor(min_samples_leaf=10, random_state=0), "neg_mean_absolute_error"
    else:
        naive = pd.Series(y).value_counts(normalize=True).max()
        model, scoring = DecisionTreeClassifier(min_samples_leaf=10, random_state=0), "accuracy"
    out = []
    for column in rows.features.columns:
        one = rows.features[[column]]
        if one[column].notna().sum() == 0:
            continue
        x = Features().fit(one).transform(one)
        score = cross_val_score(model, x, y, cv=3, scoring=scoring).mean()
        if regression:   # a tree's steps blur an exact linear proxy on few rows: take the better of both
            score = max(score, cross_val_score(LinearRegression(), x, y, cv=3, scoring=scoring).mean())
        power = 1 - (-score) / naive if regression else (score - naive) / max(1e-12, 1 - naive)
        if power >= PROXY_WARNING:
            out.append(Finding(
                "target_proxy", "error" if power >= PROXY_ERROR else "warning", "illegitimate feature", 1,
                f"Feature {column!r} alone predicts the target (predictive power {power:.3f} against a naive "
                "baseline, cross-validated on training rows). If it is computed from the label or recorded after "
                "the outcome, drop it.", [column]))
    return out


def resplit(parts: dict[str, Dataset], sealed) -> list[Finding]:
    out = []
    for name, rows in parts.items():
        for found in sealed.ledger.sealed_overlap(rows.fingerprints, own_seal=sealed.seal, evaluated_only=True):
            out.append(Finding(
                "resplit", "error", "re-split after unsealing", len(found["positions"]),
                f"{len(found['positions'])} {name} row(s) were in test set {found['seal']}, which has already been "
                "evaluated: results seen on them now shape training and selection. Keep that test set's rows out "
                "(split as before), or report results on new data.", found["positions"][:5].tolist()))
    return out


def too_little(test: Dataset, split: Split) -> list[Finding]:
    out = []
    n = len(test)
    if n < 30:
        out.append(Finding("too_little", "warning", "too little to trust", n,
                           f"The test set has {n} rows: its metric's interval is wide. Use a larger test share or "
                           "more data.", []))
    elif n < 100:
        out.append(Finding("too_little", "info", "too little to trust", n,
                           f"The test set has {n} rows; expect a wide interval around its metric.", []))
    if split.task != "regression":
        counts = test.target.value_counts()
        few = counts[counts < 5]
        if len(few):
            out.append(Finding("too_little", "warning", "too little to trust", int(len(few)),
                               f"Class(es) {few.index.tolist()} have fewer than 5 test rows; per-class results "
                               "are noise.", few.index.tolist()[:5]))
        shares = split.train.target.value_counts(normalize=True)
        minority = shares.min()
        if minority < 0.2 * shares.max() and split.strategy != "stratified":
            out.append(Finding("too_little", "warning", "too little to trust", 1,
                               f"The rarest class is {minority:.1%} of the training rows and the split is not "
                               "stratified: parts can hold very different shares. Use strategy='stratified'.", []))
    return out
